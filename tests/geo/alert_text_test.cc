// Copyright 2026 The fan-out engine authors.
//
// ResolveAlertText (geo/alert_text.h): alert text of every format to a
// resolved area, its header fields, repairs and counts; DESIGN §4b's rules
// for repeated pairs and longitudes a little past ±180; no message names a
// command-line flag.

#include "geo/alert_text.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

S2Point P(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng).ToPoint(); }

constexpr char kHouston[] = "29.70,-95.60 29.95,-95.55 29.90,-95.20 29.65,-95.25 29.70,-95.60";

AlertTextOptions Lenient() {
  AlertTextOptions options;
  options.resolve.lenient = true;
  return options;
}

void ExpectNoFlagNamed(const absl::Status& status) {
  EXPECT_FALSE(absl::StrContains(status.message(), "--")) << "names a CLI flag: " << status;
}

TEST(AlertTextTest, EveryFormatResolves) {
  const std::string cap = absl::StrCat(
      R"(<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>ID-1</identifier>)",
      "<sender>s@example.org</sender><sent>2026-01-01T00:00:00Z</sent><status>Actual</status>",
      "<msgType>Update</msgType><references>s@example.org,ID-0,2025</references>",
      "<info><area><areaDesc>Houston</areaDesc><polygon>", kHouston,
      "</polygon></area></info></alert>");
  auto from_cap = ResolveAlertText(cap, AlertFormat::kCap);
  ASSERT_TRUE(from_cap.ok()) << from_cap.status();
  EXPECT_TRUE(from_cap->area->Contains(P(29.80, -95.40)));
  EXPECT_EQ(from_cap->header.cap_version, "1.2");
  EXPECT_EQ(from_cap->header.identifier, "ID-1");
  EXPECT_EQ(from_cap->header.sender, "s@example.org");
  EXPECT_EQ(from_cap->header.sent, "2026-01-01T00:00:00Z");
  EXPECT_EQ(from_cap->header.msg_type, "Update");
  EXPECT_EQ(from_cap->header.status, "Actual");
  EXPECT_EQ(from_cap->header.references, "s@example.org,ID-0,2025");
  ASSERT_EQ(from_cap->areas.size(), 1u);
  EXPECT_EQ(from_cap->areas[0].area_desc, "Houston");

  auto from_polygon = ResolveAlertText(kHouston, AlertFormat::kPolygon);
  ASSERT_TRUE(from_polygon.ok()) << from_polygon.status();
  EXPECT_TRUE(from_polygon->area->Contains(P(29.80, -95.40)));
  EXPECT_TRUE(from_polygon->header.identifier.empty());

  auto from_circle = ResolveAlertText("29.76,-95.37 10", AlertFormat::kCircle);
  ASSERT_TRUE(from_circle.ok()) << from_circle.status();
  EXPECT_TRUE(from_circle->area->Contains(P(29.76, -95.40)));

  const char* geojson = R"({"type":"FeatureCollection","features":[
    {"type":"Feature","id":"a","properties":{"id":"urn:gj","messageType":"Alert"},
     "geometry":{"type":"Polygon","coordinates":[[[-95.6,29.7],[-95.2,29.7],[-95.2,29.95],[-95.6,29.7]]]}},
    {"type":"Feature","id":"b","properties":{},
     "geometry":{"type":"Polygon","coordinates":[[[-97.8,30.2],[-97.6,30.2],[-97.6,30.4],[-97.8,30.2]]]}}]})";
  AlertTextOptions only_b;
  only_b.feature_id = "b";
  auto from_geojson = ResolveAlertText(geojson, AlertFormat::kGeoJson, only_b);
  ASSERT_TRUE(from_geojson.ok()) << from_geojson.status();
  EXPECT_EQ(from_geojson->areas.size(), 1u);
  EXPECT_TRUE(from_geojson->area->Contains(P(30.3, -97.65)));
  auto all = ResolveAlertText(geojson, AlertFormat::kGeoJson);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->header.identifier, "urn:gj");
  EXPECT_EQ(all->areas.size(), 2u);
}

