// Copyright 2026 The fan-out engine authors.
//
// DESIGN §3 margin: the grown area contains every point within M metres of
// the area, and nothing farther than M + 1 m. Checked with random points,
// many of them placed at about M from the boundary, against distances from
// S2ClosestEdgeQuery.

#include "geo/area_margin.h"

#include <random>

#include "geo/earth.h"
#include "geo/lat_lng_text.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/mutable_s2shape_index.h"
#include "s2/s2closest_edge_query.h"
#include "s2/s2edge_distances.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

S2Point Offset(const S2Point& from, double bearing_rad, double meters) {
  S2LatLng ll(from);
  double d = meters / kEarthRadiusMeters;
  double lat1 = ll.lat().radians(), lng1 = ll.lng().radians();
  double lat2 = std::asin(std::sin(lat1) * std::cos(d) +
                          std::cos(lat1) * std::sin(d) * std::cos(bearing_rad));
  double lng2 = lng1 + std::atan2(std::sin(bearing_rad) * std::sin(d) * std::cos(lat1),
                                  std::cos(d) - std::sin(lat1) * std::sin(lat2));
  return S2LatLng::FromRadians(lat2, lng2).Normalized().ToPoint();
}

void CheckPolygonMargin(const char* text, double margin_m, int samples) {
  auto ring = ParsePolygonText(text);
  ASSERT_TRUE(ring.ok()) << ring.status();
  auto polygon = BuildPolygon({*ring}, EdgeModel::kPlanar);
  ASSERT_TRUE(polygon.ok()) << polygon.status();
  AlertArea area;
  MutableS2ShapeIndex index;
  index.Add(std::make_unique<S2Polygon::Shape>(polygon->get()));
  std::vector<S2Point> vertices;
  for (int i = 0; i < (*polygon)->loop(0)->num_vertices(); ++i)
    vertices.push_back((*polygon)->loop(0)->vertex(i));
  area.AddPolygon(std::make_unique<S2Polygon>());
  area.AddPolygon(std::move(*polygon));
  area.Finalize();
  auto grown = ApplyMargin(area, margin_m);
  ASSERT_TRUE(grown.ok()) << grown.status();

  S2ClosestEdgeQuery query(&index);
  query.mutable_options()->set_include_interiors(true);
  S2ClosestEdgeQuery boundary(&index);
  boundary.mutable_options()->set_include_interiors(false);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0, 1);
  int near_band = 0;
  for (int i = 0; i < samples; ++i) {
    // A random point near the area, moved straight away from its closest
    // boundary point to about M (+- 2 m).
    const S2Point& v = vertices[rng() % vertices.size()];
    S2Point seed = Offset(v, unit(rng) * 2 * M_PI, unit(rng) * 2 * margin_m + 1);
    S2ClosestEdgeQuery::PointTarget seed_target(seed);
    auto closest = boundary.FindClosestEdge(&seed_target);
    S2Point q = boundary.Project(seed, closest);
    double jitter = (unit(rng) - 0.5) * 4.0;
    S2Point dir = (seed - q).Normalize();
    S2Point p = (q + dir * std::tan((margin_m + jitter) / kEarthRadiusMeters)).Normalize();
    S2ClosestEdgeQuery::PointTarget target(p);
    double d = query.GetDistance(&target).ToAngle().radians() * kEarthRadiusMeters;
    bool inside = (*grown)->Contains(p);
    if (std::abs(d - margin_m) < 2) ++near_band;
    if (d <= margin_m) {
      ASSERT_TRUE(inside) << "point " << d << " m from the area is outside a " << margin_m
                          << " m margin";
    }
    if (inside) {
      ASSERT_LE(d, margin_m + 1.0)
          << "point " << d << " m away is inside a " << margin_m << " m margin";
    }
  }
  EXPECT_GT(near_band, samples / 50) << "too few samples tested the bounds closely";
}

constexpr char kHouston[] = "29.70,-95.60 29.95,-95.55 29.90,-95.20 29.65,-95.25 29.70,-95.60";
constexpr char kConcave[] = "30,-95 30.5,-95 30.1,-94.8 30.5,-94.6 30,-94.6 30,-95";

TEST(AreaMarginTest, PolygonMarginIsBetweenMAndMPlusOneMetre) {
  CheckPolygonMargin(kHouston, 161, 3000);
  CheckPolygonMargin(kConcave, 25, 3000);
  CheckPolygonMargin(kConcave, 10000, 3000);
}

TEST(AreaMarginTest, CapsGrowTheirRadius) {
  AlertArea area;
  S2LatLng c = S2LatLng::FromDegrees(29.76, -95.37);
  area.AddCap(MakeCircle(c, 5.0));
  area.Finalize();
  auto grown = ApplyMargin(area, 500);
  ASSERT_TRUE(grown.ok());
  for (double bearing : {0.0, 1.0, 2.5, 4.0}) {
    EXPECT_TRUE((*grown)->Contains(Offset(c.ToPoint(), bearing, 5499.0)));
    EXPECT_FALSE((*grown)->Contains(Offset(c.ToPoint(), bearing, 5501.0)));
  }
}

TEST(AreaMarginTest, OutOfRangeMarginsAreRefused) {
  AlertArea area;
  area.AddCap(MakeCircle(S2LatLng::FromDegrees(0, 0), 1));
  EXPECT_EQ(ApplyMargin(area, 10001).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyMargin(area, -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyMargin(area, NAN).status().code(), absl::StatusCode::kInvalidArgument);
  auto same = ApplyMargin(area, 0);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)->num_caps(), 1);
}

}  // namespace
}  // namespace fanout
