// Copyright 2026 The fan-out engine authors.
//
// Planar (longitude, latitude) edges are honoured to within 1 m (DESIGN §3):
// points sampled along the planar line lie within 1 m of the densified
// ring, and points 2 m either side of a planar edge fall on the side the
// planar polygon says.

#include "geo/planar_edges.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "geo/earth.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s1chord_angle.h"
#include "s2/s2edge_distances.h"
#include "s2/s2latlng.h"
#include "s2/s2loop.h"

namespace fanout {
namespace {

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }

// Longitude step from a to b the short way (the convention of CAP rings).
double ShortDelta(double from, double to) {
  double d = to - from;
  if (d > 180) d -= 360;
  if (d < -180) d += 360;
  return d;
}

double Wrap(double lng) {
  while (lng > 180) lng -= 360;
  while (lng < -180) lng += 360;
  return lng;
}

// Metres from p to the closest edge of the closed chain `ring`.
double DistanceToRingMeters(const S2Point& p, const std::vector<S2Point>& ring) {
  S1ChordAngle best = S1ChordAngle::Infinity();
  for (size_t i = 0; i < ring.size(); ++i) {
    S2::UpdateMinDistance(p, ring[i], ring[(i + 1) % ring.size()], &best);
  }
  return best.ToAngle().radians() * kEarthRadiusMeters;
}

double DistanceToLoopMeters(const S2Point& p, const S2Loop& loop) {
  double best = 1e300;
  for (int i = 0; i < loop.num_vertices(); ++i) {
    best = std::min(best, S2::GetDistance(p, loop.vertex(i), loop.vertex(i + 1)).radians() *
                              kEarthRadiusMeters);
  }
  return best;
}

// A random triangle with long edges (up to 40 degrees), some crossing the
// antimeridian, some near the poles.
LatLngRing RandomTriangle(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  double size = 0.01 + 40 * u(rng) * u(rng);
  double clat = (u(rng) * 2 - 1) * (85 - size);
  double clng = u(rng) < 0.3 ? 180 : u(rng) * 360 - 180;
  LatLngRing ring;
  for (int k = 0; k < 3; ++k) {
    double theta = 2 * M_PI * (k + 0.6 * u(rng)) / 3;
    ring.push_back(Deg(std::clamp(clat + size * std::sin(theta), -89.0, 89.0),
                       Wrap(clng + size * std::cos(theta))));
  }
  ring.push_back(ring.front());
  return ring;
}

TEST(PlanarEdgesTest, PlanarLineStaysWithinOneMetreOfDensifiedRing) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 40; ++trial) {
    LatLngRing ring = RandomTriangle(rng);
    std::vector<S2Point> dense = DensifyPlanarRing(ring);
    ASSERT_GE(dense.size(), 3u);
    auto polygon = BuildPolygon({ring}, EdgeModel::kPlanar);
    ASSERT_TRUE(polygon.ok()) << polygon.status();
    ASSERT_EQ((*polygon)->num_loops(), 1);
    const S2Loop& loop = *(*polygon)->loop(0);
    for (int e = 0; e < 3; ++e) {
      const S2LatLng& a = ring[e];
      const S2LatLng& b = ring[e + 1];
      double dlat = b.lat().degrees() - a.lat().degrees();
      double dlng = ShortDelta(a.lng().degrees(), b.lng().degrees());
      for (int s = 0; s <= 200; ++s) {
        double t = s < 200 ? u(rng) : 0.5;
        S2Point p = S2LatLng::FromDegrees(a.lat().degrees() + t * dlat,
                                          a.lng().degrees() + t * dlng)
                        .Normalized()
                        .ToPoint();
        ASSERT_LE(DistanceToRingMeters(p, dense), 1.0)
            << "trial " << trial << " edge " << e << " t " << t;
        ASSERT_LE(DistanceToLoopMeters(p, loop), 1.0)
            << "trial " << trial << " edge " << e << " t " << t;
      }
    }
  }
}

