// Copyright 2026 The fan-out engine authors.
//
// The merge of a live index: every update up to a point M folded into a new
// base run, built off the writer lock while updates, freezes, compactions
// of newer runs and alerts go on, then caught up and swapped in.
//
// Steps (MergeImpl): choose the point M and take the runs up to it; collect
// the delta entries visible at M and sort them; cut the old base and the
// delta into parts; count, then write, each part of the new base in
// parallel; index the slots' new positions; replay the moves of updates
// after M onto the new base, most of them off the lock; swap it in.

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/time/clock.h"
#include "engine/internal/live_index_impl.h"
#include "engine/internal/live_version.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace internal {
namespace {

// Between the steps of the longest loops: yields to running alerts when the
// merge runs in the background, does nothing otherwise.
using Pause = absl::FunctionRef<void()>;

// Delta entries between pauses while collecting. The collecting and the
// ordering go in short steps that yield to running alerts: at nice 19 the
// merge still takes a core in an alert's serial moments and holds it for a
// scheduler slice when the alert's parallel work wakes, which made state
// alerts slower at p90 beside a merge (not at p50) while each run's
// collection and the delta's sort were one step each (bench/README.md,
// "Merge steps").
constexpr size_t kStep = size_t{1} << 16;
// Updates left after M that are replayed under the writer lock; more than
// this are replayed off it first, in rounds.
constexpr uint64_t kCatchUpUnderLock = 4096;

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

// The delta entries visible at m, with their slots in place of sequence
// numbers, run after run: delta[bounds[k], bounds[k + 1]) are run k's, each
// part in (cell, user) order. (Marks in order, and the records, for the
// slot, fetched ahead.)
std::vector<Entry> CollectVisibleDeltas(const LiveVersion& v, uint64_t m, Pause pause,
                                        std::vector<size_t>* bounds) {
  const RecordTable& records = *v.records;
  std::vector<Entry> delta;
  bounds->assign(1, 0);
  for (const auto& run : v.runs) {
    constexpr size_t kAhead = 16;
    const size_t size = run->size();
    for (size_t k = 0; k < size; ++k) {
      if (k % kStep == 0) pause();
      if (k + kAhead < size) __builtin_prefetch(&records.at(run->seqs[k + kAhead]));
      if (run->marks[k].load(std::memory_order_relaxed) > m) {
        delta.push_back({run->cells[k], run->users[k], records.at(run->seqs[k]).slot});
      }
    }
    bounds->push_back(delta.size());
  }
  return delta;
}

// Each run's entries are in (cell, user) order already, and a user has one
// entry visible at m, so merging the runs' parts pairwise sorts the whole
// (by cell, user and slot), in steps, where a sort was one step.
void MergeSortedParts(std::vector<Entry>* delta, std::vector<size_t> bounds, Pause pause) {
  while (bounds.size() > 2) {
    std::vector<size_t> merged = {0};
    for (size_t k = 2; k < bounds.size(); k += 2) {
      pause();
      std::inplace_merge(delta->begin() + bounds[k - 2], delta->begin() + bounds[k - 1],
                         delta->begin() + bounds[k]);
      merged.push_back(bounds[k]);
    }
    if (bounds.size() % 2 == 0) merged.push_back(bounds.back());  // an odd part out
    bounds.swap(merged);
  }
}

// The parts of a parallel two-way merge: part p takes the base entries
// [base_cut[p], base_cut[p + 1]) and the delta entries [delta_cut[p],
// delta_cut[p + 1]) (found by binary search), and writes from out_at[p].
struct MergeCuts {
  size_t parts = 0;
  std::vector<size_t> base_cut, delta_cut, out_at;
};

MergeCuts CutBaseAndDelta(const SortedRun& base_run, const std::vector<Entry>& delta) {
  MergeCuts cuts;
  const size_t n = base_run.size();
  const size_t parts = std::max<size_t>(1, std::min<size_t>(256, n / 65536 + 1));
  cuts.parts = parts;
  cuts.base_cut.resize(parts + 1);
  cuts.delta_cut.resize(parts + 1);
  cuts.out_at.assign(parts + 1, 0);
  for (size_t p = 0; p <= parts; ++p) {
    cuts.base_cut[p] = n * p / parts;
    if (p == 0) {
      cuts.delta_cut[p] = 0;
    } else if (p == parts) {
      cuts.delta_cut[p] = delta.size();
    } else {
      Entry key{base_run.cells[cuts.base_cut[p]], base_run.users[cuts.base_cut[p]], 0};
      cuts.delta_cut[p] = std::lower_bound(delta.begin(), delta.end(), key,
                                           [](const Entry& a, const Entry& b) {
                                             return std::tie(a.cell, a.user) <
                                                    std::tie(b.cell, b.user);
                                           }) -
                          delta.begin();
    }
  }
  return cuts;
}

// Pass 1: each part's output size (its base entries still visible at the
// merge point, whose moved_at is above `limit`, plus its delta entries),
// then their running sum in out_at. Returns the new base's size.
size_t CountMergedEntries(const LiveBase& old, uint32_t limit, Pause pause, MergeCuts* cuts) {
  MergeCuts& c = *cuts;
  tbb::parallel_for(size_t{0}, c.parts, [&](size_t p) {
    pause();
    size_t kept = 0;
    for (size_t i = c.base_cut[p]; i < c.base_cut[p + 1]; ++i) {
      kept += old.moved_at[i].load(std::memory_order_relaxed) > limit;
    }
    c.out_at[p + 1] = kept + (c.delta_cut[p + 1] - c.delta_cut[p]);
  });
  for (size_t p = 0; p < c.parts; ++p) c.out_at[p + 1] += c.out_at[p];
  return c.out_at[c.parts];
}

// Pass 2: each part merges its base entries still visible and its delta
// entries into the new columns. It notes where each base entry went
// (new_pos[i], kNoPos for one dropped) and each delta entry's place (in its
// `cell`, no longer needed once written).
void WriteMergedColumns(const LiveBase& old, std::vector<Entry>* delta_entries, uint32_t limit,
                        const MergeCuts& c, Pause pause, uint32_t* new_pos,
                        const BaseColumns& out) {
  const SortedRun base_run = old.index->run();
  std::vector<Entry>& delta = *delta_entries;
  tbb::parallel_for(size_t{0}, c.parts, [&](size_t p) {
    pause();
    size_t o = c.out_at[p], i = c.base_cut[p], j = c.delta_cut[p];
    const size_t ie = c.base_cut[p + 1], je = c.delta_cut[p + 1];
    while (i < ie || j < je) {
      if (i < ie && old.moved_at[i].load(std::memory_order_relaxed) <= limit) {
        new_pos[i++] = LiveBase::kNoPos;
        continue;
      }
      bool take_base = j == je || (i < ie && std::tie(base_run.cells[i], base_run.users[i]) <
                                                 std::tie(delta[j].cell, delta[j].user));
      if (take_base) {
        out.Set(o, base_run.cells[i], base_run.users[i]);
        new_pos[i++] = static_cast<uint32_t>(o);
      } else {
        out.Set(o, delta[j].cell, delta[j].user);
        delta[j++].cell = o;
      }
      ++o;
    }
  });
}

// Pass 3: the new base's pos_of_slot, each slot written once, in order: a
// slot of the old base takes its entry's new place (read through new_pos:
// one pass of random reads, where pointing each entry's slot at it as it is
// written needs the inverse of the old pos_of_slot first, two passes of
// random writes), a newer slot none; then each delta entry's slot its place.
void PointSlots(const LiveBase& old, const std::vector<Entry>& delta, const uint32_t* new_pos,
                Pause pause, LiveBase* base) {
  uint32_t* const pos = base->pos_of_slot.data();
  const size_t old_slots = old.pos_of_slot.size();
  const size_t slots = base->pos_of_slot.size();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, slots, 1 << 16), [&](const auto& r) {
    pause();
    for (size_t s = r.begin(); s < r.end(); ++s) {
      const uint32_t at = s < old_slots ? old.pos_of_slot[s] : LiveBase::kNoPos;
      pos[s] = at == LiveBase::kNoPos ? LiveBase::kNoPos : new_pos[at];
    }
  });
  tbb::parallel_for(tbb::blocked_range<size_t>(0, delta.size(), 1 << 16), [&](const auto& r) {
    for (size_t j = r.begin(); j < r.end(); ++j) {
      pos[delta[j].seq] = static_cast<uint32_t>(delta[j].cell);
    }
  });
}

