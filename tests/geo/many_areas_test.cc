// Copyright 2026 The fan-out engine authors.
//
// Alerts of thousands of areas (one circle per CAP <info>): the classifier
// keeps only the parts near a cell in its trail, the point tester tests a
// point against the caps near it, both with the same answers as AlertArea,
// and the resolver refuses more parts than its budget.

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "geo/alert_resolver.h"
#include "geo/area_covering.h"
#include "geo/area_point_tester.h"
#include "geo/cell_classifier.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

std::unique_ptr<AlertArea> ManyCaps(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat(25, 49), lng(-124, -67), km(1, 10);
  auto area = std::make_unique<AlertArea>();
  for (int i = 0; i < n; ++i) {
    area->AddCap(MakeCircle(S2LatLng::FromDegrees(lat(rng), lng(rng)), km(rng)));
  }
  area->Finalize();
  return area;
}

// A small cell near one cap is reached by few caps: its trail holds those,
// not the thousands (before, caps were not in the trail, and every cell of
// a descent was tested against every cap).
TEST(ManyAreasTest, TrailsKeepOnlyTheCapsNearACell) {
  auto area = ManyCaps(3000, 1);
  CellClassifier classifier(*area);
  int walks = 0;
  for (int i = 0; i < 50; ++i) {
    CellClassifier::Trail trail = classifier.Root();
    EXPECT_EQ(trail.size(), 3000u);
    S2CellId leaf(area->cap(i).center());
    for (int level = 0; level <= 12; ++level) {
      const S2Cell cell(leaf.parent(level));
      if (classifier.Classify(cell, &trail) != CellClassifier::Relation::kBoundary) break;
      if (level == 12) {
        ++walks;
        EXPECT_GE(trail.size(), 1u);
        EXPECT_LE(trail.size(), 20u);
      }
    }
  }
  EXPECT_GT(walks, 0);
}

// The tester's answers on many caps, points in cell order as a scan sees
// them: AlertArea's.
TEST(ManyAreasTest, PointTesterAgreesOnManyCaps) {
  auto area = ManyCaps(2000, 2);
  std::mt19937_64 rng(3);
  std::vector<S2CellId> leaves;
  for (int i = 0; i < 2000; ++i) {
    const S2Point c = area->cap(static_cast<int>(rng() % 2000)).center();
    std::normal_distribution<double> d(0, 0.0015);
    for (int k = 0; k < 20; ++k) {
      leaves.push_back(S2CellId(S2Point(c.x() + d(rng), c.y() + d(rng), c.z() + d(rng)).Normalize()));
    }
  }
  std::sort(leaves.begin(), leaves.end());
  AreaPointTester tester(*area);
  int inside = 0;
  for (S2CellId leaf : leaves) {
    const bool want = area->Contains(leaf.ToPoint());
    inside += want;
    ASSERT_EQ(tester.Contains(leaf), want) << leaf.ToToken();
  }
  EXPECT_GT(inside, 1000);
  EXPECT_LT(inside, static_cast<int>(leaves.size()) - 1000);
}

TEST(ManyAreasTest, ResolverRefusesMorePartsThanItsBudget) {
  AlertDocument alert;
  for (size_t i = 0; i <= kMaxAlertParts; ++i) {
    AlertDocumentInfo& info = alert.infos.emplace_back();
    AlertDocumentArea& area = info.areas.emplace_back();
    area.label = absl::StrCat("info[", i, "].area[0]");
    area.circles.push_back(absl::StrCat(30 + (i % 100) * 0.01, ",-95 1"));
  }
  auto resolved = ResolveAlert(alert, {});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(resolved.status().message(), absl::StrCat(kMaxAlertParts)))
      << resolved.status();
  alert.infos.pop_back();
  EXPECT_TRUE(ResolveAlert(alert, {}).ok());
}

}  // namespace
}  // namespace fanout
