// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_AREA_POINT_TESTER_H_
#define FANOUT_GEO_AREA_POINT_TESTER_H_

#include <vector>

#include "geo/alert_area.h"
#include "geo/index_cell_edges.h"
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
// the points in that cell, which arrive one after another.
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
    MutableS2ShapeIndex::Iterator iter;
    // The index cell located last, as a leaf id range, whether it holds any
    // part of the polygon, and that part.
    S2CellId range_min = S2CellId::None();
    S2CellId range_max = S2CellId::None();
    bool has_part = false;
    IndexCellEdges part;
  };
  bool PolygonContains(int polygon, S2CellId leaf, const S2Point& p);

  // The polygons that may hold points of level-10 cell `block`.
  void FindCandidates(S2CellId block);

  const AlertArea& area_;
  std::vector<PolygonCursor> cursors_;
  // Many polygons: per polygon, the least dot product between its bound's
  // centre and a point of a block it may reach, and the current block.
  // `candidates_`: the polygons a point is tested against (all of them when
  // they are few).
  std::vector<double> block_min_dot_;
  S2CellId block_ = S2CellId::None();
  std::vector<int> candidates_;
  // The same for caps (an alert of thousands of circles): per cap, the
  // least dot product between its centre and a point of a block it may
  // reach; the caps a point of the current block is tested against.
  std::vector<double> cap_block_min_dot_;
  std::vector<int> cap_candidates_;
};

}  // namespace fanout

#endif  // FANOUT_GEO_AREA_POINT_TESTER_H_
