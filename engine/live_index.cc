// Copyright 2026 The fan-out engine authors.

#include "engine/live_index.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/update_log.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"
#include "s2/s2cell_id.h"

namespace fanout {
namespace internal {

// The bottom level: an immutable LocationIndex and, per entry, when its user
// moved away (relative to base_seq; kNotMoved when it has not).
struct LiveBase {
  static constexpr uint32_t kNotMoved = std::numeric_limits<uint32_t>::max();
  static constexpr uint32_t kNoPos = std::numeric_limits<uint32_t>::max();

  std::unique_ptr<LocationIndex> index;
  uint64_t base_seq = 0;  // the last update the base includes
  std::vector<std::atomic<uint32_t>, HugePageAllocator<std::atomic<uint32_t>>> moved_at;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> slot_of_entry;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot;  // kNoPos: no base entry

  size_t MemoryBytes() const {
    return index->MemoryBytes() + index->size() * (sizeof(uint32_t) * 2) +
           pos_of_slot.size() * sizeof(uint32_t);
  }
};

// Updates frozen into a run sorted by (cell, user, seq).
struct DeltaRun {
  uint64_t min_seq = 0, max_seq = 0;  // the updates it was built from
  std::vector<uint64_t> cells;
  std::vector<uint64_t> users;
  std::vector<uint64_t> seqs;
  // Per entry, what alerts read: a copy of the record's `superseded`.
  std::unique_ptr<std::atomic<uint64_t>[]> marks;
  // Taken by a compaction step in flight. Guarded by the index's
  // maintenance_mu_.
  mutable bool claimed = false;
  size_t size() const { return cells.size(); }
};

// What a snapshot pins. Replaced, never changed, under version_mu_.
struct LiveVersion {
  std::shared_ptr<const LiveBase> base;
  std::vector<std::shared_ptr<const DeltaRun>> runs;  // oldest first
  std::shared_ptr<const RecordTable> records;
  uint64_t pending_first_seq = 1;  // updates from here on are in no run
};

std::shared_ptr<RecordTable> RecordTable::WithNewChunk() const {
  auto t = std::make_shared<RecordTable>(*this);
  t->chunks_.push_back(std::shared_ptr<UpdateRecord[]>(new UpdateRecord[kChunkSize]));
  return t;
}

std::shared_ptr<RecordTable> RecordTable::TrimmedBelow(uint64_t seq) const {
  auto t = std::make_shared<RecordTable>(*this);
  size_t drop = 0;
  while (drop < t->chunks_.size() && first_seq_ + (drop + 1) * kChunkSize <= seq) ++drop;
  t->chunks_.erase(t->chunks_.begin(), t->chunks_.begin() + drop);
  t->first_seq_ = first_seq_ + drop * kChunkSize;
  return t;
}

ScanSource PendingRun::source() const { return ScanSource{SortedRun{cells_, users_, {}, {}}}; }

namespace {

struct Entry {
  uint64_t cell;
  uint64_t user;
  uint64_t seq;  // or, while merging into a base, the slot
  bool operator<(const Entry& o) const {
    return std::tie(cell, user, seq) < std::tie(o.cell, o.user, o.seq);
  }
};

// Builds a run from sorted entries and points their records' marks at it
// (the protocol in scan_source.h): mark_b keeps the old run's copy until the
// caller has published the run and called ReleaseOldMarks.
std::shared_ptr<const DeltaRun> RunFromSortedEntries(const std::vector<Entry>& entries,
                                                     uint64_t min_seq, uint64_t max_seq,
                                                     const RecordTable& records) {
  auto run = std::make_shared<DeltaRun>();
  run->min_seq = min_seq;
  run->max_seq = max_seq;
  const size_t n = entries.size();
  run->cells.resize(n);
  run->users.resize(n);
  run->seqs.resize(n);
  run->marks.reset(new std::atomic<uint64_t>[n]);
  // Entries are in cell order, their records in sequence order: each mark
  // update is a cache miss, so fetch a few ahead to overlap them.
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&records.at(entries[i + kAhead].seq), 1);
    run->cells[i] = entries[i].cell;
    run->users[i] = entries[i].user;
    run->seqs[i] = entries[i].seq;
    UpdateRecord& r = records.at(entries[i].seq);
    std::atomic<uint64_t>* mark = &run->marks[i];
    const uint64_t before = r.superseded.load();
    mark->store(before, std::memory_order_relaxed);
    r.mark_b.store(r.mark_a.load());
    r.mark_a.store(mark);
    const uint64_t after = r.superseded.load();
    if (after != before) mark->store(after, std::memory_order_relaxed);
  }
  return run;
}

// After the version with `run` is published: the old copies are no longer
// read by new snapshots; forget them. The caller then waits for writers
// (mu_) before the old run may be freed.
void ReleaseOldMarks(const DeltaRun& run, const RecordTable& records) {
  constexpr size_t kAhead = 16;
  const size_t n = run.seqs.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&records.at(run.seqs[i + kAhead]), 1);
    records.at(run.seqs[i]).mark_b.store(nullptr);
  }
}

}  // namespace
}  // namespace internal