// An empty base whose arrays (moved_at, pos_of_slot, its BaseColumns) go
// back to `pool` when its last reference goes: they are freed under a
// HugePagePool::Scope of it.
std::shared_ptr<LiveBase> NewLiveBase(const std::shared_ptr<HugePagePool>& pool) {
  return std::shared_ptr<LiveBase>(new LiveBase, [pool](LiveBase* base) {
    HugePagePool::Scope scope(pool.get());
    delete base;
  });
}

// The new base: `old` without the entries moved at or before m, merged with
// the delta entries visible at m (sorted, slots in place of seqs). Its
// arrays and the merge's scratch come from `pool` (a Scope of it must be
// alive on the calling thread) and go back to it. *bytes: what the merge
// holds meanwhile (for GetStats).
std::shared_ptr<LiveBase> BuildMergedBase(const LiveBase& old, std::vector<Entry> delta,
                                          uint64_t m, size_t slots, Pause pause,
                                          const std::shared_ptr<HugePagePool>& pool,
                                          std::atomic<uint64_t>* bytes) {
  const uint32_t limit = static_cast<uint32_t>(m - old.base_seq);
  MergeCuts cuts = CutBaseAndDelta(old.index->run(), delta);
  const size_t total = CountMergedEntries(old, limit, pause, &cuts);
  // The new base's columns, moved_at and hash column (about 17.1 + 4 bytes
  // an entry) and pos_of_slot; meanwhile, where each old entry went.
  const uint64_t base_bytes = total * (8 + 8 + 4 + 1) + slots * sizeof(uint32_t);
  const uint64_t new_pos_bytes = old.index->size() * sizeof(uint32_t);
  bytes->store(delta.capacity() * sizeof(Entry) + base_bytes + new_pos_bytes,
               std::memory_order_relaxed);
  // Not zeroed: WriteMergedColumns writes every element. From the pool of
  // the Scope alive here, and back to it.
  HugePageArray<uint32_t> new_pos(old.index->size());
  auto columns = std::make_shared<BaseColumns>(total);
  std::shared_ptr<LiveBase> base = NewLiveBase(pool);
  base->base_seq = m;
  WriteMergedColumns(old, &delta, limit, cuts, pause, new_pos.get(), *columns);
  base->pos_of_slot.resize(slots);  // zeroed first (a vector's resize), then written
  PointSlots(old, delta, new_pos.get(), pause, base.get());
  std::vector<Entry>().swap(delta);
  new_pos.reset();
  bytes->store(base_bytes, std::memory_order_relaxed);
  FillNotMoved(&base->moved_at, total);
  base->index = BaseColumns::TrustedIndex(std::move(columns));
  return base;
}

}  // namespace

