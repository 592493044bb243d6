// Copyright 2026 The fan-out engine authors.

#include "geo/geojson_area.h"

#include <string>

#include "base/data_dir.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

S2Point P(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng).ToPoint(); }

absl::StatusOr<std::unique_ptr<AlertArea>> Parse(const std::string& text,
                                                  EdgeModel edges = EdgeModel::kPlanar,
                                                  std::string feature = "") {
  GeoJsonOptions options;
  options.edges = edges;
  options.feature_id = std::move(feature);
  return ParseGeoJsonArea(text, options);
}

constexpr char kSquareWithHole[] =
    R"({"type":"Polygon","coordinates":[
        [[0,0],[10,0],[10,10],[0,10],[0,0]],
        [[4,4],[4,6],[6,6],[6,4],[4,4]]]})";

TEST(GeoJsonAreaTest, PolygonWithHole) {
  auto area = Parse(kSquareWithHole);
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ((*area)->num_polygons(), 1);
  EXPECT_TRUE((*area)->Contains(P(2, 2)));     // [lon, lat] order: lat 2, lng 2
  EXPECT_FALSE((*area)->Contains(P(5, 5)));    // in the hole
  EXPECT_FALSE((*area)->Contains(P(-1, 5)));
}

TEST(GeoJsonAreaTest, PositionsAreLonLat) {
  auto area = Parse(R"({"type":"Polygon","coordinates":[[[-96,29],[-95,29],[-95,30],[-96,30],[-96,29]]]})");
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_TRUE((*area)->Contains(P(29.5, -95.5)));
  EXPECT_FALSE((*area)->Contains(P(-95.5, 29.5)));
}

TEST(GeoJsonAreaTest, MultiPolygonFeatureCollectionAndGeometryCollection) {
  const std::string multi = R"({"type":"MultiPolygon","coordinates":[
      [[[0,0],[1,0],[1,1],[0,1],[0,0]]],
      [[[20,20],[21,20],[21,21],[20,21],[20,20]]]]})";
  auto area = Parse(multi);
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ((*area)->num_polygons(), 2);
  EXPECT_TRUE((*area)->Contains(P(0.5, 0.5)));
  EXPECT_TRUE((*area)->Contains(P(20.5, 20.5)));
  EXPECT_FALSE((*area)->Contains(P(10, 10)));

  const std::string fc = R"({"type":"FeatureCollection","features":[
      {"type":"Feature","id":"a","properties":{},"geometry":)" + multi + R"(},
      {"type":"Feature","id":7,"properties":{},"geometry":{"type":"GeometryCollection",
        "geometries":[{"type":"Polygon","coordinates":[[[40,40],[41,40],[41,41],[40,41],[40,40]]]}]}},
      {"type":"Feature","id":"null","properties":{},"geometry":null}]})";
  area = Parse(fc);
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ((*area)->num_polygons(), 3);
  area = Parse(fc, EdgeModel::kPlanar, "7");
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ((*area)->num_polygons(), 1);
  EXPECT_TRUE((*area)->Contains(P(40.5, 40.5)));
  EXPECT_FALSE((*area)->Contains(P(0.5, 0.5)));
  area = Parse(fc, EdgeModel::kPlanar, "nope");
  EXPECT_EQ(area.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(area.status().message().find("nope"), absl::string_view::npos);
}

TEST(GeoJsonAreaTest, PolarRectangleIsTheCap) {
  auto north = Parse(R"({"type":"Polygon","coordinates":[[[-180,80],[180,80],[180,90],[-180,90],[-180,80]]]})");
  ASSERT_TRUE(north.ok()) << north.status();
  EXPECT_TRUE((*north)->Contains(P(85, 0)));
  EXPECT_TRUE((*north)->Contains(P(80.01, 123)));
  EXPECT_TRUE((*north)->Contains(P(89.999, -170)));
  EXPECT_FALSE((*north)->Contains(P(79.99, 45)));
  EXPECT_FALSE((*north)->Contains(P(-85, 0)));
  auto south = Parse(R"({"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,-70],[-180,-70],[-180,-90]]]})");
  ASSERT_TRUE(south.ok()) << south.status();
  EXPECT_TRUE((*south)->Contains(P(-75, 60)));
  EXPECT_TRUE((*south)->Contains(P(-89.999, 10)));
  EXPECT_FALSE((*south)->Contains(P(-69.99, 60)));
  EXPECT_FALSE((*south)->Contains(P(75, 60)));
}