TEST(AlertTextTest, CodesByNameOrByShape) {
  for (const char* text : {"SAME 048201", "FIPS 48201", "UGC TXC201", "048201", "48201", "TXC201"}) {
    auto r = ResolveAlertText(text, AlertFormat::kCode);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status();
    EXPECT_TRUE(r->area->Contains(P(29.76, -95.37))) << text;  // Houston, Harris County
    EXPECT_FALSE(r->area->Contains(P(32.78, -96.80))) << text;  // Dallas
  }
  auto unknown = ResolveAlertText("FIPS 48999", AlertFormat::kCode);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "48999")) << unknown.status();
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "area.geocode[0]")) << unknown.status();
  ExpectNoFlagNamed(unknown.status());
  auto shapeless = ResolveAlertText("Harris County", AlertFormat::kCode);
  EXPECT_EQ(shapeless.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AlertTextTest, OptionsAreCheckedWithoutNamingFlags) {
  AlertTextOptions wide;
  wide.resolve.margin_m = 20000;
  auto margin = ResolveAlertText(kHouston, AlertFormat::kPolygon, wide);
  EXPECT_EQ(margin.status().code(), absl::StatusCode::kInvalidArgument);
  ExpectNoFlagNamed(margin.status());
  AlertTextOptions feature;
  feature.feature_id = "a";
  auto misplaced = ResolveAlertText(kHouston, AlertFormat::kPolygon, feature);
  EXPECT_EQ(misplaced.status().code(), absl::StatusCode::kInvalidArgument);
  ExpectNoFlagNamed(misplaced.status());
  auto bare_geometry = ResolveAlertText(
      R"({"type":"Polygon","coordinates":[[[-95.6,29.7],[-95.2,29.7],[-95.2,29.95],[-95.6,29.7]]]})",
      AlertFormat::kGeoJson, feature);
  EXPECT_EQ(bare_geometry.status().code(), absl::StatusCode::kInvalidArgument);
  ExpectNoFlagNamed(bare_geometry.status());
  AlertTextOptions tiny;
  tiny.max_bytes = 10;
  auto big = ResolveAlertText(kHouston, AlertFormat::kPolygon, tiny);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(big.status().message(), "limit")) << big.status();
  auto bad_pair = ResolveAlertText("1,1 2,2 3;3 1,1", AlertFormat::kPolygon);
  EXPECT_TRUE(absl::StrContains(bad_pair.status().message(), "area.polygon[0]: pair 3"))
      << bad_pair.status();
  ExpectNoFlagNamed(bad_pair.status());
}

// DESIGN §4b: a pair repeated consecutively is valid CAP, in both modes:
// dropped (the area is the ring without it) and counted, never a repair.
TEST(AlertTextTest, RepeatedPairsAreDroppedAndCountedInBothModes) {
  const char* repeated =
      "29.70,-95.60 29.70,-95.60 29.95,-95.55 29.90,-95.20 29.90,-95.20 29.90,-95.20 "
      "29.65,-95.25 29.70,-95.60 29.70,-95.60";
  for (bool lenient : {false, true}) {
    AlertTextOptions options;
    options.resolve.lenient = lenient;
    auto r = ResolveAlertText(repeated, AlertFormat::kPolygon, options);
    ASSERT_TRUE(r.ok()) << lenient << ": " << r.status();
    EXPECT_EQ(r->dropped_repeated_pairs, 4u) << lenient;
    EXPECT_TRUE(r->repairs.empty()) << absl::StrJoin(r->repairs, "\n");
    auto plain = ResolveAlertText(kHouston, AlertFormat::kPolygon, options);
    ASSERT_TRUE(plain.ok());
    for (const S2Point& p : {P(29.80, -95.40), P(29.92, -95.50), P(29.68, -95.30),
                             P(30.00, -95.60), P(29.60, -95.40)}) {
      EXPECT_EQ(r->area->Contains(p), plain->area->Contains(p));
    }
  }
  // A ring that is one point repeated is a point: no extent, refused
  // unless a margin is given.
  auto point = ResolveAlertText("30,-95 30,-95 30,-95 30,-95", AlertFormat::kPolygon);
  EXPECT_TRUE(absl::StrContains(point.status().message(), "no extent")) << point.status();
  AlertTextOptions margin;
  margin.resolve.margin_m = 500;
  auto grown = ResolveAlertText("30,-95 30,-95 30,-95 30,-95", AlertFormat::kPolygon, margin);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_TRUE(grown->area->Contains(P(30.001, -95)));
}

