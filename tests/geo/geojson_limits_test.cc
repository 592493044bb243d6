// Copyright 2026 The fan-out engine authors.
//
// Hostile and large GeoJSON (issue 20): the size limit, deep nesting,
// invalid UTF-8, and a large document read by the streaming parser giving
// the area its polygons define.

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "geo/geojson_alert.h"
#include "geo/geojson_area.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

constexpr char kTriangle[] = R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})";

void ExpectRefused(const std::string& text, const GeoJsonOptions& options,
                   absl::string_view needle) {
  auto area = ParseGeoJsonArea(text, options);
  EXPECT_EQ(area.status().code(), absl::StatusCode::kInvalidArgument) << area.status();
  EXPECT_NE(area.status().message().find(needle), absl::string_view::npos) << area.status();
  auto alert = ParseGeoJsonAlert(text, options);
  EXPECT_EQ(alert.status().code(), absl::StatusCode::kInvalidArgument) << alert.status();
  EXPECT_NE(alert.status().message().find(needle), absl::string_view::npos) << alert.status();
}

TEST(GeoJsonLimitsTest, DocumentOverTheLimitIsRefusedNamingSizeAndLimit) {
  GeoJsonOptions small;
  small.max_bytes = 1000;
  std::string padded = kTriangle + std::string(2000 - sizeof(kTriangle) + 1, ' ');
  ASSERT_EQ(padded.size(), 2000u);
  ExpectRefused(padded, small, "2000 bytes; the limit is 1000");
  EXPECT_TRUE(ParseGeoJsonArea(kTriangle, small).ok());

  // The default is 16 MiB: valid JSON just over it is refused unread.
  std::string big = kTriangle + std::string((16u << 20) + 1 - (sizeof(kTriangle) - 1), '\n');
  ExpectRefused(big, GeoJsonOptions(), "the limit is 16777216");

  GeoJsonOptions zero;
  zero.max_bytes = 0;
  ExpectRefused(kTriangle, zero, "max_bytes");
}

TEST(GeoJsonLimitsTest, DeepNestingIsRefusedWithoutOverflowingTheStack) {
  const int n = 100000;
  std::string arrays = absl::StrCat(R"({"type":"Polygon","coordinates":)", std::string(n, '['),
                                    std::string(n, ']'), "}");
  ExpectRefused(arrays, GeoJsonOptions(), "nested deeper than 256");
  // Nested GeometryCollections made the geometry reader recurse once per
  // level: a stack overflow (SIGSEGV) before the limit.
  std::string collections;
  for (int i = 0; i < n; ++i) collections += R"({"type":"GeometryCollection","geometries":[)";
  collections += kTriangle;
  for (int i = 0; i < n; ++i) collections += "]}";
  ExpectRefused(collections, GeoJsonOptions(), "nested deeper than 256");
  // Also in a member nobody reads, and in properties.
  std::string objects = absl::StrCat(R"({"type":"Feature","geometry":null,"properties":{"id":)");
  for (int i = 0; i < n; ++i) objects += R"({"a":)";
  objects += "1" + std::string(n, '}') + "}}";
  ExpectRefused(objects, GeoJsonOptions(), "nested deeper than 256");
  // Within the limit is fine.
  std::string shallow;
  for (int i = 0; i < 50; ++i) shallow += R"({"type":"GeometryCollection","geometries":[)";
  shallow += kTriangle;
  for (int i = 0; i < 50; ++i) shallow += "]}";
  auto area = ParseGeoJsonArea(shallow, GeoJsonOptions());
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ((*area)->num_polygons(), 1);
}

TEST(GeoJsonLimitsTest, InvalidUtf8InAStringIsRefused) {
  const std::string bad = "\xC3\x28";  // a lead byte followed by ASCII
  for (const std::string& text : {
           absl::StrCat(R"({"type":"Feature","id":")", bad,
                        R"(","geometry":)", kTriangle, "}"),
           absl::StrCat(R"({"type":"Feature","properties":{"id":")", bad,
                        R"("},"geometry":)", kTriangle, "}"),
           absl::StrCat(R"({"type":"Polygon","unread":")", bad, R"(","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})"),
           absl::StrCat(R"({"type":"Poly)", bad, R"(","coordinates":[]})"),
           absl::StrCat(R"({"type":"Feature","geometry":null,"properties":{"id":"\ud800"}})"),
           absl::StrCat(kTriangle, "\xFF"),
       }) {
    ExpectRefused(text, GeoJsonOptions(), "not valid JSON");
  }
}

// Degrees as written with 6 decimals (AppendRing), so that the text says
// exactly the vertex the test expects.
S2LatLng Rounded(double lat, double lng) {
  return S2LatLng::FromDegrees(std::round(lat * 1e6) / 1e6, std::round(lng * 1e6) / 1e6);
}

