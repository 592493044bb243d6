// Copyright 2026 The fan-out engine authors.

#include "engine/internal/engine_directory.h"
#include "engine/internal/standing_journal.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <new>
#include <stdexcept>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/file_io.h"
#include "base/status_macros.h"
#include "engine/internal/live_checkpoint.h"
#include "engine/internal/live_index_impl.h"
#include "engine/internal/live_slot_table.h"
#include "engine/internal/live_version.h"
#include "engine/internal/log_fold.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "engine/snapshot.h"
#include "engine/update_log.h"

namespace fanout {
namespace internal {
namespace {

double SecondsSince(int64_t start_ns) { return (absl::GetCurrentTimeNanos() - start_ns) * 1e-9; }

// "<prefix><20 digits><suffix>" -> the number; false for anything else.
bool ParseNumbered(const std::string& name, absl::string_view prefix, absl::string_view suffix,
                   uint64_t* seq) {
  if (name.size() != prefix.size() + 20 + suffix.size()) return false;
  if (!absl::StartsWith(name, prefix) || !absl::EndsWith(name, suffix)) return false;
  const char* begin = name.data() + prefix.size();
  for (const char* p = begin; p < begin + 20; ++p) {
    if (*p < '0' || *p > '9') return false;
  }
  auto [end, ec] = std::from_chars(begin, begin + 20, *seq);
  return ec == std::errc() && end == begin + 20;
}

// kDataLoss with `file: message`, unless the message names it already.
absl::Status NameFile(const absl::Status& status, const std::string& file) {
  if (absl::StrContains(status.message(), file)) return status;
  return absl::Status(status.code(), absl::StrCat(file, ": ", status.message()));
}

absl::Status Gap(uint64_t from, uint64_t to, const std::string& before, const std::string& after) {
  return absl::DataLossError(absl::StrFormat(
      "updates %d..%d are missing from the log: %s ends before them and %s starts after them "
      "(a segment was deleted or lost); refusing to open without them",
      from, to, before, after));
}

// The live index reads the base's user column at random (to confirm
// slots) from the first update on: its own copy on huge pages, not the
// mapping's 4 KiB pages of page cache (the same 16 bytes per user; the
// mapping goes).
std::unique_ptr<LocationIndex> CopyToHugePages(std::unique_ptr<LocationIndex> mapped_index) {
  const SortedRun mapped = mapped_index->run();
  auto columns = std::make_shared<BaseColumns>(mapped.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, mapped.size(), 1 << 18), [&](const auto& r) {
    std::copy(mapped.cells.begin() + r.begin(), mapped.cells.begin() + r.end(),
              columns->cells() + r.begin());
    std::copy(mapped.users.begin() + r.begin(), mapped.users.begin() + r.end(),
              columns->users() + r.begin());
    std::copy(mapped.mix_low.begin() + r.begin(), mapped.mix_low.begin() + r.end(),
              columns->mix_low() + r.begin());
  });
  mapped_index.reset();
  return BaseColumns::TrustedIndex(std::move(columns));
}

// The bulk replay's mapped path (RecoverEngineDirectory): a log of at most
// one update per this many users of the checkpoint goes through the writer
// onto the mapped checkpoint (a cost per update) rather than through the
// fold, which rewrites every entry whatever the log holds (a cost per
// user); bench/README.md, "Open at 170M, second pass".
constexpr uint64_t kFewUpdatesPerUser = 64;

// The slot table of a checkpoint's users (slot i: entry i), made on a
// thread of its own while Open reads the log: the fold and LiveIndex's
// Create both need it, it does not depend on the log, and the log is read
// on one thread while the other core would idle. Its memory comes from
// `pool` (which must outlive it), or as HugePageAllocator maps it when
// null. Get waits for it.
class EarlySlotTable {
 public:
  EarlySlotTable(const SortedRun& base, HugePagePool* pool)
      : thread_([this, users = base.users, pool] {
          // No exception may leave a thread: what Open's caller would
          // have been told (Engine::Open's NoThrow) comes back from Get.
          try {
            HugePagePool::Scope scope(pool);  // null: no pool
            LiveSlotTable table(users.size());
            uint64_t duplicate = 0;
            if (!table.FillFrom(users.data(), users.size(), &duplicate)) {
              status_ = absl::InvalidArgumentError(
                  absl::StrCat("user ", duplicate, " appears twice in the base index"));
              return;
            }
            table_ = std::move(table);
          } catch (const std::bad_alloc&) {
            status_ = absl::ResourceExhaustedError("out of memory making the slot table");
          } catch (const std::exception& e) {
            status_ = absl::InternalError(absl::StrCat("making the slot table: ", e.what()));
          }
        }) {}
  // Waits for the thread (on every path out of Open).
  ~EarlySlotTable() { Wait(); }
  EarlySlotTable(const EarlySlotTable&) = delete;
  EarlySlotTable& operator=(const EarlySlotTable&) = delete;

