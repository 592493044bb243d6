// Copyright 2026 The fan-out engine authors.
//
// Areas of thousands of parts: the part lookup finds every part that may
// hold a point of a block (brute force over the caps says which do), the
// point tester built on it answers as AlertArea::Contains on areas of many
// polygons and circles, and the lookup keeps only the parts near a block.

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "geo/alert_area.h"
#include "geo/area_point_tester.h"
#include "geo/part_lookup.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

// A small triangle (0.05 degrees) with its corner at (lat, lng).
std::unique_ptr<S2Polygon> Triangle(double lat, double lng, double d = 0.05) {
  auto polygon = BuildPolygon({{S2LatLng::FromDegrees(lat, lng), S2LatLng::FromDegrees(lat + d, lng),
                                S2LatLng::FromDegrees(lat, lng + d), S2LatLng::FromDegrees(lat, lng)}},
                              EdgeModel::kPlanar);
  EXPECT_TRUE(polygon.ok()) << polygon.status();
  return polygon.ok() ? *std::move(polygon) : nullptr;
}

// `polygons` triangles and `circles` circles over the US, radii 1-10 km.
std::unique_ptr<AlertArea> ManyParts(int polygons, int circles, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat(25, 49), lng(-124, -67), km(1, 10);
  auto area = std::make_unique<AlertArea>();
  for (int i = 0; i < polygons; ++i) area->AddPolygon(Triangle(lat(rng), lng(rng)));
  for (int i = 0; i < circles; ++i) {
    area->AddCap(MakeCircle(S2LatLng::FromDegrees(lat(rng), lng(rng)), km(rng)));
  }
  return area;
}

// Leaves near the parts' centres, in cell order, as a scan delivers them.
std::vector<S2CellId> LeavesNear(const std::vector<S2Point>& centres, int per_centre,
                                 double spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0, spread);
  std::vector<S2CellId> leaves;
  for (const S2Point& c : centres) {
    for (int k = 0; k < per_centre; ++k) {
      leaves.push_back(S2CellId(S2Point(c.x() + d(rng), c.y() + d(rng), c.z() + d(rng)).Normalize()));
    }
  }
  std::sort(leaves.begin(), leaves.end());
  return leaves;
}

// Every cap that contains a point is among the parts found for the point's
// block: caps of every size, from a point to more than a hemisphere, and
// the full and empty caps.
TEST(PartLookupTest, FindsEveryCapHoldingAPointOfTheBlock) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1, 1), log_radius(-9, std::log(4.0));
  std::vector<S2Cap> caps;
  for (int i = 0; i < 3000; ++i) {
    const S2Point c = S2Point(u(rng), u(rng), u(rng)).Normalize();
    const double r = std::exp(log_radius(rng));
    caps.push_back(r >= M_PI ? S2Cap::Full() : S2Cap(c, S1Angle::Radians(r)));
  }
  caps.push_back(S2Cap::FromPoint(S2Point(0, 0, 1)));
  caps.push_back(S2Cap::Full());
  caps.push_back(S2Cap::Empty());
  const PartLookup lookup(caps);
  std::vector<S2Point> points;
  for (int i = 0; i < 3000; ++i) {
    // Near a cap's centre or its edge, and anywhere.
    const S2Cap& cap = caps[rng() % 3000];
    std::normal_distribution<double> d(0, cap.GetRadius().radians() + 1e-7);
    points.push_back(S2Point(cap.center().x() + d(rng), cap.center().y() + d(rng),
                             cap.center().z() + d(rng)).Normalize());
    points.push_back(S2Point(u(rng), u(rng), u(rng)).Normalize());
  }
  points.push_back(S2Point(0, 0, 1));
  std::vector<int> found;
  int held = 0;
  for (const S2Point& p : points) {
    lookup.Find(S2CellId(p).parent(PartLookup::kLevel), &found);
    ASSERT_TRUE(std::is_sorted(found.begin(), found.end()));
    ASSERT_TRUE(std::adjacent_find(found.begin(), found.end()) == found.end());
    for (int i = 0; i < static_cast<int>(caps.size()); ++i) {
      if (!caps[i].Contains(p)) continue;
      ++held;
      ASSERT_TRUE(std::binary_search(found.begin(), found.end(), i))
          << "cap " << i << " radius " << caps[i].GetRadius().radians();
    }
    EXPECT_FALSE(std::binary_search(found.begin(), found.end(), static_cast<int>(caps.size()) - 1))
        << "the empty cap";
  }
  EXPECT_GT(held, 10000);
}

// A block sees the parts near it, not all of them: among 20,000 circles of
// at most 10 km, a block (~10 km) is reached by a handful.
TEST(PartLookupTest, ABlockSeesOnlyTheNearbyParts) {
  auto area = ManyParts(0, 20000, 5);
  area->Finalize();
  ASSERT_NE(area->part_lookup(), nullptr);
  std::vector<int> found;
  size_t most = 0;
  for (int i = 0; i < 2000; ++i) {
    const S2CellId block = S2CellId(area->cap(i).center()).parent(PartLookup::kLevel);
    area->part_lookup()->Find(block, &found);
    EXPECT_TRUE(std::binary_search(found.begin(), found.end(), i));
    most = std::max(most, found.size());
  }
  EXPECT_LE(most, 40u);
}

// The tester on thousands of polygons and circles, points in cell order as a
// scan sees them: AlertArea::Contains's answers, whether the area was
// Finalize()d (its lookup) or not (the tester's own).
TEST(PartLookupTest, PointTesterAgreesOnManyPolygonsAndCircles) {
  for (bool finalize : {true, false}) {
    auto area = ManyParts(2000, 2000, 7);
    if (finalize) area->Finalize();
    EXPECT_EQ(area->part_lookup() != nullptr, finalize);
    std::vector<S2Point> centres;
    for (int i = 0; i < area->num_polygons(); i += 3) {
      centres.push_back(area->polygon(i).GetCapBound().center());
    }
    for (int i = 0; i < area->num_caps(); i += 3) centres.push_back(area->cap(i).center());
    const std::vector<S2CellId> leaves = LeavesNear(centres, 15, 0.0006, 9);
    AreaPointTester tester(*area);
    int inside = 0;
    for (S2CellId leaf : leaves) {
      const bool want = area->Contains(leaf.ToPoint());
      inside += want;
      ASSERT_EQ(tester.Contains(leaf), want) << leaf.ToToken() << " finalized " << finalize;
    }
    EXPECT_GT(inside, 1000);
    EXPECT_LT(inside, static_cast<int>(leaves.size()) - 1000);
  }
}

}  // namespace
}  // namespace fanout
