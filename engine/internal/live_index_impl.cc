// Copyright 2026 The fan-out engine authors.
//
// A live index's creation, writer path, views, background threads and
// stats. Runs, compaction and merging are in live_delta_runs.cc,
// live_compaction.cc and live_merge.cc.

#include "engine/internal/live_index_impl.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/internal/live_view_state.h"
#include "engine/update_log.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"

namespace fanout {
namespace internal {
namespace {

// Updates since the base: fewer than 2^31, so that moved_at's 32 bits
// (LiveBase) hold any of them and kNotMoved too.
constexpr uint64_t kMaxSinceBase = (uint64_t{1} << 31) - 1;
constexpr uint32_t kNoSlot = LiveSlotTable::kNoSlot;

}  // namespace

LiveIndexImpl::LiveIndexImpl(const LiveIndex::Options& options, LiveIndexFault fault)
    : options_(options), fault_(fault) {}

namespace {

absl::Status CheckCreateArguments(const LocationIndex* index, const LiveIndex::Options& options) {
  if (index == nullptr) return absl::InvalidArgumentError("no base index");
  if (!(options.merge_fraction > 0)) {
    return absl::InvalidArgumentError("merge_fraction must be > 0");
  }
  if (options.freeze_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("freeze_interval must be > 0");
  }
  if (index->size() >= LiveBase::kNoPos) {
    return absl::InvalidArgumentError(
        absl::StrCat("a live index holds fewer than 2^32 - 1 users, got ", index->size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<LiveIndexImpl>> LiveIndexImpl::Create(
    std::unique_ptr<LocationIndex> index, const LiveIndex::Options& options, uint64_t base_seq,
    LiveIndexFault fault, LiveSlotTable* filled) {
  absl::Status valid = CheckCreateArguments(index.get(), options);
  if (!valid.ok()) return valid;
  const size_t n = index->size();
  // Big fresh arrays: their pages are faulted in by all cores first
  // (PopulateInParallel), then written.
  std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot;
  pos_of_slot.reserve(n);
  PopulateInParallel(pos_of_slot.data(), n * sizeof(uint32_t));
  pos_of_slot.resize(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) pos_of_slot[i] = static_cast<uint32_t>(i);
  });
  // Slot i is base entry i: a candidate slot is confirmed by its entry.
  LiveSlotTable table;
  if (filled != nullptr) {
    table = std::move(*filled);
  } else {
    table = LiveSlotTable(n);
    uint64_t duplicate = 0;
    if (!table.FillFrom(index->run().users.data(), n, &duplicate)) {
      return absl::InvalidArgumentError(
          absl::StrCat("user ", duplicate, " appears twice in the base index"));
    }
  }
  return Assemble(std::move(index), std::move(table), std::move(pos_of_slot), options, base_seq,
                  fault);
}

absl::StatusOr<std::unique_ptr<LiveIndexImpl>> LiveIndexImpl::CreateWithSlots(
    std::unique_ptr<LocationIndex> base, LiveSlotTable slot_of,
    std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot,
    const LiveIndex::Options& options, uint64_t base_seq) {
  absl::Status valid = CheckCreateArguments(base.get(), options);
  if (!valid.ok()) return valid;
  if (pos_of_slot.size() >= LiveBase::kNoPos || pos_of_slot.size() < base->size()) {
    return absl::InvalidArgumentError(absl::StrCat("a live index of ", base->size(),
                                                   " users cannot have ", pos_of_slot.size(),
                                                   " slots"));
  }
  return Assemble(std::move(base), std::move(slot_of), std::move(pos_of_slot), options, base_seq,
                  LiveIndexFault::kNone);
}

std::unique_ptr<LiveIndexImpl> LiveIndexImpl::Assemble(
    std::unique_ptr<LocationIndex> index, LiveSlotTable slot_of,
    std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot,
    const LiveIndex::Options& options, uint64_t base_seq, LiveIndexFault fault) {
  const size_t n = index->size();
  const size_t slots = pos_of_slot.size();
  std::unique_ptr<LiveIndexImpl> live(new LiveIndexImpl(options, fault));
  // Not given back to merge_pool_ when replaced (as merged bases are): the
  // first base's arrays may be Open's small pages (engine_directory.cc),
  // which merges must not take for arrays read at random.
  auto base = std::make_shared<LiveBase>();
  base->base_seq = base_seq;
  FillNotMoved(&base->moved_at, n);
  base->pos_of_slot = std::move(pos_of_slot);
  {
    std::lock_guard<std::mutex> lock(live->mu_);
    live->slot_of_ = std::move(slot_of);
    live->slots_ = static_cast<uint32_t>(slots);
    base->index = std::move(index);
    live->base_ = base;
    live->records_ = std::make_shared<RecordTable>(base_seq + 1);
    live->next_seq_ = base_seq + 1;
    live->records_written_end_ = base_seq + 1;
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

LiveIndexImpl::~LiveIndexImpl() {
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

void LiveIndexImpl::YieldToAlerts() const {
  if (!(options_.max_yield_to_alerts > absl::ZeroDuration())) return;
  const int64_t deadline =
      absl::GetCurrentTimeNanos() + absl::ToInt64Nanoseconds(options_.max_yield_to_alerts);
  while (activity_->running.load(std::memory_order_relaxed) > 0 &&
         absl::GetCurrentTimeNanos() < deadline) {
    absl::SleepFor(absl::Microseconds(250));
  }
}

bool LiveIndexImpl::WaitOrStop(absl::Duration interval) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  return stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [this] { return stop_; });
}

// Background work runs on its own thread alone: its sorts and merges must
// not take TBB workers from alerts (their latency is what matters).
void LiveIndexImpl::FreezeLoop() {
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

void LiveIndexImpl::CompactionLoop() {
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

void LiveIndexImpl::MergeLoop() {
  // A merge is background work measured in seconds: at a low CPU priority
  // it takes the cores alerts and writers leave idle, instead of taking
  // turns with them (which shows up directly in alert tail latency).
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
  ::pthread_setname_np(::pthread_self(), "live-merge");
  tbb::task_arena alone(1);
  while (!WaitOrStop(std::max(options_.freeze_interval, absl::Milliseconds(20)))) {
    if (MergeDue()) {
      alone.execute([this] { MergeImpl(/*yield=*/true); });
    } else if (absl::GetCurrentTimeNanos() - last_merge_end_ns_.load(std::memory_order_relaxed) >
               release_merge_pages_after_ns_.load(std::memory_order_relaxed)) {
      merge_pool_->Release();
    }
  }
}

bool LiveIndexImpl::MergeDue() const {
  // A merge now would hold a third base (the one a view still pins, the
  // current one, the new one): wait for that view to go.
  if (ReplacedBytes() != 0) return false;
  auto v = CurrentVersion();
  size_t delta = 0;
  for (const auto& r : v->runs) delta += r->size();
  const uint64_t last = last_seq();
  const uint64_t pending = last + 1 - v->pending_first_seq;
  if (last - v->base->base_seq > (uint64_t{1} << 30)) return true;  // moved_at range
  return delta + pending >
         options_.merge_fraction * std::max<size_t>(v->base->index->size(), size_t{1} << 16);
}

std::shared_ptr<const LiveVersion> LiveIndexImpl::CurrentVersion() const {
  std::shared_lock<std::shared_mutex> lock(version_mu_);
  return version_;
}

LiveView LiveIndexImpl::View() const {
  auto s = std::make_shared<LiveViewState>();
  s->activity = activity_;
  {
    std::shared_lock<std::shared_mutex> lock(version_mu_);
    s->version = version_;
    s->seq = published_seq_.load(std::memory_order_acquire);
  }
  s->users_approx = users_.load(std::memory_order_relaxed);
  const LiveVersion& v = *s->version;
  s->sources.reserve(1 + v.runs.size());
  ScanSource base{v.base->index->run(), ScanSource::Filter::kBase};
  base.moved_at = v.base->moved_at.data();
  // Apply keeps seq - base_seq below kNotMoved.
  base.moved_limit = static_cast<uint32_t>(s->seq - v.base->base_seq);
  s->sources.push_back(base);
  for (const auto& run : v.runs) {
    ScanSource src{SortedRun{run->cells, run->users, {}, {}}, ScanSource::Filter::kDelta};
    src.marks = run->marks.get();
    src.seq = s->seq;
    s->sources.push_back(src);
  }
  return LiveViewAccess::Make(std::move(s));
}

absl::StatusOr<uint64_t> LiveIndexImpl::Apply(absl::Span<const LocationUpdate> updates) {
  return Apply(updates, {});
}

absl::StatusOr<uint64_t> LiveIndexImpl::Apply(absl::Span<const LocationUpdate> updates,
                                              absl::Span<const uint64_t> given,
                                              absl::Span<uint64_t> previous) {
  if (updates.empty()) return last_seq();
  if (!given.empty() && given.size() != updates.size()) {
    return absl::InvalidArgumentError("LiveIndex::Apply: one cell an update");
  }
  if (!previous.empty() && previous.size() != updates.size()) {
    return absl::InvalidArgumentError("LiveIndex::Apply: one previous cell an update");
  }
  // Validate and compute leaf cells (unless given) before taking the lock.
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
    cells[i] = given.empty() ? u.location.ToCellId().id() : given[i];
  }

  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t first = next_seq_;
  const uint64_t last = first + updates.size() - 1;
  if (last - base_->base_seq >= kMaxSinceBase) {
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
  // With `previous`: the cell of each user's base entry when that is its
  // current entry and the caller asked, else 0 (ApplyOneLocked overwrites
  // it for the others).
  LookUpSlotsLocked(updates, &slots, previous.empty() ? nullptr : previous.data());
  for (size_t i = 0; i < updates.size(); ++i) {
    ++updates_applied_;
    if (fault_ == LiveIndexFault::kDropEveryThousandth && updates_applied_ % 1000 == 0) {
      DropLocked(updates[i], first + i);
      continue;
    }
    ApplyOneLocked(updates[i], cells[i], first + i, slots[i],
                   previous.empty() ? nullptr : &previous[i]);
  }
  next_seq_ = last + 1;
  published_seq_.store(last, std::memory_order_release);
  return last;
}

// Each update reads about five places at random (the slot table, the
// slot's base position, the entry that confirms the slot's user, its
// moved_at, the record it supersedes when the user moved before): a cache
// miss each.
// Looking up the whole batch first, one step at a time, lets the misses of
// each step overlap; the apply loop then finds them in cache. The slots
// found are final (a slot, once given, is never taken back); users not in
// the table yet get kNoSlot and are looked up again when applied.
void LiveIndexImpl::LookUpSlotsLocked(absl::Span<const LocationUpdate> updates,
                                      std::vector<uint32_t>* out, uint64_t* base_cells) {
  std::vector<uint32_t>& slots = *out;
  slots.resize(updates.size());
  // In pieces whose lines stay in cache from one step to the next (about
  // six lines an update).
  constexpr size_t kPiece = 512;
  for (size_t at = 0; at < updates.size(); at += kPiece) {
    const size_t n = std::min(kPiece, updates.size() - at);
    LookUpPieceLocked(updates.subspan(at, n), slots.data() + at,
                      base_cells == nullptr ? nullptr : base_cells + at);
  }
}

void LiveIndexImpl::LookUpPieceLocked(absl::Span<const LocationUpdate> updates, uint32_t* slots,
                                      uint64_t* base_cells) {
  const size_t n = updates.size();
  const LiveBase& base = *base_;
  const size_t based = base.pos_of_slot.size();
  if (n >= 8) {
    for (const LocationUpdate& u : updates) slot_of_.Prefetch(u.user_id());
    // The candidates, and what confirming them reads.
    for (size_t i = 0; i < n; ++i) {
      const uint32_t c = slot_of_.FirstCandidate(updates[i].user_id());
      slots[i] = c;
      if (c != kNoSlot && c < based) __builtin_prefetch(&base.pos_of_slot[c]);
    }
    const SortedRun run = base.index->run();
    // Candidates with no base entry (new users) are confirmed through
    // current_of_, few and in cache.
    for (size_t i = 0; i < n; ++i) {
      const uint32_t c = slots[i];
      if (c == kNoSlot || c >= based) continue;
      const uint32_t pos = base.pos_of_slot[c];
      if (pos == LiveBase::kNoPos) continue;
      __builtin_prefetch(&run.users[pos]);
      __builtin_prefetch(&base.moved_at[pos], 1);
      if (base_cells != nullptr && base_cells[i] != 0) __builtin_prefetch(&run.cells[pos]);
    }
    // The head of a moved base entry: most often the record this update
    // supersedes.
    for (size_t i = 0; i < n; ++i) {
      const uint32_t c = slots[i];
      if (c == kNoSlot || c >= based) continue;
      const uint32_t pos = base.pos_of_slot[c];
      if (pos == LiveBase::kNoPos) continue;
      const uint32_t moved = base.moved_at[pos].load(std::memory_order_relaxed);
      if (moved == LiveBase::kNotMoved) continue;
      const uint64_t head = base.base_seq + moved;
      if (head < records_written_end_) __builtin_prefetch(&records_->at(head), 1);
    }
  }
  // The base entry's cell is read here, next to the base entry's user
  // (FindSlotLocked), both fetched by the prefetches above: in the apply
  // loop it would be a miss of its own.
  const SortedRun base_run = base.index->run();
  for (size_t i = 0; i < n; ++i) {
    const bool wanted = base_cells != nullptr && base_cells[i] != 0;
    if (base_cells != nullptr) base_cells[i] = 0;
    slots[i] = FindSlotLocked(updates[i].user_id());
    if (slots[i] == kNoSlot) continue;
    const uint64_t current = CurrentSeqLocked(slots[i]);
    if (wanted && current == base.base_seq) {
      base_cells[i] = base_run.cells[base.pos_of_slot[slots[i]]];
    }
    if (current != kNoSeq && current > base.base_seq) __builtin_prefetch(&records_->at(current), 1);
  }
}

uint64_t LiveIndexImpl::CurrentSeqLocked(uint32_t slot) const {
  const LiveBase& base = *base_;
  if (slot < base.pos_of_slot.size()) {
    const uint32_t pos = base.pos_of_slot[slot];
    if (pos != LiveBase::kNoPos) {
      const uint32_t moved = base.moved_at[pos].load(std::memory_order_relaxed);
      if (moved == LiveBase::kNotMoved) return base.base_seq;
      // Moved by update `head` (after the base: records_ holds it). Still
      // the user's last when nothing superseded it; a removal is never
      // superseded (the update after it replaces nothing), so current_of_
      // says whether the user came back.
      const uint64_t head = base.base_seq + moved;
      const UpdateRecord& r = records_->at(head);
      if (r.removed == 0 && r.superseded.load(std::memory_order_relaxed) == kNeverSuperseded) {
        return head;
      }
    }
  }
  const uint64_t last = LastUpdateLocked(slot);
  if (last == kNoSeq) return kNoSeq;
  return records_->at(last).removed != 0 ? kNoSeq : last;
}

uint64_t LiveIndexImpl::LastUpdateLocked(uint32_t slot) const {
  if (const auto it = current_of_.find(slot); it != current_of_.end()) return it->second;
  if (const auto it = current_before_.find(slot);
      it != current_before_.end() && it->second > base_->base_seq) {
    return it->second;
  }
  return kNoSeq;
}

bool LiveIndexImpl::UserOfSlotLocked(uint32_t slot, uint64_t* user) const {
  const LiveBase& base = *base_;
  if (slot < base.pos_of_slot.size()) {
    const uint32_t pos = base.pos_of_slot[slot];
    if (pos != LiveBase::kNoPos) {
      *user = base.index->run().users[pos];
      return true;
    }
  }
  // No base entry: the slot's user is named by its last update, unless that
  // was merged (a removal: current_of_ then has no key for the slot).
  const uint64_t last = LastUpdateLocked(slot);
  if (last == kNoSeq) return false;
  *user = records_->at(last).user;
  return true;
}

uint32_t LiveIndexImpl::FindSlotLocked(uint64_t user) const {
  return slot_of_.Find(user, [&](uint32_t slot) {
    uint64_t found;
    return UserOfSlotLocked(slot, &found) && found == user;
  });
}

void LiveIndexImpl::DropLocked(const LocationUpdate& u, uint64_t seq) {
  // Acknowledged and numbered, not applied: a tombstone that hides nothing.
  UpdateRecord& r = RecordForAppendLocked(seq);
  r.cell = 0;
  r.user = u.user_id();
  r.prev_seq = kNoSeq;
  r.slot = kNoSlot;
  r.removed = 1;
  r.superseded.store(kNeverSuperseded, std::memory_order_relaxed);
  r.mark_a.store(nullptr, std::memory_order_relaxed);
  r.mark_b.store(nullptr, std::memory_order_relaxed);
  records_written_end_ = seq + 1;
}

UpdateRecord& LiveIndexImpl::RecordForAppendLocked(uint64_t seq) {
  if (seq >= records_->end_seq()) {
    records_ = records_->WithNewChunk();
    std::unique_lock<std::shared_mutex> vlock(version_mu_);
    auto v = std::make_shared<LiveVersion>(*version_);
    v->records = records_;
    version_ = std::move(v);
  }
  return records_->at(seq);
}

void LiveIndexImpl::SupersedeLocked(uint64_t prev_seq, uint32_t slot, uint64_t seq) {
  if (fault_ == LiveIndexFault::kKeepReplacedEntry) return;
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

void LiveIndexImpl::ApplyOneLocked(const LocationUpdate& u, uint64_t cell, uint64_t seq,
                                   uint32_t known_slot, uint64_t* previous_cell) {
  const bool remove = u.kind == LocationUpdate::Kind::kRemove;
  uint32_t slot = known_slot;
  uint64_t prev = kNoSeq;
  // Perhaps added earlier in this batch.
  if (slot == kNoSlot) slot = FindSlotLocked(u.user_id());
  if (slot == kNoSlot && !remove) {
    slot = slots_++;  // nothing yet: no base entry, no key in current_of_
    slot_of_.Insert(u.user_id(), slot, [this](uint32_t s, uint64_t* user) {
      return UserOfSlotLocked(s, user);
    });
  }
  if (slot != kNoSlot) {
    const uint64_t current = CurrentSeqLocked(slot);
    if (current != kNoSeq) {
      prev = current;
      // The superseded entry: the base entry (CurrentSeqLocked says
      // base_seq only for one not moved; its cell was read with the
      // lookups, and no earlier update of this batch moved it) or an
      // upsert's record (a removal's would have been kNoSeq).
      if (previous_cell != nullptr && prev != base_->base_seq) {
        *previous_cell = records_->at(prev).cell;
      }
      SupersedeLocked(prev, slot, seq);
      if (remove) users_.fetch_sub(1, std::memory_order_relaxed);
    } else if (!remove) {
      users_.fetch_add(1, std::memory_order_relaxed);
    }
    if (current == kNoSeq && previous_cell != nullptr) *previous_cell = 0;
    // This update is now the slot's last. When it moved the user off its
    // base entry, it is the head (moved_at) and says so itself; otherwise
    // only current_of_ can name it.
    if (current != base_->base_seq) current_of_[slot] = seq;
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
  records_written_end_ = seq + 1;
}

LiveIndex::Stats LiveIndexImpl::GetStats() const {
  LiveIndex::Stats st;
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
  st.unmerged_bytes = st.delta_entries * kDeltaEntryBytes +
                      v->records->chunks() * RecordTable::kChunkSize * sizeof(UpdateRecord);
  uint64_t bytes = v->base->MemoryBytes() + st.unmerged_bytes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    st.slots = slots_;
    // flat_hash_map: a control byte and a (padded) pair per capacity slot.
    bytes += (current_of_.capacity() + current_before_.capacity()) *
                 (1 + sizeof(std::pair<const uint32_t, uint64_t>)) +
             slot_of_.MemoryBytes();
  }
  st.merge_bytes = merge_bytes_.load(std::memory_order_relaxed);
  st.pooled_bytes = merge_pool_->stats().kept_bytes;
  uint64_t pinned_unmerged = 0;
  st.replaced_bytes = ReplacedBytes(&pinned_unmerged);
  st.unmerged_bytes += pinned_unmerged;
  st.memory_bytes =
      bytes + pinned_unmerged + st.merge_bytes + st.replaced_bytes + st.pooled_bytes;
  return st;
}

uint64_t LiveIndexImpl::ReplacedBytes(uint64_t* unmerged) const {
  std::lock_guard<std::mutex> lock(replaced_mu_);
  const bool pinned = !replaced_base_.expired();
  if (unmerged != nullptr) *unmerged = pinned ? replaced_unmerged_bytes_ : 0;
  return pinned ? replaced_bytes_ : 0;
}

void LiveIndexImpl::SetMergeHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(hook_mu_);
  merge_hook_ = std::move(hook);
}

}  // namespace internal
}  // namespace fanout