using internal::DeltaRun;
using internal::kNeverSuperseded;
using internal::kNoSeq;
using internal::LiveBase;
using internal::LiveVersion;
using internal::RecordTable;
using internal::ScanSource;
using internal::UpdateRecord;

namespace {

// slot_current_ flags a removal in the top bit (sequence numbers stay far
// below it).
constexpr uint64_t kRemovedBit = uint64_t{1} << 63;
constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

double SecondsSince(int64_t start_ns) { return (absl::GetCurrentTimeNanos() - start_ns) * 1e-9; }

void AtomicMax(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void AtomicAdd(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

void FillNotMoved(
    std::vector<std::atomic<uint32_t>, HugePageAllocator<std::atomic<uint32_t>>>* moved,
    size_t n) {
  std::vector<std::atomic<uint32_t>, HugePageAllocator<std::atomic<uint32_t>>> fresh(n);
  auto& a = fresh;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) a[i].store(LiveBase::kNotMoved, std::memory_order_relaxed);
  });
  moved->swap(fresh);
}

}  // namespace

// ---------------------------------------------------------------------------
// LiveView

size_t LiveView::base_entries() const { return version_->base->index->size(); }

uint64_t LiveView::pending_updates() const { return seq_ + 1 - version_->pending_first_seq; }

internal::PendingRun LiveView::GatherPending(const AreaCovering& covering) const {
  internal::PendingRun out;
  const RecordTable& records = *version_->records;
  std::vector<internal::Entry> found;
  // The leaf range the covering spans: most updates fall outside it, and two
  // comparisons reject them before the binary searches.
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for (const S2CellUnion* u : {&covering.interior, &covering.boundary}) {
    if (u->num_cells() == 0) continue;
    lo = std::min<uint64_t>(lo, u->cell_id(0).range_min().id());
    hi = std::max<uint64_t>(hi, u->cell_id(u->num_cells() - 1).range_max().id());
  }
  for (uint64_t s = version_->pending_first_seq; s <= seq_; ++s) {
    const UpdateRecord& r = records.at(s);
    if (r.cell < lo || r.cell > hi) continue;
    if (r.removed || r.superseded.load(std::memory_order_relaxed) <= seq_) continue;
    S2CellId cell(r.cell);
    if (covering.interior.Contains(cell) || covering.boundary.Contains(cell)) {
      found.push_back({r.cell, r.user, s});
    }
  }
  std::sort(found.begin(), found.end());
  out.cells_.reserve(found.size());
  out.users_.reserve(found.size());
  for (const auto& e : found) {
    out.cells_.push_back(e.cell);
    out.users_.push_back(e.user);
  }
  return out;
}

void LiveView::ForEachVisible(absl::FunctionRef<void(uint64_t, uint64_t)> fn) const {
  for (const ScanSource& src : sources_) {
    for (size_t i = 0; i < src.run.size(); ++i) {
      if (src.Visible(i)) fn(src.run.cells[i], src.run.users[i]);
    }
  }
  const RecordTable& records = *version_->records;
  for (uint64_t s = version_->pending_first_seq; s <= seq_; ++s) {
    const UpdateRecord& r = records.at(s);
    if (!r.removed && r.superseded.load(std::memory_order_relaxed) > seq_) fn(r.cell, r.user);
  }
}

// ---------------------------------------------------------------------------
// LiveIndex

LiveIndex::LiveIndex(const Options& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<LiveIndex>> LiveIndex::Create(std::unique_ptr<LocationIndex> index,
                                                             const Options& options,
                                                             uint64_t base_seq) {
  if (index == nullptr) return absl::InvalidArgumentError("no base index");
  if (!(options.merge_fraction > 0)) {
    return absl::InvalidArgumentError("merge_fraction must be > 0");
  }
  if (options.freeze_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("freeze_interval must be > 0");
  }
  const size_t n = index->size();
  if (n >= LiveBase::kNoPos) {
    return absl::InvalidArgumentError(absl::StrCat("a live index holds fewer than 2^32 - 1 users, got ", n));
  }
  std::unique_ptr<LiveIndex> live(new LiveIndex(options));
  auto base = std::make_shared<LiveBase>();
  base->base_seq = base_seq;
  FillNotMoved(&base->moved_at, n);
  base->slot_of_entry.resize(n);
  base->pos_of_slot.resize(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      base->slot_of_entry[i] = static_cast<uint32_t>(i);
      base->pos_of_slot[i] = static_cast<uint32_t>(i);
    }
  });
  const SortedRun run = index->run();
  {
    std::lock_guard<std::mutex> lock(live->mu_);
    live->slot_of_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (!live->slot_of_.emplace(run.users[i], static_cast<uint32_t>(i)).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("user ", run.users[i], " appears twice in the base index"));
      }
    }
    live->slot_current_.assign(n, base_seq);
    base->index = std::move(index);
    live->base_ = base;
    live->records_ = std::make_shared<RecordTable>(base_seq + 1);
    live->next_seq_ = base_seq + 1;
    live->published_seq_.store(base_seq, std::memory_order_release);
    live->users_.store(n, std::memory_order_relaxed);
    auto version = std::make_shared<LiveVersion>();
    version->base = base;
    version->records = live->records_;
    version->pending_first_seq = base_seq + 1;
    std::unique_lock<std::shared_mutex> vlock(live->version_mu_);
    live->version_ = std::move(version);
  }
  if (options.background_maintenance) {
    live->freeze_thread_ = std::thread([p = live.get()] { p->FreezeLoop(); });
    for (auto& t : live->compaction_threads_) t = std::thread([p = live.get()] { p->CompactionLoop(); });
    live->merge_thread_ = std::thread([p = live.get()] { p->MergeLoop(); });
  }
  return live;
}

