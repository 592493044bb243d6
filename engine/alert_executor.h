// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_ALERT_EXECUTOR_H_
#define FANOUT_ENGINE_ALERT_EXECUTOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/delivery.h"
#include "engine/live_view.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "engine/user_attributes.h"
#include "geo/alert_area.h"
#include "geo/area_covering.h"
#include "s2/s2latlng.h"

namespace fanout {

class DeliverySink;

namespace internal {
struct ExecutorSources;
struct ExecutorTestHooks;
class AlertExecutorPeer;
}  // namespace internal

// Answers alerts over a LocationIndex, or over one pinned state of a live
// index (a LiveView: its base run, its delta runs and its newest updates,
// each entry filtered by the view's visibility). Covers the area, plans
// index ranges over all runs at once (refining boundary cells where the
// index is dense, so exact point tests stay few), cuts them into work items
// of equal numbers of entries, and scatters the matches into per-shard lists
// with a two-pass parallel counting sort: each worker counts, then writes
// into its own precomputed slice of each final list, so there is no shared
// growing vector and no merge copy, and each list comes out in index order.
//
// Lifetimes: an executor over a LiveView keeps its own copy of the view
// (shared, cheap), so `AlertExecutor ex(live->View(), options)` is safe and
// the executor outlives the LiveIndex if need be. An executor over a
// LocationIndex refers to it, as absl::string_view refers to its
// characters: the index must outlive the executor (a temporary index
// cannot be passed: that overload is deleted). To share ownership instead,
// pass a std::shared_ptr<const LocationIndex>. The area must outlive the
// Execute call.
//
// Thread-safety: const methods are safe from many threads; each call uses
// the TBB arena of the calling thread.
//
// Typical usage:
//   AlertExecutor::Options options;
//   options.shards = 256;
//   AlertExecutor executor(*index, options);  // or (live->View(), options)
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
    // Lower means fewer point tests but more cell classifications
    // (cell_classifier.h); the balance depends on what each costs
    // (bench_query: BM_PointTest_Tester against the BM_AlertDense_* sweep of
    // this option; readings in bench/README.md, "refine_min_entries").
    // DEFAULT: 16. REQUIRES: >= 1.
    size_t refine_min_entries = 16;
    // Target entries per unit of parallel work (an alert of N entries gets
    // items of min(chunk_entries, N / (8 * threads)), at least 4096). Larger
    // items leave fewer partly written cache lines at the seams of the
    // shard lists, and a smaller per-(item, shard) count table to scan,
    // which shows on nation-wide alerts (`fanout bench`; bench/README.md,
    // "chunk_entries").
    // DEFAULT: 262144. REQUIRES: >= 1.
    size_t chunk_entries = 262144;
    // The order inside each list. kNearest sorts each list by distance from
    // `order_origin` (ties in index order) after the scan; kIndex costs nothing.
    // DEFAULT: kIndex.
    DeliveryOrder order = DeliveryOrder::kIndex;
    // kNearest: the incident point. DEFAULT: unset: IncidentPoint(area).
    std::optional<S2LatLng> order_origin;

    // User attributes (user_attributes.h), parallel to the index's run:
    // what max_age_s and info_languages read. Only over a LocationIndex
    // (kFailedPrecondition over a live view, whose entries have no
    // parallel columns: an Engine applies its users' attributes itself,
    // Engine::Alert). DEFAULT: null: every user has neither a
    // language nor an updated_at, so max_age_s leaves everyone in and
    // info_languages gives everyone block 0. REQUIRES: size() equal to
    // the index's.
    std::shared_ptr<const UserAttributes> attributes;
    // Freshness: users whose updated_at is before as_of_unix_s -
    // max_age_s are left out (AlertSummary::stale_skipped); users without
    // an updated_at are kept. Applied by the scan itself, as a visibility
    // filter of the run (scan_source.h, kFresh): stale users never enter
    // a list; the price is that untested ranges are counted entry by entry
    // rather than by their blocks' counts, and one pass over the column
    // counts the stale. 0: off. DEFAULT: 0. REQUIRES: >= 0.
    int64_t max_age_s = 0;
    // The alert's time (CAP <sent>, or now) for max_age_s. DEFAULT: 0.
    // REQUIRES: > 0 when max_age_s > 0.
    int64_t as_of_unix_s = 0;
    // By language: the <language> of each of the alert's info blocks, in
    // order (ResolvedAlert::info_languages). When not empty, every listed
    // user is also put in the list of the block MatchInfoBlock picks for
    // their language (Extras::by_info; the sink's DeliverByInfo), and
    // AlertSummary::by_info counts them. Costs 8 bytes a matched user
    // during the scan and one pass over the lists. DEFAULT: empty: off.
    std::vector<std::string> info_languages;

