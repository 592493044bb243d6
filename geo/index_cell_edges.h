// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_INDEX_CELL_EDGES_H_
#define FANOUT_GEO_INDEX_CELL_EDGES_H_

#include <vector>

#include "s2/s2cell_id.h"
#include "s2/s2point.h"
#include "s2/s2shape.h"
#include "s2/s2shape_index.h"

namespace fanout {

// One polygon's part of one cell of its S2 shape index, copied out for
// many point tests in that cell: the cell's centre, whether the polygon
// holds it, and the polygon's edges the index clipped to the cell, each
// with its cross product.
//
// Contains(p) answers as S2ContainsPointQuery::ShapeContains does in the
// semi-open model (the parity of the edges that the segment centre -> p
// crosses, a shared vertex counted by S2::VertexCrossing), bit for bit, but
// without fetching each edge through the shape's virtual edge() and
// building an S2EdgeCrosser per point: each edge is decided by the four
// orientations S2EdgeCrosser uses, first in floating point
// (s2pred::TriageSign, which answers only when the sign is certain), and
// only an edge with an uncertain orientation (a shared vertex, a point on
// an edge) goes to S2's exact CrossingSign and VertexCrossing.
//
// Users: AreaPointTester (the points of boundary ranges) and CellClassifier
// (the centres of cells no edge reaches).
//
// Thread-safety: Load() is not; const methods are.
class IndexCellEdges {
 public:
  struct Edge {
    S2Point v0, v1;
    Vector3_d v0_cross_v1;  // exactly as S2EdgeCrosser computes it
  };

  // Copies out `clipped`, the part of `shape` (a polygon) in index cell
  // `cell_id`.
  void Load(S2CellId cell_id, const S2Shape& shape, const S2ClippedShape& clipped);

  // Whether the polygon contains `p`, a point of the index cell.
  bool Contains(const S2Point& p) const;

  const std::vector<Edge>& edges() const { return edges_; }

 private:
  S2Point center_;
  bool contains_center_ = false;
  std::vector<Edge> edges_;
};

}  // namespace fanout

#endif  // FANOUT_GEO_INDEX_CELL_EDGES_H_
