// Copyright 2026 The fan-out engine authors.
//
// End-to-end tests of the real `fanout` binary: generate, then alert with
// every kind of area, checking the delivery directory against a brute-force
// answer computed here from the users file.

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/data_dir.h"
#include "engine/shard_policy.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"
#include "geo/geojson_area.h"
#include "geo/lat_lng_text.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

namespace fs = std::filesystem;

// One users file of each format, generated once for the whole suite.
class FanoutCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    for (const char* ext : {"csv", "bin"}) {
      std::string err;
      int rc = RunFanout(absl::StrCat("generate --users 60000 --seed 5 --region us --out ",
                                      dir_->File(absl::StrCat("users.", ext))),
                         nullptr, &err);
      ASSERT_EQ(rc, 0) << err;
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string Users(const char* ext) { return dir_->File(absl::StrCat("users.", ext)); }

  static std::vector<UserRecord> ReadUsers(const std::string& path) {
    if (IsBinaryUsersPath(path)) {
      auto file = UsersBinaryFile::Open(path);
      EXPECT_TRUE(file.ok()) << file.status();
      return {(*file)->records().begin(), (*file)->records().end()};
    }
    auto users = ReadUsersCsv(path, {});
    EXPECT_TRUE(users.ok()) << users.status();
    return *users;
  }

  // The brute-force answer for `area` over the users of `path`: the set of
  // ids whose location is inside (last row of a repeated id wins).
  static std::set<uint64_t> Expected(const std::string& path, const AlertArea& area) {
    std::map<uint64_t, UserRecord> last;
    for (const UserRecord& u : ReadUsers(path)) last[u.user_id] = u;
    std::set<uint64_t> ids;
    for (const auto& [id, u] : last) {
      if (area.Contains(u.ToCellId().ToPoint())) ids.insert(id);
    }
    return ids;
  }

  // Reads OUT: every shard file has one id per line, each id in shard
  // Mix64(id) % shards, no id twice; returns the union.
  static std::set<uint64_t> ReadOut(const std::string& out, uint32_t shards, bool binary = false) {
    std::set<uint64_t> all;
    size_t count = 0;
    for (uint32_t s = 0; s < shards; ++s) {
      std::string path = out + absl::StrFormat("/shard-%05d.%s", s, binary ? "bin" : "csv");
      EXPECT_TRUE(fs::exists(path)) << path;
      std::string text = ReadFileOrEmpty(path);
      std::vector<uint64_t> ids;
      if (binary) {
        EXPECT_EQ(text.size() % 8, 0u) << path;
        for (size_t i = 0; i + 8 <= text.size(); i += 8) {
          uint64_t v = 0;
          for (int b = 7; b >= 0; --b) v = v << 8 | uint8_t(text[i + b]);
          ids.push_back(v);
        }
      } else {
        if (!text.empty()) {
          EXPECT_EQ(text.back(), '\n') << path;
        }
        for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
          uint64_t id;
          EXPECT_TRUE(absl::SimpleAtoi(line, &id)) << path << ": " << line;
          EXPECT_EQ(std::to_string(id), std::string(line));
          ids.push_back(id);
        }
      }
      for (uint64_t id : ids) {
        EXPECT_EQ(Mix64(id) % shards, s) << "user " << id;
        all.insert(id);
      }
      count += ids.size();
    }
    EXPECT_EQ(count, all.size()) << "a user id appears twice in " << out;
    EXPECT_FALSE(fs::exists(out + absl::StrFormat("/shard-%05d.csv", shards)));
    auto json = nlohmann::json::parse(ReadFileOrEmpty(out + "/summary.json"));
    EXPECT_EQ(json["matched"].get<uint64_t>(), count);
    EXPECT_EQ(json["shards"].get<uint32_t>(), shards);
    EXPECT_EQ(json["per_shard"].size(), shards);
    EXPECT_TRUE(json["timings_ms"].contains("total"));
    return all;
  }

  // Runs an alert that must fail with exit code 2 and write no OUT.
  void ExpectUsageError(const std::string& args, absl::string_view needle = "") {
    TempDir work;
    std::string out = work.File("out");
    std::string err;
    int rc = RunFanout(absl::StrCat(args, " --out ", out), nullptr, &err);
    EXPECT_EQ(rc, 2) << args << "\n" << err;
    EXPECT_FALSE(fs::exists(out)) << args;
    EXPECT_NE(err.find(std::string(needle)), std::string::npos) << args << "\n" << err;
    // No temporary folder left either.
    EXPECT_TRUE(fs::is_empty(work.path())) << args;
  }

  static TempDir* dir_;
};
TempDir* FanoutCliTest::dir_ = nullptr;

constexpr char kHoustonPolygon[] =
    "29.5,-95.8 29.5,-95.0 30.1,-95.0 29.9,-95.4 30.1,-95.8 29.5,-95.8";

