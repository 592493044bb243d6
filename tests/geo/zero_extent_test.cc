// Copyright 2026 The fan-out engine authors.
//
// DESIGN §3: an area of zero extent (a circle of radius 0, a polygon whose
// pairs lie on one line or are one point) is refused naming it, unless a
// margin is given: then it is every point within the margin of it. Before,
// such areas matched nobody and the alert succeeded.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "geo/alert_resolver.h"
#include "geo/area_margin.h"
#include "geo/earth.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

AlertDocument Alert(std::vector<std::string> polygons, std::vector<std::string> circles) {
  AlertDocument alert;
  alert.infos.emplace_back();
  AlertDocumentArea area;
  area.label = "info[0].area[0]";
  area.polygons = std::move(polygons);
  area.circles = std::move(circles);
  alert.infos[0].areas.push_back(std::move(area));
  return alert;
}

// The point `m` metres north of (lat, lng).
S2Point North(double lat, double lng, double m) {
  return S2LatLng::FromDegrees(lat + m / kEarthRadiusMeters * 180 / M_PI, lng).ToPoint();
}
S2Point East(double lat, double lng, double m) {
  const double deg = m / (kEarthRadiusMeters * std::cos(lat * M_PI / 180)) * 180 / M_PI;
  return S2LatLng::FromDegrees(lat, lng + deg).ToPoint();
}

void ExpectRefused(const AlertDocument& alert, const std::string& element, const std::string& what) {
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    ResolveOptions options;
    options.edges = edges;
    auto resolved = ResolveAlert(alert, options);
    ASSERT_FALSE(resolved.ok()) << what;
    EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(resolved.status().message());
    EXPECT_TRUE(absl::StrContains(message, element)) << message;
    EXPECT_TRUE(absl::StrContains(message, "no extent")) << message;
    EXPECT_TRUE(absl::StrContains(message, "give a margin")) << message;
    EXPECT_FALSE(absl::StrContains(message, "--")) << "names a CLI flag: " << message;
  }
}

TEST(ZeroExtentTest, RefusedWithoutAMargin) {
  ExpectRefused(Alert({}, {"30,-95 0"}), "info[0].area[0].circle[0]", "radius 0");
  ExpectRefused(Alert({}, {"30,-95 0.0"}), "info[0].area[0].circle[0]", "radius 0.0");
  // Planar edges along one parallel: a line (geodesic edges bow apart, so
  // there it is a thin triangle, an area).
  ResolveOptions planar;
  auto line = ResolveAlert(Alert({"30,-95 30,-94 30,-93 30,-95"}, {}), planar);
  ASSERT_FALSE(line.ok());
  EXPECT_TRUE(absl::StrContains(line.status().message(), "info[0].area[0].polygon[0]"));
  EXPECT_TRUE(absl::StrContains(line.status().message(), "no extent")) << line.status();
  ExpectRefused(Alert({"30,-95 31,-95 32,-95 30,-95"}, {}), "info[0].area[0].polygon[0]",
                "meridian");
  ExpectRefused(Alert({"30,-95 30,-95 30,-95 30,-95"}, {}), "info[0].area[0].polygon[0]",
                "point");
}

TEST(ZeroExtentTest, WithAMarginThePointsWithinIt) {
  ResolveOptions options;
  options.margin_m = 500;
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    options.edges = edges;
    // A circle of radius 0 and a polygon that is one point: a 500 m cap.
    for (const AlertDocument& alert :
         {Alert({}, {"30,-95 0"}), Alert({"30,-95 30,-95 30,-95 30,-95"}, {})}) {
      auto resolved = ResolveAlert(alert, options);
      ASSERT_TRUE(resolved.ok()) << resolved.status();
      const AlertArea& area = *resolved->area;
      EXPECT_TRUE(area.Contains(S2LatLng::FromDegrees(30, -95).ToPoint()));
      EXPECT_TRUE(area.Contains(North(30, -95, 495)));
      EXPECT_TRUE(area.Contains(East(30, -95, -495)));
      EXPECT_FALSE(area.Contains(North(30, -95, 505)));
      EXPECT_FALSE(area.Contains(East(30, -95, 505)));
    }
  }
  // A line along the meridian: 500 m either side of it and past its ends.
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    options.edges = edges;
    auto resolved = ResolveAlert(Alert({"30,-95 31,-95 32,-95 30,-95"}, {}), options);
    ASSERT_TRUE(resolved.ok()) << resolved.status();
    const AlertArea& area = *resolved->area;
    for (double lat : {30.0, 30.5, 31.0, 31.7, 32.0}) {
      EXPECT_TRUE(area.Contains(East(lat, -95, 495))) << lat;
      EXPECT_TRUE(area.Contains(East(lat, -95, -495))) << lat;
      EXPECT_FALSE(area.Contains(East(lat, -95, 505))) << lat;
      EXPECT_FALSE(area.Contains(East(lat, -95, -505))) << lat;
    }
    EXPECT_TRUE(area.Contains(North(32, -95, 495)));
    EXPECT_FALSE(area.Contains(North(32, -95, 505)));
    EXPECT_TRUE(area.Contains(North(30, -95, -495)));
    EXPECT_FALSE(area.Contains(North(30, -95, -505)));
  }
  // The planar line along a parallel.
  options.edges = EdgeModel::kPlanar;
  auto resolved = ResolveAlert(Alert({"30,-95 30,-94 30,-93 30,-95"}, {}), options);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  for (double lng : {-95.0, -94.2, -93.0}) {
    EXPECT_TRUE(resolved->area->Contains(North(30, lng, 495))) << lng;
    EXPECT_TRUE(resolved->area->Contains(North(30, lng, -495))) << lng;
    EXPECT_FALSE(resolved->area->Contains(North(30, lng, 505))) << lng;
  }
  EXPECT_TRUE(resolved->area->Contains(East(30, -93, 495)));
  EXPECT_FALSE(resolved->area->Contains(East(30, -93, 505)));
}

// A margin the user gave is quoted exactly, not rounded to 6 digits.
TEST(ZeroExtentTest, MarginsAreQuotedExactly) {
  ResolveOptions options;
  options.margin_m = 10000.001;
  absl::Status status = options.Validate();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "10000.001")) << status;
  AlertArea area;
  auto grown = ApplyMargin(area, 10000.001);
  ASSERT_FALSE(grown.ok());
  EXPECT_TRUE(absl::StrContains(grown.status().message(), "10000.001")) << grown.status();
  options.margin_m = 12.5;
  auto resolved = ResolveAlert(Alert({}, {"30,-95 1"}), options);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->areas[0].defined_by, "1 circle; margin 12.5 m");
}

}  // namespace
}  // namespace fanout
