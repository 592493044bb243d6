// Copyright 2026 The fan-out engine authors.

#include "geo/alert_area.h"

#include <utility>

#include "geo/part_lookup.h"

namespace fanout {

AlertArea::AlertArea(const AlertArea& other)
    : S2Region(),
      polygons_(other.polygons_),
      polygon_bounds_(other.polygon_bounds_),
      test_indexes_(other.test_indexes_),
      caps_(other.caps_),
      part_lookup_(other.part_lookup_) {}

void AlertArea::AddPolygon(std::unique_ptr<S2Polygon> polygon) {
  AddPolygon(std::shared_ptr<const S2Polygon>(std::move(polygon)));
}

void AlertArea::AddPolygon(std::shared_ptr<const S2Polygon> polygon) {
  if (polygon == nullptr || polygon->is_empty()) return;
  polygon_bounds_.push_back(PointBound(polygon->GetCapBound()));
  polygons_.push_back(std::move(polygon));
  test_indexes_.push_back(nullptr);
  part_lookup_.reset();
}

void AlertArea::AddCap(const S2Cap& cap) {
  if (cap.is_empty()) return;
  caps_.push_back(cap);
  part_lookup_.reset();
}

void AlertArea::AddArea(const AlertArea& other) {
  polygons_.insert(polygons_.end(), other.polygons_.begin(), other.polygons_.end());
  polygon_bounds_.insert(polygon_bounds_.end(), other.polygon_bounds_.begin(),
                         other.polygon_bounds_.end());
  test_indexes_.insert(test_indexes_.end(), other.test_indexes_.begin(),
                       other.test_indexes_.end());
  caps_.insert(caps_.end(), other.caps_.begin(), other.caps_.end());
  part_lookup_.reset();
}

void AlertArea::Finalize() {
  for (size_t i = 0; i < polygons_.size(); ++i) {
    const S2Polygon& p = *polygons_[i];
    p.index().ForceBuild();  // a no-op when built (a polygon shared with a finalized area)
    if (test_indexes_[i] != nullptr || p.num_vertices() > kTestIndexMaxVertices) continue;
    MutableS2ShapeIndex::Options options;
    options.set_max_edges_per_cell(kTestIndexMaxEdgesPerCell);
    auto index = std::make_shared<MutableS2ShapeIndex>(options);
    index->Add(std::make_unique<S2Polygon::Shape>(&p));
    index->ForceBuild();
    test_indexes_[i] = std::move(index);
  }
  if (part_lookup_ == nullptr && num_polygons() + num_caps() > kLookupMinParts) {
    std::vector<S2Cap> bounds;
    bounds.reserve(polygons_.size() + caps_.size());
    for (const auto& p : polygons_) bounds.push_back(p->GetCapBound());
    for (const S2Cap& c : caps_) bounds.push_back(c);
    part_lookup_ = std::make_shared<const PartLookup>(bounds);
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
