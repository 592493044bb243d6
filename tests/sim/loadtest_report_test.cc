// Copyright 2026 The fan-out engine authors.
//
// The load test's JSON (DESIGN §5 `fanout loadtest --json`): the contract's
// keys come first and in order, whatever else the report carries; the log
// figures appear only when a log was written. No load test is run here
// (tests/tools/loadtest_cli_test.cc runs one).

#include "sim/loadtest_report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fanout {
namespace {

LoadTestReport SomeReport() {
  LoadTestReport r;
  r.users = 1000;
  r.updates_applied = 5000;
  r.updates_per_s = 2500;
  r.alerts = 20;
  r.alert_p50 = 1.5;
  r.alert_p99 = 3.25;
  r.alert_p999 = 4;
  r.idle_p50 = 1;
  r.idle_p99 = 2;
  r.per_area.push_back({"county", 1, 2, 3, 4});
  r.slowest.push_back({});
  r.problems.push_back("an example");
  return r;
}

TEST(LoadTestReportTest, TheContractKeysComeFirstInOrder) {
  auto j = nlohmann::ordered_json::parse(SomeReport().ToJson());
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  const std::vector<std::string> contract = {"updates_applied", "updates_per_s", "alerts",
                                             "alert_ms", "idle_alert_ms",
                                             "consistency_violations", "lost_updates"};
  ASSERT_GE(keys.size(), contract.size());
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + contract.size()), contract);
  EXPECT_EQ(j["updates_applied"].get<uint64_t>(), 5000u);
  EXPECT_EQ(j["alert_ms"]["p50"].get<double>(), 1.5);
  EXPECT_EQ(j["alert_ms"]["p99"].get<double>(), 3.25);
  EXPECT_EQ(j["alert_ms"]["p999"].get<double>(), 4);
  EXPECT_EQ(j["idle_alert_ms"]["p99"].get<double>(), 2);
  EXPECT_EQ(j["per_area"][0]["name"], "county");
  EXPECT_EQ(j["problems"][0], "an example");
}

TEST(LoadTestReportTest, LogFiguresOnlyWithALog) {
  LoadTestReport r = SomeReport();
  auto without = nlohmann::json::parse(r.ToJson());
  EXPECT_FALSE(without.contains("log_bytes"));
  EXPECT_FALSE(without.contains("log_replay_s"));
  r.log_bytes = 123456;
  r.log_replay_s = 0.5;
  auto with = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(with["log_bytes"].get<uint64_t>(), 123456u);
  EXPECT_EQ(with["log_replay_s"].get<double>(), 0.5);
  EXPECT_NE(r.ToText().find("update log"), std::string::npos);
}

}  // namespace
}  // namespace fanout
