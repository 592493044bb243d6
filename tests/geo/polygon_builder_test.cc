// Copyright 2026 The fan-out engine authors.

#include "geo/polygon_builder.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/alert_executor.h"
#include "engine/location_index.h"
#include "geo/earth.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }
S2Point P(double lat, double lng) { return Deg(lat, lng).ToPoint(); }

LatLngRing Reversed(LatLngRing ring) {
  std::reverse(ring.begin(), ring.end());
  return ring;
}

TEST(PolygonBuilderTest, OrientationDoesNotMatter) {
  const LatLngRing ring = {Deg(29, -96), Deg(29, -95), Deg(30.5, -95), Deg(30, -95.5),
                           Deg(30.5, -96), Deg(29, -96)};
  std::vector<UserRecord> users =
      testing::UsersInRect(1, 20000, S2LatLngRect(Deg(28, -97), Deg(31, -94)));
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok());
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    auto ccw = BuildPolygon({ring}, edges);
    auto cw = BuildPolygon({Reversed(ring)}, edges);
    ASSERT_TRUE(ccw.ok()) << ccw.status();
    ASSERT_TRUE(cw.ok()) << cw.status();
    // The smaller region: a few thousand km², not the rest of the Earth.
    EXPECT_LT((*ccw)->GetArea(), 1e-3);
    EXPECT_NEAR((*cw)->GetArea(), (*ccw)->GetArea(), 1e-12);
    EXPECT_TRUE((*cw)->Contains(P(29.5, -95.5)));
    EXPECT_FALSE((*cw)->Contains(P(-29.5, 84.5)));
    AlertArea a, b;
    a.AddPolygon(*std::move(ccw));
    b.AddPolygon(*std::move(cw));
    auto la = AlertExecutor(**index, {}).Execute(a, nullptr);
    auto lb = AlertExecutor(**index, {}).Execute(b, nullptr);
    ASSERT_TRUE(la.ok() && lb.ok());
    EXPECT_GT(la->total(), 1000u);
    EXPECT_EQ(testing::SortedShards(*la), testing::SortedShards(*lb));
  }
}

TEST(PolygonBuilderTest, HoleExcludesItsUsers) {
  const LatLngRing outer = {Deg(0, 0), Deg(0, 10), Deg(10, 10), Deg(10, 0), Deg(0, 0)};
  const LatLngRing hole = {Deg(4, 4), Deg(4, 6), Deg(6, 6), Deg(6, 4), Deg(4, 4)};
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    // Hole orientation does not matter either.
    for (const LatLngRing& h : {hole, Reversed(hole)}) {
      auto polygon = BuildPolygon({outer, h}, edges);
      ASSERT_TRUE(polygon.ok()) << polygon.status();
      EXPECT_TRUE((*polygon)->Contains(P(2, 2)));
      EXPECT_FALSE((*polygon)->Contains(P(5, 5)));
      EXPECT_TRUE((*polygon)->Contains(P(7, 5)));
      EXPECT_FALSE((*polygon)->Contains(P(20, 20)));
    }
    // Through the executor: users in the hole are not delivered.
    std::vector<UserRecord> users;
    users.push_back(UserRecord::FromDegrees(1, 5, 5));
    users.push_back(UserRecord::FromDegrees(2, 2, 2));
    users.push_back(UserRecord::FromDegrees(3, 5.5, 4.5));
    auto index = LocationIndex::Build(users, {});
    ASSERT_TRUE(index.ok());
    AlertArea area;
    area.AddPolygon(*BuildPolygon({outer, hole}, edges));
    area.Finalize();
    auto lists = AlertExecutor(**index, {}).Execute(area, nullptr);
    ASSERT_TRUE(lists.ok());
    EXPECT_EQ(lists->shards[0], UserIdList{2});
  }
}

TEST(PolygonBuilderTest, OddEvenRuleForNestedRings) {
  // Three nested squares: inside the innermost is inside again.
  auto square = [](double a, double b) {
    return LatLngRing{Deg(a, a), Deg(a, b), Deg(b, b), Deg(b, a), Deg(a, a)};
  };
  auto polygon = BuildPolygon({square(0, 10), square(2, 8), square(4, 6)}, EdgeModel::kPlanar);
  ASSERT_TRUE(polygon.ok());
  EXPECT_TRUE((*polygon)->Contains(P(1, 1)));
  EXPECT_FALSE((*polygon)->Contains(P(3, 3)));
  EXPECT_TRUE((*polygon)->Contains(P(5, 5)));
}