// A star-shaped ring around (lat, lng): simple, with `n` vertices.
LatLngRing StarRing(std::mt19937* rng, double lat, double lng, int n, double radius) {
  std::uniform_real_distribution<double> r(0.5 * radius, radius);
  LatLngRing ring;
  for (int i = 0; i < n; ++i) {
    double a = 2 * M_PI * i / n;
    double d = r(*rng);
    ring.push_back(Rounded(lat + d * std::sin(a), lng + d * std::cos(a)));
  }
  ring.push_back(ring.front());
  return ring;
}

void AppendRing(const LatLngRing& ring, bool altitude, std::string* out) {
  *out += "[";
  for (size_t i = 0; i < ring.size(); ++i) {
    absl::StrAppend(out, i == 0 ? "" : ",",
                    absl::StrFormat("[%.6f,%.6f", ring[i].lng().degrees(), ring[i].lat().degrees()),
                    altitude ? ",12.5]" : "]");
  }
  *out += "]";
}

TEST(GeoJsonLimitsTest, LargeDocumentGivesTheAreaOfItsPolygons) {
  // A few MB: 300 Features of one or two 300-vertex rings (members in
  // varying order, some positions with altitudes, unread members), and a
  // 30k-vertex ring.
  std::mt19937 rng(20);
  std::vector<std::vector<LatLngRing>> polygons;
  std::string text = R"({"type":"FeatureCollection","name":"big","features":[)";
  for (int f = 0; f < 300; ++f) {
    double lat = -40 + (f / 20) * 4.0, lng = -40 + (f % 20) * 4.0;
    std::vector<LatLngRing> rings = {StarRing(&rng, lat, lng, 300, 1.5)};
    if (f % 3 == 0) rings.push_back(StarRing(&rng, lat, lng, 40, 0.3));  // a hole
    std::string coords = "[";
    for (size_t r = 0; r < rings.size(); ++r) {
      if (r > 0) coords += ",";
      AppendRing(rings[r], /*altitude=*/f % 5 == 0, &coords);
    }
    coords += "]";
    std::string geometry =
        f % 2 == 0 ? absl::StrCat(R"({"type":"Polygon","bbox":[1,2,3,4],"coordinates":)", coords, "}")
                   : absl::StrCat(R"({"coordinates":)", coords, R"(,"type":"Polygon"})");
    absl::StrAppend(&text, f == 0 ? "" : ",", R"({"type":"Feature","id":)", f,
                    R"(,"properties":{"name":"n","nested":{"coordinates":[1]}},"geometry":)",
                    geometry, "}");
    polygons.push_back(std::move(rings));
  }
  LatLngRing smooth;  // a wavy circle: random radii this close would cross
  for (int i = 0; i < 30000; ++i) {
    double a = 2 * M_PI * i / 30000, d = 1 + 0.1 * std::sin(7 * a);
    smooth.push_back(Rounded(60 + d * std::sin(a), 100 + 2 * d * std::cos(a)));
  }
  smooth.push_back(smooth.front());
  polygons.push_back({smooth});
  std::string coords = "[";
  AppendRing(polygons.back()[0], false, &coords);
  coords += "]";
  absl::StrAppend(&text, R"(,{"type":"Feature","geometry":{"type":"Polygon","coordinates":)",
                  coords, "}}]}");
  ASSERT_GT(text.size(), 2000000u);

  // Geodesic edges: planar ones would only add S2 work, not parser work.
  GeoJsonOptions options;
  options.edges = EdgeModel::kGeodesic;
  auto area = ParseGeoJsonArea(text, options);
  ASSERT_TRUE(area.ok()) << area.status();
  ASSERT_EQ((*area)->num_polygons(), static_cast<int>(polygons.size()));
  AlertArea expected;
  for (const auto& rings : polygons) {
    auto polygon = BuildPolygon(rings, EdgeModel::kGeodesic);
    ASSERT_TRUE(polygon.ok()) << polygon.status();
    expected.AddPolygon(*std::move(polygon));
  }
  expected.Finalize();
  EXPECT_EQ((*area)->num_vertices(), expected.num_vertices());
  std::uniform_real_distribution<double> lat(-45, 62), lng(-45, 103);
  int inside = 0;
  for (int i = 0; i < 5000; ++i) {
    S2Point p = S2LatLng::FromDegrees(lat(rng), lng(rng)).ToPoint();
    bool in = expected.Contains(p);
    inside += in;
    ASSERT_EQ((*area)->Contains(p), in) << S2LatLng(p);
  }
  EXPECT_GT(inside, 200);

  GeoJsonOptions only_7 = options;
  only_7.feature_id = "7";
  auto alert = ParseGeoJsonAlert(text, only_7);
  ASSERT_TRUE(alert.ok()) << alert.status();
  ASSERT_EQ(alert->infos[0].areas.size(), 1u);
  EXPECT_EQ(alert->infos[0].areas[0].label, "features[7]");
  EXPECT_EQ(alert->infos[0].areas[0].geometry->num_vertices(),
            (*area)->polygon(7).num_vertices());
}

}  // namespace
}  // namespace fanout