LiveIndex::~LiveIndex() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (freeze_thread_.joinable()) freeze_thread_.join();
  for (auto& t : compaction_threads_) {
    if (t.joinable()) t.join();
  }
  if (merge_thread_.joinable()) merge_thread_.join();
}

void LiveIndex::YieldToAlerts() const {
  if (!(options_.max_yield_to_alerts > absl::ZeroDuration())) return;
  const int64_t deadline =
      absl::GetCurrentTimeNanos() + absl::ToInt64Nanoseconds(options_.max_yield_to_alerts);
  while (activity_->running.load(std::memory_order_relaxed) > 0 &&
         absl::GetCurrentTimeNanos() < deadline) {
    absl::SleepFor(absl::Microseconds(250));
  }
}

bool LiveIndex::WaitOrStop(absl::Duration interval) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  return stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [this] { return stop_; });
}

// Background work runs on its own thread alone: its sorts and merges must
// not take TBB workers from alerts (their latency is what matters).
void LiveIndex::FreezeLoop() {
  // Freezing only: short and frequent, so the updates an alert must gather
  // one by one stay few (a compaction, which can take a second, never holds
  // it up). Alerts come first: this is light but steady work, a little
  // below normal priority (nice 5) so it yields to alert threads.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 5);
  ::pthread_setname_np(::pthread_self(), "live-freeze");  // for top -H and perf
  tbb::task_arena alone(1);
  while (!WaitOrStop(options_.freeze_interval)) {
    YieldToAlerts();
    alone.execute([this] {
      std::lock_guard<std::mutex> lock(maintenance_mu_);
      FreezeUpTo(last_seq());
    });
  }
}

void LiveIndex::CompactionLoop() {
  // The compactions that keep the runs few, so that each alert searches few
  // (a binary search per run and covering cell). They go on while a merge
  // builds its base, among the runs newer than the merge's (merge_floor_).
  // Two threads run this loop: while one is in a large step, the other keeps
  // up with the small ones.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  ::pthread_setname_np(::pthread_self(), "live-compact");
  tbb::task_arena alone(1);
  while (!WaitOrStop(options_.freeze_interval)) {
    alone.execute([this] { CompactRuns(/*yield_to_alerts=*/true); });
  }
}

void LiveIndex::MergeLoop() {
  // A merge is background work measured in seconds: at a low CPU priority
  // it takes the cores alerts and writers leave idle, instead of taking
  // turns with them (which shows up directly in alert tail latency).
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
  ::pthread_setname_np(::pthread_self(), "live-merge");
  tbb::task_arena alone(1);
  while (!WaitOrStop(std::max(options_.freeze_interval, absl::Milliseconds(20)))) {
    alone.execute([this] {
      if (MergeDue()) MergeImpl(/*yield=*/true);
    });
  }
}

bool LiveIndex::MergeDue() const {
  auto v = CurrentVersion();
  size_t delta = 0;
  for (const auto& r : v->runs) delta += r->size();
  const uint64_t last = last_seq();
  const uint64_t pending = last + 1 - v->pending_first_seq;
  if (last - v->base->base_seq > (uint64_t{1} << 30)) return true;  // moved_at range
  return delta + pending >
         options_.merge_fraction * std::max<size_t>(v->base->index->size(), size_t{1} << 16);
}

std::shared_ptr<const LiveVersion> LiveIndex::CurrentVersion() const {
  std::shared_lock<std::shared_mutex> lock(version_mu_);
  return version_;
}

LiveView LiveIndex::View() const {
  LiveView s;
  s.activity_ = activity_;
  {
    std::shared_lock<std::shared_mutex> lock(version_mu_);
    s.version_ = version_;
    s.seq_ = published_seq_.load(std::memory_order_acquire);
  }
  s.users_approx_ = users_.load(std::memory_order_relaxed);
  const LiveVersion& v = *s.version_;
  ScanSource base{v.base->index->run(), ScanSource::Filter::kBase};
  base.moved_at = v.base->moved_at.data();
  // Apply keeps seq - base_seq below kNotMoved.
  base.moved_limit = static_cast<uint32_t>(s.seq_ - v.base->base_seq);
  s.sources_.push_back(base);
  for (const auto& run : v.runs) {
    ScanSource src{SortedRun{run->cells, run->users, {}, {}}, ScanSource::Filter::kDelta};
    src.marks = run->marks.get();
    src.seq = s.seq_;
    s.sources_.push_back(src);
  }
  return s;
}

