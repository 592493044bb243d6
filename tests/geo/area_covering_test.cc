// Copyright 2026 The fan-out engine authors.

#include "geo/area_covering.h"

#include <random>

#include "geo/polygon_builder.h"
#include "s2/s2region_coverer.h"
#include "gtest/gtest.h"
#include "s2/s2cell.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }

std::vector<std::unique_ptr<AlertArea>> SampleAreas() {
  std::vector<std::unique_ptr<AlertArea>> areas;
  auto add_polygon = [&](std::vector<LatLngRing> rings, EdgeModel edges) {
    auto polygon = BuildPolygon(rings, edges);
    EXPECT_TRUE(polygon.ok()) << polygon.status();
    auto area = std::make_unique<AlertArea>();
    area->AddPolygon(*std::move(polygon));
    area->Finalize();
    areas.push_back(std::move(area));
  };
  add_polygon({{Deg(29, -96), Deg(29, -95), Deg(30, -95), Deg(30, -96), Deg(29, -96)}},
              EdgeModel::kPlanar);
  add_polygon({{Deg(0, 0), Deg(0, 10), Deg(10, 10), Deg(10, 0), Deg(0, 0)},
               {Deg(4, 4), Deg(4, 6), Deg(6, 6), Deg(6, 4), Deg(4, 4)}},
              EdgeModel::kGeodesic);
  add_polygon({{Deg(50, 170), Deg(50, -170), Deg(60, -170), Deg(60, 170), Deg(50, 170)}},
              EdgeModel::kPlanar);
  add_polygon({{Deg(80, 0), Deg(80, 90), Deg(80, 180), Deg(80, -90), Deg(80, 0)}},
              EdgeModel::kPlanar);
  for (double km : {0.1, 50.0, 12000.0}) {
    auto area = std::make_unique<AlertArea>();
    area->AddCap(MakeCircle(Deg(-33.9, 151.2), km));
    areas.push_back(std::move(area));
  }
  return areas;
}

TEST(AreaCoveringTest, InteriorIsInsideAndEveryAreaPointIsCovered) {
  std::mt19937_64 rng(5);
  for (const auto& area : SampleAreas()) {
    for (int max_cells : {8, 64, 1000}) {
      CoveringOptions options;
      options.max_cells = max_cells;
      ASSERT_TRUE(options.Validate().ok());
      AreaCovering covering = CoverArea(*area, options);
      EXPECT_TRUE(covering.interior.IsNormalized());
      EXPECT_TRUE(covering.boundary.IsNormalized());
      EXPECT_FALSE(covering.interior.Intersects(covering.boundary));
      for (S2CellId id : covering.interior) EXPECT_TRUE(area->Contains(S2Cell(id)));
      EXPECT_GT(covering.boundary.num_cells(), 0);
      // Random points of the area's bounding box: a point of the area is in
      // one of the two unions; a point of the interior is in the area.
      S2LatLngRect box = area->GetRectBound();
      std::vector<UserRecord> pts = testing::UsersInRect(max_cells, 3000, box);
      int inside = 0;
      for (const UserRecord& u : pts) {
        S2Point p = u.ToCellId().ToPoint();
        bool in_area = area->Contains(p);
        inside += in_area;
        if (in_area) {
          EXPECT_TRUE(covering.interior.Contains(p) || covering.boundary.Contains(p));
        }
        if (covering.interior.Contains(p)) {
          EXPECT_TRUE(in_area);
        }
      }
      EXPECT_GT(inside, 0);
    }
  }
}

// CoverArea asks its cell questions through a CellClassifier; the coverings
// must be exactly those S2RegionCoverer makes of the AlertArea itself.
TEST(AreaCoveringTest, SameCoveringsAsTheCovererOnTheAreaItself) {
  std::vector<std::unique_ptr<AlertArea>> areas = SampleAreas();
  areas.push_back(testing::DataFeature("boundaries/us-nation.geojson", "US"));
  areas.push_back(testing::DataFeature("boundaries/us-states.geojson", "48"));
  for (const auto& area : areas) {
    for (int max_cells : {8, 32, 200}) {
      CoveringOptions options;
      options.max_cells = max_cells;
      AreaCovering covering = CoverArea(*area, options);
      S2RegionCoverer::Options coverer_options;
      coverer_options.set_max_cells(max_cells);
      coverer_options.set_max_level(options.max_level);
      S2RegionCoverer coverer(coverer_options);
      S2CellUnion interior = coverer.GetInteriorCovering(*area);
      EXPECT_EQ(covering.interior, interior) << max_cells;
      EXPECT_EQ(covering.boundary, coverer.GetCovering(*area).Difference(interior)) << max_cells;
    }
  }
}

TEST(AreaCoveringTest, EmptyAndFullAreas) {
  AlertArea empty;
  AreaCovering covering = CoverArea(empty, {});
  EXPECT_TRUE(covering.interior.empty());
  EXPECT_TRUE(covering.boundary.empty());
  AlertArea full;
  full.AddCap(S2Cap::Full());
  covering = CoverArea(full, {});
  EXPECT_EQ(covering.interior.num_cells(), 6);  // the six faces
  EXPECT_TRUE(covering.boundary.empty());
}

TEST(AreaCoveringTest, ValidateOptions) {
  CoveringOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.max_cells = 7;
  EXPECT_FALSE(options.Validate().ok());
  options = {};
  options.max_level = -1;
  EXPECT_FALSE(options.Validate().ok());
  options.max_level = 31;
  EXPECT_FALSE(options.Validate().ok());
  options.max_level = 30;
  EXPECT_TRUE(options.Validate().ok());
}

}  // namespace
}  // namespace fanout