// A long east-west edge at latitude 45: the planar edge follows the
// parallel, the geodesic bulges towards the pole (to about 49.1 degrees at
// the middle for 60 degrees of longitude). A user just north of the planar
// edge's midpoint is outside with planar edges and inside with geodesic.
TEST(PolygonBuilderTest, PlanarAndGeodesicDifferForLongEastWestEdge) {
  const LatLngRing ring = {Deg(45, -30), Deg(45, 30), Deg(40, 30), Deg(40, -30), Deg(45, -30)};
  auto planar = BuildPolygon({ring}, EdgeModel::kPlanar);
  auto geodesic = BuildPolygon({ring}, EdgeModel::kGeodesic);
  ASSERT_TRUE(planar.ok() && geodesic.ok());
  // Geodesic midpoint latitude: tan(lat) = tan(45) / cos(30).
  double bulge = std::atan(1 / std::cos(M_PI / 6)) * 180 / M_PI;
  ASSERT_GT(bulge, 49);
  const S2Point north_of_mid = P(45.5, 0);
  EXPECT_FALSE((*planar)->Contains(north_of_mid));
  EXPECT_TRUE((*geodesic)->Contains(north_of_mid));
  // And just south of the planar edge: inside with both.
  EXPECT_TRUE((*planar)->Contains(P(44.99, 0)));
  // South of the bottom edge's geodesic bulge (~44.1) but north of 40: the
  // geodesic model misses it, the planar one keeps it.
  const S2Point south = P(40.5, 0);
  EXPECT_TRUE((*planar)->Contains(south));
  EXPECT_FALSE((*geodesic)->Contains(south));

  std::vector<UserRecord> users = {UserRecord::FromDegrees(1, 45.5, 0),
                                   UserRecord::FromDegrees(2, 40.5, 0),
                                   UserRecord::FromDegrees(3, 44.9, 0.5)};
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok());
  AlertArea pa, ga;
  pa.AddPolygon(*std::move(planar));
  ga.AddPolygon(*std::move(geodesic));
  auto lp = AlertExecutor(**index, {}).Execute(pa, nullptr);
  auto lg = AlertExecutor(**index, {}).Execute(ga, nullptr);
  ASSERT_TRUE(lp.ok() && lg.ok());
  EXPECT_EQ(testing::SortedShards(*lp)[0], (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(testing::SortedShards(*lg)[0], (std::vector<uint64_t>{1, 3}));
}

TEST(PolygonBuilderTest, RejectsBadRings) {
  // Too few distinct vertices.
  EXPECT_EQ(BuildPolygon({{Deg(1, 1), Deg(2, 2), Deg(1, 1)}}, EdgeModel::kPlanar).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Out of range.
  EXPECT_EQ(BuildPolygon({{Deg(1, 1), Deg(91, 2), Deg(2, 3), Deg(1, 1)}}, EdgeModel::kPlanar)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildPolygon({{Deg(1, 1), Deg(1, 181), Deg(2, 3), Deg(1, 1)}}, EdgeModel::kGeodesic)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // A bow tie crosses itself.
  auto bow = BuildPolygon({{Deg(0, 0), Deg(1, 1), Deg(1, 0), Deg(0, 1), Deg(0, 0)}},
                          EdgeModel::kPlanar);
  EXPECT_EQ(bow.status().code(), absl::StatusCode::kInvalidArgument);
  // The second ring is named.
  auto second = BuildPolygon({{Deg(0, 0), Deg(0, 1), Deg(1, 1), Deg(0, 0)},
                              {Deg(0, 0), Deg(1, 1), Deg(1, 0), Deg(0, 1), Deg(0, 0)}},
                             EdgeModel::kPlanar);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(second.status().message().find("ring 1"), absl::string_view::npos)
      << second.status();
  // No ring at all.
  EXPECT_FALSE(BuildPolygon({}, EdgeModel::kPlanar).ok());
}

TEST(PolygonBuilderTest, CirclesUseTheMeanEarthRadius) {
  const S2LatLng center = Deg(29.76, -95.37);
  S2Cap cap = MakeCircle(center, 50);
  for (double bearing : {0.0, 1.0, 2.0, 4.0}) {
    // Points at 49.9 km and 50.1 km along a great circle.
    for (auto [km, inside] : {std::pair{49.9, true}, std::pair{50.1, false}}) {
      S2Point c = center.ToPoint();
      S2Point dir = S2::Ortho(c);
      dir = (std::cos(bearing) * dir + std::sin(bearing) * c.CrossProd(dir)).Normalize();
      double a = km / kEarthRadiusKm;
      S2Point p = (std::cos(a) * c + std::sin(a) * dir).Normalize();
      EXPECT_EQ(cap.Contains(p), inside) << km << " km bearing " << bearing;
    }
  }
  EXPECT_TRUE(MakeCircle(center, 20016).is_full());
  EXPECT_FALSE(MakeCircle(center, 19000).is_full());
  S2Cap zero = MakeCircle(center, 0);
  EXPECT_TRUE(zero.Contains(center.ToPoint()));
  // Wider than a hemisphere: contains the antipode's neighbourhood minus a small cap.
  S2Cap wide = MakeCircle(Deg(0, 0), 15000);
  EXPECT_TRUE(wide.Contains(P(0, 120)));
  EXPECT_FALSE(wide.Contains(P(0, 180)));
}

TEST(PolygonBuilderTest, IsValidVertex) {
  EXPECT_TRUE(IsValidVertex(Deg(90, 180)));
  EXPECT_TRUE(IsValidVertex(Deg(-90, -180)));
  EXPECT_FALSE(IsValidVertex(Deg(90.0001, 0)));
  EXPECT_FALSE(IsValidVertex(Deg(0, -180.0001)));
  EXPECT_FALSE(IsValidVertex(Deg(NAN, 0)));
  EXPECT_FALSE(IsValidVertex(Deg(0, INFINITY)));
}

}  // namespace
}  // namespace fanout