absl::StatusOr<uint64_t> LiveIndex::Apply(absl::Span<const LocationUpdate> updates) {
  if (updates.empty()) return last_seq();
  // Validate and compute leaf cells before taking the lock.
  thread_local std::vector<uint64_t> cells;
  cells.resize(updates.size());
  for (size_t i = 0; i < updates.size(); ++i) {
    const LocationUpdate& u = updates[i];
    if (u.kind == LocationUpdate::Kind::kRemove) {
      cells[i] = 0;
      continue;
    }
    if (u.kind != LocationUpdate::Kind::kUpsert) {
      return absl::InvalidArgumentError(absl::StrCat("update ", i, ": unknown kind ", int(u.kind)));
    }
    if (!u.location.IsValid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update ", i, " (user ", u.user_id(), "): coordinates out of range: lat_e7 ",
          u.location.lat_e7, ", lng_e7 ", u.location.lng_e7));
    }
    cells[i] = u.location.ToCellId().id();
  }

  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t first = next_seq_;
  const uint64_t last = first + updates.size() - 1;
  if (last - base_->base_seq >= LiveBase::kNotMoved - 1) {
    return absl::ResourceExhaustedError(
        "too many updates since the last merge (are the background threads running?)");
  }
  // Durability before visibility: once a batch is in the log, a restart
  // replays it; if the append fails, nothing is applied.
  if (options_.log != nullptr) {
    absl::Status logged = options_.log->Append(first, updates);
    if (!logged.ok()) return logged;
  }
  thread_local std::vector<uint32_t> slots;
  LookUpSlotsLocked(updates, &slots);
  for (size_t i = 0; i < updates.size(); ++i) {
    ++updates_applied_;
    if (options_.fault == FaultForTesting::kDropEveryThousandth && updates_applied_ % 1000 == 0) {
      // Acknowledged and numbered, not applied: a tombstone that hides nothing.
      UpdateRecord& r = RecordForAppendLocked(first + i);
      r.cell = 0;
      r.user = updates[i].user_id();
      r.prev_seq = kNoSeq;
      r.slot = kNoSlot;
      r.removed = 1;
      r.superseded.store(kNeverSuperseded, std::memory_order_relaxed);
      r.mark_a.store(nullptr, std::memory_order_relaxed);
      r.mark_b.store(nullptr, std::memory_order_relaxed);
      continue;
    }
    ApplyOneLocked(updates[i], cells[i], first + i, slots[i]);
  }
  next_seq_ = last + 1;
  published_seq_.store(last, std::memory_order_release);
  return last;
}

// Each update reads about four places at random (the hash map, the slot's
// current entry, its base position, the replaced entry's marker): ~100 ns
// each from memory. Looking up the whole batch first, one array at a time,
// lets the misses overlap; the apply loop then finds them in cache. The
// slots found are final (a slot, once given, is never taken back); users
// not in the map yet get kNoSlot and are looked up again when applied.
void LiveIndex::LookUpSlotsLocked(absl::Span<const LocationUpdate> updates,
                                  std::vector<uint32_t>* out) {
  std::vector<uint32_t>& slots = *out;
  slots.resize(updates.size());
  if (updates.size() >= 8) {
    for (const LocationUpdate& u : updates) slot_of_.prefetch(u.user_id());
  }
  for (size_t i = 0; i < updates.size(); ++i) {
    auto it = slot_of_.find(updates[i].user_id());
    slots[i] = it == slot_of_.end() ? kNoSlot : it->second;
    if (slots[i] != kNoSlot) __builtin_prefetch(&slot_current_[slots[i]]);
  }
  const LiveBase& base = *base_;
  for (size_t i = 0; i < updates.size(); ++i) {
    if (slots[i] == kNoSlot) continue;
    const uint64_t current = slot_current_[slots[i]];
    if (current <= base.base_seq) {
      __builtin_prefetch(&base.pos_of_slot[slots[i]]);
    } else if (current != kNoSeq && !(current & kRemovedBit)) {
      __builtin_prefetch(&records_->at(current), 1);
    }
  }
  for (size_t i = 0; i < updates.size(); ++i) {
    if (slots[i] == kNoSlot) continue;
    const uint64_t current = slot_current_[slots[i]];
    if (current > base.base_seq) continue;
    const uint32_t pos = base.pos_of_slot[slots[i]];
    if (pos != LiveBase::kNoPos) __builtin_prefetch(&base.moved_at[pos], 1);
  }
}

UpdateRecord& LiveIndex::RecordForAppendLocked(uint64_t seq) {
  if (seq >= records_->end_seq()) {
    records_ = records_->WithNewChunk();
    std::unique_lock<std::shared_mutex> vlock(version_mu_);
    auto v = std::make_shared<LiveVersion>(*version_);
    v->records = records_;
    version_ = std::move(v);
  }
  return records_->at(seq);
}

