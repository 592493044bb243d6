// Copyright 2026 The fan-out engine authors.
//
// A FeatureCollection of more Features with a geometry than an alert may
// have parts is refused as it is read, before any of its geometry is built;
// --feature counts only the Feature it keeps.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "geo/alert_resolver.h"
#include "geo/geojson_alert.h"
#include "gtest/gtest.h"

namespace fanout {
namespace {

std::string TinyFeatures(size_t n) {
  std::string text = R"({"type":"FeatureCollection","features":[)";
  for (size_t i = 0; i < n; ++i) {
    const double x = -100 + (i % 1000) * 0.01, y = 30 + (i / 1000) * 0.01;
    absl::StrAppend(&text, i ? "," : "", R"({"type":"Feature","id":")", i,
                    R"(","properties":{},"geometry":{"type":"Polygon","coordinates":[[[)", x, ",",
                    y, "],[", x + 0.005, ",", y, "],[", x, ",", y + 0.005, "],[", x, ",", y,
                    "]]]}}");
  }
  return text + "]}";
}

TEST(GeoJsonManyFeaturesTest, MoreFeaturesThanPartsAreRefusedWhenRead) {
  const std::string text = TinyFeatures(kMaxAlertParts + 1);
  auto alert = ParseGeoJsonAlert(text, {});
  ASSERT_FALSE(alert.ok());
  EXPECT_EQ(alert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(alert.status().message(),
                                absl::StrCat(kMaxAlertParts + 1, " features with a geometry")))
      << alert.status();
  EXPECT_TRUE(absl::StrContains(alert.status().message(), absl::StrCat(kMaxAlertParts)))
      << alert.status();

  GeoJsonOptions one;
  one.feature_id = "7";
  auto kept = ParseGeoJsonAlert(text, one);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->infos[0].areas.size(), 1u);
}

// Features of null geometry (and no geocode) are no part of the alert.
TEST(GeoJsonManyFeaturesTest, FeaturesWithoutGeometryAreNotCounted) {
  std::string text = TinyFeatures(kMaxAlertParts);
  text.resize(text.size() - 2);
  text += R"(,{"type":"Feature","properties":{},"geometry":null}]})";
  auto alert = ParseGeoJsonAlert(text, {});
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_EQ(alert->infos[0].areas.size(), kMaxAlertParts + 1);
}

TEST(GeoJsonManyFeaturesTest, AsManyFeaturesAsPartsAreRead) {
  auto alert = ParseGeoJsonAlert(TinyFeatures(kMaxAlertParts), {});
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_EQ(alert->infos[0].areas.size(), kMaxAlertParts);
  EXPECT_TRUE(ResolveAlert(*alert, {}).ok());
}

}  // namespace
}  // namespace fanout
