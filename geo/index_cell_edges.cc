// Copyright 2026 The fan-out engine authors.

#include "geo/index_cell_edges.h"

#include "geo/cell_center.h"
#include "s2/s2edge_crossings.h"
#include "s2/s2predicates.h"

namespace fanout {

void IndexCellEdges::Load(S2CellId cell_id, const S2Shape& shape, const S2ClippedShape& clipped) {
  center_ = CellCenter(cell_id);
  contains_center_ = clipped.contains_center();
  edges_.clear();
  for (int i = 0; i < clipped.num_edges(); ++i) {
    const S2Shape::Edge e = shape.edge(clipped.edge(i));
    edges_.push_back(Edge{e.v0, e.v1, e.v0.CrossProd(e.v1)});
  }
}

bool IndexCellEdges::Contains(const S2Point& p) const {
  bool inside = contains_center_;
  if (edges_.empty()) return inside;
  const S2Point& a = center_;
  const Vector3_d a_cross_p = a.CrossProd(p);
  for (const Edge& e : edges_) {
    // The segments cross at an interior point iff triangles (a, v0, p),
    // (p, v1, a), (v0, p, v1) and (v1, a, v0) all turn the same way.
    const int s0 = s2pred::TriageSign(a, p, e.v0, a_cross_p);
    const int s1 = s2pred::TriageSign(a, p, e.v1, a_cross_p);
    if (s0 == s1 && s1 != 0) continue;  // v0, v1 strictly on one side
    if (s0 != 0 && s1 != 0) {
      const int t0 = s2pred::TriageSign(e.v0, e.v1, a, e.v0_cross_v1);
      const int t1 = s2pred::TriageSign(e.v0, e.v1, p, e.v0_cross_v1);
      if (t0 != 0 && t1 != 0) {
        // All four signs certain: no vertex is shared, and the crossing is
        // proper iff -s0 == s1 == -t1 == t0 (the last equality rules out
        // the antipodal meeting of the two great circles).
        inside ^= (t0 == -t1 && t0 == s1);
        continue;
      }
    }
    int sign = S2::CrossingSign(a, p, e.v0, e.v1);
    if (sign < 0) continue;
    if (sign == 0) sign = S2::VertexCrossing(a, p, e.v0, e.v1);
    inside ^= (sign != 0);
  }
  return inside;
}

}  // namespace fanout