TEST_F(FanoutCliTest, GeneratedFilesAgree) {
  std::vector<UserRecord> csv = ReadUsers(Users("csv")), bin = ReadUsers(Users("bin"));
  ASSERT_EQ(csv.size(), 60000u);
  ASSERT_EQ(bin.size(), 60000u);
  for (size_t i = 0; i < csv.size(); ++i) {
    ASSERT_EQ(csv[i].user_id, bin[i].user_id);
    ASSERT_EQ(csv[i].lat_e7, bin[i].lat_e7);
    ASSERT_EQ(csv[i].lng_e7, bin[i].lng_e7);
  }
}

TEST_F(FanoutCliTest, PolygonAlertWithVerify) {
  for (const char* ext : {"csv", "bin"}) {
    for (const char* edges : {"planar", "geodesic"}) {
      TempDir work;
      std::string out = work.File("out");
      std::string stdout_text, err;
      int rc = RunFanout(absl::StrCat("alert --users ", Users(ext), " --polygon '",
                                      kHoustonPolygon, "' --edges ", edges,
                                      " --shards 16 --verify --out ", out),
                         &stdout_text, &err);
      ASSERT_EQ(rc, 0) << err;
      EXPECT_NE(err.find("verified"), std::string::npos) << err;
      auto ring = ParsePolygonText(kHoustonPolygon);
      ASSERT_TRUE(ring.ok());
      AlertArea area;
      area.AddPolygon(*BuildPolygon({*ring}, *ParseEdgeModel(edges)));
      std::set<uint64_t> want = Expected(Users(ext), area);
      EXPECT_GT(want.size(), 100u);
      EXPECT_EQ(ReadOut(out, 16), want) << ext << " " << edges;
    }
  }
}

TEST_F(FanoutCliTest, CircleAlert) {
  TempDir work;
  std::string out = work.File("out");
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", Users("bin"),
                                   " --circle '29.76,-95.37 50' --shards 7 --verify --out ", out),
                      nullptr, &err),
            0)
      << err;
  AlertArea area;
  area.AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 50));
  std::set<uint64_t> want = Expected(Users("bin"), area);
  EXPECT_GT(want.size(), 100u);
  EXPECT_EQ(ReadOut(out, 7), want);
}

TEST_F(FanoutCliTest, GeoJsonFeatureAlert) {
  auto geojson = FindDataFile("boundaries/us-counties.geojson");
  ASSERT_TRUE(geojson.ok()) << geojson.status();
  TempDir work;
  std::string out = work.File("out");
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", Users("csv"), " --geojson ", *geojson,
                                   " --feature 48201 --shards 5 --verify --out ", out),
                      nullptr, &err),
            0)
      << err;
  GeoJsonOptions options;
  options.feature_id = "48201";
  auto area = ParseGeoJsonArea(ReadFileOrEmpty(*geojson), options);
  ASSERT_TRUE(area.ok());
  std::set<uint64_t> want = Expected(Users("csv"), **area);
  EXPECT_GT(want.size(), 100u);
  EXPECT_EQ(ReadOut(out, 5), want);
}

TEST_F(FanoutCliTest, BinaryListFormat) {
  TempDir work;
  std::string out = work.File("out");
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", Users("bin"), " --polygon '",
                                   kHoustonPolygon, "' --shards 3 --format bin --out ", out),
                      nullptr, &err),
            0)
      << err;
  AlertArea area;
  area.AddPolygon(*BuildPolygon({*ParsePolygonText(kHoustonPolygon)}, EdgeModel::kPlanar));
  EXPECT_EQ(ReadOut(out, 3, /*binary=*/true), Expected(Users("bin"), area));
  EXPECT_FALSE(fs::exists(out + "/shard-00000.csv"));
}

TEST_F(FanoutCliTest, ExistingOutNeedsForce) {
  TempDir work;
  std::string out = work.File("out");
  fs::create_directory(out);
  WriteFileOrDie(out + "/keep.txt", "precious");
  std::string args = absl::StrCat("alert --users ", Users("bin"),
                                  " --circle '29.76,-95.37 20' --shards 4 --out ", out);
  std::string err;
  EXPECT_EQ(RunFanout(args, nullptr, &err), 2) << err;
  EXPECT_EQ(ReadFileOrEmpty(out + "/keep.txt"), "precious");
  EXPECT_FALSE(fs::exists(out + "/summary.json"));
  ASSERT_EQ(RunFanout(args + " --force", nullptr, &err), 0) << err;
  EXPECT_FALSE(fs::exists(out + "/keep.txt"));
  AlertArea area;
  area.AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 20));
  EXPECT_EQ(ReadOut(out, 4), Expected(Users("bin"), area));
  // Only OUT is left in the parent (no temporary or old folders).
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(work.path())) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"out"});
}