    absl::Status Validate() const;
  };

  // What an alert can hand back beyond its lists, each only when asked for
  // (a null pointer costs nothing).
  struct Extras {
    // Receives the area's covering: the interior and boundary cells the
    // plan started from (geo/area_covering.h).
    AreaCovering* covering = nullptr;
    // Receives the leaf S2 cell id of every listed user, list by list:
    // (*cells)[s][i] is where lists.shards[s][i] is (8 bytes a matched
    // user, written during the scan).
    std::vector<UserIdList>* cells = nullptr;
    // With Options::info_languages: receives one DeliveryLists per info
    // block (its shards in the same order as the lists'); their union is
    // the lists, each user in exactly one block.
    std::vector<DeliveryLists>* by_info = nullptr;
  };

  // Alerts over `index`, which must outlive the executor.
  AlertExecutor(const LocationIndex& index, Options options);
  AlertExecutor(const LocationIndex&& index, Options options) = delete;
  // Alerts over `index`, whose ownership the executor shares.
  // REQUIRES: index != nullptr.
  AlertExecutor(std::shared_ptr<const LocationIndex> index, Options options);
  // Alerts see exactly the state `view` pinned (DESIGN §3); the executor
  // keeps a copy of the view. An empty (default-constructed) view matches
  // nobody.
  AlertExecutor(LiveView view, Options options);

  // Finds every user in `area`. `summary` (optional) receives counts and the
  // cover/plan/scan timings. kInvalidArgument for invalid options.
  absl::StatusOr<DeliveryLists> Execute(const AlertArea& area, AlertSummary* summary) const;

  // Execute into `lists`, reusing the memory its lists hold from an earlier
  // alert: a service answering alert after alert keeps one DeliveryLists
  // per worker and passes it again, so list memory is not allocated and
  // faulted in anew each time (a nation-wide alert's lists are a good part
  // of the cost of its scan when fresh). On return `lists` holds exactly
  // this alert's lists, one per shard. On error its contents are
  // unspecified. Safe to call from many threads, each with its own `lists`.
  absl::Status Execute(const AlertArea& area, DeliveryLists* lists, AlertSummary* summary) const;

  // Execute, then hand the lists to `sink` (timed as "emit").
  absl::Status Execute(const AlertArea& area, DeliverySink& sink, AlertSummary* summary) const;

  // Execute into `lists`, also filling what `extras` asks for.
  absl::Status Execute(const AlertArea& area, DeliveryLists* lists, AlertSummary* summary,
                       const Extras& extras) const;

 private:
  friend class internal::AlertExecutorPeer;

  // What Execute scans: the index's run or the view's runs, the view, and
  // the shared index when the executor owns a share. Immutable.
  std::shared_ptr<const internal::ExecutorSources> sources_;
  Options options_;
  // Tests only (alert_executor_peer.h); null otherwise. Read and written
  // with std::atomic_load / std::atomic_store.
  std::shared_ptr<const internal::ExecutorTestHooks> test_hooks_;
};

// Where an alert happens, for DeliveryOrder::kNearest: the centre of its
// circle when the area is one circle (CAP <circle>), else the centroid of
// the area (S2's area-weighted centroid of every polygon and circle, parts
// that overlap counted twice), or the centre of its bounding cap when that
// centroid is degenerate (an area symmetric about the Earth's centre).
S2LatLng IncidentPoint(const AlertArea& area);

// The reference answer: every entry of the index tested against the area,
// in parallel, with no covering. Used by tests, `fanout alert --verify` and
// as the brute-force baseline of `fanout bench`.
DeliveryLists BruteForceScan(const LocationIndex& index, const AlertArea& area,
                             const ShardPolicy& policy);

}  // namespace fanout

#endif  // FANOUT_ENGINE_ALERT_EXECUTOR_H_