  // The table; kInvalidArgument naming a user the checkpoint holds twice,
  // or kResourceExhausted when memory ran out.
  absl::StatusOr<LiveSlotTable*> Get() {
    Wait();
    if (!status_.ok()) return status_;
    return &table_;
  }

 private:
  void Wait() {
    if (thread_.joinable()) thread_.join();
  }
  LiveSlotTable table_;
  absl::Status status_;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

std::string CheckpointName(uint64_t seq) {
  return absl::StrFormat("%s%020d%s", kCheckpointPrefix, seq, kCheckpointSuffix);
}
std::string SegmentName(uint64_t first_seq) {
  return absl::StrFormat("%s%020d%s", kSegmentPrefix, first_seq, kSegmentSuffix);
}
std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

absl::StatusOr<DirectoryListing> ListEngineDirectory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(dir, ": no such folder"));
    return ErrnoError("cannot stat", dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": not a folder"));
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoError("cannot list", dir);
  DirectoryListing out;
  while (struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    uint64_t seq;
    if (ParseNumbered(name, kCheckpointPrefix, kCheckpointSuffix, &seq)) {
      out.checkpoints.push_back({seq, name});
    } else if (ParseNumbered(name, kSegmentPrefix, kSegmentSuffix, &seq)) {
      out.segments.push_back({seq, name});
    } else if (name == kEngineLockFile) {
      out.has_lock_file = true;
    } else if (name == kStandingJournalName) {
      out.has_standing_journal = true;
    } else if (name == kLanguagesFileName) {
      out.has_languages = true;
    } else if ((absl::StartsWith(name, kCheckpointPrefix) ||
                absl::StartsWith(name, kLanguagesFileName) ||
                absl::StartsWith(name, kSegmentPrefix) ||
                absl::StartsWith(name, kStandingJournalName)) &&
               absl::StrContains(name, ".tmp-")) {
      out.temporaries.push_back(name);
    } else {
      out.has_other_entries = true;
    }
  }
  ::closedir(d);
  auto by_seq = [](const NumberedFile& a, const NumberedFile& b) { return a.seq < b.seq; };
  std::sort(out.checkpoints.begin(), out.checkpoints.end(), by_seq);
  std::sort(out.segments.begin(), out.segments.end(), by_seq);
  std::sort(out.temporaries.begin(), out.temporaries.end());
  return out;
}

