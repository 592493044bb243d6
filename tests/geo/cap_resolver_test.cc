// Copyright 2026 The fan-out engine authors.
//
// DESIGN §3 area rules and §4b strict/lenient handling, from CAP text and
// GeoJSON alerts to an AlertArea.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "geo/alert_resolver.h"
#include "geo/geojson_alert.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

S2Point P(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng).ToPoint(); }

constexpr char kHouston[] = "29.70,-95.60 29.95,-95.55 29.90,-95.20 29.65,-95.25 29.70,-95.60";

AlertDocument Alert(std::vector<AlertDocumentArea> areas) {
  AlertDocument alert;
  alert.infos.emplace_back();
  for (size_t i = 0; i < areas.size(); ++i) {
    areas[i].label = absl::StrCat("info[0].area[", i, "]");
    alert.infos[0].areas.push_back(std::move(areas[i]));
  }
  return alert;
}

AlertDocumentArea Area(std::vector<std::string> polygons, std::vector<std::string> circles = {},
             std::vector<AlertGeocode> codes = {}) {
  AlertDocumentArea a;
  a.polygons = std::move(polygons);
  a.circles = std::move(circles);
  a.geocodes = std::move(codes);
  return a;
}

absl::StatusOr<ResolvedAlert> Resolve(const AlertDocument& alert, bool lenient = false,
                                      bool geocodes_union = false) {
  ResolveOptions options;
  options.lenient = lenient;
  options.geocodes_union = geocodes_union;
  return ResolveAlert(alert, options);
}