BaseColumns::BaseColumns(size_t n) : cells_(n), users_(n), mix_low_(n) {}

std::unique_ptr<LocationIndex> BaseColumns::TrustedIndex(
    std::shared_ptr<const BaseColumns> columns) {
  const size_t n = columns->size();
  const absl::Span<const uint64_t> cells(columns->cells(), n), users(columns->users(), n);
  const absl::Span<const uint8_t> mix_low(columns->mix_low(), n);
  return LocationIndex::FromTrustedColumns(cells, users, mix_low, std::move(columns));
}

struct LiveIndexImpl::MergePoint {
  uint64_t m = 0;      // the last update the new base folds in
  size_t slots = 0;    // slots given out up to m
  std::shared_ptr<const LiveVersion> version;  // every update up to m in its base or runs
};

void LiveIndexImpl::MergeImpl(bool yield) {
  std::lock_guard<std::mutex> merge_lock(merge_mu_);
  const int64_t start = absl::GetCurrentTimeNanos();
  merge_running_.store(true, std::memory_order_relaxed);
  auto yield_to_alerts = [this, yield] {
    if (yield) YieldToAlerts();
  };
  const Pause pause(yield_to_alerts);

  const MergePoint point = ChooseMergePoint();
  const uint64_t m = point.m;
  std::vector<size_t> bounds;
  std::vector<Entry> delta = CollectVisibleDeltas(*point.version, m, pause, &bounds);
  merge_bytes_.store(delta.capacity() * sizeof(Entry), std::memory_order_relaxed);
  MergeSortedParts(&delta, std::move(bounds), pause);
  std::shared_ptr<LiveBase> base;
  {
    HugePagePool::Scope scope(merge_pool_.get());
    base = BuildMergedBase(*point.version->base, std::move(delta), m, point.slots, pause,
                           merge_pool_, &merge_bytes_);
  }
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(hook_mu_);
    hook = merge_hook_;
  }
  if (hook) hook();

  const uint64_t caught_up = CatchUpOffLock(base.get(), m, yield);
  SwapInMergedBase(base, m, caught_up);
  merge_bytes_.store(0, std::memory_order_relaxed);
  merges_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(merge_seconds_, SecondsSince(start));
  last_merge_end_ns_.store(absl::GetCurrentTimeNanos(), std::memory_order_relaxed);
  merge_running_.store(false, std::memory_order_relaxed);
}

