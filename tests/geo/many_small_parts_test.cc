// Copyright 2026 The fan-out engine authors.
//
// Areas of thousands of small polygons (a GeoJSON of tiny features): a
// polygon of few edges is one index cell as large as a face, so a cell
// outside it is still "in its index cell"; the classifier drops it from
// the trail all the same, the covering of such an area is still a covering
// (checked against AlertArea on random points), and a covering whose
// interior search ran out of budget says so.

#include <memory>
#include <random>
#include <vector>

#include "geo/alert_area.h"
#include "geo/area_covering.h"
#include "geo/cell_classifier.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

std::unique_ptr<AlertArea> Triangles(int n, double size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat(30, 32), lng(-100, -96);
  auto area = std::make_unique<AlertArea>();
  for (int i = 0; i < n; ++i) {
    const double a = lat(rng), b = lng(rng);
    auto polygon = BuildPolygon({{S2LatLng::FromDegrees(a, b), S2LatLng::FromDegrees(a + size, b),
                                  S2LatLng::FromDegrees(a, b + size), S2LatLng::FromDegrees(a, b)}},
                                EdgeModel::kPlanar);
    EXPECT_TRUE(polygon.ok()) << polygon.status();
    if (polygon.ok()) area->AddPolygon(*std::move(polygon));
  }
  area->Finalize();
  return area;
}

// A descent towards a point outside every triangle ends with an empty
// trail, though every triangle's index cell (a face) holds the cells.
TEST(ManySmallPartsTest, TrailsDropPolygonsACellIsOutside) {
  auto area = Triangles(2000, 0.005, 1);
  CellClassifier classifier(*area);
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> lat(30, 32), lng(-100, -96);
  int checked = 0;
  for (int i = 0; i < 100; ++i) {
    const S2Point p = S2LatLng::FromDegrees(lat(rng), lng(rng)).ToPoint();
    if (area->Contains(p)) continue;
    CellClassifier::Trail trail = classifier.Root();
    const S2CellId leaf(p);
    for (int level = 0; level <= 20; ++level) {
      const auto relation = classifier.Classify(S2Cell(leaf.parent(level)), &trail);
      ASSERT_NE(relation, CellClassifier::Relation::kInside);
      if (relation == CellClassifier::Relation::kOutside) break;
    }
    ++checked;
    // At level 20 (~10 m) a cell meets at most the triangle next to it.
    EXPECT_LE(trail.size(), 2u);
  }
  EXPECT_GT(checked, 50);
}

// The covering of thousands of small triangles: every point of the area is
// in a covering cell, and every point of an interior cell is in the area.
TEST(ManySmallPartsTest, CoveringOfManySmallPolygonsAgreesWithTheArea) {
  auto area = Triangles(2000, 0.05, 3);
  const AreaCovering covering = CoverArea(*area, CoveringOptions());
  std::mt19937_64 rng(4);
  std::normal_distribution<double> d(0, 0.02);
  int inside = 0;
  for (int i = 0; i < 20000; ++i) {
    const S2LatLng corner(area->polygon(i % 2000).GetCapBound().center());
    const S2Point p = S2LatLng::FromDegrees(corner.lat().degrees() + d(rng),
                                            corner.lng().degrees() + d(rng)).ToPoint();
    const S2CellId leaf(p);
    const bool want = area->Contains(leaf.ToPoint());
    inside += want;
    if (covering.interior.Contains(leaf)) {
      ASSERT_TRUE(want) << leaf.ToToken();
    }
    if (want) {
      ASSERT_TRUE(covering.interior.Contains(leaf) || covering.boundary.Contains(leaf));
    }
  }
  EXPECT_GT(inside, 1000);
  // The interior cells are few and small: their centres and corners.
  EXPECT_FALSE(covering.interior.empty());
  for (S2CellId id : covering.interior) {
    const S2Cell cell(id);
    EXPECT_TRUE(area->Contains(cell.GetCenter())) << id.ToToken();
    for (int k = 0; k < 4; ++k) EXPECT_TRUE(area->Contains(cell.GetVertex(k))) << id.ToToken();
  }
}

TEST(ManySmallPartsTest, ACoveringSaysWhenItsInteriorSearchWasCutShort) {
  auto square = BuildPolygon({{S2LatLng::FromDegrees(30, -95), S2LatLng::FromDegrees(30, -94),
                               S2LatLng::FromDegrees(31, -94), S2LatLng::FromDegrees(31, -95),
                               S2LatLng::FromDegrees(30, -95)}},
                             EdgeModel::kGeodesic);
  ASSERT_TRUE(square.ok());
  AlertArea area;
  area.AddPolygon(*std::move(square));
  area.Finalize();
  EXPECT_FALSE(CoverArea(area, CoveringOptions()).interior_cut_short);
  CoveringOptions none;
  none.interior_budget = 0;
  const AreaCovering cut = CoverArea(area, none);
  EXPECT_TRUE(cut.interior_cut_short);
  EXPECT_FALSE(cut.boundary.empty());

  // Thousands of triangles too small for any cell a short search reaches.
  auto many = Triangles(3000, 0.002, 5);
  CoveringOptions small;
  small.interior_budget = 1000;
  EXPECT_TRUE(CoverArea(*many, small).interior_cut_short);
}

}  // namespace
}  // namespace fanout
