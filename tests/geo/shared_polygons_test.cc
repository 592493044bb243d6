// Copyright 2026 The fan-out engine authors.
//
// An alert's polygons are held once: the union ResolveAlert returns, the
// per-area regions and the parsed GeoJSON geometry share each polygon and
// the indexes built for it, instead of copying them (a GeoJSON of every
// county cost five times its parsed size after resolution).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "geo/alert_area.h"
#include "geo/alert_resolver.h"
#include "geo/geojson_alert.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

std::string Square(double lat, double lng) {
  return absl::StrCat("[[[", lng, ",", lat, "],[", lng + 0.1, ",", lat, "],[", lng + 0.1, ",",
                      lat + 0.1, "],[", lng, ",", lat + 0.1, "],[", lng, ",", lat, "]]]");
}

TEST(SharedPolygonsTest, ResolvedAreasShareTheGeoJsonPolygons) {
  std::string text = R"({"type":"FeatureCollection","features":[)";
  for (int i = 0; i < 6; ++i) {
    absl::StrAppend(&text, i ? "," : "", R"({"type":"Feature","properties":{},)",
                    R"("geometry":{"type":"Polygon","coordinates":)", Square(30 + i, -95), "}}");
  }
  text += "]}";
  auto alert = ParseGeoJsonAlert(text, {});
  ASSERT_TRUE(alert.ok()) << alert.status();
  auto resolved = ResolveAlert(*alert, {});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const AlertArea& all = *resolved->area;
  ASSERT_EQ(all.num_polygons(), 6);
  ASSERT_EQ(resolved->areas.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const AlertArea& region = *resolved->areas[i].area;
    ASSERT_EQ(region.num_polygons(), 1);
    // One polygon, one index for point tests: the same objects everywhere.
    EXPECT_EQ(&all.polygon(i), &region.polygon(0)) << i;
    EXPECT_EQ(&all.polygon(i), &alert->infos[0].areas[i].geometry->polygon(0)) << i;
    EXPECT_EQ(&all.test_index(i), &region.test_index(0)) << i;
    EXPECT_NE(&all.test_index(i), &all.polygon(i).index()) << "the finer index is built";
  }
  EXPECT_NE(all.part_lookup(), nullptr);
  EXPECT_TRUE(all.Contains(S2LatLng::FromDegrees(33.05, -94.95).ToPoint()));
  EXPECT_FALSE(all.Contains(S2LatLng::FromDegrees(33.15, -94.95).ToPoint()));
}

TEST(SharedPolygonsTest, CopiesAndAddedAreasShareAndOutliveTheOriginal) {
  auto polygon = BuildPolygon({{S2LatLng::FromDegrees(30, -95), S2LatLng::FromDegrees(30, -94),
                                S2LatLng::FromDegrees(31, -94), S2LatLng::FromDegrees(30, -95)}},
                              EdgeModel::kPlanar);
  ASSERT_TRUE(polygon.ok());
  const S2Point inside = S2LatLng::FromDegrees(30.2, -94.2).ToPoint();
  const S2Point outside = S2LatLng::FromDegrees(30.8, -94.8).ToPoint();
  std::unique_ptr<AlertArea> copy, added;
  {
    AlertArea original;
    original.AddPolygon(*std::move(polygon));
    original.Finalize();
    copy = std::make_unique<AlertArea>(original);
    added = std::make_unique<AlertArea>();
    added->AddArea(original);
    added->AddCap(MakeCircle(S2LatLng::FromDegrees(40, -100), 5));
    EXPECT_EQ(&copy->polygon(0), &original.polygon(0));
    EXPECT_EQ(&added->polygon(0), &original.polygon(0));
    EXPECT_EQ(&copy->test_index(0), &original.test_index(0));
    EXPECT_EQ(&added->test_index(0), &original.test_index(0));
  }
  added->Finalize();
  for (const AlertArea* area : {copy.get(), added.get()}) {
    EXPECT_TRUE(area->Contains(inside));
    EXPECT_FALSE(area->Contains(outside));
    MutableS2ShapeIndex::Iterator it(&area->test_index(0), S2ShapeIndex::UNPOSITIONED);
    EXPECT_TRUE(it.Locate(inside));
  }
  EXPECT_TRUE(added->Contains(S2LatLng::FromDegrees(40, -100).ToPoint()));
}

}  // namespace
}  // namespace fanout