TEST(CapResolverTest, PolygonDefinesTheAreaAndCodesAreIgnored) {
  auto r = Resolve(Alert({Area({kHouston}, {}, {{"SAME", "048201"}, {"UGC", "TXZ213"}})}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->area->Contains(P(29.80, -95.40)));
  EXPECT_FALSE(r->area->Contains(P(30.00, -95.60)));  // Harris County, outside the polygon
  ASSERT_EQ(r->areas.size(), 1u);
  EXPECT_EQ(r->areas[0].defined_by, "1 polygon");
  EXPECT_FALSE(r->ignored.empty());
}

TEST(CapResolverTest, CodesUnionWidensOnRequest) {
  auto r = Resolve(Alert({Area({kHouston}, {}, {{"SAME", "048201"}})}), false, true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->area->Contains(P(30.00, -95.60)));
  EXPECT_NE(r->areas[0].defined_by.find("codes SAME 048201"), std::string::npos);
}

TEST(CapResolverTest, CodesDefineAnAreaWithoutGeometry) {
  auto r = Resolve(Alert({Area({""}, {}, {{"UGC", "TXC201"}, {"UGC", "TXZ213"}})}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->area->Contains(P(30.00, -95.60)));
  EXPECT_FALSE(r->area->Contains(P(30.27, -97.74)));
  EXPECT_EQ(r->areas[0].defined_by, "codes UGC TXC201");
}

TEST(CapResolverTest, UnionOverAreasAndInfos) {
  AlertDocument alert = Alert({Area({kHouston}), Area({}, {"30.27,-97.74 10"})});
  alert.infos.push_back(alert.infos[0]);
  alert.infos[1].areas[0].polygons = {"32.7,-96.9 32.9,-96.9 32.9,-96.7 32.7,-96.9"};
  auto r = Resolve(alert);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->areas.size(), 4u);
  EXPECT_TRUE(r->area->Contains(P(29.80, -95.40)));
  EXPECT_TRUE(r->area->Contains(P(30.27, -97.70)));
  EXPECT_TRUE(r->area->Contains(P(32.85, -96.85)));
}

TEST(CapResolverTest, NothingResolvedIsRefused) {
  auto zones = Resolve(Alert({Area({""}, {""}, {{"UGC", "TXZ213"}})}));
  EXPECT_EQ(zones.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zones.status().message().find("TXZ213"), std::string::npos);
  auto falls_church = Resolve(Alert({Area({}, {}, {{"FIPS", "51610"}})}));
  EXPECT_EQ(falls_church.status().code(), absl::StatusCode::kInvalidArgument);
  auto none = Resolve(AlertDocument());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CapResolverTest, UnknownAndMalformedCodesNameTheCode) {
  auto unknown = Resolve(Alert({Area({}, {}, {{"SAME", "048999"}})}));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("048999"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("info[0].area[0].geocode[0]"), std::string::npos);
  auto malformed = Resolve(Alert({Area({}, {}, {{"SAME", "48201"}})}));
  EXPECT_NE(malformed.status().message().find("48201"), std::string::npos);
}

TEST(CapResolverTest, StrictRefusalsNameTheElementAndQuoteTheText) {
  struct Case {
    const char* polygon;
    const char* expect;
  } cases[] = {
      {"29.7,-95.6 29.9,-95.5 29.9,-95.2 29.7,-95.6,", "29.7,-95.6,"},  // trailing comma
      {"+29.7,-95.6 29.9,-95.5 29.9,-95.2 +29.7,-95.6", "+29.7,-95.6"},
      {"29.7,-95.6 29.9,-95.5 29.9,-95.2 29.6,-95.3", "not closed"},
      {"-16,-179.9 -16,-180.005 -17,-179.9 -16,-179.9", "pair 2 \"-16,-180.005\": out of range"},
      {"-95.6,29.7 -95.5,29.9 -95.2,29.9 -95.6,29.7", "out of range"},
      {"0,0 1,1 0,1 1,0 0,0", "not a simple ring"},
  };
  for (const Case& c : cases) {
    AlertDocument alert = Alert({Area({}), Area({"", c.polygon})});
    alert.infos[0].areas[0].circles = {"1,1 1"};
    auto r = Resolve(alert);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.polygon;
    EXPECT_NE(r.status().message().find("info[0].area[1].polygon[1]"), std::string::npos)
        << r.status();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status();
  }
  auto circle = Resolve(Alert({Area({}, {"29.7,-95.6 -1"})}));
  EXPECT_NE(circle.status().message().find("info[0].area[0].circle[0]"), std::string::npos);
}

TEST(CapResolverTest, LenientRepairsAndListsEachRepair) {
  auto r =
      Resolve(Alert({Area({"+29.70,-95.60 29.95, -95.55 29.90,-95.20, 29.90,-95.20 29.65,-95.25"},
                          {"+29.76,-95.37 +5"})}),
              /*lenient=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  std::string all = absl::StrJoin(r->repairs, "\n");
  for (const char* expect : {"'+' sign", "split after its comma", "trailing comma", "repeating",
                             "closed open ring", "circle radius"}) {
    EXPECT_NE(all.find(expect), std::string::npos) << expect << " in\n" << all;
  }
  EXPECT_NE(all.find("info[0].area[0].polygon[0]"), std::string::npos);
  EXPECT_TRUE(r->area->Contains(P(29.80, -95.40)));
  // The repeated pair is valid CAP: dropped and counted, not a repair.
  EXPECT_EQ(all.find("repeating the previous"), std::string::npos) << all;
  EXPECT_EQ(r->dropped_repeated_pairs, 1u);
}

TEST(CapResolverTest, LenientSwapsLonLatWhenOnlyThatReadingIsValid) {
  auto r = Resolve(
      Alert({Area({"-95.60,29.70 -95.55,29.95 -95.20,29.90 -95.25,29.65 -95.60,29.70"})}), true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->area->Contains(P(29.80, -95.40)));
  EXPECT_NE(absl::StrJoin(r->repairs, " ").find("swapped"), std::string::npos);
  // Ambiguous (every reading valid): nothing is swapped.
  auto europe = Resolve(Alert({Area({"48,2 49,2 49,3 48,2"})}), true);
  ASSERT_TRUE(europe.ok());
  EXPECT_TRUE(europe->repairs.empty());
}

TEST(CapResolverTest, LenientResolvesABowTie) {
  auto r = Resolve(Alert({Area({"0,0 1,1 0,1 1,0 0,0"})}), true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->area->Contains(P(0.5, 0.1)));   // left triangle
  EXPECT_TRUE(r->area->Contains(P(0.5, 0.9)));   // right triangle
  EXPECT_FALSE(r->area->Contains(P(0.1, 0.5)));  // between them
  EXPECT_FALSE(r->area->Contains(P(0.9, 0.5)));
  EXPECT_NE(absl::StrJoin(r->repairs, " ").find("self-intersecting"), std::string::npos);
}

TEST(CapResolverTest, SelfIntersectionRepairIsBounded) {
  // Found by fuzz/lat_lng_text_fuzzer: a 3-pair sliver along a parallel,
  // subdivided to ~8,000 vertices, took S2Builder a second to repair.
  auto r = Resolve(Alert({Area({"51,80 51,180 51,178 51,80"})}), true);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("too long to repair"), std::string::npos) << r.status();
}

TEST(CapResolverTest, LenientStillRefusesWhatHasNoObviousReading) {
  for (const char* bad : {"29.7;-95.6 29.9,-95.5 29.9,-95.2 29.7,-95.6", "1,2 3,4",
                          "a,b c,d e,f a,b", "95,200 96,200 96,201 95,200"}) {
    EXPECT_FALSE(Resolve(Alert({Area({bad})}), true).ok()) << bad;
  }
}

TEST(CapResolverTest, GeoJsonAlertWithNullGeometryUsesGeocodes) {
  const char* json = R"({"type":"FeatureCollection","features":[
    {"type":"Feature","id":"a","geometry":null,
     "properties":{"id":"urn:x","sender":"nws","sent":"2026","messageType":"Alert",
                   "references":[{"identifier":"urn:old"}],
                   "geocode":{"SAME":["048201"],"UGC":["TXZ213"]}}},
    {"type":"Feature","id":"b","geometry":{"type":"Polygon","coordinates":
       [[[-97.8,30.2],[-97.6,30.2],[-97.6,30.4],[-97.8,30.2]]]},"properties":{}}]})";
  auto alert = ParseGeoJsonAlert(json, {});
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_EQ(alert->identifier, "urn:x");
  EXPECT_EQ(alert->msg_type, "Alert");
  EXPECT_EQ(alert->references, "urn:old");
  auto r = Resolve(*alert);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->areas.size(), 2u);
  EXPECT_EQ(r->areas[0].defined_by, "codes SAME 048201");
  EXPECT_EQ(r->areas[1].defined_by, "geometry");
  EXPECT_TRUE(r->area->Contains(P(30.00, -95.60)));
  EXPECT_TRUE(r->area->Contains(P(30.3, -97.65)));
  GeoJsonOptions only_b;
  only_b.feature_id = "b";
  auto b = Resolve(*ParseGeoJsonAlert(json, only_b));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->area->Contains(P(30.00, -95.60)));
}

TEST(CapResolverTest, GeoJsonAlertErrors) {
  EXPECT_FALSE(ParseGeoJsonAlert("{", {}).ok());
  // Found by fuzz/geojson_fuzzer: a number beyond double range made
  // nlohmann throw out_of_range, which escaped ParseGeoJsonArea (abort).
  const char* overflow =
      R"({"type":"Polygon","coordinates":[[[1e99999,0],[1,1],[0,1],[1e99999,0]]]})";
  EXPECT_EQ(ParseGeoJsonArea(overflow, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGeoJsonAlert(overflow, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseGeoJsonAlert("[]", {}).ok());
  auto bad = ParseGeoJsonAlert(
      R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0]]]}})", {});
  EXPECT_NE(bad.status().message().find("feature.geometry"), std::string::npos) << bad.status();
  auto only_null = ParseGeoJsonAlert(R"({"type":"Feature","geometry":null,"properties":{}})", {});
  ASSERT_TRUE(only_null.ok());
  EXPECT_FALSE(Resolve(*only_null).ok());
}

}  // namespace
}  // namespace fanout
