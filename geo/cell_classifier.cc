// Copyright 2026 The fan-out engine authors.

#include "geo/cell_classifier.h"

#include <algorithm>
#include <cmath>

#include "geo/cell_center.h"
#include "s2/r2rect.h"
#include "s2/s2edge_clipping.h"

namespace fanout {

CellClassifier::CellClassifier(const AlertArea& area) : area_(area) {
  cursors_.reserve(area.num_polygons());
  for (int i = 0; i < area.num_polygons(); ++i) {
    const MutableS2ShapeIndex* index = &area.polygon(i).index();
    Cursor& cursor = cursors_.emplace_back();
    cursor.index = index;
    cursor.iter.Init(index, S2ShapeIndex::UNPOSITIONED);
    bounds_.emplace_back(area.polygon(i).GetCapBound());
  }
  for (int i = 0; i < area.num_caps(); ++i) bounds_.emplace_back(area.cap(i));
}

CellClassifier::Bound::Bound(const S2Cap& cap)
    : centre(cap.center()),
      radius(cap.is_empty() ? -1 : cap.GetRadius().radians()),
      cos_r(std::cos(radius)),
      sin_r(std::sin(radius)) {}

namespace {

// S2ShapeIndexRegion's padding: an edge may cross a cell when, clipped to
// the cell's face, it meets the cell's (u,v) rectangle padded by the
// clipping and intersection error bounds.
const double kMaxError = S2::kFaceClipErrorUVCoord + S2::kIntersectsRectErrorUVDist;

}  // namespace

namespace internal {

UvEdge::UvEdge(const R2Point& a, const R2Point& b, bool on_face)
    : a(a),
      b(b),
      on_face(on_face),
      u_lo(std::min(a.x(), b.x())),
      u_hi(std::max(a.x(), b.x())),
      v_lo(std::min(a.y(), b.y())),
      v_hi(std::max(a.y(), b.y())),
      normal((b - a).Ortho()) {}

}  // namespace internal

void CellClassifier::LoadPart(int i, S2CellId index_cell, const S2ClippedShape& clipped,
                              int face) {
  Cursor& cursor = cursors_[i];
  if (cursor.part_of == &clipped) return;
  cursor.part_of = &clipped;
  cursor.part.Load(index_cell, *cursor.index->shape(clipped.shape_id()), clipped);
  // The clipping depends on the edge and the face only; the face is the
  // index cell's, which holds every cell classified with this part.
  cursor.uv_edges.clear();
  for (const IndexCellEdges::Edge& edge : cursor.part.edges()) {
    R2Point a, b;
    const bool on_face = S2::ClipToPaddedFace(edge.v0, edge.v1, face, kMaxError, &a, &b);
    cursor.uv_edges.emplace_back(a, b, on_face);
  }
}

bool CellClassifier::AnyEdgeIntersects(const Cursor& cursor, const S2Cell& cell) const {
  const R2Rect bound = cell.GetBoundUV().Expanded(kMaxError);
  for (const UvEdge& uv : cursor.uv_edges) {
    if (uv.on_face && uv.MeetsRect(bound)) return true;
  }
  return false;
}

CellClassifier::Trail CellClassifier::Root() const {
  Trail trail(bounds_.size());
  for (size_t i = 0; i < trail.size(); ++i) trail[i].polygon = static_cast<int>(i);
  return trail;
}

CellClassifier::Relation CellClassifier::ClassifyPolygon(const S2Cell& cell, PolygonTrail* trail,
                                                         bool* gone) {
  using State = PolygonTrail::State;
  const int i = trail->polygon;
  Cursor& cursor = cursors_[i];
  if (trail->state == State::kUnknown) {
    MutableS2ShapeIndex::Iterator* it = &cursor.iter;
    switch (it->Locate(cell.id())) {
      case S2ShapeIndex::DISJOINT:
        *gone = true;
        return Relation::kOutside;
      case S2ShapeIndex::SUBDIVIDED:
        // Index cells are subdivided only near edges: on the boundary. The
        // children must locate themselves again.
        return Relation::kBoundary;
      case S2ShapeIndex::INDEXED:
        trail->state = State::kInIndexCell;
        trail->index_cell = it->id();
        // An S2Polygon's own index holds one shape, the polygon, id 0.
        trail->clipped = it->cell().find_clipped(0);
        break;
    }
  }
  if (trail->clipped == nullptr) {
    *gone = true;  // and so are the cell's descendants, in the same index cell
    return Relation::kOutside;
  }
  LoadPart(i, trail->index_cell, *trail->clipped, cell.face());
  if (AnyEdgeIntersects(cursor, cell)) return Relation::kBoundary;
  // No edge near the cell: the polygon holds all of it or none of it. When
  // none, it holds none of any descendant either, so it leaves the trail: a
  // polygon of few edges is one index cell as large as a face, which every
  // cell of the face lies in, so kept it would be tested by every cell of a
  // descent (an alert of 20,000 small polygons: every cell, every polygon).
  if (cursor.part.Contains(CellCenter(cell.id()))) return Relation::kInside;
  *gone = true;
  return Relation::kOutside;
}

bool CellClassifier::MayReach(const Bound& part, const S2Point& centre, double radius,
                              double cos_r, double sin_r) {
  if (part.radius < 0) return false;
  if (part.radius + radius >= M_PI) return true;
  // The caps meet iff the angle between the centres is at most the sum of
  // the radii, i.e. the centres' dot product is at least cos(sum); the
  // slack covers the rounding of both sides (it can only keep a part).
  return part.centre.DotProd(centre) >= part.cos_r * cos_r - part.sin_r * sin_r - 1e-12;
}

CellClassifier::Relation CellClassifier::Classify(const S2Cell& cell, Trail* trail) {
  bool may_intersect = false;
  const int num_polygons = area_.num_polygons();
  // Several parts (a list of counties, many circles): a cap around the
  // cell rejects most of them without a look at their indexes. A part so
  // rejected cannot reach the cell, so its own answer would be "outside";
  // dropping it leaves the classification unchanged.
  const bool bound_first = trail->size() > 1;
  // The cell's cap, computed when first needed (deep in a descent, every
  // polygon left in the trail is already in a known index cell).
  S2Point cap_centre;
  double cap_radius = -1, cap_cos = 1, cap_sin = 0;
  auto may_reach = [&](int polygon) {
    if (cap_radius < 0) {
      const S2Cap cell_cap = cell.GetCapBound();
      cap_centre = cell_cap.center();
      cap_radius = cell_cap.GetRadius().radians();
      cap_cos = std::cos(cap_radius);
      cap_sin = std::sin(cap_radius);
    }
    return MayReach(bounds_[polygon], cap_centre, cap_radius, cap_cos, cap_sin);
  };
  size_t kept = 0;
  Relation answer = Relation::kOutside;
  for (size_t k = 0; k < trail->size(); ++k) {
    PolygonTrail t = (*trail)[k];
    bool gone = false;
    Relation r = Relation::kOutside;
    if (bound_first && t.state == PolygonTrail::State::kUnknown &&
        !may_reach(t.polygon)) {
      gone = true;
    } else if (answer != Relation::kInside) {
      if (t.polygon < num_polygons) {
        r = ClassifyPolygon(cell, &t, &gone);
      } else {
        // A cap: S2Cap's own answers, as AlertArea gives them.
        const S2Cap& cap = area_.cap(t.polygon - num_polygons);
        if (cap.Contains(cell)) {
          r = Relation::kInside;
        } else if (!may_intersect && cap.MayIntersect(cell)) {
          r = Relation::kBoundary;
        }
      }
    }
    if (!gone) (*trail)[kept++] = t;
    if (r == Relation::kInside) answer = Relation::kInside;
    if (r == Relation::kBoundary) may_intersect = true;
  }
  trail->resize(kept);
  if (answer == Relation::kInside) return answer;
  return may_intersect ? Relation::kBoundary : Relation::kOutside;
}

}  // namespace fanout
