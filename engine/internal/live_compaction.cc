// Copyright 2026 The fan-out engine authors.
//
// Compaction of a live index's delta runs: size tiers with fan-in 4, steps
// on several threads at once, each on the runs it has claimed.

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <tuple>
#include <vector>

#include "engine/internal/live_index_impl.h"
#include "engine/internal/live_version.h"

namespace fanout {
namespace internal {
namespace {

constexpr size_t kFanIn = 4;
// With more runs than this (newer than a merge's), compact the newest
// kFanIn whatever their sizes.
constexpr size_t kMaxRuns = 24;

// Merges the entries of `inputs` (each sorted by (cell, user, seq)) into one
// sorted list, dropping those superseded at or before `horizon`. A run's own
// marks are exact copies of its records' `superseded` (live_version.h) and
// read in order, unlike the records.
std::vector<Entry> MergeRunEntries(const std::vector<std::shared_ptr<const DeltaRun>>& inputs,
                                   uint64_t horizon) {
  size_t total = 0;
  for (const auto& run : inputs) total += run->size();
  std::vector<Entry> merged;
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
  return merged;
}

}  // namespace

void LiveIndexImpl::CompactRuns(bool yield_to_alerts) {
  // Steps may run on several threads at once, each on runs it has claimed,
  // so that a large step (a second or more) does not hold up the small ones
  // that keep the newest runs few. A merge in progress has taken the runs up
  // to merge_floor_ (it reads their entries superseded after its point,
  // which a compaction would drop): only the runs frozen since are
  // compacted, and a merge chooses its point with no step in flight.
  // Meanwhile freezes append runs and a merge's swap removes runs up to its
  // point; neither touches a step's runs, which stay adjacent.
  for (;;) {
    if (yield_to_alerts) YieldToAlerts();
    std::shared_ptr<const LiveVersion> v;
    std::vector<std::shared_ptr<const DeltaRun>> inputs;
    if (!ClaimRunsToCompact(&v, &inputs)) return;
    // Views that will see the merged run have seq >= horizon: entries
    // superseded at or before it are dropped.
    const uint64_t horizon = last_seq();
    const RecordTable& records = *v->records;
    uint64_t min_seq = ~uint64_t{0}, max_seq = 0;
    for (const auto& run : inputs) {
      min_seq = std::min(min_seq, run->min_seq);
      max_seq = std::max(max_seq, run->max_seq);
    }
    std::shared_ptr<const DeltaRun> run =
        RunFromSortedEntries(MergeRunEntries(inputs, horizon), min_seq, max_seq, records);
    SwapInCompactedRun(inputs, run);
    // New views read the new run's marks: drop the old copies, then let any
    // writer that still holds a pointer into the old runs finish (it holds
    // mu_ for its whole batch) before `v` lets them go.
    ReleaseOldMarks(*run, records);
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

bool LiveIndexImpl::ClaimRunsToCompact(std::shared_ptr<const LiveVersion>* version,
                                       std::vector<std::shared_ptr<const DeltaRun>>* inputs) {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  if (merge_starting_) return false;  // it waits for the steps in flight
  // Its runs are the current ones while we hold maintenance_mu_.
  const std::shared_ptr<const LiveVersion> v = CurrentVersion();
  const size_t n = v->runs.size();
  size_t eligible = 0;
  while (eligible < n && v->runs[eligible]->min_seq <= merge_floor_) ++eligible;
  auto unclaimed = [&](size_t k) {
    for (size_t r = k; r < k + kFanIn; ++r) {
      if (v->runs[r]->claimed) return false;
    }
    return true;
  };
  // Size tiers with fan-in 4: the newest kFanIn adjacent runs of one tier
  // (the oldest at most twice the newest) become one run of the next, so
  // each entry is rewritten about log4(delta / freeze size) times before a
  // merge takes it (half as often as pairs would), and there are about 3
  // runs per tier. With more than kMaxRuns runs whatever the sizes, the
  // newest kFanIn.
  const bool too_many = n - eligible > kMaxRuns;
  size_t k = n;
  for (size_t end = n; end >= eligible + kFanIn; --end) {
    if ((too_many || v->runs[end - kFanIn]->size() <= 2 * v->runs[end - 1]->size()) &&
        unclaimed(end - kFanIn)) {
      k = end - kFanIn;
      break;
    }
  }
  if (k == n) return false;
  inputs->assign(v->runs.begin() + k, v->runs.begin() + k + kFanIn);
  for (const auto& run : *inputs) run->claimed = true;
  ++compactions_in_flight_;
  *version = v;
  return true;
}

void LiveIndexImpl::SwapInCompactedRun(const std::vector<std::shared_ptr<const DeltaRun>>& inputs,
                                       const std::shared_ptr<const DeltaRun>& run) {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  std::unique_lock<std::shared_mutex> vlock(version_mu_);
  auto nv = std::make_shared<LiveVersion>(*version_);
  auto at = std::find(nv->runs.begin(), nv->runs.end(), inputs[0]);
  if (nv->runs.end() - at < static_cast<ptrdiff_t>(kFanIn) ||
      !std::equal(inputs.begin(), inputs.end(), at)) {
    std::abort();  // unreachable: claimed runs stay adjacent (CompactRuns)
  }
  if (run->size() == 0) {
    // Everything was superseded: no empty run (it would upset the tiers).
    nv->runs.erase(at, at + kFanIn);
  } else {
    *at = run;
    nv->runs.erase(at + 1, at + kFanIn);
  }
  // Not to be claimed before ReleaseOldMarks is done: a step on it would
  // point its records' mark_b at it, and ours would then clear that pointer
  // while the run is still read.
  run->claimed = true;
  version_ = std::move(nv);
}

}  // namespace internal
}  // namespace fanout
