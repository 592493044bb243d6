// Copyright 2026 The fan-out engine authors.

#include "geo/area_point_tester.h"

#include <algorithm>
#include <cmath>

#include "s2/s2edge_crossings.h"
#include "s2/s2metrics.h"
#include "s2/s2predicates.h"

namespace fanout {
namespace {

// Areas of more polygons than this filter them per block; fewer are
// checked one by one (a dot product each).
constexpr int kFewPolygons = 4;
constexpr int kBlockLevel = 10;

}  // namespace

AreaPointTester::AreaPointTester(const AlertArea& area) : area_(area) {
  if (area.num_polygons() > kFewPolygons) {
    // A point of a block lies within the block's longest diagonal of the
    // block's centre; a polygon whose bound (centre c, radius r) holds the
    // point has c within r + diagonal of the centre (with 1% to spare).
    const double diagonal = 1.01 * S2::kMaxDiag.GetValue(kBlockLevel);
    for (int i = 0; i < area.num_polygons(); ++i) {
      const double reach = area.polygon_bound(i).radius + diagonal;
      block_min_dot_.push_back(reach >= M_PI ? -2.0 : std::cos(reach) - 1e-12);
    }
  } else {
    // Few polygons: every one is a candidate for every point.
    for (int i = 0; i < area.num_polygons(); ++i) candidates_.push_back(i);
  }
  cursors_.reserve(area.num_polygons());
  for (int i = 0; i < area.num_polygons(); ++i) {
    cursors_.emplace_back();
    cursors_.back().iter.Init(&area.test_index(i), S2ShapeIndex::UNPOSITIONED);
  }
}

bool AreaPointTester::PolygonContains(int polygon, S2CellId leaf, const S2Point& p) {
  PolygonCursor& c = cursors_[polygon];
  if (!(c.range_min <= leaf && leaf <= c.range_max)) {
    c.has_part = false;
    c.edges.clear();
    if (!c.iter.Locate(p)) {
      // In no index cell: outside every shape of this index.
      c.range_min = c.range_max = S2CellId::None();
      return false;
    }
    const S2CellId cell_id = c.iter.id();
    c.range_min = cell_id.range_min();
    c.range_max = cell_id.range_max();
    // An S2Polygon's index holds exactly one shape, the polygon, with id 0.
    const S2ClippedShape* clipped = c.iter.cell().find_clipped(0);
    if (clipped == nullptr) return false;
    c.has_part = true;
    c.contains_center = clipped->contains_center();
    c.center = cell_id.ToPoint();
    const S2Shape& shape = *area_.test_index(polygon).shape(0);
    for (int i = 0; i < clipped->num_edges(); ++i) {
      S2Shape::Edge e = shape.edge(clipped->edge(i));
      c.edges.push_back(CellEdge{e.v0, e.v1, e.v0.CrossProd(e.v1)});
    }
  }
  if (!c.has_part) return false;
  // S2ContainsPointQuery::ShapeContains, semi-open model: the parity of the
  // edges that the segment centre -> p crosses, a shared vertex counted by
  // S2::VertexCrossing.
  bool inside = c.contains_center;
  if (c.edges.empty()) return inside;
  const S2Point& a = c.center;
  const Vector3_d a_cross_p = a.CrossProd(p);
  for (const CellEdge& e : c.edges) {
    // The four orientations that S2EdgeCrosser decides a crossing by, each
    // first in floating point (TriageSign: 0 when too close to call). The
    // segments cross at an interior point iff triangles (a, v0, p),
    // (p, v1, a), (v0, p, v1) and (v1, a, v0) all turn the same way.
    const int s0 = s2pred::TriageSign(a, p, e.v0, a_cross_p);
    const int s1 = s2pred::TriageSign(a, p, e.v1, a_cross_p);
    if (s0 == s1 && s1 != 0) continue;  // v0, v1 strictly on one side
    if (s0 != 0 && s1 != 0) {
      const int t0 = s2pred::TriageSign(e.v0, e.v1, a, e.v0_cross_v1);
      const int t1 = s2pred::TriageSign(e.v0, e.v1, p, e.v0_cross_v1);
      if (t0 != 0 && t1 != 0) {
        // All four signs certain: no vertex is shared, and the crossing is
        // proper iff -s0 == s1 == -t1 == t0.
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

void AreaPointTester::FindCandidates(S2CellId block) {
  block_ = block;
  candidates_.clear();
  const S2Point centre = block.ToPoint();
  for (int i = 0; i < static_cast<int>(block_min_dot_.size()); ++i) {
    if (area_.polygon_bound(i).center.DotProd(centre) >= block_min_dot_[i]) {
      candidates_.push_back(i);
    }
  }
}

bool AreaPointTester::Contains(S2CellId leaf) {
  const S2Point p = leaf.ToPoint();
  if (!block_min_dot_.empty()) {
    const S2CellId block = leaf.parent(kBlockLevel);
    if (block != block_) FindCandidates(block);
  }
  for (int i : candidates_) {
    if (area_.polygon_bound(i).MayContain(p) && PolygonContains(i, leaf, p)) {
      return true;
    }
  }
  for (int i = 0; i < area_.num_caps(); ++i) {
    if (area_.cap(i).Contains(p)) return true;
  }
  return false;
}

}  // namespace fanout