TEST(GeoJsonAreaTest, ErrorsNameThePath) {
  auto expect_error = [](const std::string& text, absl::string_view needle) {
    auto area = Parse(text);
    ASSERT_EQ(area.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(area.status().message().find(needle), absl::string_view::npos)
        << text << " -> " << area.status();
  };
  expect_error("{", "not valid JSON");
  expect_error("[]", "expected a GeoJSON object");
  expect_error(R"({"type":"Point","coordinates":[1,2]})", "Point");
  expect_error(R"({"type":"LineString","coordinates":[[1,2],[3,4]]})", "LineString");
  expect_error(R"({"type":"Blob"})", "Blob");
  expect_error(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0.5]]]})",
               "coordinates[0]");
  expect_error(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],"x",[0,0]]]})",
               "coordinates[0][3]");
  expect_error(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]})",
               "coordinates[0][2]");
  expect_error(R"({"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}}]})",
               "features[0].geometry.coordinates");
  expect_error(R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]})",
               "coordinates");
}

TEST(GeoJsonAreaTest, HarrisCountyFromDataFile) {
  auto path = FindDataFile("boundaries/us-counties.geojson");
  ASSERT_TRUE(path.ok()) << path.status();
  std::string text = testing::ReadFileOrEmpty(*path);
  ASSERT_FALSE(text.empty());
  auto area = Parse(text, EdgeModel::kPlanar, "48201");
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_TRUE((*area)->Contains(P(29.76, -95.37)));   // downtown Houston
  EXPECT_FALSE((*area)->Contains(P(30.27, -97.74)));  // Austin
  EXPECT_FALSE((*area)->Contains(P(29.42, -98.49)));  // San Antonio
}

}  // namespace
}  // namespace fanout

namespace fanout {
namespace {

// A bow tie: the ring crosses itself at (29.75, -95.4).
constexpr char kBowTie[] =
    R"({"type":"Polygon","coordinates":[[[-95.6,29.6],[-95.2,29.9],[-95.2,29.6],)"
    R"([-95.6,29.9],[-95.6,29.6]]]})";

TEST(GeoJsonAreaLenientTest, StrictRefusesASelfCrossingRing) {
  auto area = ParseGeoJsonArea(kBowTie, GeoJsonOptions());
  ASSERT_FALSE(area.ok());
  EXPECT_NE(area.status().message().find("coordinates"), absl::string_view::npos)
      << area.status();
}

TEST(GeoJsonAreaLenientTest, RepairRingsResolvesItOddEvenAndSaysWhere) {
  std::vector<std::string> repairs;
  GeoJsonOptions options;
  options.lenient = true;
  options.repairs = &repairs;
  auto area = ParseGeoJsonArea(kBowTie, options);
  ASSERT_TRUE(area.ok()) << area.status();
  ASSERT_EQ(repairs.size(), 1u);
  EXPECT_NE(repairs[0].find("coordinates: ring 0"), std::string::npos) << repairs[0];
  auto in = [&](double lat, double lng) {
    return (*area)->Contains(S2LatLng::FromDegrees(lat, lng).ToPoint());
  };
  // The two triangles of the tie (left and right of the crossing) are in;
  // above and below the crossing is out.
  EXPECT_TRUE(in(29.75, -95.55));
  EXPECT_TRUE(in(29.75, -95.25));
  EXPECT_FALSE(in(29.85, -95.4));
  EXPECT_FALSE(in(29.65, -95.4));
}

}  // namespace
}  // namespace fanout
