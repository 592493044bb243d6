// Copyright 2026 The fan-out engine authors.

#include "geo/boundary_catalogue.h"

#include <chrono>
#include <cstdio>

#include "base/data_dir.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;

S2Point P(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng).ToPoint(); }

BoundaryKey Key(const char* fips) {
  return fips[2] == '\0' ? BoundaryKey{BoundaryKey::Kind::kState, fips}
                         : BoundaryKey{BoundaryKey::Kind::kCounty, fips};
}

class BoundaryCatalogueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto start = std::chrono::steady_clock::now();
    auto c = BoundaryCatalogue::OpenDefault();
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(c.ok()) << c.status();
    std::printf("opened boundary catalogue (%zu regions) in %.2f ms\n", (*c)->size(), ms);
    catalogue_ = c->release();
  }
  static void TearDownTestSuite() { delete catalogue_; }
  static BoundaryCatalogue* catalogue_;
};
BoundaryCatalogue* BoundaryCatalogueTest::catalogue_ = nullptr;

TEST_F(BoundaryCatalogueTest, HoldsEveryStateCountyAndTheNation) {
  EXPECT_EQ(catalogue_->size(), 3231u + 56u + 1u);
  EXPECT_TRUE(catalogue_->Has(BoundaryKey{BoundaryKey::Kind::kNation, ""}));
  EXPECT_EQ(catalogue_->Name(Key("48201")), "Harris, Texas");
  EXPECT_EQ(catalogue_->Name(Key("48")), "Texas");
  for (const char* territory : {"72", "60", "66", "69", "78", "72127"}) {
    EXPECT_TRUE(catalogue_->Has(Key(territory))) << territory;
  }
}

TEST_F(BoundaryCatalogueTest, CountyContainsItsCityAndNotTheNeighbours) {
  auto start = std::chrono::steady_clock::now();
  AlertArea harris;
  ASSERT_TRUE(catalogue_->AddRegion(Key("48201"), &harris).ok());
  harris.Finalize();
  std::printf(
      "built Harris County in %.2f ms\n",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  EXPECT_TRUE(harris.Contains(P(29.7604, -95.3698)));   // Houston
  EXPECT_FALSE(harris.Contains(P(30.2672, -97.7431)));  // Austin
  EXPECT_FALSE(harris.Contains(P(29.3013, -94.7977)));  // Galveston
  AlertArea texas;
  ASSERT_TRUE(catalogue_->AddRegion(Key("48"), &texas).ok());
  texas.Finalize();
  EXPECT_TRUE(texas.Contains(P(30.2672, -97.7431)));
  EXPECT_FALSE(texas.Contains(P(35.4676, -97.5164)));  // Oklahoma City
}

// Every region builds, including the seven counties whose simplified ring
// crosses or touches itself (repaired at load time).
TEST_F(BoundaryCatalogueTest, EveryRegionBuilds) {
  std::string dir = std::string(FANOUT_SOURCE_DIR) + "/data/boundaries/";
  int regions = 0;
  for (const char* file : {"us-counties.geojson", "us-states.geojson"}) {
    std::string text = ReadFileOrEmpty(dir + file);
    // Feature ids, read without a JSON parser: `"id":"48201"`.
    for (size_t pos = text.find("\"id\":\""); pos != std::string::npos;
         pos = text.find("\"id\":\"", pos + 1)) {
      size_t start = pos + 6, end = text.find('"', start);
      std::string id = text.substr(start, end - start);
      AlertArea area;
      absl::Status s = catalogue_->AddRegion(Key(id.c_str()), &area);
      ASSERT_TRUE(s.ok()) << id << ": " << s;
      ++regions;
    }
  }
  EXPECT_EQ(regions, 3231 + 56);
  AlertArea alameda;
  ASSERT_TRUE(catalogue_->AddRegion(Key("06001"), &alameda).ok());
  alameda.Finalize();
  EXPECT_TRUE(alameda.Contains(P(37.8044, -122.2712)));   // Oakland
  EXPECT_FALSE(alameda.Contains(P(37.7749, -122.4194)));  // San Francisco
}

TEST_F(BoundaryCatalogueTest, UnknownCodeIsAClearError) {
  AlertArea area;
  absl::Status s = catalogue_->AddRegion(Key("48999"), &area);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("48999"), std::string::npos);
}

TEST_F(BoundaryCatalogueTest, FallsChurchIsKnownButEmpty) {
  auto n = catalogue_->PolygonCount(Key("51610"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  AlertArea area;
  EXPECT_TRUE(catalogue_->AddRegion(Key("51610"), &area).ok());
  area.Finalize();
  EXPECT_TRUE(area.is_empty());
}

// The committed file must be what the tool makes from the committed GeoJSON.
TEST(BoundaryCatalogueFileTest, CommittedFileIsCurrent) {
  std::string dir = std::string(FANOUT_SOURCE_DIR) + "/data/boundaries/";
  auto rebuilt = BuildBoundaryCatalogue(ReadFileOrEmpty(dir + "us-counties.geojson"),
                                        ReadFileOrEmpty(dir + "us-states.geojson"),
                                        ReadFileOrEmpty(dir + "us-nation.geojson"));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(*rebuilt == ReadFileOrEmpty(dir + "us-boundaries.fobc"))
      << "data/boundaries/us-boundaries.fobc is stale: run make_boundary_catalogue data";
}

TEST(BoundaryCatalogueFileTest, CorruptionIsDataLoss) {
  std::string dir = std::string(FANOUT_SOURCE_DIR) + "/data/boundaries/";
  std::string bytes = ReadFileOrEmpty(dir + "us-boundaries.fobc");
  ASSERT_GT(bytes.size(), 1000u);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  EXPECT_EQ(BoundaryCatalogue::FromBytes(flipped).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BoundaryCatalogue::FromBytes(bytes.substr(0, bytes.size() - 7)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(BoundaryCatalogue::FromBytes("FOBNDCAT").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BoundaryCatalogue::FromBytes("").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fanout
