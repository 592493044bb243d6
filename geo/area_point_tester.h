// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_AREA_POINT_TESTER_H_
#define FANOUT_GEO_AREA_POINT_TESTER_H_

#include <memory>
#include <vector>

#include "geo/alert_area.h"
#include "geo/index_cell_edges.h"
#include "geo/part_lookup.h"
#include "s2/mutable_s2shape_index.h"
#include "s2/s2cell_id.h"
#include "s2/s2point.h"

namespace fanout {

// Exact point-in-area tests for points that arrive in S2 cell id order, as
// the scan of a boundary range delivers them. Gives the same answer as
// AlertArea::Contains(id.ToPoint()) (the same S2 semi-open crossing test on
// the same edges) but remembers, per polygon, the shape-index cell that held
// the previous point: consecutive points usually fall in the same index
// cell, so the index lookup (a search of the polygon's cell map) is skipped
// and only that cell's few clipped edges are crossed.
//
// The cell's centre and edges are copied out once per index cell
// (IndexCellEdges), and each point is crossed against them there, with
// S2's exact predicates only where floating point cannot decide.
//
// An area of many polygons (the nation: 250, one per island) or caps would
// cost a bound check per part per point; the tester keeps instead the parts
// whose bounds reach the point's level-10 cell (~15 km), found once for all
// the points in that cell, which arrive one after another, through the
// area's PartLookup (part_lookup.h), so that the cost of entering a cell
// follows the parts near it, not all of them (an alert of 20,000 circles).
//
// Thread-safety: not thread-safe; use one tester per worker. The area must
// outlive the tester and be Finalize()d.
//
// Typical usage:
//   AreaPointTester tester(area);
//   for (uint64_t cell : boundary_range_cells) {
//     if (tester.Contains(S2CellId(cell))) take(user);
//   }
class AreaPointTester {
 public:
  explicit AreaPointTester(const AlertArea& area);

  // True when the centre of leaf cell `leaf` is in the area.
  bool Contains(S2CellId leaf);

 private:
  struct PolygonCursor {
    MutableS2ShapeIndex::Iterator iter;  // initialized on first use
    bool initialized = false;
    // The index cell located last, as a leaf id range, whether it holds any
    // part of the polygon, and that part.
    S2CellId range_min = S2CellId::None();
    S2CellId range_max = S2CellId::None();
    bool has_part = false;
    IndexCellEdges part;
  };
  bool PolygonContains(int polygon, S2CellId leaf, const S2Point& p);

  // The parts that may hold points of level-PartLookup::kLevel cell
  // `block`, into candidates_ and cap_candidates_.
  void FindCandidates(S2CellId block);

  const AlertArea& area_;
  std::vector<PolygonCursor> cursors_;
  // Many parts: the area's lookup, the current block and the parts found
  // for it. `candidates_` (polygons) and `cap_candidates_` (caps) are what a
  // point is tested against: every part when there is no lookup.
  const PartLookup* lookup_ = nullptr;
  std::unique_ptr<PartLookup> own_lookup_;  // when the area has none
  S2CellId block_ = S2CellId::None();
  std::vector<int> found_;
  std::vector<int> candidates_;
  std::vector<int> cap_candidates_;
};

}  // namespace fanout

#endif  // FANOUT_GEO_AREA_POINT_TESTER_H_