absl::StatusOr<Recovered> RecoverEngineDirectory(const std::string& dir,
                                                 const LiveIndex::Options& live_options,
                                                 ReplayMode mode) {
  const int64_t start = absl::GetCurrentTimeNanos();
  ASSIGN_OR_RETURN(DirectoryListing listing, ListEngineDirectory(dir));
  if (listing.checkpoints.empty()) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": not an engine folder (no checkpoint-*.fo; make one with fanout build --dir)"));
  }
  Recovered out;
  EngineOpenReport& report = out.state.report;
  const NumberedFile& newest = listing.checkpoints.back();
  const uint64_t s = newest.seq;
  report.checkpoint_path = JoinPath(dir, newest.name);
  report.checkpoint_seq = s;
  for (size_t i = 0; i + 1 < listing.checkpoints.size(); ++i) {
    out.redundant.push_back(listing.checkpoints[i].name);
  }

  // 1. The newest checkpoint, every byte verified; no fallback.
  auto loaded = LoadSnapshot(report.checkpoint_path);
  if (!loaded.ok()) {
    absl::Status st = loaded.status();
    if (st.code() != absl::StatusCode::kDataLoss) {
      st = absl::DataLossError(absl::StrCat("newest checkpoint cannot be read: ", st.message()));
    }
    return NameFile(st, report.checkpoint_path);
  }
  report.checkpoint_users = loaded->index->size();
  ASSIGN_OR_RETURN(out.attributes, EngineAttributes::Open(dir));
  if (loaded->attributes != nullptr) {
    absl::Status st = out.attributes->LoadCheckpoint(loaded->index->run(), *loaded->attributes);
    if (!st.ok()) {
      return absl::DataLossError(absl::StrCat(report.checkpoint_path, ": ", st.message()));
    }
  }
  // Checked as it loaded (LoadSnapshot); a user that appears twice is
  // found as the slot table is made from the checkpoint's users (by
  // LiveIndex::Create, or by the fold: LogFold::MergeWithSlots).
  auto not_valid = [&](const absl::Status& st) {
    return absl::DataLossError(
        absl::StrCat(report.checkpoint_path, ": not a valid checkpoint: ", st.message()));
  };
  // kInvalidArgument from what reads the checkpoint's entries means the
  // checkpoint is not valid; anything else (out of memory) stands as it is.
  auto not_valid_or = [&](const absl::Status& st) {
    return st.code() == absl::StatusCode::kInvalidArgument ? not_valid(st) : st;
  };
  auto make_live = [&](std::unique_ptr<LocationIndex> base,
                       uint64_t base_seq) -> absl::StatusOr<std::unique_ptr<LiveIndex>> {
    auto live = LiveIndex::Create(std::move(base), live_options, base_seq);
    if (!live.ok()) return not_valid(live.status());
    return live;
  };
  // kBulk: the log's updates are collected here and folded into the
  // checkpoint's columns after the last segment (log_fold.h); while they
  // are few (at most `few_limit`), they are also kept in order in `few`,
  // for the mapped path below.
  // The fold's big buffers, then the live index's (HugePagePool): pages
  // kept mapped from one to the next instead of freed and faulted in again
  // (on this path most of Open's cost was the kernel, and the VM's host,
  // supplying fresh pages). Fresh pages small: on a VM whose host takes
  // freed 2 MiB blocks back, a fresh huge page is far dearer than 512 small
  // ones. The cost is TLB misses on the live index's random reads until the
  // first merge, which makes the base, pos_of_slot and moved_at afresh on
  // huge pages (the slot table keeps its pages until it grows). Declared
  // before the fold, which gives back to it.
  HugePagePool pool(&PopulateInParallel, HugePagePool::FreshPages::kSmall);
  std::unique_ptr<LogFold> fold;
  std::unique_ptr<EarlySlotTable> early_table;
  std::vector<LocationUpdate> few;
  const uint64_t few_limit = report.checkpoint_users / kFewUpdatesPerUser;
  bool few_only = true;
  if (mode == ReplayMode::kWriterPath) {
    ASSIGN_OR_RETURN(out.live, make_live(CopyToHugePages(std::move(loaded->index)), s));
  } else {
    fold = std::make_unique<LogFold>(&pool);
  }
  report.load_checkpoint_s = SecondsSince(start);

  // 2. The segments after it: the last one starting at or before s + 1, and
  // every later one.
  const std::vector<NumberedFile>& segs = listing.segments;
  size_t first = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (segs[i].seq <= s + 1) first = i;
  }
  for (size_t i = 0; i < first; ++i) out.redundant.push_back(segs[i].name);
  if (fold != nullptr) {
    // The slot table, made while the log is read. Its pages as the live
    // index's other arrays will have theirs: from Open's pool (small fresh
    // pages, until the first merge) when the log will be folded; huge, as
    // LiveIndex::Create makes them, when it is surely short enough for
    // the mapped path (at most kUpdateLogRecordSize bytes per update:
    // the segments' sizes bound the updates they hold).
    uint64_t log_bytes = 0;
    for (size_t i = first; i < segs.size(); ++i) {
      struct stat st;
      if (::stat(JoinPath(dir, segs[i].name).c_str(), &st) == 0) {
        log_bytes += static_cast<uint64_t>(st.st_size);
      }
    }
    const bool surely_few = log_bytes / kUpdateLogRecordSize <= few_limit;
    early_table =
        std::make_unique<EarlySlotTable>(loaded->index->run(), surely_few ? nullptr : &pool);
  }
  const int64_t replay_start = absl::GetCurrentTimeNanos();
  uint64_t expected = s + 1;  // the next sequence number the state needs
  std::string previous = newest.name;  // what ends just before `expected`
  LiveIndex* index = out.live.get();
  // Takes one batch of the log, in order (the numbering is checked by the
  // caller).
  auto take = [&](uint64_t first_seq, absl::Span<const LocationUpdate> updates,
                  const std::string& path) -> absl::Status {
    RETURN_IF_ERROR(out.attributes->Apply(updates, path));
    if (fold != nullptr) {
      fold->Add(updates);
      if (few_only && fold->updates() <= few_limit) {
        few.insert(few.end(), updates.begin(), updates.end());
      } else if (few_only) {
        few_only = false;
        std::vector<LocationUpdate>().swap(few);
      }
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(uint64_t last_seq, index->Apply(updates));
    if (last_seq != first_seq + updates.size() - 1) {
      return absl::InternalError(absl::StrFormat("%s: replay numbered updates up to %d, expected %d",
                                                 path, last_seq, first_seq + updates.size() - 1));
    }
    return absl::OkStatus();
  };
  for (size_t i = first; i < segs.size(); ++i) {
    const NumberedFile& seg = segs[i];
    const std::string path = JoinPath(dir, seg.name);
    const bool last = i + 1 == segs.size();
    if (seg.seq > expected) return Gap(expected, seg.seq - 1, previous, seg.name);
    if (i > first && seg.seq < expected) {
      return absl::DataLossError(absl::StrFormat(
          "%s overlaps %s (it starts at update %d, which the one before holds)", path, previous,
          seg.seq));
    }
    uint64_t applied_here = 0;
    auto scan = ReplayUpdateLog(
        path, expected - 1,
        [&](uint64_t first_seq, absl::Span<const LocationUpdate> updates) -> absl::Status {
          if (first_seq != expected + applied_here) {
            return absl::DataLossError(absl::StrFormat(
                "%s: update %d follows update %d", path, first_seq, expected + applied_here - 1));
          }
          RETURN_IF_ERROR(take(first_seq, updates, path));
          applied_here += updates.size();
          return absl::OkStatus();
        });
    if (!scan.ok()) {
      absl::Status st = scan.status();
      if (st.code() == absl::StatusCode::kNotFound) {
        st = absl::DataLossError(absl::StrCat("segment vanished while reading: ", st.message()));
      }
      return NameFile(st, path);
    }
    if (scan->frames > 0 && scan->first_seq != seg.seq) {
      return absl::DataLossError(absl::StrFormat(
          "%s: its name says its first update is %d, but it starts at %d", path, seg.seq,
          scan->first_seq));
    }
    if (scan->torn_tail_bytes > 0) {
      if (!last) {
        return absl::DataLossError(absl::StrFormat(
            "%s: damaged before the end of the log (%d bytes at its end do not hold a valid "
            "frame: %s) while later segments exist, starting with %s",
            path, scan->torn_tail_bytes, scan->torn_tail_detail, segs[i + 1].name));
      }
      report.torn_tail_bytes = scan->torn_tail_bytes;
      report.torn_tail_detail = absl::StrCat(path, ": ", scan->torn_tail_detail);
    }
    if (scan->frames > 0 && scan->last_seq >= expected) {
      expected = scan->last_seq + 1;
      previous = seg.name;
    }
    out.live_segments.push_back(seg);
    EngineDirectoryState::Segment described;
    described.name = seg.name;
    described.first_seq = scan->frames > 0 ? scan->first_seq : seg.seq;
    described.last_seq = scan->frames > 0 ? scan->last_seq : 0;
    described.updates = scan->updates;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) described.bytes = static_cast<uint64_t>(st.st_size);
    out.state.log_bytes += described.bytes;
    out.state.segments.push_back(described);
    report.updates_replayed += applied_here;
    ++report.segments_replayed;
    if (last) {
      // Appends go on in this segment when it ends exactly where the state
      // does (an empty segment: when it is named so).
      out.last_segment_usable = scan->frames > 0 ? scan->last_seq + 1 == expected
                                                 : seg.seq == expected;
    }
  }
  for (const std::string& t : listing.temporaries) report.removed.push_back(t);
  for (const std::string& r : out.redundant) report.removed.push_back(r);
  out.state.last_seq = expected - 1;
  if (fold != nullptr && few_only) {
    // Every segment verified and read, and no update or only a few: the
    // checkpoint's mapping itself is the first base (as a snapshot's is for
    // alerts: no copy of its columns), and the few updates go through the
    // writer. Folding them would rewrite every entry to move a few.
    report.read_log_s = SecondsSince(replay_start);
    fold.reset();
    const int64_t live_start = absl::GetCurrentTimeNanos();
    absl::StatusOr<LiveSlotTable*> table = early_table->Get();
    if (!table.ok()) return not_valid_or(table.status());
    auto impl = LiveIndexImpl::Create(std::move(loaded->index), live_options, s,
                                      LiveIndexFault::kNone, *table);
    if (!impl.ok()) return not_valid(impl.status());
    out.live = LiveIndexFactory::Wrap(*std::move(impl));
    report.make_live_s = SecondsSince(live_start);
    const int64_t fold_start = absl::GetCurrentTimeNanos();
    constexpr size_t kBatch = size_t{1} << 16;
    for (size_t i = 0; i < few.size(); i += kBatch) {
      const absl::Span<const LocationUpdate> batch =
          absl::MakeConstSpan(few).subspan(i, std::min(kBatch, few.size() - i));
      ASSIGN_OR_RETURN(uint64_t last_seq, out.live->Apply(batch));
      if (last_seq != s + i + batch.size()) {
        return absl::InternalError(absl::StrFormat(
            "%s: replay numbered updates up to %d, expected %d", dir, last_seq, s + i + batch.size()));
      }
    }
    report.fold_s = SecondsSince(fold_start);
  } else if (fold != nullptr) {
    // Every segment verified and read: one pass makes the first base, read
    // from the checkpoint's mapping, whose pages go as soon as it has been
    // read, and with it the live index's slots (in the slot table made
    // from the checkpoint's users while the log was read: EarlySlotTable).
    report.read_log_s = SecondsSince(replay_start);
    const int64_t fold_start = absl::GetCurrentTimeNanos();
    absl::StatusOr<LiveSlotTable*> table = early_table->Get();
    if (!table.ok()) return not_valid_or(table.status());
    auto folded = fold->MergeWithSlots(loaded->index->run(), [&loaded] { loaded->index.reset(); },
                                       *table);
    if (!folded.ok()) return not_valid_or(folded.status());
    fold.reset();
    loaded->index.reset();
    report.fold_s = SecondsSince(fold_start);
    const int64_t live_start = absl::GetCurrentTimeNanos();
    {
      HugePagePool::Scope scope(&pool);
      auto impl = LiveIndexImpl::CreateWithSlots(std::move(folded->index), std::move(folded->slot_of),
                                                 std::move(folded->pos_of_slot), live_options,
                                                 out.state.last_seq);
      if (!impl.ok()) return not_valid(impl.status());
      out.live = LiveIndexFactory::Wrap(*std::move(impl));
    }
    report.make_live_s = SecondsSince(live_start);
  }
  out.state.users = out.live->GetStats().users;
  report.replay_s = SecondsSince(replay_start);
  report.total_s = SecondsSince(start);
  return out;
}