TEST(AlertTextTest, LongPolygonWithRepeatsResolvesInStrictMode) {
  // 2,000 pairs around a circle, every 10th repeated: a national feed's shape.
  std::string text;
  size_t repeats = 0;
  const int n = 1800;
  for (int k = 0; k <= n; ++k) {
    const double a = 2 * M_PI * (k % n) / n;
    std::string pair = absl::StrCat(45 + 0.3 * std::sin(a), ",", 7 + 0.4 * std::cos(a));
    absl::StrAppend(&text, text.empty() ? "" : " ", pair);
    if (k % 10 == 5) {
      absl::StrAppend(&text, " ", pair);
      ++repeats;
    }
  }
  auto r = ResolveAlertText(text, AlertFormat::kPolygon);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dropped_repeated_pairs, repeats);
  EXPECT_TRUE(r->area->Contains(P(45, 7)));
}

// DESIGN §4b: a longitude a few thousandths past ±180 is refused by strict
// mode naming the pair, and brought back into range by lenient mode.
TEST(AlertTextTest, LongitudeJustPast180) {
  const char* ring = "-16.0,-178.5 -16.2,-180.005 -17.4,-179.6 -17.6,-178.4 -16.0,-178.5";
  auto strict = ResolveAlertText(ring, AlertFormat::kPolygon);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(strict.status().message(), "pair 2 \"-16.2,-180.005\""))
      << strict.status();
  ExpectNoFlagNamed(strict.status());
  auto lenient = ResolveAlertText(ring, AlertFormat::kPolygon, Lenient());
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  const std::string repairs = absl::StrJoin(lenient->repairs, "\n");
  EXPECT_TRUE(absl::StrContains(repairs, "-180.005")) << repairs;
  EXPECT_TRUE(absl::StrContains(repairs, "179.995")) << repairs;
  // The wrapped vertex (179.995) is the ring's westernmost point, reached
  // the short way across the antimeridian: the ring holds points just east
  // of the antimeridian near it, nothing west of the vertex, and nothing on
  // the far side of the globe.
  EXPECT_TRUE(lenient->area->Contains(P(-16.6, -179.5)));
  EXPECT_TRUE(lenient->area->Contains(P(-16.3, -179.95)));
  EXPECT_FALSE(lenient->area->Contains(P(-16.3, 179.9)));
  EXPECT_FALSE(lenient->area->Contains(P(-16.6, 0)));
  // Further out is no small slip: refused in both modes.
  EXPECT_FALSE(ResolveAlertText("10,-182 11,-179 12,-179 10,-182", AlertFormat::kPolygon,
                                Lenient())
                   .ok());
  auto circle = ResolveAlertText("-16.5,180.004 20", AlertFormat::kCircle, Lenient());
  ASSERT_TRUE(circle.ok()) << circle.status();
  EXPECT_TRUE(circle->area->Contains(P(-16.5, -179.99)));
  EXPECT_FALSE(ResolveAlertText("-16.5,180.004 20", AlertFormat::kCircle).ok());
}

// Ring repair is decided by the status payload, not the message's text.
TEST(AlertTextTest, SelfIntersectionIsToldByPayload) {
  auto bowtie = BuildPolygon({{S2LatLng::FromDegrees(0, 0), S2LatLng::FromDegrees(1, 1),
                               S2LatLng::FromDegrees(0, 1), S2LatLng::FromDegrees(1, 0),
                               S2LatLng::FromDegrees(0, 0)}},
                             EdgeModel::kPlanar);
  ASSERT_FALSE(bowtie.ok());
  EXPECT_TRUE(IsNotSimpleRingError(bowtie.status()));
  EXPECT_FALSE(IsNoExtentError(bowtie.status()));
  // The same status with another message is still told apart.
  absl::Status reworded(bowtie.status().code(), "anything at all");
  bowtie.status().ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { reworded.SetPayload(url, payload); });
  EXPECT_TRUE(IsNotSimpleRingError(reworded));
  EXPECT_FALSE(IsNotSimpleRingError(absl::InvalidArgumentError("ring 0 is not a simple ring")));
  auto repaired = ResolveAlertText("0,0 1,1 0,1 1,0 0,0", AlertFormat::kPolygon, Lenient());
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(repaired->repairs, " "), "self-intersecting"));
}

}  // namespace
}  // namespace fanout