// Even-odd crossing test in the (lng, lat) plane, longitudes unwrapped
// relative to the first vertex the short way (the planar truth).
bool PlanarContains(const LatLngRing& ring, double lat, double lng) {
  std::vector<std::pair<double, double>> xy;  // (x = lng, y = lat)
  double x = ring[0].lng().degrees();
  for (size_t i = 0; i + 1 < ring.size(); ++i) {
    xy.push_back({x, ring[i].lat().degrees()});
    x += ShortDelta(ring[i].lng().degrees(), ring[i + 1].lng().degrees());
  }
  double px = ring[0].lng().degrees() + ShortDelta(ring[0].lng().degrees(), lng);
  bool inside = false;
  for (size_t i = 0, j = xy.size() - 1; i < xy.size(); j = i++) {
    auto [xi, yi] = xy[i];
    auto [xj, yj] = xy[j];
    if ((yi > lat) != (yj > lat) && px < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

TEST(PlanarEdgesTest, PointsTwoMetresFromEdgeMidpointFollowPlanarTruth) {
  std::mt19937_64 rng(12);
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    LatLngRing ring = RandomTriangle(rng);
    auto polygon = BuildPolygon({ring}, EdgeModel::kPlanar);
    ASSERT_TRUE(polygon.ok()) << polygon.status();
    for (int e = 0; e < 3; ++e) {
      double lat0 = ring[e].lat().degrees(), lng0 = ring[e].lng().degrees();
      double dlat = ring[e + 1].lat().degrees() - lat0;
      double dlng = ShortDelta(lng0, ring[e + 1].lng().degrees());
      double mlat = lat0 + dlat / 2, mlng = lng0 + dlng / 2;
      // Unit normal in local metres (x east, y north), then back to degrees.
      double c = std::cos(mlat * M_PI / 180);
      double ex = dlng * c, ey = dlat;
      double len = std::hypot(ex, ey);
      if (len < 1e-9) continue;
      double nx = -ey / len, ny = ex / len;
      const double deg_per_m = 180 / (M_PI * kEarthRadiusMeters);
      for (double sign : {1.0, -1.0}) {
        double plat = mlat + sign * 2.0 * ny * deg_per_m;
        double plng = Wrap(mlng + sign * 2.0 * nx * deg_per_m / c);
        bool truth = PlanarContains(ring, plat, plng);
        S2Point p = Deg(plat, plng).ToPoint();
        EXPECT_EQ((*polygon)->Contains(p), truth)
            << "trial " << trial << " edge " << e << " point " << plat << "," << plng;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(PlanarEdgesTest, ShortWayAcrossAntimeridian) {
  // 170 -> -170 is 20 degrees east across 180, not 340 degrees west.
  S2LatLng mid = InterpolatePlanar(Deg(50, 170), Deg(50, -170), 0.5);
  EXPECT_NEAR(std::fabs(mid.lng().degrees()), 180, 1e-9);
  EXPECT_NEAR(mid.lat().degrees(), 50, 1e-9);
  S2LatLng quarter = InterpolatePlanar(Deg(50, 170), Deg(60, -170), 0.25);
  EXPECT_NEAR(quarter.lng().degrees(), 175, 1e-9);
  EXPECT_NEAR(quarter.lat().degrees(), 52.5, 1e-9);
  // -180 -> 180 is the whole parallel (a GeoJSON polar ring).
  S2LatLng half = InterpolatePlanar(Deg(80, -180), Deg(80, 180), 0.5);
  EXPECT_NEAR(half.lng().degrees(), 0, 1e-9);
}

TEST(PlanarEdgesTest, ParallelIsFollowedNotCut) {
  // A ring along the parallel 60 (four 90-degree edges): the densified ring
  // stays on the parallel, so the region is the cap north of 60.
  LatLngRing ring = {Deg(60, 0), Deg(60, 90), Deg(60, 180), Deg(60, -90), Deg(60, 0)};
  std::vector<S2Point> dense = DensifyPlanarRing(ring);
  EXPECT_GT(dense.size(), 100u);
  for (const S2Point& p : dense) EXPECT_NEAR(S2LatLng(p).lat().degrees(), 60, 1e-6);
  auto polygon = BuildPolygon({ring}, EdgeModel::kPlanar);
  ASSERT_TRUE(polygon.ok());
  EXPECT_TRUE((*polygon)->Contains(Deg(60.001, 45).ToPoint()));
  EXPECT_FALSE((*polygon)->Contains(Deg(59.999, 45).ToPoint()));
  EXPECT_TRUE((*polygon)->Contains(Deg(90, 0).ToPoint()));
}

TEST(PlanarEdgesTest, GeodesicRingDropsClosingAndRepeatedVertices) {
  std::vector<S2Point> ring =
      GeodesicRing({Deg(0, 0), Deg(0, 1), Deg(0, 1), Deg(1, 1), Deg(0, 0)});
  EXPECT_EQ(ring.size(), 3u);
}

// KNOWN DEFECT (reported, not fixed): planar_edges.h promises that
// "consecutive vertices that coincide on the sphere (for example every
// vertex at a pole) are merged", but S2LatLng(90, lng).ToPoint() differs
// with lng in the last bits (cos(pi/2) != 0), so nothing is merged: the
// planar ring below densifies to 64 points, and the same ring with geodesic
// edges is accepted by BuildPolygon as a polygon of area ~4e-33 instead of
// being refused as having fewer than 3 distinct vertices. Enable once fixed.
TEST(PlanarEdgesTest, VerticesAtAPoleMerge) {
  std::vector<S2Point> pole = DensifyPlanarRing({Deg(90, 0), Deg(90, 90), Deg(90, 0)});
  EXPECT_LT(pole.size(), 3u);
  EXPECT_LT(GeodesicRing({Deg(90, 0), Deg(90, 90), Deg(90, 180), Deg(90, 0)}).size(), 3u);
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    auto polygon = BuildPolygon({{Deg(90, 0), Deg(90, 90), Deg(90, 180), Deg(90, 0)}}, edges);
    EXPECT_FALSE(polygon.ok()) << EdgeModelName(edges);
    if (!polygon.ok()) {
      EXPECT_NE(polygon.status().message().find("fewer than 3"), absl::string_view::npos)
          << polygon.status();
    }
  }
}

}  // namespace
}  // namespace fanout
