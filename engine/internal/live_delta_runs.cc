// Copyright 2026 The fan-out engine authors.
//
// Update records and delta runs of a live index: building a run from sorted
// entries (with the mark protocol of live_version.h) and freezing the
// pending updates into one.

#include <algorithm>
#include <memory>
#include <vector>

#include "engine/internal/live_index_impl.h"
#include "engine/internal/live_version.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace internal {

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

void ReleaseOldMarks(const DeltaRun& run, const RecordTable& records) {
  constexpr size_t kAhead = 16;
  const size_t n = run.seqs.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&records.at(run.seqs[i + kAhead]), 1);
    records.at(run.seqs[i]).mark_b.store(nullptr);
  }
}

void FillNotMoved(LiveBase::MovedAt* moved, size_t n) {
  LiveBase::MovedAt fresh(n);
  auto& a = fresh;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) a[i].store(LiveBase::kNotMoved, std::memory_order_relaxed);
  });
  moved->swap(fresh);
}

void LiveIndexImpl::Freeze() {
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    FreezeUpTo(last_seq());
  }
  CompactRuns(/*yield_to_alerts=*/false);
}

void LiveIndexImpl::FreezeUpTo(uint64_t up_to) {
  std::shared_ptr<const LiveVersion> v = CurrentVersion();
  const uint64_t first = v->pending_first_seq;
  if (up_to < first) return;
  // Updates in [first, up_to] are published, so their records are final
  // but for `superseded`. One superseded at or before up_to is invisible to
  // every view that will see the new run (their seq >= up_to): drop it.
  std::vector<Entry> entries;
  entries.reserve(up_to - first + 1);
  for (uint64_t s = first; s <= up_to; ++s) {
    const UpdateRecord& r = v->records->at(s);
    if (r.removed || r.superseded.load(std::memory_order_relaxed) <= up_to) continue;
    entries.push_back({r.cell, r.user, s});
  }
  std::sort(entries.begin(), entries.end());
  std::shared_ptr<const DeltaRun> run =
      entries.empty() ? nullptr : RunFromSortedEntries(entries, first, up_to, *v->records);
  {
    std::unique_lock<std::shared_mutex> vlock(version_mu_);
    auto nv = std::make_shared<LiveVersion>(*version_);
    if (run != nullptr) nv->runs.push_back(run);
    nv->pending_first_seq = up_to + 1;
    version_ = std::move(nv);
  }
  freezes_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace internal
}  // namespace fanout
