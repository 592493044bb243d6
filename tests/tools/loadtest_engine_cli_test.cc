// Copyright 2026 The fan-out engine authors.
//
// `fanout loadtest --dir` (the Engine mode): a short run through a durable
// Engine with standing alerts reports the engine's figures and the late
// deliveries with no violation against the brute-force model; sinks that
// forget late users are caught; an existing folder is refused; --check none
// says it did not check. The loaded phase's CPU is reported by thread.

#include <filesystem>
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
using ::fanout::testing::WriteFileOrDie;

constexpr char kSmall[] =
    "loadtest --users 60000 --update-rate 60000 --alert-rate 20 --seconds 1.5 --shards 8";

TEST(LoadTestEngineCliTest, StandingAlertsAgreeWithTheModel) {
  TempDir dir;
  std::string out, err;
  int rc = RunFanout(absl::StrCat(kSmall, " --dir ", dir.File("engine"),
                                  " --standing-alerts 45 --checkpoint-at 0.5 --json ",
                                  dir.File("lt.json")),
                     &out, &err);
  ASSERT_EQ(rc, 0) << err << out;
  auto j = nlohmann::json::parse(ReadFileOrEmpty(dir.File("lt.json")));
  EXPECT_EQ(j["consistency_violations"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["lost_updates"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["standing_alerts"].get<uint64_t>(), 45u);
  EXPECT_GT(j["late_deliveries"].get<uint64_t>(), 0u) << out;
  EXPECT_EQ(j["standing_violations"].get<int64_t>(), 0) << out;
  EXPECT_GE(j["late_delivery_ms"]["p99"].get<double>(), j["late_delivery_ms"]["p50"].get<double>());
  EXPECT_GT(j["standing"]["initial"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["engine"]["sync"], "group");
  EXPECT_TRUE(j["engine"]["checked"].get<bool>());
  EXPECT_GT(j["engine"]["syncs"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["engine"]["checkpoint_s"].size(), 1u);
  EXPECT_GE(j["engine"]["checkpoints"].get<uint64_t>(), 1u);
  EXPECT_GT(j["engine"]["samples"].size(), 0u);
  EXPECT_GT(j["open_s"].get<double>(), 0);
  EXPECT_GT(j["updates_applied"].get<uint64_t>(), 10000u);
  EXPECT_TRUE(std::filesystem::exists(dir.File("engine/standing.fsj")));
  // The loaded phase's CPU: the whole process's, and the update threads'
  // share of it by name (clock ticks: a hundredth of a second of slack).
  EXPECT_GT(j["cpu_us_per_update"].get<double>(), 0) << out;
  ASSERT_TRUE(j["loaded_cpu_s_by_thread"].contains("load-updates")) << out;
  const double updaters = j["loaded_cpu_s_by_thread"]["load-updates"].get<double>();
  EXPECT_GT(updaters, 0);
  EXPECT_LE(updaters, j["loaded_cpu_s"].get<double>() + 0.05);
}

TEST(LoadTestEngineCliTest, SinksThatForgetLateUsersAreCaught) {
  TempDir dir;
  std::string out, err;
  int rc = RunFanout(absl::StrCat(kSmall, " --dir ", dir.File("engine"),
                                  " --standing-alerts 45 --inject-fault drop-late-delivery --json ",
                                  dir.File("lt.json")),
                     &out, &err);
  EXPECT_EQ(rc, 1) << err << out;
  EXPECT_NE(err.find("the standing model found"), std::string::npos) << err;
  auto j = nlohmann::json::parse(ReadFileOrEmpty(dir.File("lt.json")));
  EXPECT_GT(j["standing_violations"].get<int64_t>(), 0);
}

TEST(LoadTestEngineCliTest, CheckNoneSaysSoAndSyncIsHonoured) {
  TempDir dir;
  std::string out, err;
  int rc = RunFanout(absl::StrCat(kSmall, " --dir ", dir.File("engine"),
                                  " --standing-alerts 6 --check none --sync batch --json ",
                                  dir.File("lt.json")),
                     &out, &err);
  ASSERT_EQ(rc, 0) << err << out;
  auto j = nlohmann::json::parse(ReadFileOrEmpty(dir.File("lt.json")));
  EXPECT_FALSE(j["engine"]["checked"].get<bool>());
  EXPECT_TRUE(j["standing_violations"].is_null());
  EXPECT_EQ(j["engine"]["sync"], "batch");
  EXPECT_NE(out.find("NOT checked"), std::string::npos) << out;
}

TEST(LoadTestEngineCliTest, RefusesAnExistingFolderAndEngineFlagsWithoutDir) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("engine"));
  WriteFileOrDie(dir.File("engine/keep.txt"), "mine");
  std::string out, err;
  EXPECT_NE(RunFanout(absl::StrCat(kSmall, " --dir ", dir.File("engine")), &out, &err), 0);
  EXPECT_NE(err.find("not empty"), std::string::npos) << err;
  EXPECT_EQ(ReadFileOrEmpty(dir.File("engine/keep.txt")), "mine");
  EXPECT_EQ(RunFanout(absl::StrCat(kSmall, " --standing-alerts 3"), &out, &err), 2);
  EXPECT_NE(err.find("needs --dir"), std::string::npos) << err;
  EXPECT_EQ(RunFanout(absl::StrCat(kSmall, " --dir ", dir.File("e2"), " --sync always"), &out, &err),
            2);
}

}  // namespace
}  // namespace fanout
