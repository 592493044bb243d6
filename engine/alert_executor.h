// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_ALERT_EXECUTOR_H_
#define FANOUT_ENGINE_ALERT_EXECUTOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/delivery.h"
#include "engine/location_index.h"
#include "engine/scan_source.h"
#include "engine/shard_policy.h"
#include "geo/alert_area.h"
#include "geo/area_covering.h"

namespace fanout {

class DeliverySink;
class LiveView;

// One slice of a run to scan: entries [begin, end) of source `source` (the
// index, or for a live index one of its runs), taken whole (needs_test ==
// false, the slice lies in interior cells) or tested one by one against the
// area.
struct ScanRange {
  size_t begin;
  size_t end;
  bool needs_test;
  uint32_t source = 0;
};

// Answers alerts over a LocationIndex, or over one pinned state of a live
// index (a LiveView: its base run, its delta runs and its newest
// updates, each entry filtered by the snapshot's visibility). Covers the
// area, plans index ranges over all runs at once
// (refining boundary cells where the index is dense, so exact point tests
// stay few), cuts them into work items of equal numbers of entries, and
// scatters the matches into per-shard lists with a two-pass parallel
// counting sort (shard_scatter.h): each worker counts, then writes into its
// own precomputed slice of each final list, so there is no shared growing
// vector and no merge copy, and each list comes out in index order.
//
// Thread-safety: const methods are safe from many threads; each call uses
// the TBB arena of the calling thread. The index (or snapshot) must outlive
// the executor, the area the call.
//
// Typical usage:
//   AlertExecutor::Options options;
//   options.shards = 256;
//   AlertExecutor executor(*index, options);
//   AlertSummary summary;
//   ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(area, &summary));
class AlertExecutor {
 public:
  struct Options {
    // Number of delivery shards. DEFAULT: 1. REQUIRES: 1..ShardPolicy::kMaxShards.
    uint32_t shards = 1;
    // DEFAULT: Mix64 modulo (DESIGN §3).
    ShardPolicy::Kind shard_policy = ShardPolicy::Kind::kMix64Modulo;
    CoveringOptions covering;
    // A boundary cell holding more entries than this is split into its four
    // children, each classified as inside, outside or boundary, recursively.
    // Lower means fewer point tests (about 70 ns each, bench_query
    // BM_PointTest_Tester) but more cell classifications (cell_classifier.h);
    // bench_query sweeps it (BM_AlertDense_*: at 170M users, 16 against 32
    // took 10% off the county, 3% off the state, 4% off the nation, when a
    // point test cost 0.2 us). After the cheaper point tests and
    // classifications, 16 and 32 tie at 170M users (fanout bench, plan plus
    // scan, alternately twice: state 15.2/15.9 against 16.1/16.1 ms, nation
    // 210/215 against 212/211 ms).
    // DEFAULT: 16. REQUIRES: >= 1.
    size_t refine_min_entries = 16;
    // Target entries per unit of parallel work (an alert of N entries gets
    // items of min(chunk_entries, N / (8 * threads)), at least 4096). Larger
    // items leave fewer partly written cache lines at the seams of the
    // shard lists, and a smaller per-(item, shard) count table to scan:
    // at 170M users, 262144 against 32768 took 10% off the nation's scan
    // (fanout bench --alerts county,state,nation, alternately; the state
    // and county did not change beyond noise).
    // DEFAULT: 262144. REQUIRES: >= 1.
    size_t chunk_entries = 262144;

    absl::Status Validate() const;
  };

  AlertExecutor(const LocationIndex& index, Options options);
  // Alerts see exactly the state `snapshot` pinned (DESIGN §3).
  AlertExecutor(const LiveView& snapshot, Options options);

  // Finds every user in `area`. `summary` (optional) receives counts and the
  // cover/plan/scan timings. kInvalidArgument for invalid options.
  absl::StatusOr<DeliveryLists> Execute(const AlertArea& area, AlertSummary* summary) const;

  // Execute into `lists`, reusing the memory its lists hold from an earlier
  // alert: a service answering alert after alert keeps one DeliveryLists
  // per worker and passes it again, so list memory is not allocated and
  // faulted in anew each time (a nation-wide alert's lists are 1.3 GB:
  // 300k page faults when fresh). On return `lists` holds exactly this
  // alert's lists, one per shard. On error its contents are unspecified.
  // Safe to call from many threads, each with its own `lists`.
  absl::Status Execute(const AlertArea& area, DeliveryLists* lists, AlertSummary* summary) const;

  // Execute, then hand the lists to `sink` (timed as "emit").
  absl::Status Execute(const AlertArea& area, DeliverySink& sink, AlertSummary* summary) const;

  // The ranges a scan of `covering` would read, in index order, source by
  // source (for a snapshot: its base and delta runs, not its newest
  // updates, which Execute gathers per alert); for tests and benchmarks.
  std::vector<ScanRange> Plan(const AlertArea& area, const AreaCovering& covering) const;

  // Test hook: runs between the two passes of every scan, so a test can
  // apply updates in the middle of an alert.
  void SetBetweenPassesHookForTesting(std::function<void()> hook) {
    between_passes_ = std::move(hook);
  }

 private:
  std::vector<ScanRange> PlanSources(absl::Span<const internal::ScanSource> sources,
                                     const AlertArea& area, const AreaCovering& covering) const;

  std::vector<internal::ScanSource> sources_;
  uint64_t index_users_;
  const LiveView* snapshot_ = nullptr;
  const Options options_;
  std::function<void()> between_passes_;
};

// The reference answer: every entry of the index tested against the area,
// in parallel, with no covering. Used by tests, `fanout alert --verify` and
// as the brute-force baseline of `fanout bench`.
DeliveryLists BruteForceScan(const LocationIndex& index, const AlertArea& area,
                             const ShardPolicy& policy);

}  // namespace fanout

#endif  // FANOUT_ENGINE_ALERT_EXECUTOR_H_
