// Copyright 2026 The fan-out engine authors.

#include "sim/population_generator.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/data_dir.h"
#include "geo/earth.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

class PopulationGeneratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto path = FindDataFile("cities.csv");
    ASSERT_TRUE(path.ok()) << path.status();
    auto cities = LoadCities(*path);
    ASSERT_TRUE(cities.ok()) << cities.status();
    cities_ = new std::vector<City>(*std::move(cities));
  }
  static void TearDownTestSuite() { delete cities_; }

  std::unique_ptr<PopulationGenerator> Make(Region region, uint64_t seed) {
    auto gen = PopulationGenerator::Create(*cities_, region, seed);
    EXPECT_TRUE(gen.ok()) << gen.status();
    return gen.ok() ? *std::move(gen) : nullptr;
  }

  static std::vector<City>* cities_;
};
std::vector<City>* PopulationGeneratorTest::cities_ = nullptr;

bool Same(const std::vector<UserRecord>& a, const std::vector<UserRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].user_id != b[i].user_id || a[i].lat_e7 != b[i].lat_e7 || a[i].lng_e7 != b[i].lng_e7) {
      return false;
    }
  }
  return true;
}

double DistanceKm(const UserRecord& u, double lat, double lng) {
  return S2LatLng::FromE7(u.lat_e7, u.lng_e7).GetDistance(S2LatLng::FromDegrees(lat, lng)).radians() *
         kEarthRadiusKm;
}

TEST_F(PopulationGeneratorTest, CitiesLoad) {
  EXPECT_GT(cities_->size(), 1000u);
  EXPECT_TRUE(std::any_of(cities_->begin(), cities_->end(),
                          [](const City& c) { return c.country == "US" && c.population > 2000000; }));
}

TEST_F(PopulationGeneratorTest, DeterministicForASeed) {
  const uint64_t n = PopulationGenerator::kBlockSize + 12345;  // more than one block
  auto a = Make(Region::kUs, 42);
  auto b = Make(Region::kUs, 42);
  ASSERT_TRUE(a && b);
  std::vector<UserRecord> first = a->GenerateAll(n, false);
  ASSERT_EQ(first.size(), n);
  EXPECT_TRUE(Same(first, a->GenerateAll(n, false)));
  EXPECT_TRUE(Same(first, b->GenerateAll(n, false)));
  // GenerateTo hands over the same users, in order.
  std::vector<UserRecord> streamed;
  ASSERT_TRUE(b->GenerateTo(n, false, [&](absl::Span<const UserRecord> batch) {
                   streamed.insert(streamed.end(), batch.begin(), batch.end());
                   return absl::OkStatus();
                 }).ok());
  EXPECT_TRUE(Same(first, streamed));
  // A prefix is the same population.
  std::vector<UserRecord> prefix = a->GenerateAll(1000, false);
  EXPECT_TRUE(Same(prefix, std::vector<UserRecord>(first.begin(), first.begin() + 1000)));
  // GenerateBlock of block 1 equals that slice.
  std::vector<UserRecord> block(100);
  a->GenerateBlock(1, absl::MakeSpan(block));
  EXPECT_TRUE(Same(block, std::vector<UserRecord>(first.begin() + PopulationGenerator::kBlockSize,
                                                  first.begin() + PopulationGenerator::kBlockSize + 100)));
}

// The load test keeps only its users' locations and derives their ids.
TEST_F(PopulationGeneratorTest, UserIdIsTheGeneratedUsersId) {
  const uint64_t n = 2 * PopulationGenerator::kBlockSize + 77;
  for (uint64_t seed : {1, 42}) {
    auto gen = Make(Region::kUs, seed);
    ASSERT_TRUE(gen);
    std::vector<UserRecord> users = gen->GenerateAll(n, false);
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(gen->UserId(i), users[i].user_id) << i;
  }
}

TEST_F(PopulationGeneratorTest, GenerateToStopsOnError) {
  auto gen = Make(Region::kUs, 1);
  ASSERT_TRUE(gen);
  int calls = 0;
  absl::Status status = gen->GenerateTo(3 * PopulationGenerator::kBlockSize, false,
                                        [&](absl::Span<const UserRecord>) {
                                          ++calls;
                                          return absl::DataLossError("disk full");
                                        });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(calls, 1);
}

TEST_F(PopulationGeneratorTest, SeedsDifferAndIdsAreDistinctAndValid) {
  auto a = Make(Region::kWorld, 1);
  auto b = Make(Region::kWorld, 2);
  ASSERT_TRUE(a && b);
  std::vector<UserRecord> ua = a->GenerateAll(100000, false);
  std::vector<UserRecord> ub = b->GenerateAll(100000, false);
  EXPECT_FALSE(Same(ua, ub));
  size_t same_place = 0;
  for (size_t i = 0; i < ua.size(); ++i) {
    same_place += ua[i].lat_e7 == ub[i].lat_e7 && ua[i].lng_e7 == ub[i].lng_e7;
  }
  EXPECT_LT(same_place, 100u);
  std::vector<uint64_t> ids;
  for (const UserRecord& u : ua) {
    ASSERT_TRUE(u.IsValid()) << u.user_id << " " << u.lat() << "," << u.lng();
    ids.push_back(u.user_id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  // Scattered over the whole 64-bit range, not 0..n.
  EXPECT_GT(ids.back(), uint64_t{1} << 62);
}

TEST_F(PopulationGeneratorTest, UsRegionIsInTheUsAndFollowsPopulation) {
  auto gen = Make(Region::kUs, 7);
  ASSERT_TRUE(gen);
  std::vector<UserRecord> users = gen->GenerateAll(200000, false);
  size_t in_us_box = 0, houston = 0, marfa = 0;
  for (const UserRecord& u : users) {
    ASSERT_TRUE(u.IsValid());
    // Contiguous US, Alaska, Hawaii and Puerto Rico: lat 17..72, lng -180..-64
    // (plus the Aleutians west of 180).
    bool box = u.lat() > 17 && u.lat() < 72 && (u.lng() < -64 || u.lng() > 170);
    in_us_box += box;
    if (DistanceKm(u, 29.76, -95.37) < 30) ++houston;
    if (DistanceKm(u, 30.31, -104.02) < 30) ++marfa;  // Marfa, TX: ~1,800 people
  }
  EXPECT_GE(in_us_box, users.size() * 99 / 100);
  // Houston has about 1% of the US population within 30 km.
  EXPECT_GT(houston, 500u);
  EXPECT_GT(houston, 20 * marfa + 100) << "houston " << houston << " marfa " << marfa;
}

TEST_F(PopulationGeneratorTest, ParseRegionAndEmptyCities) {
  EXPECT_EQ(*ParseRegion("us"), Region::kUs);
  EXPECT_EQ(*ParseRegion("world"), Region::kWorld);
  EXPECT_FALSE(ParseRegion("mars").ok());
  EXPECT_FALSE(PopulationGenerator::Create({}, Region::kWorld, 1).ok());
  EXPECT_FALSE(LoadCities("/nonexistent/cities.csv").ok());
}

}  // namespace
}  // namespace fanout
