// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_DELIVERY_H_
#define FANOUT_ENGINE_DELIVERY_H_

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fanout {

// std::allocator, except that a new element made without a value is
// default-initialized (for an integer: left as it is) instead of zeroed. The
// scatter sizes each list once and then writes every element exactly once;
// zero-filling it first cost a whole extra pass over the output
// (bench/README.md, "Figures behind code comments"). Stateless, so thread-safe as std::allocator is.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}

  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// One shard's delivery list: user ids. A std::vector whose resize() leaves
// new elements uninitialized (DefaultInitAllocator); otherwise used as any
// vector.
using UserIdList = std::vector<uint64_t, DefaultInitAllocator<uint64_t>>;

// The result of an alert: one list of user ids per shard. Every user inside
// the area appears exactly once, in the list of its shard; the order inside
// a list is unspecified.
struct DeliveryLists {
  std::vector<UserIdList> shards;

  uint64_t total() const {
    uint64_t n = 0;
    for (const auto& s : shards) n += s.size();
    return n;
  }
};

// The order of the users inside each delivery list.
enum class DeliveryOrder {
  kIndex,    // index order (cell, then user id): deterministic, and free
  kNearest,  // nearest the incident point first (AlertExecutor::Options);
             // ties in index order (users of one cell by id). Costs a
             // sort of each list (bench/README.md, "Delivery features").
};

// Wall-clock milliseconds per stage (DESIGN §4 summary.json "timings_ms").
struct StageTimings {
  double parse_ms = 0;  // alert text -> AlertArea (filled by the caller)
  double cover_ms = 0;  // AlertArea -> interior and boundary cells
  double plan_ms = 0;   // cells -> index ranges, refined where dense
  double scan_ms = 0;   // ranges -> per-shard lists (tests, scatter, merge)
  double emit_ms = 0;   // lists -> sink
  double total_ms = 0;
};

// What an alert did, for summary.json and for the caller's logs.
struct AlertSummary {
  uint64_t matched = 0;
  uint32_t shards = 0;
  std::vector<uint64_t> per_shard;
  StageTimings timings;

  // Scale of the work.
  uint64_t index_users = 0;
  uint64_t covering_interior_cells = 0;
  uint64_t covering_boundary_cells = 0;
  // The interior covering stopped at its budget (CoveringOptions::
  // interior_budget): the answer is the same, but more users were tested
  // exactly than a full interior covering would have needed.
  bool covering_interior_cut_short = false;
  uint64_t ranges = 0;             // index ranges scanned
  uint64_t interior_entries = 0;   // entries taken without a test
  uint64_t tested_entries = 0;     // entries given an exact point test
  int worker_threads = 0;
  // For an alert over a live index: the sequence number of the last update
  // its view includes (live_view.h). 0 for a static index.
  uint64_t view_seq = 0;
  // Sorted runs scanned: 1 for a static index; for a live one the base, its
  // delta runs and the run of updates gathered for this alert.
  uint32_t sorted_runs = 0;

  // How each list is ordered; for kNearest, the point distances were
  // measured from (degrees) and the time the ordering took (part of
  // scan_ms).
  DeliveryOrder order = DeliveryOrder::kIndex;
  double origin_lat_deg = 0, origin_lng_deg = 0;
  double order_ms = 0;
  // Freshness (AlertExecutor::Options::max_age_s): users in the area whose
  // updated_at is older than max_age_s before as_of_unix_s were left out
  // (stale_skipped); users without an updated_at were kept
  // (unknown_age_kept counts them among `matched`).
  bool max_age_applied = false;
  int64_t max_age_s = 0;
  int64_t as_of_unix_s = 0;
  uint64_t stale_skipped = 0;
  uint64_t unknown_age_kept = 0;
  // By language (AlertExecutor::Options::info_languages): per info block,
  // its language, the users given it, and those users by their own
  // language tag ("" for none), in dictionary order.
  struct InfoCount {
    std::string language;
    uint64_t users = 0;
    std::vector<std::pair<std::string, uint64_t>> by_user_language;
  };
  std::vector<InfoCount> by_info;
  // Engine::Alert only, when the request asked for them (AlertRequest):
  // the operator map (geo/alert_map.h) and the covering as GeoJSON.
  std::string map_svg;
  std::string covering_geojson;

  // Free-form facts about the input (source, edge model, ...), written to
  // summary.json under "alert" in insertion order.
  std::vector<std::pair<std::string, std::string>> alert_info;

  // Per alert area (CAP <area>, GeoJSON Feature) in input order: what
  // defined it and how many users it holds, written under "areas". An
  // area's users may also be in another area, so the counts can add up to
  // more than `matched`. Filled by the caller (tools/area_flags.h).
  struct AreaCount {
    std::string label;       // "info[0].area[1]"
    std::string desc;        // CAP areaDesc
    std::string defined_by;  // "2 polygons", "codes SAME 048201", ...
    uint64_t users = 0;
    bool counted = false;  // false: too many areas to count each (see area_flags.h)
  };
  std::vector<AreaCount> areas;
  // Each lenient repair applied to the input (DESIGN §4b), under "repairs".
  std::vector<std::string> repairs;
  // Pairs of the input's polygons that repeated the one before them (valid
  // CAP, dropped: DESIGN §4b), under "dropped_repeated_pairs".
  uint64_t dropped_repeated_pairs = 0;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_DELIVERY_H_
