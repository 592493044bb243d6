// Copyright 2026 The fan-out engine authors.
//
// `fanout loadtest` as DESIGN §5 writes it: a short run on a small
// population reports its figures in the contract's JSON with no violation
// (exit 0); the same run on a deliberately broken index is caught by the
// checker (exit 1, the JSON still written); bad flags are exit 2. With
// --log, the update log is written and replayed to the same state.

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;

constexpr char kSmall[] = "loadtest --users 50000 --update-rate 50000 --alert-rate 40 --seconds 1";

TEST(LoadTestCliTest, ReportsTheContractJsonWithNoViolations) {
  TempDir dir;
  std::string out, err;
  int rc = RunFanout(absl::StrCat(kSmall, " --json ", dir.File("lt.json")), &out, &err);
  ASSERT_EQ(rc, 0) << err << out;
  auto j = nlohmann::json::parse(ReadFileOrEmpty(dir.File("lt.json")));
  for (const char* key : {"updates_applied", "updates_per_s", "alerts", "alert_ms",
                          "idle_alert_ms", "consistency_violations", "lost_updates"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_GT(j["updates_applied"].get<uint64_t>(), 10000u);
  EXPECT_GT(j["alerts"].get<uint64_t>(), 10u);
  EXPECT_GT(j["alert_ms"]["p99"].get<double>(), 0);
  EXPECT_GE(j["alert_ms"]["p999"].get<double>(), j["alert_ms"]["p99"].get<double>());
  EXPECT_GT(j["idle_alert_ms"]["p50"].get<double>(), 0);
  EXPECT_EQ(j["consistency_violations"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["lost_updates"].get<uint64_t>(), 0u);
}

TEST(LoadTestCliTest, TheCheckerCatchesABrokenIndex) {
  for (const char* fault : {"keep-replaced-entry", "drop-updates"}) {
    TempDir dir;
    std::string out, err;
    int rc = RunFanout(
        absl::StrCat(kSmall, " --inject-fault ", fault, " --json ", dir.File("lt.json")), &out,
        &err);
    EXPECT_EQ(rc, 1) << fault << ": " << err;
    EXPECT_NE(err.find("the checker found"), std::string::npos) << err;
    auto j = nlohmann::json::parse(ReadFileOrEmpty(dir.File("lt.json")));
    EXPECT_GT(j["consistency_violations"].get<uint64_t>() + j["lost_updates"].get<uint64_t>(), 0u)
        << fault;
  }
}

TEST(LoadTestCliTest, WritesAndReplaysAnUpdateLog) {
  TempDir dir;
  std::string out, err;
  int rc = RunFanout(absl::StrCat(kSmall, " --log ", dir.File("updates.log"), " --json ",
                                  dir.File("lt.json")),
                     &out, &err);
  ASSERT_EQ(rc, 0) << err << out;
  auto j = nlohmann::json::parse(ReadFileOrEmpty(dir.File("lt.json")));
  EXPECT_GT(j["log_bytes"].get<uint64_t>(), 24 * j["updates_applied"].get<uint64_t>());
  EXPECT_GT(j["log_replay_s"].get<double>(), 0);
  // A second run refuses to append to an existing log.
  EXPECT_EQ(RunFanout(absl::StrCat(kSmall, " --log ", dir.File("updates.log")), &out, &err), 2);
}

TEST(LoadTestCliTest, BadFlagsAreUsageErrors) {
  std::string out, err;
  EXPECT_EQ(RunFanout("loadtest --users 1000 --update-rate 10 --alert-rate 1", &out, &err), 2);
  EXPECT_NE(err.find("seconds"), std::string::npos) << err;
  EXPECT_EQ(RunFanout(absl::StrCat(kSmall, " --update-rate 0"), &out, &err), 2);
  EXPECT_EQ(RunFanout(absl::StrCat(kSmall, " --inject-fault nonsense"), &out, &err), 2);
  EXPECT_EQ(RunFanout(absl::StrCat(kSmall, " --update-threads 0"), &out, &err), 2);
}

}  // namespace
}  // namespace fanout
