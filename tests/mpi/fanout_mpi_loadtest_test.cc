// Copyright 2026 The fan-out engine authors.
//
// `mpirun -np K build/fanout-mpi loadtest` (DESIGN §9, mpi/mpi_loadtest.cc):
// live updates routed across ranks while alerts run. With --check every
// alert's union is compared on rank 0 with the brute-force answer over the
// global state at the alert's batch boundary (each ingress rank tests its
// own users of the generator's deterministic history against the area),
// each user at most once and in its mix64 shard, and the final state of
// every rank with the model's users for its cell range. Independently of
// that check, the update stream and the alerts do not depend on the rank
// count, so every alert must find exactly the same users (count and
// digest) on 1, 3 and 4 ranks. Then the failures: a rank killed or out of
// memory mid-run fails the whole run loudly, naming the rank.

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/mpi/mpi_run.h"

namespace fanout {
namespace {

using ::fanout::testing::Mpi;
using ::fanout::testing::MpiResult;

// 40 batches of 1,024 updates over 30,000 users, an alert at every 5th
// boundary: about half the updates move a user to a fresh point, so
// thousands of moves cross partitions while the 8 alerts run.
constexpr char kArgs[] =
    "loadtest --users 30000 --seed 5 --batch 1024 --batches 40 --alert-every 5 --shards 8 "
    "--check";
constexpr int kAlerts = 8;

nlohmann::json RunChecked(int ranks) {
  MpiResult r = Mpi(ranks, kArgs);
  EXPECT_EQ(r.rc, 0) << r.err << r.out;
  nlohmann::json report = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(report.is_discarded()) << r.out;
  return report;
}

class FanoutMpiLoadtestTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() { single_ = new nlohmann::json(RunChecked(1)); }
  static void TearDownTestSuite() { delete single_; }
  static nlohmann::json* single_;
};
nlohmann::json* FanoutMpiLoadtestTest::single_ = nullptr;

TEST_P(FanoutMpiLoadtestTest, EveryAlertEqualsBruteForceAtItsBoundary) {
  const int ranks = GetParam();
  nlohmann::json report = ranks == 1 ? *single_ : RunChecked(ranks);
  ASSERT_TRUE(report.contains("check")) << report.dump();
  const nlohmann::json& check = report["check"];
  EXPECT_EQ(check["alerts_checked"], kAlerts);
  EXPECT_EQ(check["mismatched_alerts"], 0);
  EXPECT_EQ(check["duplicates"], 0);
  EXPECT_EQ(check["wrong_shard"], 0);
  EXPECT_EQ(check["final_state_matches_model"], true);
  EXPECT_EQ(report["ranks"], ranks);
  EXPECT_EQ(report["per_rank"].size(), static_cast<size_t>(ranks));
  uint64_t users = 0;
  for (const nlohmann::json& r : report["per_rank"]) users += r["users"].get<uint64_t>();
  EXPECT_GT(users, 0u);
  if (ranks > 1) {
    // Moves did cross partitions, as remove-at-old plus upsert-at-new.
    EXPECT_GT(report["cross_rank_moves"].get<uint64_t>(), 1000u);
    EXPECT_EQ(report["routed_updates"].get<uint64_t>(),
              report["updates"].get<uint64_t>() + report["cross_rank_moves"].get<uint64_t>())
        << "every update reaches one rank, a cross-partition move two";
  }
  const nlohmann::json& alerts = report["alerts"]["list"];
  ASSERT_EQ(alerts.size(), static_cast<size_t>(kAlerts));
  uint64_t found = 0;
  for (const nlohmann::json& a : alerts) {
    SCOPED_TRACE(a.dump());
    EXPECT_EQ(a["missing"], 0);
    EXPECT_EQ(a["extra"], 0);
    EXPECT_EQ(a["matched"], a["expected"]);
    EXPECT_EQ(a["rank_seqs"].size(), static_cast<size_t>(ranks));
    found += a["matched"].get<uint64_t>();
  }
  EXPECT_GT(found, 0u) << "the alerts found nobody: the check proves little";
}

TEST_P(FanoutMpiLoadtestTest, AlertsFindTheSameUsersWhateverTheRankCount) {
  const int ranks = GetParam();
  if (ranks == 1) GTEST_SKIP() << "the reference run";
  nlohmann::json report = RunChecked(ranks);
  const nlohmann::json& want = (*single_)["alerts"]["list"];
  const nlohmann::json& got = report["alerts"]["list"];
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i]["batch"], want[i]["batch"]) << i;
    EXPECT_EQ(got[i]["matched"], want[i]["matched"]) << i;
    EXPECT_EQ(got[i]["digest"], want[i]["digest"]) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, FanoutMpiLoadtestTest, ::testing::Values(1, 3, 4),
                         [](const auto& info) { return absl::StrCat("np", info.param); });

TEST(FanoutMpiLoadtestFailureTest, AKilledRankFailsTheRunNamingIt) {
  MpiResult r = Mpi(3, "loadtest --users 20000 --batch 512 --batches 40 --alert-every 3",
                    "FANOUT_MPI_TEST_DIE_RANK=1");
  EXPECT_NE(r.rc, 0) << r.err;
  // mpirun's own report: "process rank 1 with PID ... exited on signal 9".
  EXPECT_NE(r.err.find("rank 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("signal 9"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("updates_per_second"), std::string::npos) << "no report: " << r.out;
}

TEST(FanoutMpiLoadtestFailureTest, ARankOutOfMemoryFailsTheRunNamingIt) {
  MpiResult r = Mpi(3, "loadtest --users 20000 --batch 512 --batches 40 --alert-every 3",
                    "FANOUT_MPI_TEST_FAIL_RANK=2");
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("rank 2 of 3: out of memory"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("updates_per_second"), std::string::npos) << "no report: " << r.out;
}

TEST(FanoutMpiLoadtestFailureTest, BadFlagsAreRefusedWithExitTwo) {
  MpiResult r = Mpi(3, "loadtest --users 0");
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("--users"), std::string::npos) << r.err;
  r = Mpi(3, "loadtest --batchez 3");
  EXPECT_EQ(r.rc, 2) << r.err;
}

}  // namespace
}  // namespace fanout
