// Copyright 2026 The fan-out engine authors.
//
// The checker against hand-made histories, one thread, no timing: a true
// history passes; each kind of wrong answer (a user missing, a user in the
// wrong shard, a stale snapshot, a lost update) is counted and described.
// tests/engine/live_index_test.cc runs it against the real index under
// concurrency.

#include "sim/consistency_checker.h"

#include <memory>
#include <string>
#include <vector>

#include "engine/alert_executor.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "geo/alert_area.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

constexpr uint32_t kShards = 4;

// 400 users on a 20 x 20 grid of 0.01 degrees around Houston, an area (a
// 1 km circle at the grid's centre) that holds some of them, and a live
// index without background threads over the same users.
class ConsistencyCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint64_t i = 0; i < 400; ++i) {
      users_.push_back(UserRecord::FromDegrees(i + 1, 29.66 + 0.01 * (i / 20),
                                               -95.47 + 0.01 * (i % 20)));
    }
    area_.AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 1.0));
    area_.Finalize();
    initial_ = *LocationIndex::Build(users_, {});
    LiveIndex::Options options;
    options.background_maintenance = false;
    live_ = *LiveIndex::Create(*LocationIndex::Build(users_, {}), options);
    checker_ = std::make_unique<ConsistencyChecker>(*initial_, 0,
                                                    std::vector<const AlertArea*>{&area_},
                                                    *ShardPolicy::Create(kShards));
  }

  // Applies `batch` to the live index and records it.
  uint64_t Apply(const std::vector<LocationUpdate>& batch) {
    uint64_t last = *live_->Apply(batch);
    checker_->RecordBatch(last, batch);
    return last;
  }

  // The executor's answer over the area at the current state, and its seq.
  DeliveryLists Execute(uint64_t* seq) {
    LiveView snapshot = live_->View();
    *seq = snapshot.seq();
    AlertExecutor::Options options;
    options.shards = kShards;
    AlertExecutor executor(snapshot, options);
    return *executor.Execute(area_, nullptr);
  }

  // Moves user 1 (a corner of the grid) into the area and user 211 (at its
  // centre) out.
  static std::vector<LocationUpdate> MoveTwoUsers() {
    return {LocationUpdate::Upsert(UserRecord::FromDegrees(1, 29.76, -95.37)),
            LocationUpdate::Upsert(UserRecord::FromDegrees(211, 29.0, -95.0))};
  }

  std::vector<UserRecord> users_;
  AlertArea area_;
  std::unique_ptr<LocationIndex> initial_;
  std::unique_ptr<LiveIndex> live_;
  std::unique_ptr<ConsistencyChecker> checker_;
};

TEST_F(ConsistencyCheckerTest, ATrueHistoryHasNoProblem) {
  uint64_t seq = 0;
  DeliveryLists before = Execute(&seq);
  ASSERT_GT(before.total(), 1u);
  checker_->RecordAlert(0, seq, 0, before);
  const uint64_t ack = Apply(MoveTwoUsers());
  DeliveryLists after = Execute(&seq);
  checker_->RecordAlert(0, seq, ack, after);
  ConsistencyChecker::Report report = checker_->Check(live_->View());
  EXPECT_EQ(report.updates, 2u);
  EXPECT_EQ(report.alerts, 2u);
  EXPECT_EQ(report.consistency_violations, 0u) << (report.examples.empty() ? "" : report.examples[0]);
  EXPECT_EQ(report.lost_updates, 0u);
  EXPECT_TRUE(report.examples.empty());
}

TEST_F(ConsistencyCheckerTest, AMissingUserIsAViolation) {
  uint64_t seq = 0;
  DeliveryLists lists = Execute(&seq);
  for (UserIdList& shard : lists.shards) {
    if (!shard.empty()) {
      shard.pop_back();
      break;
    }
  }
  checker_->RecordAlert(0, seq, 0, lists);
  ConsistencyChecker::Report report = checker_->Check(live_->View());
  EXPECT_EQ(report.consistency_violations, 1u);
  EXPECT_EQ(report.lost_updates, 0u);
  EXPECT_FALSE(report.examples.empty());
}

TEST_F(ConsistencyCheckerTest, AUserInTheWrongShardIsAViolation) {
  uint64_t seq = 0;
  DeliveryLists lists = Execute(&seq);
  for (uint32_t s = 0; s < kShards; ++s) {
    if (!lists.shards[s].empty()) {
      lists.shards[(s + 1) % kShards].push_back(lists.shards[s].back());
      lists.shards[s].pop_back();
      break;
    }
  }
  checker_->RecordAlert(0, seq, 0, lists);
  ConsistencyChecker::Report report = checker_->Check(live_->View());
  EXPECT_GE(report.consistency_violations, 1u);
}

TEST_F(ConsistencyCheckerTest, ASnapshotOlderThanAnAcknowledgedUpdateIsStale) {
  uint64_t seq = 0;
  DeliveryLists lists = Execute(&seq);  // at seq 0
  const uint64_t ack = Apply(MoveTwoUsers());
  // The alert claims to have begun after `ack` was acknowledged, yet ran
  // at the snapshot before it.
  checker_->RecordAlert(0, seq, ack, lists);
  ConsistencyChecker::Report report = checker_->Check(live_->View());
  EXPECT_EQ(report.stale_snapshots, 1u);
  EXPECT_GE(report.consistency_violations, 1u);
}

TEST_F(ConsistencyCheckerTest, AnUpdateTheIndexDidNotKeepIsLost) {
  // The index is told one thing, the history another (same length, so
  // the sequence numbers agree): user 5 ends up where the index never put it.
  std::vector<LocationUpdate> applied = {
      LocationUpdate::Upsert(UserRecord::FromDegrees(5, 29.70, -95.40))};
  std::vector<LocationUpdate> recorded = {
      LocationUpdate::Upsert(UserRecord::FromDegrees(5, 29.80, -95.30))};
  uint64_t last = *live_->Apply(applied);
  checker_->RecordBatch(last, recorded);
  ConsistencyChecker::Report report = checker_->Check(live_->View());
  EXPECT_EQ(report.updates, 1u);
  EXPECT_EQ(report.lost_updates, 1u);
}

}  // namespace
}  // namespace fanout
