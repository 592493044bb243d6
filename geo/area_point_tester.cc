// Copyright 2026 The fan-out engine authors.

#include "geo/area_point_tester.h"

#include <algorithm>
#include <cmath>

#include "geo/cell_center.h"
#include "s2/s2metrics.h"

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
  if (area.num_caps() > kFewPolygons) {
    const double diagonal = 1.01 * S2::kMaxDiag.GetValue(kBlockLevel);
    for (int i = 0; i < area.num_caps(); ++i) {
      const S2Cap& cap = area.cap(i);
      const double reach = (cap.is_full() ? M_PI : cap.GetRadius().radians()) + diagonal;
      cap_block_min_dot_.push_back(reach >= M_PI ? -2.0 : std::cos(reach) - 1e-12);
    }
  } else {
    for (int i = 0; i < area.num_caps(); ++i) cap_candidates_.push_back(i);
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
  if (!block_min_dot_.empty()) candidates_.clear();
  const S2Point centre = CellCenter(block);
  for (int i = 0; i < static_cast<int>(block_min_dot_.size()); ++i) {
    if (area_.polygon_bound(i).center.DotProd(centre) >= block_min_dot_[i]) {
      candidates_.push_back(i);
    }
  }
  if (!cap_block_min_dot_.empty()) cap_candidates_.clear();
  for (int i = 0; i < static_cast<int>(cap_block_min_dot_.size()); ++i) {
    if (area_.cap(i).center().DotProd(centre) >= cap_block_min_dot_[i]) cap_candidates_.push_back(i);
  }
}

bool AreaPointTester::Contains(S2CellId leaf) {
  const S2Point p = CellCenter(leaf);
  if (!block_min_dot_.empty() || !cap_block_min_dot_.empty()) {
    const S2CellId block = leaf.parent(kBlockLevel);
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
