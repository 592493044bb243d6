// Copyright 2026 The fan-out engine authors.
//
// BuildPolygon validates a ring on the polygon's own index (the one the
// area keeps and queries), not on an index of the loop built for the check
// and kept beside it: the same refusals, one index fewer per polygon.

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

LatLngRing Ring(const std::vector<std::pair<double, double>>& pairs) {
  LatLngRing ring;
  for (const auto& [lat, lng] : pairs) ring.push_back(S2LatLng::FromDegrees(lat, lng));
  return ring;
}

// A loop's memory is its vertices and, once built, its index; a polygon's
// is its loops' and its own index's.
TEST(PolygonValidationTest, OnlyThePolygonsOwnIndexIsBuilt) {
  LatLngRing ring;
  for (int i = 0; i < 2000; ++i) {
    const double a = 2 * M_PI * i / 2000;
    ring.push_back(S2LatLng::FromDegrees(30 + std::sin(a), -95 + std::cos(a)));
  }
  ring.push_back(ring.front());
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    auto polygon = BuildPolygon({ring}, edges);
    ASSERT_TRUE(polygon.ok()) << polygon.status();
    const S2Loop& loop = *(*polygon)->loop(0);
    const size_t vertex_bytes = loop.num_vertices() * sizeof(S2Point);
    EXPECT_TRUE((*polygon)->index().is_fresh());
    EXPECT_LT(loop.SpaceUsed(), vertex_bytes + 4096) << "a loop index was built";
    EXPECT_GT((*polygon)->SpaceUsed(), loop.SpaceUsed() + vertex_bytes / 4) << "no polygon index";
    EXPECT_TRUE((*polygon)->Contains(S2LatLng::FromDegrees(30.5, -94.5).ToPoint()));
  }
}

TEST(PolygonValidationTest, CrossingsAndRepeatedVerticesAreStillRefused) {
  struct Case {
    LatLngRing ring;
    const char* says;
  };
  const std::vector<Case> cases = {
      // A bow tie (planar: the crossing may meet a vertex of the
      // subdivided edges, a duplicate vertex; geodesic: edges cross).
      {Ring({{30, -95}, {31, -94}, {31, -95}, {30, -94}, {30, -95}}), "Edge "},
      // A figure eight touching itself at one vertex.
      {Ring({{30, -95}, {30, -94}, {30.5, -94.5}, {31, -94}, {31, -95}, {30.5, -94.5}, {30, -95}}),
       "duplicate vertex"},
  };
  for (const Case& c : cases) {
    for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
      auto polygon = BuildPolygon({c.ring}, edges);
      ASSERT_FALSE(polygon.ok()) << c.says;
      const std::string message(polygon.status().message());
      EXPECT_TRUE(absl::StrContains(message, "ring 0 is not a simple ring")) << message;
      EXPECT_TRUE(absl::StrContains(message, c.says)) << message;
      EXPECT_FALSE(absl::StrContains(message, "Loop 0")) << message;
      EXPECT_FALSE(IsNoExtentError(polygon.status())) << message;
    }
  }
}

}  // namespace
}  // namespace fanout
