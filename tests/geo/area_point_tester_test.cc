// Copyright 2026 The fan-out engine authors.

#include "geo/area_point_tester.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "s2/s2loop.h"
#include "s2/s2polygon.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DataFeature;

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }

// Many small squares (some across the antimeridian, some near a pole), one
// large polygon and a cap: the tester filters these polygons per block.
std::unique_ptr<AlertArea> Archipelago(std::mt19937_64& rng) {
  auto area = std::make_unique<AlertArea>();
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 60; ++i) {
    double lat = -80 + 160 * u(rng), lng = -180 + 360 * u(rng), d = 0.05 + 2 * u(rng);
    if (i % 10 == 0) lng = 179.5;  // crosses the antimeridian
    if (i % 10 == 1) lat = 86;     // near the pole
    double east = lng + d > 180 ? lng + d - 360 : lng + d;
    auto p = BuildPolygon({{Deg(lat, lng), Deg(lat, east), Deg(lat + d, east), Deg(lat + d, lng),
                            Deg(lat, lng)}},
                          i % 2 ? EdgeModel::kPlanar : EdgeModel::kGeodesic);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) area->AddPolygon(*std::move(p));
  }
  auto big = BuildPolygon({{Deg(-10, -60), Deg(-10, 40), Deg(50, 40), Deg(50, -60), Deg(-10, -60)}},
                          EdgeModel::kGeodesic);
  EXPECT_TRUE(big.ok());
  if (big.ok()) area->AddPolygon(*std::move(big));
  area->AddCap(MakeCircle(Deg(-33.9, 151.2), 80));
  area->Finalize();
  return area;
}

// Leaves near the area's parts: around the vertices of its polygons (where
// answers flip) and anywhere in its bounding box.
std::vector<S2CellId> Leaves(const AlertArea& area, std::mt19937_64& rng, int n) {
  std::vector<S2CellId> leaves;
  std::normal_distribution<double> jitter(0, 2e-4);  // ~1 km
  std::uniform_real_distribution<double> u(0, 1);
  S2LatLngRect box = area.GetRectBound();
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0 && area.num_polygons() > 0) {
      const S2Polygon& p = area.polygon(static_cast<int>(rng() % area.num_polygons()));
      const S2Loop& loop = *p.loop(static_cast<int>(rng() % p.num_loops()));
      S2Point v = loop.vertex(static_cast<int>(rng() % loop.num_vertices()));
      leaves.push_back(S2CellId((v + S2Point(jitter(rng), jitter(rng), jitter(rng))).Normalize()));
    } else {
      double lat = box.lat().lo() + u(rng) * box.lat().GetLength();
      double lng = -M_PI + 2 * M_PI * u(rng);
      if (!box.lng().is_full() && !box.lng().is_inverted()) {
        lng = box.lng().lo() + u(rng) * box.lng().GetLength();
      }
      leaves.push_back(S2CellId(S2LatLng::FromRadians(lat, lng).Normalized()));
    }
  }
  return leaves;
}

void ExpectSameAsArea(const AlertArea& area, std::vector<S2CellId> leaves, const std::string& what) {
  // In cell order, as a scan delivers them (consecutive points share
  // blocks and index cells), then in random order (every point a new one).
  std::vector<S2CellId> sorted = leaves;
  std::sort(sorted.begin(), sorted.end());
  int inside = 0;
  for (const auto* order : {&sorted, &leaves}) {
    AreaPointTester tester(area);
    for (S2CellId leaf : *order) {
      bool want = area.Contains(leaf.ToPoint());
      ASSERT_EQ(tester.Contains(leaf), want) << what << " leaf " << leaf.ToToken();
      inside += want;
    }
  }
  EXPECT_GT(inside, static_cast<int>(leaves.size()) / 10) << what;
  EXPECT_LT(inside, static_cast<int>(2 * leaves.size() * 9 / 10)) << what;
}

TEST(AreaPointTesterTest, NationOfManyPolygonsMatchesTheArea) {
  std::mt19937_64 rng(21);
  auto nation = DataFeature("boundaries/us-nation.geojson", "US");
  ASSERT_GT(nation->num_polygons(), 100);
  ExpectSameAsArea(*nation, Leaves(*nation, rng, 40000), "nation");
}

TEST(AreaPointTesterTest, ArchipelagoMatchesTheArea) {
  std::mt19937_64 rng(22);
  for (int round = 0; round < 3; ++round) {
    auto area = Archipelago(rng);
    ExpectSameAsArea(*area, Leaves(*area, rng, 20000), "archipelago " + std::to_string(round));
  }
}

// Points that are polygon vertices: a segment centre -> point that ends on
// an edge's vertex is decided by S2's exact CrossingSign and VertexCrossing
// (not by the triage), so the tester must agree with the area there too.
// The vertices are leaf-cell centres, and the tested leaves are exactly
// those vertices and their neighbours; two jagged rings share a stretch of
// vertices, so some points are vertices of both.
TEST(AreaPointTesterTest, PointsOnVerticesMatchTheArea) {
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(0, 1);
  auto area = std::make_unique<AlertArea>();
  std::vector<S2CellId> vertex_leaves;
  for (int ring = 0; ring < 2; ++ring) {
    // A star-shaped ring of 400 vertices around (40, -100 + ring): enough
    // edges for its test index to hold many cells.
    const double lng0 = -100 + 0.9 * ring;
    std::vector<S2Point> vertices;
    for (int i = 0; i < 400; ++i) {
      double angle = 2 * M_PI * i / 400;
      double r = 0.3 + 0.2 * u(rng);
      S2CellId leaf(S2LatLng::FromDegrees(40 + r * std::sin(angle), lng0 + r * std::cos(angle)));
      vertices.push_back(leaf.ToPoint());
      vertex_leaves.push_back(leaf);
    }
    auto loop = std::make_unique<S2Loop>(vertices);
    ASSERT_TRUE(loop->IsValid());
    area->AddPolygon(std::make_unique<S2Polygon>(std::move(loop)));
  }
  area->Finalize();
  std::vector<S2CellId> leaves;
  for (S2CellId v : vertex_leaves) {
    leaves.push_back(v);
    leaves.push_back(v.next());
    leaves.push_back(v.prev());
    S2CellId neighbours[4];
    v.GetEdgeNeighbors(neighbours);
    for (S2CellId n : neighbours) leaves.push_back(n);
  }
  std::vector<S2CellId> random = Leaves(*area, rng, 20000);
  leaves.insert(leaves.end(), random.begin(), random.end());
  ExpectSameAsArea(*area, leaves, "rings with leaf-centre vertices");
}

}  // namespace
}  // namespace fanout
