// Copyright 2026 The fan-out engine authors.
//
// Lenient mode reads a polygon of no extent as strict mode does (DESIGN §3):
// one point repeated, or a line out and back, is refused as having no
// extent, and with a margin it is the points within the margin of it.

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "geo/alert_resolver.h"
#include "geo/earth.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

AlertDocument Alert(const std::string& polygon) {
  AlertDocument alert;
  alert.infos.emplace_back();
  AlertDocumentArea area;
  area.label = "info[0].area[0]";
  area.polygons.push_back(polygon);
  alert.infos[0].areas.push_back(std::move(area));
  return alert;
}

S2Point North(double lat, double lng, double m) {
  return S2LatLng::FromDegrees(lat + m / kEarthRadiusMeters * 180 / M_PI, lng).ToPoint();
}

TEST(LenientZeroExtentTest, ARepeatedPointWithAMarginIsTheDiscAroundIt) {
  for (const std::string text : {"30,-95 30,-95 30,-95 30,-95", "30,-95 30,-95", "30,-95"}) {
    for (bool lenient : {false, true}) {
      ResolveOptions options;
      options.lenient = lenient;
      options.margin_m = 500;
      auto resolved = ResolveAlert(Alert(text), options);
      if (!lenient && text != "30,-95 30,-95 30,-95 30,-95") {
        EXPECT_FALSE(resolved.ok()) << "strict CAP needs 4 pairs: " << text;
        continue;
      }
      ASSERT_TRUE(resolved.ok()) << text << " lenient " << lenient << ": " << resolved.status();
      EXPECT_TRUE(resolved->area->Contains(S2LatLng::FromDegrees(30, -95).ToPoint()));
      EXPECT_TRUE(resolved->area->Contains(North(30, -95, 495))) << text;
      EXPECT_FALSE(resolved->area->Contains(North(30, -95, 505))) << text;
    }
  }
}

TEST(LenientZeroExtentTest, WithoutAMarginItIsRefusedAsHavingNoExtent) {
  for (const std::string text : {"30,-95 30,-95 30,-95 30,-95", "30,-95 31,-95 30,-95"}) {
    ResolveOptions options;
    options.lenient = true;
    auto resolved = ResolveAlert(Alert(text), options);
    ASSERT_FALSE(resolved.ok()) << text;
    EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(resolved.status().message(), "info[0].area[0].polygon[0]"))
        << resolved.status();
    EXPECT_TRUE(absl::StrContains(resolved.status().message(), "no extent")) << resolved.status();
  }
}

TEST(LenientZeroExtentTest, ALineOutAndBackWithAMarginIsTheBandAroundIt) {
  ResolveOptions options;
  options.lenient = true;
  options.margin_m = 500;
  // Out along a meridian and back, the repeated pair removed.
  auto resolved = ResolveAlert(Alert("30,-95 31,-95 31,-95 30,-95"), options);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->area->Contains(S2LatLng::FromDegrees(30.5, -95).ToPoint()));
  EXPECT_TRUE(resolved->area->Contains(North(31, -95, 495)));
  EXPECT_FALSE(resolved->area->Contains(North(31, -95, 505)));
}

}  // namespace
}  // namespace fanout