void LiveIndex::SupersedeLocked(uint64_t prev_seq, uint32_t slot, uint64_t seq) {
  if (options_.fault == FaultForTesting::kKeepReplacedEntry) return;
  if (prev_seq <= base_->base_seq) {
    base_->moved_at[base_->pos_of_slot[slot]].store(static_cast<uint32_t>(seq - base_->base_seq),
                                                    std::memory_order_relaxed);
  } else {
    UpdateRecord& r = records_->at(prev_seq);
    r.superseded.store(seq);
    if (std::atomic<uint64_t>* a = r.mark_a.load()) a->store(seq, std::memory_order_relaxed);
    if (std::atomic<uint64_t>* b = r.mark_b.load()) b->store(seq, std::memory_order_relaxed);
  }
}

void LiveIndex::ApplyOneLocked(const LocationUpdate& u, uint64_t cell, uint64_t seq,
                               uint32_t known_slot) {
  const bool remove = u.kind == LocationUpdate::Kind::kRemove;
  uint32_t slot = known_slot;
  uint64_t prev = kNoSeq;
  if (slot == kNoSlot && remove) {  // perhaps added earlier in this batch
    auto it = slot_of_.find(u.user_id());
    if (it != slot_of_.end()) slot = it->second;
  } else if (slot == kNoSlot) {
    auto [it, inserted] = slot_of_.try_emplace(u.user_id(), static_cast<uint32_t>(slot_current_.size()));
    if (inserted) slot_current_.push_back(kNoSeq);
    slot = it->second;
  }
  if (slot != kNoSlot) {
    const uint64_t current = slot_current_[slot];
    if (current != kNoSeq && !(current & kRemovedBit)) {
      prev = current;
      SupersedeLocked(prev, slot, seq);
      if (remove) users_.fetch_sub(1, std::memory_order_relaxed);
    } else if (!remove) {
      users_.fetch_add(1, std::memory_order_relaxed);
    }
    slot_current_[slot] = remove ? (seq | kRemovedBit) : seq;
  }
  UpdateRecord& r = RecordForAppendLocked(seq);
  r.cell = cell;
  r.user = u.user_id();
  r.prev_seq = prev;
  r.slot = slot;
  r.removed = remove ? 1 : 0;
  r.superseded.store(kNeverSuperseded, std::memory_order_relaxed);
  r.mark_a.store(nullptr, std::memory_order_relaxed);
  r.mark_b.store(nullptr, std::memory_order_relaxed);
}

void LiveIndex::Freeze() {
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    FreezeUpTo(last_seq());
  }
  CompactRuns(/*yield_to_alerts=*/false);
}

void LiveIndex::FreezeUpTo(uint64_t up_to) {
  std::shared_ptr<const LiveVersion> v = CurrentVersion();
  const uint64_t first = v->pending_first_seq;
  if (up_to < first) return;
  // Updates in [first, up_to] are published, so their records are final
  // but for `superseded`. One superseded at or before up_to is invisible to
  // every snapshot that will see the new run (their seq >= up_to): drop it.
  std::vector<internal::Entry> entries;
  entries.reserve(up_to - first + 1);
  for (uint64_t s = first; s <= up_to; ++s) {
    const UpdateRecord& r = v->records->at(s);
    if (r.removed || r.superseded.load(std::memory_order_relaxed) <= up_to) continue;
    entries.push_back({r.cell, r.user, s});
  }
  std::sort(entries.begin(), entries.end());
  std::shared_ptr<const DeltaRun> run =
      entries.empty() ? nullptr : internal::RunFromSortedEntries(entries, first, up_to, *v->records);
  {
    std::unique_lock<std::shared_mutex> vlock(version_mu_);
    auto nv = std::make_shared<LiveVersion>(*version_);
    if (run != nullptr) nv->runs.push_back(run);
    nv->pending_first_seq = up_to + 1;
    version_ = std::move(nv);
  }
  freezes_.fetch_add(1, std::memory_order_relaxed);
}

