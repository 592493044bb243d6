// Copyright 2026 The fan-out engine authors.
//
// `fanout alert --cap/--same/--fips/--geojson` end to end on the sample
// alerts of data/alerts: delivered users against an answer computed here,
// summary.json fields, and refusals (exit 2, no output).

#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "engine/users_binary.h"
#include "geo/alert_resolver.h"
#include "geo/cap_alert.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string Sample(const char* name) {
  return absl::StrCat(FANOUT_SOURCE_DIR, "/data/alerts/", name);
}

class CapCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string err;
    ASSERT_EQ(
        RunFanout(absl::StrCat("generate --users 100000 --seed 11 --region us --out ", Users()),
                  nullptr, &err),
        0)
        << err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Users() { return dir_->File("users.bin"); }

  // Runs an alert; returns summary.json and the delivered ids.
  static Json Run(const std::string& area_args, std::set<uint64_t>* ids = nullptr) {
    static int n = 0;
    std::string out = dir_->File(absl::StrCat("out", n++));
    std::string err;
    int rc = RunFanout(
        absl::StrCat("alert --users ", Users(), " ", area_args, " --shards 3 --out ", out), nullptr,
        &err);
    EXPECT_EQ(rc, 0) << area_args << "\n" << err;
    if (rc != 0) return Json();
    if (ids != nullptr) {
      for (int s = 0; s < 3; ++s) {
        std::string text = ReadFileOrEmpty(out + absl::StrFormat("/shard-%05d.csv", s));
        for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
          uint64_t id;
          EXPECT_TRUE(absl::SimpleAtoi(line, &id));
          ids->insert(id);
        }
      }
    }
    return Json::parse(ReadFileOrEmpty(out + "/summary.json"));
  }

  // The users inside the resolved alert, computed here from the users file.
  static std::set<uint64_t> Expected(const std::string& cap_path, bool lenient = false) {
    auto alert = ParseCapAlert(ReadFileOrEmpty(cap_path));
    EXPECT_TRUE(alert.ok()) << alert.status();
    ResolveOptions options;
    options.lenient = lenient;
    auto resolved = ResolveAlert(*alert, options);
    EXPECT_TRUE(resolved.ok()) << resolved.status();
    auto file = UsersBinaryFile::Open(Users());
    EXPECT_TRUE(file.ok());
    std::set<uint64_t> ids;
    for (const UserRecord& u : (*file)->records()) {
      if (resolved->area->Contains(u.ToCellId().ToPoint())) ids.insert(u.user_id);
    }
    return ids;
  }

  static void ExpectRefused(const std::string& area_args, const std::string& needle) {
    TempDir work;
    std::string out = work.File("out"), err;
    int rc = RunFanout(
        absl::StrCat("alert --users ", Users(), " ", area_args, " --shards 3 --out ", out), nullptr,
        &err);
    EXPECT_EQ(rc, 2) << area_args << "\n" << err;
    EXPECT_FALSE(fs::exists(out)) << area_args;
    EXPECT_TRUE(fs::is_empty(work.path())) << area_args;
    EXPECT_NE(err.find(needle), std::string::npos) << area_args << "\n" << err;
  }

  static TempDir* dir_;
};
TempDir* CapCliTest::dir_ = nullptr;

TEST_F(CapCliTest, AmberAlertByCountyCode) {
  std::set<uint64_t> ids;
  Json j = Run("--cap " + Sample("amber-harris-county.xml"), &ids);
  EXPECT_EQ(ids, Expected(Sample("amber-harris-county.xml")));
  EXPECT_GT(ids.size(), 500u);
  EXPECT_EQ(j["alert"]["identifier"], "FANOUT-SAMPLE-AMBER-0001");
  EXPECT_EQ(j["alert"]["sender"], "amber@example.org");
  EXPECT_EQ(j["alert"]["sent"], "2026-05-01T14:05:00-05:00");
  EXPECT_EQ(j["alert"]["msgType"], "Alert");
  ASSERT_EQ(j["areas"].size(), 1u);
  EXPECT_EQ(j["areas"][0]["defined_by"], "codes SAME 048201, UGC TXC201");
  EXPECT_EQ(j["areas"][0]["users"].get<uint64_t>(), ids.size());
  // The same county by --same, --fips.
  std::set<uint64_t> same, fips;
  Run("--same 048201", &same);
  Run("--fips 48201", &fips);
  EXPECT_EQ(same, ids);
  EXPECT_EQ(fips, ids);
}

