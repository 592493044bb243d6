// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_AREA_COVERING_H_
#define FANOUT_GEO_AREA_COVERING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "geo/alert_area.h"
#include "s2/s2cell_union.h"

namespace fanout {

struct CoveringOptions {
  // Cells in the exterior covering. More cells hug the boundary tighter, but
  // the coverer's cost grows faster than linearly (bench_covering) while the
  // engine's own refinement
  // of dense boundary cells (AlertExecutor::Options::refine_min_entries)
  // tightens the plan only where users are. DEFAULT: 32. REQUIRES: >= 8.
  int max_cells = 32;
  // Finest level used by the coverer. The engine refines boundary cells
  // further where the index is dense, so this need not be fine.
  // DEFAULT: 30 (leaf). REQUIRES: 0..30.
  int max_level = 30;
  // Cells the interior covering may classify beyond those the exterior
  // covering classified; after that it stops where it is (area_covering.cc).
  // Its cells are an optimisation only, so stopping early costs exact point
  // tests, never a user; without a limit, an area with no room for an inside
  // cell along a long edge (a sliver) is searched down to level 30. Large
  // enough that no real area reaches it (the nation-wide alert at 1,000
  // cells classifies far fewer). DEFAULT: 100000. REQUIRES: >= 0.
  int64_t interior_budget = 100000;

  absl::Status Validate() const;
};

// The two cell sets an alert scan needs. Both are normalized S2CellUnions,
// disjoint from each other:
//  - interior: every point of these cells is in the area (no test needed);
//  - boundary: cells that may hold points of the area; points in them are
//    tested exactly.
// Any point of the area lies in one of them.
struct AreaCovering {
  S2CellUnion interior;
  S2CellUnion boundary;
  // Cells whose relation to the area was computed, both coverings together
  // (each cell once): the covering's work.
  int64_t cells_classified = 0;
  // True when the interior search used up CoveringOptions::interior_budget
  // and stopped where it was: `interior` is then smaller than it could be
  // (more points are tested exactly; never a user lost), which a caller
  // may report.
  bool interior_cut_short = false;
};

// Computes the covering of `area` with S2RegionCoverer.
AreaCovering CoverArea(const AlertArea& area, const CoveringOptions& options);

}  // namespace fanout

#endif  // FANOUT_GEO_AREA_COVERING_H_