LiveIndexImpl::MergePoint LiveIndexImpl::ChooseMergePoint() {
  MergePoint point;
  // No compaction step in flight while the merge point is chosen (and none
  // starts meanwhile).
  std::unique_lock<std::mutex> maintenance(maintenance_mu_);
  merge_starting_ = true;
  compaction_done_.wait(maintenance, [this] {
    return compactions_in_flight_ == 0;
  });
  merge_starting_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    point.m = next_seq_ - 1;
    point.slots = slots_;
  }
  // Every update up to m is now in the base or a run. Freezes go on while
  // the new base is built, into runs of updates after m, and so do
  // compactions of those runs only (merge_floor_): the runs up to m are the
  // merge's, which reads their entries superseded after m.
  FreezeUpTo(point.m);
  point.version = CurrentVersion();
  merge_floor_ = point.m;
  return point;
}

void LiveIndexImpl::ReplayMoves(LiveBase* base, const RecordTable& table, uint64_t from,
                                uint64_t to, uint64_t m) const {
  // The entry an update replaced is in the new base when it is numbered m
  // or below.
  for (uint64_t s = from; s <= to; ++s) {
    const UpdateRecord& r = table.at(s);
    if (r.prev_seq == kNoSeq || r.prev_seq > m) continue;
    if (fault_ == LiveIndexFault::kKeepReplacedEntry) continue;
    base->moved_at[base->pos_of_slot[r.slot]].store(static_cast<uint32_t>(s - m),
                                                    std::memory_order_relaxed);
  }
}

uint64_t LiveIndexImpl::CatchUpOffLock(LiveBase* base, uint64_t m, bool yield) {
  // In rounds: updates go on arriving while a round runs.
  uint64_t caught_up = m;
  for (;;) {
    uint64_t target;
    std::shared_ptr<const RecordTable> table;
    {
      std::shared_lock<std::shared_mutex> vlock(version_mu_);
      target = published_seq_.load(std::memory_order_acquire);
      table = version_->records;
    }
    if (target - caught_up <= kCatchUpUnderLock) break;
    if (yield) YieldToAlerts();
    ReplayMoves(base, *table, caught_up + 1, target, m);
    caught_up = target;
  }
  return caught_up;
}

void LiveIndexImpl::SwapInMergedBase(const std::shared_ptr<LiveBase>& base, uint64_t m,
                                     uint64_t caught_up) {
  // The next generation of current_of_, sized as the last, and the one
  // dropped: made and freed off the lock (declared before it).
  absl::flat_hash_map<uint32_t, uint64_t> next_keys, dropped_keys;
  next_keys.reserve(keys_last_cycle_);
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  // The writers' stall starts here, not before: waiting for mu_ (while a
  // writer applies its batch) stalls only this thread.
  const int64_t locked_at = absl::GetCurrentTimeNanos();
  ReplayMoves(base.get(), *records_, caught_up + 1, next_seq_ - 1, m);
  // Updates up to m are in the new base (or removed users gone from it):
  // their keys go stale (LastUpdateLocked). A slot updated after m keeps
  // its key, the last update still; its head in the new base is its first
  // update after m (ReplayMoves).
  keys_last_cycle_ = current_of_.size();
  dropped_keys.swap(current_before_);
  current_before_.swap(current_of_);
  current_of_.swap(next_keys);
  const std::shared_ptr<const LiveBase> old_base = base_;
  const size_t old_chunks = records_->chunks();
  base_ = base;
  records_ = records_->TrimmedBelow(m + 1);
  uint64_t dropped = (old_chunks - records_->chunks()) * RecordTable::kChunkSize *
                     sizeof(UpdateRecord);
  {
    std::unique_lock<std::shared_mutex> vlock(version_mu_);
    auto nv = std::make_shared<LiveVersion>();
    nv->base = base;
    nv->records = records_;
    // Keep the runs frozen since: their updates are all after m.
    for (const auto& run : version_->runs) {
      if (run->min_seq > m) {
        nv->runs.push_back(run);
      } else {
        dropped += run->size() * kDeltaEntryBytes;
      }
    }
    nv->pending_first_seq = version_->pending_first_seq;
    version_ = std::move(nv);
  }
  {
    // Views taken before the swap (and this merge's own, until it returns)
    // still pin what it replaced.
    std::lock_guard<std::mutex> replaced_lock(replaced_mu_);
    replaced_base_ = old_base;
    replaced_bytes_ = old_base->MemoryBytes();
    replaced_unmerged_bytes_ = dropped;
  }
  merge_floor_ = 0;
  AtomicMax(merge_locked_ms_max_, (absl::GetCurrentTimeNanos() - locked_at) * 1e-6);
}

}  // namespace internal
}  // namespace fanout
