// Copyright 2026 The fan-out engine authors.

#include <memory>

#include "engine/alert_executor.h"
#include "engine/location_index.h"
#include "geo/alert_area.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

// The summary says when the interior covering stopped at its budget, and
// the answer is exact either way.
TEST(CoveringReportTest, SummarySaysWhenTheInteriorCoveringWasCutShort) {
  auto users = testing::RandomUsers(5, 20000, 25, 49, -125, -67);
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok()) << index.status();
  AlertExecutor::Options options;
  options.shards = 4;
  AlertExecutor executor(**index, options);

  AlertArea one;
  one.AddCap(MakeCircle(S2LatLng::FromDegrees(35, -100), 300));
  one.Finalize();
  AlertSummary summary;
  auto lists = executor.Execute(one, &summary);
  ASSERT_TRUE(lists.ok()) << lists.status();
  EXPECT_FALSE(summary.covering_interior_cut_short);

  // Many small parts: the interior search runs out of cells.
  AlertArea many;
  for (int i = 0; i < 5000; ++i) {
    many.AddCap(MakeCircle(S2LatLng::FromDegrees(25 + (i % 200) * 0.12, -125 + (i / 200) * 2.3),
                           4));
  }
  many.Finalize();
  CoveringOptions small_budget;
  small_budget.interior_budget = 2000;
  options.covering = small_budget;
  AlertExecutor budgeted(**index, options);
  lists = budgeted.Execute(many, &summary);
  ASSERT_TRUE(lists.ok()) << lists.status();
  EXPECT_TRUE(summary.covering_interior_cut_short);
  EXPECT_EQ(testing::SortedShards(*lists), testing::ReferenceShards(**index, many, 4));
}

}  // namespace
}  // namespace fanout