std::unique_ptr<LocationIndex> MaterialiseSnapshot(const LiveView& snapshot) {
  return MaterialiseVisible(snapshot);
}

absl::Status WriteCheckpointOfView(const std::string& dir, uint64_t seq, const LiveView& view,
                                   const SnapshotMetadata& meta,
                                   const EngineAttributes* attributes) {
  if (attributes != nullptr && !attributes->empty()) {
    std::unique_ptr<LocationIndex> index = MaterialiseVisible(view);
    std::shared_ptr<const UserAttributes> aligned = attributes->AlignedTo(index->run());
    SnapshotMetadata m = meta;
    m.input_rows = index->size();
    return WriteCheckpoint(dir, seq, *index, m, aligned.get());
  }
  VisibleColumns columns(view);
  SnapshotWriteOptions options;
  options.input_rows_are_users = true;
  RETURN_IF_ERROR(
      WriteSnapshotStreamed(JoinPath(dir, CheckpointName(seq)), columns, meta, options));
  return SyncDirectory(dir);
}

absl::Status WriteCheckpoint(const std::string& dir, uint64_t seq, const LocationIndex& index,
                             const SnapshotMetadata& meta, const UserAttributes* attributes) {
  RETURN_IF_ERROR(
      WriteSnapshot(JoinPath(dir, CheckpointName(seq)), index, meta, {}, attributes));
  return SyncDirectory(dir);
}

}  // namespace internal
}  // namespace fanout