TEST_F(CapCliTest, PolygonCircleAndMultiAreaSamples) {
  for (const char* name : {"tornado-warning-polygon.xml", "circle-hazmat.xml",
                           "multi-area-bilingual.xml", "antimeridian-aleutians.xml"}) {
    std::set<uint64_t> ids;
    Json j = Run("--cap " + Sample(name), &ids);
    EXPECT_EQ(ids, Expected(Sample(name))) << name;
    EXPECT_EQ(j["repairs"].size(), 0u);
  }
  Json multi = Run("--cap " + Sample("multi-area-bilingual.xml"));
  ASSERT_EQ(multi["areas"].size(), 4u);
  EXPECT_EQ(multi["alert"]["msgType"], "Update");
  EXPECT_EQ(multi["areas"][0]["defined_by"], "1 polygon");
  EXPECT_EQ(multi["areas"][1]["defined_by"], "codes SAME 048157");
  EXPECT_EQ(multi["areas"][1]["users"], multi["areas"][3]["users"]);
  uint64_t a0 = multi["areas"][0]["users"], a1 = multi["areas"][1]["users"];
  EXPECT_GT(a1, 0u);
  EXPECT_EQ(a0 + a1, multi["matched"].get<uint64_t>());  // disjoint areas
}

TEST_F(CapCliTest, HostileAndMalformedAlertsAreRefusedWithoutOutput) {
  ExpectRefused("--cap " + Sample("malformed-billion-laughs.xml"), "DOCTYPE");
  ExpectRefused("--cap " + Sample("malformed-wrong-namespace.xml"), "namespace");
  ExpectRefused("--cap " + Sample("malformed-messy-polygon.xml"), "info[0].area[0].polygon[0]");
  ExpectRefused("--cap " + Sample("malformed-zone-only.xml"), "resolve to no region");
  ExpectRefused("--cap " + Sample("circle-hazmat.xml") + " --margin-m 20000", "margin");
  ExpectRefused("--fips 48999", "48999");
  ExpectRefused("--same 48201", "48201");
  ExpectRefused("--same 048201 --fips 48201", "exactly one area");
  ExpectRefused("--cap /nonexistent.xml", "nonexistent");
}

TEST_F(CapCliTest, LenientRepairsAreListed) {
  std::set<uint64_t> ids;
  Json j = Run("--cap " + Sample("malformed-messy-polygon.xml") + " --lenient", &ids);
  EXPECT_EQ(ids, Expected(Sample("malformed-messy-polygon.xml"), true));
  // '+' sign, trailing comma, open ring; the repeated pair is valid CAP,
  // dropped and counted rather than repaired.
  ASSERT_EQ(j["repairs"].size(), 3u) << j["repairs"].dump();
  EXPECT_EQ(j["dropped_repeated_pairs"], 1);
  EXPECT_EQ(j["alert"]["mode"], "lenient");
}

// DESIGN §4b: repeated pairs are valid CAP, accepted by default and counted
// in summary.json; a longitude just past -180 is refused by default naming
// the pair and brought back by --lenient.
TEST_F(CapCliTest, RealFeedQuirks) {
  std::set<uint64_t> ids;
  Json nws = Run("--cap " + Sample("nws-cap12-repeated-pair-vtec.xml"), &ids);
  EXPECT_EQ(nws["dropped_repeated_pairs"], 1) << nws.dump();
  EXPECT_TRUE(nws["repairs"].empty());
  EXPECT_EQ(ids, Expected(Sample("nws-cap12-repeated-pair-vtec.xml")));
  EXPECT_GT(ids.size(), 0u);
  EXPECT_EQ(nws["alert"]["identifier"], "urn:oid:2.49.0.1.840.0.FANOUT-SAMPLE-0109");
  Json many = Run("--cap " + Sample("national-200-polygons-repeated-pairs.xml"));
  EXPECT_GT(many["dropped_repeated_pairs"].get<uint64_t>(), 400u);
  Json plain = Run("--cap " + Sample("tornado-warning-polygon.xml"));
  EXPECT_EQ(plain["dropped_repeated_pairs"], 0);
  ExpectRefused("--cap " + Sample("malformed-gdacs-lon-past-180.xml"),
                "pair 2 \"-16.2,-180.005\"");
  Json wrapped = Run("--cap " + Sample("malformed-gdacs-lon-past-180.xml") + " --lenient");
  ASSERT_EQ(wrapped["repairs"].size(), 1u) << wrapped.dump();
  EXPECT_NE(wrapped["repairs"][0].get<std::string>().find("179.995"), std::string::npos);
}

TEST_F(CapCliTest, MarginGivesASuperset) {
  std::set<uint64_t> exact, wide;
  Run("--cap " + Sample("tornado-warning-polygon.xml"), &exact);
  Json j = Run("--cap " + Sample("tornado-warning-polygon.xml") + " --margin-m 2000", &wide);
  for (uint64_t id : exact) ASSERT_TRUE(wide.count(id)) << id;
  EXPECT_GT(wide.size(), exact.size());
  EXPECT_EQ(j["alert"]["margin_m"], "2000");
}

TEST_F(CapCliTest, GeoJsonAlertWithNullGeometry) {
  std::set<uint64_t> ids, county;
  Json j = Run("--geojson " + Sample("nws-null-geometry.geojson"), &ids);
  Run("--fips 48339", &county);
  EXPECT_EQ(ids, county);
  EXPECT_GT(ids.size(), 0u);
  EXPECT_EQ(j["alert"]["identifier"], "FANOUT-SAMPLE-0005");
  EXPECT_EQ(j["areas"][0]["defined_by"], "codes SAME 048339");
}

}  // namespace
}  // namespace fanout