void LiveIndex::CompactRuns(bool yield_to_alerts) {
  // Steps may run on several threads at once, each on runs it has claimed,
  // so that a large step (a second or more) does not hold up the small ones
  // that keep the newest runs few. A merge in progress has taken the runs up
  // to merge_floor_ (it reads their entries superseded after its point,
  // which a compaction would drop): only the runs frozen since are
  // compacted, and a merge chooses its point with no step in flight.
  // Meanwhile freezes append runs and a merge's swap removes runs up to its
  // point; neither touches a step's runs, which stay adjacent.
  constexpr size_t kFanIn = 4;
  for (;;) {
    if (yield_to_alerts) YieldToAlerts();
    std::shared_ptr<const LiveVersion> v;
    std::vector<std::shared_ptr<const DeltaRun>> inputs;
    {
      std::lock_guard<std::mutex> maintenance(maintenance_mu_);
      if (merge_starting_) return;  // it waits for the steps in flight
      v = CurrentVersion();  // its runs are the current ones while we hold maintenance_mu_
      const size_t n = v->runs.size();
      size_t eligible = 0;
      while (eligible < n && v->runs[eligible]->min_seq <= merge_floor_) ++eligible;
      auto unclaimed = [&](size_t k) {
        for (size_t r = k; r < k + kFanIn; ++r) {
          if (v->runs[r]->claimed) return false;
        }
        return true;
      };
      // Size tiers with fan-in 4: the newest kFanIn adjacent runs of one
      // tier (the oldest at most twice the newest) become one run of the
      // next, so each entry is rewritten about log4(delta / freeze size)
      // times before a merge takes it (half as often as pairs would), and
      // there are about 3 runs per tier. With more than 24 runs whatever
      // the sizes, the newest kFanIn.
      const bool too_many = n - eligible > 24;
      size_t k = n;
      for (size_t end = n; end >= eligible + kFanIn; --end) {
        if ((too_many || v->runs[end - kFanIn]->size() <= 2 * v->runs[end - 1]->size()) &&
            unclaimed(end - kFanIn)) {
          k = end - kFanIn;
          break;
        }
      }
      if (k == n) return;
      inputs.assign(v->runs.begin() + k, v->runs.begin() + k + kFanIn);
      for (const auto& run : inputs) run->claimed = true;
      ++compactions_in_flight_;
    }
    // Snapshots that will see the merged run have seq >= horizon: entries
    // superseded at or before it are dropped. A run's own marks are exact
    // copies of its records' `superseded` (scan_source.h) and read in
    // order, unlike the records.
    const uint64_t horizon = last_seq();
    const RecordTable& records = *v->records;
    size_t total = 0;
    uint64_t min_seq = ~uint64_t{0}, max_seq = 0;
    for (const auto& run : inputs) {
      total += run->size();
      min_seq = std::min(min_seq, run->min_seq);
      max_seq = std::max(max_seq, run->max_seq);
    }
    std::vector<internal::Entry> merged;
    merged.reserve(total);
    std::array<size_t, kFanIn> at{};
    for (;;) {
      // The smallest head by (cell, user, seq); a linear pick is cheapest
      // for four.
      size_t best = kFanIn;
      for (size_t r = 0; r < kFanIn; ++r) {
        const DeltaRun& run = *inputs[r];
        if (at[r] == run.size()) continue;
        if (best == kFanIn) {
          best = r;
          continue;
        }
        const DeltaRun& b = *inputs[best];
        if (std::tie(run.cells[at[r]], run.users[at[r]], run.seqs[at[r]]) <
            std::tie(b.cells[at[best]], b.users[at[best]], b.seqs[at[best]])) {
          best = r;
        }
      }
      if (best == kFanIn) break;
      const DeltaRun& run = *inputs[best];
      const size_t e = at[best]++;
      if (run.marks[e].load(std::memory_order_relaxed) > horizon) {
        merged.push_back({run.cells[e], run.users[e], run.seqs[e]});
      }
    }
    std::shared_ptr<const DeltaRun> run =
        internal::RunFromSortedEntries(merged, min_seq, max_seq, records);
    {
      std::lock_guard<std::mutex> maintenance(maintenance_mu_);
      std::unique_lock<std::shared_mutex> vlock(version_mu_);
      auto nv = std::make_shared<LiveVersion>(*version_);
      auto at = std::find(nv->runs.begin(), nv->runs.end(), inputs[0]);
      if (nv->runs.end() - at < static_cast<ptrdiff_t>(kFanIn) ||
          !std::equal(inputs.begin(), inputs.end(), at)) {
        std::abort();  // unreachable: see above
      }
      if (run->size() == 0) {
        // Everything was superseded: no empty run (it would upset the tiers).
        nv->runs.erase(at, at + kFanIn);
      } else {
        *at = run;
        nv->runs.erase(at + 1, at + kFanIn);
      }
      // Not to be claimed before ReleaseOldMarks below is done: a step on it
      // would point its records' mark_b at it, and ours would then clear
      // that pointer while the run is still read.
      run->claimed = true;
      version_ = std::move(nv);
    }
    // New snapshots read the new run's marks: drop the old copies, then let
    // any writer that still holds a pointer into the old runs finish (it
    // holds mu_ for its whole batch) before `v` lets them go.
    internal::ReleaseOldMarks(*run, records);
    { std::lock_guard<std::mutex> barrier(mu_); }
    compactions_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> maintenance(maintenance_mu_);
      run->claimed = false;
      --compactions_in_flight_;
    }
    compaction_done_.notify_all();
  }
}

void LiveIndex::Merge() { MergeImpl(/*yield=*/false); }

