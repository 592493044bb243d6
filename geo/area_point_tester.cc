// Copyright 2026 The fan-out engine authors.

#include "geo/area_point_tester.h"

namespace fanout {

AreaPointTester::AreaPointTester(const AlertArea& area) : area_(area) {
  cursors_.reserve(area.num_polygons());
  for (int i = 0; i < area.num_polygons(); ++i) {
    PolygonCursor cursor;
    cursor.query.Init(&area.test_index(i));
    cursors_.push_back(std::move(cursor));
  }
}

bool AreaPointTester::PolygonContains(PolygonCursor& c, S2CellId leaf, const S2Point& p) {
  if (!(c.range_min <= leaf && leaf <= c.range_max)) {
    auto* it = c.query.mutable_iter();
    if (!it->Locate(p)) {
      // In no index cell: outside every shape of this index.
      c.range_min = c.range_max = S2CellId::None();
      return false;
    }
    c.cell_id = it->id();
    c.range_min = c.cell_id.range_min();
    c.range_max = c.cell_id.range_max();
    // An S2Polygon's index holds exactly one shape, the polygon, with id 0.
    c.clipped = it->cell().find_clipped(0);
  }
  return c.clipped != nullptr && c.query.ShapeContains(c.cell_id, *c.clipped, p);
}

bool AreaPointTester::Contains(S2CellId leaf) {
  const S2Point p = leaf.ToPoint();
  for (size_t i = 0; i < cursors_.size(); ++i) {
    if (area_.polygon_bound(static_cast<int>(i)).MayContain(p) &&
        PolygonContains(cursors_[i], leaf, p)) {
      return true;
    }
  }
  for (int i = 0; i < area_.num_caps(); ++i) {
    if (area_.cap(i).Contains(p)) return true;
  }
  return false;
}

}  // namespace fanout