TEST_F(FanoutCliTest, BadInputIsExitTwoWithoutOutput) {
  const std::string users = absl::StrCat("--users ", Users("bin"));
  const std::string circle = " --circle '29.76,-95.37 20'";
  ExpectUsageError(absl::StrCat("alert ", users, circle), "--shards");
  ExpectUsageError(absl::StrCat("alert ", users, " --polygon '1,1 2,2 3;3 1,1' --shards 4"),
                   "pair 3");
  ExpectUsageError(absl::StrCat("alert ", users, " --polygon '1,1 2,2 3,3 4,4' --shards 4"),
                   "closed");
  ExpectUsageError(absl::StrCat("alert ", users, circle, " --shards 4 --bogus 1"), "bogus");
  ExpectUsageError(absl::StrCat("alert ", users, circle, " --shards 4 --edges curvy"), "curvy");
  ExpectUsageError(absl::StrCat("alert ", users, circle, " --shards 0"), "shards");
  ExpectUsageError(absl::StrCat("alert ", users, circle, " --shards 4 --format xml"), "xml");
  ExpectUsageError(absl::StrCat("alert ", users, " --shards 4"), "area");
  auto geojson = FindDataFile("boundaries/us-counties.geojson");
  ASSERT_TRUE(geojson.ok());
  ExpectUsageError(
      absl::StrCat("alert ", users, " --geojson ", *geojson, " --feature 99999 --shards 4"),
      "99999");
  ExpectUsageError("alert --users /nonexistent/users.csv" + circle + " --shards 4");
  ExpectUsageError("frobnicate");

  TempDir work;
  WriteFileOrDie(work.File("bad.csv"), "user_id,lat,lng\n1,29.7,-95.3\n2,29.8,-95.4\n3,95,0\n");
  ExpectUsageError(absl::StrCat("alert --users ", work.File("bad.csv"), circle, " --shards 4"),
                   "bad.csv:4:");
  // With --skip-bad-rows the same file is accepted.
  std::string out = work.File("skip-out");
  std::string err;
  EXPECT_EQ(RunFanout(absl::StrCat("alert --users ", work.File("bad.csv"), circle,
                                   " --skip-bad-rows --shards 4 --out ", out),
                      nullptr, &err),
            0)
      << err;
  EXPECT_EQ(ReadOut(out, 4), (std::set<uint64_t>{1, 2}));
  // A damaged binary users file.
  std::string bytes = ReadFileOrEmpty(Users("bin"));
  bytes[bytes.size() / 2] ^= 1;
  WriteFileOrDie(work.File("damaged.bin"), bytes);
  ExpectUsageError(absl::StrCat("alert --users ", work.File("damaged.bin"), circle, " --shards 4"),
                   "checksum");
}

TEST_F(FanoutCliTest, GenerateErrors) {
  TempDir work;
  std::string err;
  EXPECT_EQ(RunFanout("generate --out " + work.File("u.csv"), nullptr, &err), 2) << err;
  EXPECT_EQ(RunFanout("generate --users 10 --region mars --out " + work.File("u.csv"), nullptr,
                      &err),
            2)
      << err;
  EXPECT_EQ(RunFanout("generate --users 10", nullptr, &err), 2) << err;
  EXPECT_TRUE(fs::is_empty(work.path()));
}

// `fanout bench` at a small size: the DESIGN §5 report, with every
// baseline agreeing on the matches (the command fails otherwise), and each
// memory limit the matched ids at the best memcpy figure of the run.
TEST_F(FanoutCliTest, BenchWritesTheDesignReport) {
  const std::string json = dir_->File("bench.json");
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("bench --users 100000 --repetitions 2 --json ", json), nullptr,
                      &err),
            0)
      << err;
  auto j = nlohmann::json::parse(ReadFileOrEmpty(json), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["users"], 100000);
  const std::vector<double> runs = j["memcpy_gbps_runs"];
  ASSERT_EQ(runs.size(), 2u);  // after the build and after the last alert
  const double gbps = j["memcpy_gbps"];
  EXPECT_EQ(gbps, *std::max_element(runs.begin(), runs.end()));
  std::vector<std::string> names;
  for (const auto& q : j["queries"]) {
    names.push_back(q["name"]);
    for (const char* key : {"ms_p50", "ms_p99", "bruteforce_ms", "s2pointindex_ms"}) {
      EXPECT_GT(q[key].get<double>(), 0) << q["name"] << " " << key;
    }
    EXPECT_GE(q["ms_p99"].get<double>(), q["ms_p50"].get<double>()) << q["name"];
    const double matched = q["matched"];
    EXPECT_GT(matched, 0) << q["name"];
    EXPECT_NEAR(q["limit_ms"].get<double>(), matched * 8 / (gbps * 1e9) * 1e3,
                1e-9 * q["limit_ms"].get<double>())
        << q["name"];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"county", "state", "circle", "nation", "warnings"}));
}

}  // namespace
}  // namespace fanout
