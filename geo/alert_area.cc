// Copyright 2026 The fan-out engine authors.

#include "geo/alert_area.h"

#include <utility>

namespace fanout {

AlertArea::AlertArea(const AlertArea& other)
    : S2Region(), polygon_bounds_(other.polygon_bounds_), caps_(other.caps_) {
  for (const auto& p : other.polygons_) polygons_.emplace_back(p->Clone());
  if (!other.test_indexes_.empty()) Finalize();
}

void AlertArea::AddPolygon(std::unique_ptr<S2Polygon> polygon) {
  if (polygon == nullptr || polygon->is_empty()) return;
  polygon_bounds_.push_back(PointBound(polygon->GetCapBound()));
  polygons_.push_back(std::move(polygon));
}

void AlertArea::AddCap(const S2Cap& cap) {
  if (cap.is_empty()) return;
  caps_.push_back(cap);
}

void AlertArea::AddArea(const AlertArea& other) {
  for (const auto& p : other.polygons_) AddPolygon(std::unique_ptr<S2Polygon>(p->Clone()));
  for (const S2Cap& c : other.caps_) caps_.push_back(c);
}

void AlertArea::Finalize() {
  test_indexes_.clear();
  for (const auto& p : polygons_) {
    p->index().ForceBuild();
    if (p->num_vertices() > kTestIndexMaxVertices) {
      test_indexes_.push_back(nullptr);
      continue;
    }
    MutableS2ShapeIndex::Options options;
    options.set_max_edges_per_cell(kTestIndexMaxEdgesPerCell);
    auto index = std::make_unique<MutableS2ShapeIndex>(options);
    index->Add(std::make_unique<S2Polygon::Shape>(p.get()));
    index->ForceBuild();
    test_indexes_.push_back(std::move(index));
  }
}

bool AlertArea::is_empty() const { return polygons_.empty() && caps_.empty(); }

int AlertArea::num_vertices() const {
  int n = 0;
  for (const auto& p : polygons_) n += p->num_vertices();
  return n;
}

double AlertArea::ApproxArea() const {
  double area = 0;
  for (const auto& p : polygons_) area += p->GetArea();
  for (const S2Cap& c : caps_) area += c.GetArea();
  return area;
}

AlertArea* AlertArea::Clone() const { return new AlertArea(*this); }

S2Cap AlertArea::GetCapBound() const {
  S2Cap bound = S2Cap::Empty();
  for (const auto& p : polygons_) bound = bound.Union(p->GetCapBound());
  for (const S2Cap& c : caps_) bound = bound.Union(c);
  return bound;
}

S2LatLngRect AlertArea::GetRectBound() const {
  S2LatLngRect bound = S2LatLngRect::Empty();
  for (const auto& p : polygons_) bound = bound.Union(p->GetRectBound());
  for (const S2Cap& c : caps_) bound = bound.Union(c.GetRectBound());
  return bound;
}

bool AlertArea::Contains(const S2Cell& cell) const {
  // S2Polygon's cell tests check its own rectangle bound first.
  for (const auto& p : polygons_) {
    if (p->Contains(cell)) return true;
  }
  for (const S2Cap& c : caps_) {
    if (c.Contains(cell)) return true;
  }
  return false;
}

bool AlertArea::MayIntersect(const S2Cell& cell) const {
  for (const auto& p : polygons_) {
    if (p->MayIntersect(cell)) return true;
  }
  for (const S2Cap& c : caps_) {
    if (c.MayIntersect(cell)) return true;
  }
  return false;
}

bool AlertArea::Contains(const S2Point& point) const {
  for (size_t i = 0; i < polygons_.size(); ++i) {
    if (polygon_bounds_[i].MayContain(point) && polygons_[i]->Contains(point)) return true;
  }
  for (const S2Cap& c : caps_) {
    if (c.Contains(point)) return true;
  }
  return false;
}

}  // namespace fanout
