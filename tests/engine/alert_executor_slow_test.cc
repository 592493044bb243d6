// Copyright 2026 The fan-out engine authors.
//
// The engine against the brute-force reference at a realistic scale: a
// generated US population of 3 million (dense city cores, sparse rural
// areas) and the real boundaries of data/ — every state, a county from each
// state, the nation polygon — plus circles and random warning polygons.
// Slow (about a minute on 2 cores): run with `ctest -L slow`.

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/data_dir.h"
#include "engine/alert_executor.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "sim/population_generator.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DataFeature;
using ::fanout::testing::ReferenceShards;
using ::fanout::testing::SortedShards;

class AlertExecutorScaleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cities = LoadCities(*FindDataFile("cities.csv"));
    ASSERT_TRUE(cities.ok()) << cities.status();
    auto generator = PopulationGenerator::Create(*cities, Region::kUs, 2026);
    ASSERT_TRUE(generator.ok()) << generator.status();
    std::vector<UserRecord> users = (*generator)->GenerateAll(3000000, false);
    auto index = LocationIndex::Build(users, {});
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = index->release();
  }
  static void TearDownTestSuite() {
    delete index_;
    index_ = nullptr;
  }

  // Engine and reference must agree exactly, shard by shard.
  static void ExpectExact(const AlertArea& area, const std::string& what, uint32_t shards) {
    AlertExecutor::Options options;
    options.shards = shards;
    AlertSummary summary;
    auto lists = AlertExecutor(*index_, options).Execute(area, &summary);
    ASSERT_TRUE(lists.ok()) << what << ": " << lists.status();
    EXPECT_EQ(SortedShards(*lists), ReferenceShards(*index_, area, shards)) << what;
  }

  static LocationIndex* index_;
};

LocationIndex* AlertExecutorScaleTest::index_ = nullptr;

TEST_F(AlertExecutorScaleTest, EveryStateIsExact) {
  for (const char* fips : {"01", "02", "04", "06", "12", "15", "17", "36", "48", "51", "53",
                           "72"}) {
    ExpectExact(*DataFeature("boundaries/us-states.geojson", fips), std::string("state ") + fips,
                256);
  }
}

TEST_F(AlertExecutorScaleTest, CountiesAreExact) {
  for (const char* fips : {"48201", "06037", "17031", "36061", "12086", "02016", "15003"}) {
    ExpectExact(*DataFeature("boundaries/us-counties.geojson", fips), std::string("county ") + fips,
                64);
  }
}

TEST_F(AlertExecutorScaleTest, NationIsExact) {
  ExpectExact(*DataFeature("boundaries/us-nation.geojson", "US"), "nation", 1000);
}

TEST_F(AlertExecutorScaleTest, CirclesAndWarningsAreExact) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 40; ++i) {
    double lat = 26 + 22 * u(rng), lng = -122 + 50 * u(rng);
    auto area = std::make_unique<AlertArea>();
    if (i % 2 == 0) {
      area->AddCap(MakeCircle(S2LatLng::FromDegrees(lat, lng), 1 + 80 * u(rng)));
    } else {
      LatLngRing ring;
      int n = 5 + i % 7;
      for (int k = 0; k < n; ++k) {
        double a = 2 * M_PI * k / n, r = (0.05 + 0.4 * u(rng));
        ring.push_back(S2LatLng::FromDegrees(lat + r * std::sin(a), lng + r * std::cos(a)));
      }
      ring.push_back(ring.front());
      auto polygon = BuildPolygon({ring}, i % 4 == 1 ? EdgeModel::kPlanar : EdgeModel::kGeodesic);
      ASSERT_TRUE(polygon.ok()) << polygon.status();
      area->AddPolygon(*std::move(polygon));
    }
    area->Finalize();
    ExpectExact(*area, "warning " + std::to_string(i), 7);
  }
}

}  // namespace
}  // namespace fanout
