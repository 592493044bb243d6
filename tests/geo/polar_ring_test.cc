// Copyright 2026 The fan-out engine authors.
//
// Rings around a pole as CAP and GeoJSON draw them (along a parallel from
// -180 to 180, up or down the antimeridian, back along another parallel or
// through the pole): polar caps and bands, north and south, in both edge
// models, resolve to the region between the parallels, and their covering
// is small. Before, -180 and 180 made points 1e-17 apart, so such a ring
// kept a zero-area sliver along the antimeridian whose interior covering
// descended to level 30 (minutes, gigabytes).

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "geo/alert_resolver.h"
#include "geo/area_covering.h"
#include "geo/geojson_area.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "s2/s2loop.h"

namespace fanout {
namespace {

struct Band {
  double lo, hi;  // latitudes; +-90 for a polar cap
};

// The ring "lo,-180 lo,180 hi,180 hi,-180 lo,-180" as CAP text and the
// same positions as a GeoJSON Polygon; `reverse` runs it the other way.
std::string CapText(const Band& b, bool reverse) {
  return reverse ? absl::StrFormat("%g,180 %g,-180 %g,-180 %g,180 %g,180", b.hi, b.hi, b.lo, b.lo,
                                   b.hi)
                 : absl::StrFormat("%g,-180 %g,180 %g,180 %g,-180 %g,-180", b.lo, b.lo, b.hi, b.hi,
                                   b.lo);
}

std::string GeoJson(const Band& b, bool reverse) {
  return reverse ? absl::StrFormat(
                       R"({"type":"Polygon","coordinates":[[[180,%g],[-180,%g],[-180,%g],)"
                       R"([180,%g],[180,%g]]]})",
                       b.hi, b.hi, b.lo, b.lo, b.hi)
                 : absl::StrFormat(
                       R"({"type":"Polygon","coordinates":[[[-180,%g],[180,%g],[180,%g],)"
                       R"([-180,%g],[-180,%g]]]})",
                       b.lo, b.lo, b.hi, b.hi, b.lo);
}

std::vector<Band> Bands() {
  return {{80, 90}, {80, 89}, {88.5, 90}, {60.25, 89.75}, {-90, -80}, {-89, -80}, {-89.9, -45}};
}

// Every longitude (every 0.25 degree and +-180) at latitudes just inside
// and just outside each parallel, and between them.
void ExpectBand(const AlertArea& area, const Band& b, const std::string& what) {
  std::vector<double> lats;
  for (double edge : {b.lo, b.hi}) {
    if (std::abs(edge) == 90) continue;
    for (double d : {-0.1, -0.01, 0.01, 0.1}) lats.push_back(edge + d);
  }
  lats.push_back((b.lo + b.hi) / 2);
  lats.push_back(b.hi > 0 ? 89.999 : -89.999);
  lats.push_back(b.lo > 0 ? b.lo - 5 : b.hi + 5);
  int wrong = 0, inside = 0;
  for (double lat : lats) {
    for (double lng = -180; lng <= 180; lng += 0.25) {
      const bool want = lat > b.lo && lat < b.hi;
      const bool got = area.Contains(S2LatLng::FromDegrees(lat, lng).ToPoint());
      inside += got;
      if (got != want && ++wrong <= 5) {
        ADD_FAILURE() << what << ": (" << lat << ", " << lng << ") " << (got ? "in" : "out");
      }
    }
  }
  EXPECT_EQ(wrong, 0) << what;
  EXPECT_GT(inside, 1000) << what;
  // A cap or band has room for inside cells: the covering finds them
  // without coming near its budget.
  AreaCovering covering = CoverArea(area, {});
  EXPECT_GT(covering.interior.num_cells(), 0) << what;
  EXPECT_LT(covering.cells_classified, 10000) << what;
}

TEST(PolarRingTest, CapTextResolvesToTheBand) {
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    for (const Band& b : Bands()) {
      for (bool reverse : {false, true}) {
        const std::string text = CapText(b, reverse);
        AlertDocument alert;
        alert.infos.emplace_back();
        AlertDocumentArea area;
        area.label = "info[0].area[0]";
        area.polygons = {text};
        alert.infos[0].areas.push_back(area);
        ResolveOptions options;
        options.edges = edges;
        auto resolved = ResolveAlert(alert, options);
        const std::string what = absl::StrCat(EdgeModelName(edges), " \"", text, "\"");
        ASSERT_TRUE(resolved.ok()) << what << ": " << resolved.status();
        ExpectBand(*resolved->area, b, what);
      }
    }
  }
}

TEST(PolarRingTest, GeoJsonResolvesToTheBand) {
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    for (const Band& b : Bands()) {
      for (bool reverse : {false, true}) {
        const std::string text = GeoJson(b, reverse);
        GeoJsonOptions options;
        options.edges = edges;
        auto area = ParseGeoJsonArea(text, options);
        const std::string what = absl::StrCat(EdgeModelName(edges), " ", text);
        ASSERT_TRUE(area.ok()) << what << ": " << area.status();
        ExpectBand(**area, b, what);
      }
    }
  }
}

// The ring of the report, as the CAP path read it before: up the
// antimeridian at -180 and down it at 180, with -180 and 180 left distinct.
// A valid S2 loop of no area. Its interior covering must stop at the budget.
TEST(PolarRingTest, CoveringOfASliverIsBounded) {
  std::vector<S2Point> sliver = {
      S2LatLng::FromDegrees(80, -180).ToPoint(), S2LatLng::FromDegrees(85, -180).ToPoint(),
      S2Point(0, 0, 1), S2LatLng::FromDegrees(85, 180).ToPoint()};
  auto loop = std::make_unique<S2Loop>(sliver, S2Debug::DISABLE);
  S2Error error;
  ASSERT_FALSE(loop->FindValidationError(&error)) << error.text();
  loop->Normalize();
  AlertArea area;
  area.AddPolygon(std::make_unique<S2Polygon>(std::move(loop), S2Debug::DISABLE));
  area.Finalize();
  CoveringOptions options;
  options.interior_budget = 5000;
  AreaCovering covering = CoverArea(area, options);
  EXPECT_LE(covering.cells_classified, options.interior_budget + 20 * options.max_cells * 30);
  EXPECT_GT(covering.boundary.num_cells(), 0);
  // Every point the area holds is in one of the two unions.
  for (double lat = 80.5; lat < 90; lat += 0.5) {
    for (double lng : {-180.0, 180.0}) {
      S2Point p = S2LatLng::FromDegrees(lat, lng).ToPoint();
      if (area.Contains(p)) {
        EXPECT_TRUE(covering.interior.Contains(p) || covering.boundary.Contains(p)) << lat;
      }
    }
  }
  // BuildPolygon itself never makes such a region: the same ring is refused
  // as having no extent, in both edge models.
  LatLngRing ring = {S2LatLng::FromDegrees(80, -180), S2LatLng::FromDegrees(85, -180),
                     S2LatLng::FromDegrees(90, -180), S2LatLng::FromDegrees(85, 180),
                     S2LatLng::FromDegrees(80, -180)};
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    auto built = BuildPolygon({ring}, edges);
    ASSERT_FALSE(built.ok());
    EXPECT_TRUE(IsNoExtentError(built.status())) << built.status();
  }
}

}  // namespace
}  // namespace fanout