void LiveIndex::MergeImpl(bool yield) {
  std::lock_guard<std::mutex> merge_lock(merge_mu_);
  const int64_t start = absl::GetCurrentTimeNanos();
  merge_running_.store(true, std::memory_order_relaxed);
  uint64_t m;
  size_t slots;
  std::shared_ptr<const LiveVersion> v;
  {
    // No compaction step in flight while the merge point is chosen (and
    // none starts meanwhile).
    std::unique_lock<std::mutex> maintenance(maintenance_mu_);
    merge_starting_ = true;
    compaction_done_.wait(maintenance, [this] { return compactions_in_flight_ == 0; });
    merge_starting_ = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      m = next_seq_ - 1;
      slots = slot_current_.size();
    }
    // Every update up to m is now in the base or a run. Freezes go on while
    // the new base is built, into runs of updates after m, and so do
    // compactions of those runs only (merge_floor_): the runs up to m are
    // the merge's, which reads their entries superseded after m.
    FreezeUpTo(m);
    v = CurrentVersion();
    merge_floor_ = m;
  }
  const LiveBase& old = *v->base;
  const RecordTable& records = *v->records;

  // The delta entries visible at m, with their slots, sorted.
  // (Marks in order, and the records, for the slot, fetched ahead.) The
  // collecting and the ordering go in short steps that yield to running
  // alerts: at nice 19 the merge still takes a core in an alert's serial
  // moments and holds it for a scheduler slice when the alert's parallel
  // work wakes, which made state alerts over an idle index 7.9 ms p50 but
  // 13.1 ms p90 beside a merge (7.2 and 7.6 ms without one) while each
  // run's collection and the delta's sort were one step each.
  constexpr size_t kStep = size_t{1} << 16;  // entries between yields
  std::vector<internal::Entry> delta;
  std::vector<size_t> bounds = {0};  // delta[bounds[k], bounds[k + 1]): run k's entries
  for (const auto& run : v->runs) {
    constexpr size_t kAhead = 16;
    const size_t size = run->size();
    for (size_t k = 0; k < size; ++k) {
      if (yield && k % kStep == 0) YieldToAlerts();
      if (k + kAhead < size) __builtin_prefetch(&records.at(run->seqs[k + kAhead]));
      if (run->marks[k].load(std::memory_order_relaxed) > m) {
        delta.push_back({run->cells[k], run->users[k], records.at(run->seqs[k]).slot});
      }
    }
    bounds.push_back(delta.size());
  }
  // Each run's entries are in (cell, user) order already, and a user has
  // one entry visible at m, so merging the runs' parts pairwise sorts the
  // whole (by cell, user and slot), in steps, where a sort was one step.
  while (bounds.size() > 2) {
    std::vector<size_t> merged = {0};
    for (size_t k = 2; k < bounds.size(); k += 2) {
      if (yield) YieldToAlerts();
      std::inplace_merge(delta.begin() + bounds[k - 2], delta.begin() + bounds[k - 1],
                         delta.begin() + bounds[k]);
      merged.push_back(bounds[k]);
    }
    if (bounds.size() % 2 == 0) merged.push_back(bounds.back());  // an odd part out
    bounds.swap(merged);
  }

  // A parallel two-way merge: the base cut into parts, each part's share of
  // the delta found by binary search; count, then write.
  const SortedRun base_run = old.index->run();
  const size_t n = base_run.size();
  const uint32_t limit = static_cast<uint32_t>(m - old.base_seq);
  const size_t parts = std::max<size_t>(1, std::min<size_t>(256, n / 65536 + 1));
  std::vector<size_t> base_cut(parts + 1), delta_cut(parts + 1), out_at(parts + 1, 0);
  for (size_t p = 0; p <= parts; ++p) {
    base_cut[p] = n * p / parts;
    if (p == 0) {
      delta_cut[p] = 0;
    } else if (p == parts) {
      delta_cut[p] = delta.size();
    } else {
      internal::Entry key{base_run.cells[base_cut[p]], base_run.users[base_cut[p]], 0};
      delta_cut[p] = std::lower_bound(delta.begin(), delta.end(), key,
                                      [](const internal::Entry& a, const internal::Entry& b) {
                                        return std::tie(a.cell, a.user) < std::tie(b.cell, b.user);
                                      }) -
                     delta.begin();
    }
  }
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    if (yield) YieldToAlerts();
    size_t kept = 0;
    for (size_t i = base_cut[p]; i < base_cut[p + 1]; ++i) {
      kept += old.moved_at[i].load(std::memory_order_relaxed) > limit;
    }
    out_at[p + 1] = kept + (delta_cut[p + 1] - delta_cut[p]);
  });
  for (size_t p = 0; p < parts; ++p) out_at[p + 1] += out_at[p];
  const size_t total = out_at[parts];
  std::vector<uint64_t> cells(total), users(total);
  auto base = std::make_shared<LiveBase>();
  base->base_seq = m;
  base->slot_of_entry.resize(total);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    if (yield) YieldToAlerts();
    size_t o = out_at[p], i = base_cut[p], j = delta_cut[p];
    const size_t ie = base_cut[p + 1], je = delta_cut[p + 1];
    while (i < ie || j < je) {
      if (i < ie && old.moved_at[i].load(std::memory_order_relaxed) <= limit) {
        ++i;
        continue;
      }
      bool take_base = j == je || (i < ie && std::tie(base_run.cells[i], base_run.users[i]) <
                                                 std::tie(delta[j].cell, delta[j].user));
      if (take_base) {
        cells[o] = base_run.cells[i];
        users[o] = base_run.users[i];
        base->slot_of_entry[o] = old.slot_of_entry[i];
        ++i;
      } else {
        cells[o] = delta[j].cell;
        users[o] = delta[j].user;
        base->slot_of_entry[o] = static_cast<uint32_t>(delta[j].seq);
        ++j;
      }
      ++o;
    }
  });
  std::vector<internal::Entry>().swap(delta);
  base->pos_of_slot.assign(slots, LiveBase::kNoPos);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, total, 1 << 16), [&](const auto& r) {
    if (yield) YieldToAlerts();
    for (size_t o = r.begin(); o < r.end(); ++o) {
      base->pos_of_slot[base->slot_of_entry[o]] = static_cast<uint32_t>(o);
    }
  });
  FillNotMoved(&base->moved_at, total);
  base->index = LocationIndex::FromTrustedColumns(std::move(cells), std::move(users));
  if (merge_hook_) merge_hook_();

  // Replays onto the new base the moves of updates after m: the entry an
  // update replaced is in the new base when it is numbered m or below.
  auto catch_up = [&](const RecordTable& table, uint64_t from, uint64_t to) {
    for (uint64_t s = from; s <= to; ++s) {
      const UpdateRecord& r = table.at(s);
      if (r.prev_seq == kNoSeq || r.prev_seq > m) continue;
      if (options_.fault == FaultForTesting::kKeepReplacedEntry) continue;
      base->moved_at[base->pos_of_slot[r.slot]].store(static_cast<uint32_t>(s - m),
                                                      std::memory_order_relaxed);
    }
  };
  // Most of them off the writer lock, in rounds (updates go on arriving
  // while a round runs)...
  uint64_t caught_up = m;
  for (;;) {
    uint64_t target;
    std::shared_ptr<const RecordTable> table;
    {
      std::shared_lock<std::shared_mutex> vlock(version_mu_);
      target = published_seq_.load(std::memory_order_acquire);
      table = version_->records;
    }
    if (target - caught_up <= 4096) break;
    if (yield) YieldToAlerts();
    catch_up(*table, caught_up + 1, target);
    caught_up = target;
  }
  // ...the rest under it, then the swap.
  {
    std::lock_guard<std::mutex> maintenance(maintenance_mu_);
    const int64_t locked_at = absl::GetCurrentTimeNanos();
    std::lock_guard<std::mutex> lock(mu_);
    catch_up(*records_, caught_up + 1, next_seq_ - 1);
    base_ = base;
    records_ = records_->TrimmedBelow(m + 1);
    {
      std::unique_lock<std::shared_mutex> vlock(version_mu_);
      auto nv = std::make_shared<LiveVersion>();
      nv->base = base;
      nv->records = records_;
      // Keep the runs frozen since: their updates are all after m.
      for (const auto& run : version_->runs) {
        if (run->min_seq > m) nv->runs.push_back(run);
      }
      nv->pending_first_seq = version_->pending_first_seq;
      version_ = std::move(nv);
    }
    merge_floor_ = 0;
    AtomicMax(merge_locked_ms_max_, (absl::GetCurrentTimeNanos() - locked_at) * 1e-6);
  }
  merges_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(merge_seconds_, SecondsSince(start));
  merge_running_.store(false, std::memory_order_relaxed);
}

