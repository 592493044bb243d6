// Copyright 2026 The fan-out engine authors.

#include "geo/area_point_tester.h"

#include "geo/cell_center.h"

namespace fanout {

AreaPointTester::AreaPointTester(const AlertArea& area)
    : area_(area), cursors_(area.num_polygons()) {
  lookup_ = area.part_lookup();
  if (lookup_ == nullptr && area.num_polygons() + area.num_caps() > AlertArea::kLookupMinParts) {
    // An area that was not Finalize()d: the same lookup, for this tester.
    std::vector<S2Cap> bounds;
    for (int i = 0; i < area.num_polygons(); ++i) bounds.push_back(area.polygon(i).GetCapBound());
    for (int i = 0; i < area.num_caps(); ++i) bounds.push_back(area.cap(i));
    own_lookup_ = std::make_unique<PartLookup>(bounds);
    lookup_ = own_lookup_.get();
  }
  if (lookup_ == nullptr) {
    // Few parts: every one is a candidate for every point.
    for (int i = 0; i < area.num_polygons(); ++i) candidates_.push_back(i);
    for (int i = 0; i < area.num_caps(); ++i) cap_candidates_.push_back(i);
  }
}

bool AreaPointTester::PolygonContains(int polygon, S2CellId leaf, const S2Point& p) {
  PolygonCursor& c = cursors_[polygon];
  if (!(c.range_min <= leaf && leaf <= c.range_max)) {
    c.has_part = false;
    if (!c.initialized) {
      c.iter.Init(&area_.test_index(polygon), S2ShapeIndex::UNPOSITIONED);
      c.initialized = true;
    }
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
    c.part.Load(cell_id, *area_.test_index(polygon).shape(0), *clipped);
  }
  return c.has_part && c.part.Contains(p);
}

void AreaPointTester::FindCandidates(S2CellId block) {
  block_ = block;
  lookup_->Find(block, &found_);
  candidates_.clear();
  cap_candidates_.clear();
  const int num_polygons = area_.num_polygons();
  for (int part : found_) {
    if (part < num_polygons) {
      candidates_.push_back(part);
    } else {
      cap_candidates_.push_back(part - num_polygons);
    }
  }
}

bool AreaPointTester::Contains(S2CellId leaf) {
  const S2Point p = CellCenter(leaf);
  if (lookup_ != nullptr) {
    const S2CellId block = leaf.parent(PartLookup::kLevel);
    if (block != block_) FindCandidates(block);
  }
  for (int i : candidates_) {
    if (area_.polygon_bound(i).MayContain(p) && PolygonContains(i, leaf, p)) {
      return true;
    }
  }
  for (int i : cap_candidates_) {
    if (area_.cap(i).Contains(p)) return true;
  }
  return false;
}

}  // namespace fanout
