// Copyright 2026 The fan-out engine authors.

#include "geo/geocode.h"

#include "gtest/gtest.h"

namespace fanout {
namespace {

using Kind = BoundaryKey::Kind;

TEST(GeocodeTest, SameCodes) {
  auto county = ParseSameCode("048201");
  ASSERT_TRUE(county.ok());
  EXPECT_EQ(county->kind, Kind::kCounty);
  EXPECT_EQ(county->fips, "48201");
  auto part = ParseSameCode("548201");  // a part of the county: whole county
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->CatalogueId(), "48201");
  auto state = ParseSameCode("048000");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->kind, Kind::kState);
  EXPECT_EQ(state->CatalogueId(), "48");
  auto nation = ParseSameCode("000000");
  ASSERT_TRUE(nation.ok());
  EXPECT_EQ(nation->kind, Kind::kNation);
  EXPECT_EQ(nation->CatalogueId(), "US");
  for (const char* bad : {"48201", "0482011", "04820a", "", " 48201"}) {
    auto r = ParseSameCode(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(GeocodeTest, FipsCodes) {
  EXPECT_EQ(ParseFipsCode("48201")->CatalogueId(), "48201");
  EXPECT_EQ(ParseFipsCode("48")->kind, Kind::kState);
  EXPECT_EQ(ParseFipsCode("48000")->kind, Kind::kState);
  EXPECT_FALSE(ParseFipsCode("482").ok());
  EXPECT_FALSE(ParseFipsCode("TX").ok());
}

TEST(GeocodeTest, UgcCountyResolvesZoneDoesNot) {
  auto county = InterpretGeocode("UGC", "TXC201");
  ASSERT_TRUE(county.ok());
  EXPECT_TRUE(county->resolvable);
  EXPECT_EQ(county->key.CatalogueId(), "48201");
  auto pr = InterpretGeocode("ugc", "prc127");
  ASSERT_TRUE(pr.ok());
  EXPECT_EQ(pr->key.CatalogueId(), "72127");
  auto zone = InterpretGeocode("UGC", "TXZ213");
  ASSERT_TRUE(zone.ok());
  EXPECT_FALSE(zone->resolvable);
  EXPECT_NE(zone->why.find("TXZ213"), std::string::npos);
  EXPECT_FALSE(InterpretGeocode("UGC", "XXC201").ok());  // unknown state
  EXPECT_FALSE(InterpretGeocode("UGC", "TXC20").ok());
  EXPECT_FALSE(InterpretGeocode("UGC", "TXQ201").ok());
}

TEST(GeocodeTest, Fips6AndForeignSchemes) {
  auto fips6 = InterpretGeocode("FIPS6", " 006037 ");
  ASSERT_TRUE(fips6.ok());
  EXPECT_EQ(fips6->key.CatalogueId(), "06037");
  auto foreign = InterpretGeocode("profile:CAP-CP:Location:0.3", "3520005");
  ASSERT_TRUE(foreign.ok());
  EXPECT_FALSE(foreign->resolvable);
  auto bad = InterpretGeocode("SAME", "48201");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("48201"), std::string::npos);
}

TEST(GeocodeTest, PostalTable) {
  EXPECT_EQ(StateFipsFromPostal("TX"), "48");
  EXPECT_EQ(StateFipsFromPostal("VI"), "78");
  EXPECT_EQ(StateFipsFromPostal("ZZ"), "");
}

}  // namespace
}  // namespace fanout