LiveIndex::Stats LiveIndex::GetStats() const {
  Stats st;
  std::shared_ptr<const LiveVersion> v = CurrentVersion();
  st.last_seq = last_seq();
  st.users = users_.load(std::memory_order_relaxed);
  st.base_entries = v->base->index->size();
  st.delta_runs = v->runs.size();
  for (const auto& r : v->runs) st.delta_entries += r->size();
  st.pending_updates = st.last_seq + 1 - v->pending_first_seq;
  st.freezes = freezes_.load(std::memory_order_relaxed);
  st.compactions = compactions_.load(std::memory_order_relaxed);
  st.merges = merges_.load(std::memory_order_relaxed);
  st.merge_seconds = merge_seconds_.load(std::memory_order_relaxed);
  st.merge_locked_ms_max = merge_locked_ms_max_.load(std::memory_order_relaxed);
  uint64_t bytes = v->base->MemoryBytes() + st.delta_entries * 3 * sizeof(uint64_t) +
                   v->records->chunks() * RecordTable::kChunkSize * sizeof(UpdateRecord);
  {
    std::lock_guard<std::mutex> lock(mu_);
    st.slots = slot_current_.size();
    bytes += slot_current_.capacity() * sizeof(uint64_t);
    bytes += slot_of_.capacity() * (sizeof(std::pair<const uint64_t, uint32_t>) + 1);
  }
  st.memory_bytes = bytes;
  return st;
}

}  // namespace fanout
