// Copyright 2026 The fan-out engine authors.
//
// StandingTracker's precheck (engine/internal/standing_tracker.h): the area
// tests an applier makes before the Engine's write lock must never change
// who is handed what, even when alerts are issued, re-areaed or ended
// between the precheck and the locked part. Two trackers see the same
// operations; one is given prechecks made at random earlier moments, the
// other none; their deliveries must be identical and equal to brute force.
// The index is built once for alerts issued back to back.

#include "engine/internal/standing_tracker.h"

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace internal {
namespace {

// Records every user handed to any alert: (alert id, user id) -> times.
class RecordingSink : public StandingSink {
 public:
  explicit RecordingSink(std::map<std::pair<std::string, uint64_t>, int>* handed)
      : handed_(handed) {}
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary& summary) override {
    (void)lists, (void)summary;
    return absl::OkStatus();
  }
  absl::Status DeliverLate(absl::string_view alert_id, LateReason reason,
                           const std::vector<std::vector<LateUser>>& shards) override {
    (void)reason;
    for (const auto& shard : shards) {
      for (const LateUser& u : shard) ++(*handed_)[{std::string(alert_id), u.user_id}];
    }
    return absl::OkStatus();
  }

 private:
  std::map<std::pair<std::string, uint64_t>, int>* handed_;
};

struct Circle {
  double lat, lng, km;
};

StandingRecipe RecipeOf(const std::string& id, const Circle& c) {
  StandingRecipe r;
  r.id = id;
  r.text = absl::StrCat(c.lat, ",", c.lng, " ", c.km);
  r.format = static_cast<uint8_t>(AlertFormat::kCircle);
  r.shards = 4;
  return r;
}

// One tracker and what its sinks were handed.
struct Side {
  explicit Side(const std::string& dir)
      : tracker(dir, [] { return absl::Now(); }, /*sync_each=*/false) {}
  StandingTracker tracker;
  std::map<std::pair<std::string, uint64_t>, int> handed;

  void Issue(const std::string& id, const Circle& c) {
    StandingRecipe recipe = RecipeOf(id, c);
    auto area = BuildActiveArea(recipe);
    ASSERT_TRUE(area.ok()) << area.status();
    ASSERT_TRUE(
        tracker.Register(recipe, *area, std::make_shared<RecordingSink>(&handed)).ok());
    // No users are inside at issue time in this test: the initial lists
    // are empty, and they let the late batches through.
    DeliveryLists none;
    none.shards.resize(recipe.shards);
    AlertSummary summary;
    ASSERT_TRUE(tracker.CompleteScan(id, none, 0, /*initial=*/true, &summary,
                                     LateReason::kEntered)
                    .ok());
  }
  void Reshape(const std::string& id, const Circle& c) {
    StandingRecipe recipe = RecipeOf(id, c);
    auto area = BuildActiveArea(recipe);
    ASSERT_TRUE(area.ok()) << area.status();
    ASSERT_TRUE(tracker.ReplaceArea(id, recipe, *area).ok());
  }
  void End(const std::string& id) {
    StandingTracker::Handoff h;
    ASSERT_TRUE(tracker.End(id, EndReason::kEnded, &h).ok());
    tracker.Hand(&h);
  }
  void Applied(const std::vector<LocationUpdate>& batch, uint64_t first,
               const StandingTracker::Precheck* pre) {
    StandingTracker::Handoff h;
    ASSERT_TRUE(tracker.OnApplied(batch, first, pre, &h).ok());
    tracker.Hand(&h);
  }
};

TEST(StandingTrackerTest, StalePrechecksHandExactlyWhatFreshTestsHand) {
  ::fanout::testing::TempDir with_dir, without_dir;
  Side with(with_dir.path()), without(without_dir.path());
  std::string torn;
  ASSERT_TRUE(with.tracker.Open(&torn).ok());
  ASSERT_TRUE(without.tracker.Open(&torn).ok());

  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lat(30, 31), lng(-98, -97);
  // Brute force: per alert, its current area.
  std::map<std::string, std::shared_ptr<const ActiveArea>> active;
  auto area_of = [](const std::string& id, const Circle& c) {
    auto area = BuildActiveArea(RecipeOf(id, c));
    EXPECT_TRUE(area.ok()) << area.status();
    return area.ok() ? *area : nullptr;
  };
  std::map<std::pair<std::string, uint64_t>, int> expected;
  int next_alert = 0;
  uint64_t seq = 1;
  int stale = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<LocationUpdate> batch;
    for (int k = 0; k < 64; ++k) {
      const uint64_t user = rng() % 2000;
      if (rng() % 20 == 0) {
        batch.push_back(LocationUpdate::Remove(user));
      } else {
        batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(user, lat(rng), lng(rng))));
      }
    }
    StandingTracker::Precheck pre;
    with.tracker.PrecheckBatch(batch, &pre);
    // Between the precheck and the locked part: the alerts change.
    const int change = static_cast<int>(rng() % 4);
    if (change == 1 || active.empty()) {
      const std::string id = absl::StrCat("a", next_alert++);
      const Circle c{lat(rng), lng(rng), 5.0 + static_cast<double>(rng() % 20)};
      with.Issue(id, c);
      without.Issue(id, c);
      active[id] = area_of(id, c);
      ++stale;
    } else if (change == 2) {
      auto it = std::next(active.begin(), static_cast<long>(rng() % active.size()));
      const Circle c{lat(rng), lng(rng), 5.0 + static_cast<double>(rng() % 20)};
      with.Reshape(it->first, c);
      without.Reshape(it->first, c);
      it->second = area_of(it->first, c);
      ++stale;
    } else if (change == 3 && active.size() > 3) {
      auto it = std::next(active.begin(), static_cast<long>(rng() % active.size()));
      with.End(it->first);
      without.End(it->first);
      active.erase(it);
      ++stale;
    }
    with.Applied(batch, seq, &pre);
    without.Applied(batch, seq, nullptr);
    seq += batch.size();
    // The model: a user entering an active area is handed it once.
    for (const LocationUpdate& u : batch) {
      if (u.kind != LocationUpdate::Kind::kUpsert) continue;
      const S2Point p = u.location.ToCellId().ToPoint();
      for (const auto& [id, area] : active) {
        ASSERT_NE(area, nullptr);
        if (area->area->Contains(p)) expected[{id, u.user_id()}] = 1;
      }
    }
  }
  EXPECT_GT(stale, 100);  // most rounds did go through the stale path
  EXPECT_GT(expected.size(), 100u);
  EXPECT_EQ(with.handed, without.handed);
  EXPECT_EQ(with.handed, expected);
}

// The previous-cell shortcut of OnApplied starts only from a recorded
// scan: an alert whose scan after Register never completed (the executor
// or the journal failed) looks every hit up, so a user already inside who
// takes a small step is handed; the same step skips the look-up for an
// alert whose scan was recorded (here: recorded as finding nobody).
TEST(StandingTrackerTest, ShortcutWaitsForTheRecordedScan) {
  ::fanout::testing::TempDir dir;
  std::map<std::pair<std::string, uint64_t>, int> handed;
  StandingTracker tracker(dir.path(), [] { return absl::Now(); }, /*sync_each=*/false);
  std::string torn;
  ASSERT_TRUE(tracker.Open(&torn).ok());
  const Circle c{30, -95, 20};
  for (const std::string id : {"unscanned", "scanned"}) {
    StandingRecipe recipe = RecipeOf(id, c);
    auto area = BuildActiveArea(recipe);
    ASSERT_TRUE(area.ok()) << area.status();
    ASSERT_TRUE(tracker.Register(recipe, *area, std::make_shared<RecordingSink>(&handed)).ok());
  }
  DeliveryLists none;
  none.shards.resize(4);
  AlertSummary summary;
  ASSERT_TRUE(
      tracker.CompleteScan("scanned", none, 0, /*initial=*/true, &summary, LateReason::kEntered)
          .ok());
  // User 1, at the centre, takes a 1-m step.
  const std::vector<LocationUpdate> batch = {
      LocationUpdate::Upsert(UserRecord::FromDegrees(1, 30.00001, -95))};
  const std::vector<uint64_t> cells = {batch[0].location.ToCellId().id()};
  const std::vector<uint64_t> previous = {UserRecord::FromDegrees(1, 30, -95).ToCellId().id()};
  StandingTracker::Handoff h;
  ASSERT_TRUE(tracker.OnApplied(batch, 1, nullptr, &h, cells, previous).ok());
  tracker.Hand(&h);
  // The unscanned alert's sink has had no initial lists, so its late users
  // wait for them (not handed yet): its record is what shows the look-up.
  std::map<std::string, uint64_t> delivered;
  for (const StandingTracker::Info& info : tracker.List()) delivered[info.id] = info.delivered;
  EXPECT_EQ(delivered["unscanned"], 1u) << "its scan never recorded user 1";
  EXPECT_EQ(delivered["scanned"], 0u) << "skipped: the recorded scan had it (as told)";
  EXPECT_EQ((handed[{"scanned", 1}]), 0);
  EXPECT_EQ(tracker.GetStats().probes_skipped, 1u);
}

// Alerts issued back to back (Register, then CompleteScan, as
// Engine::IssueStanding does) build the index once, at its first use, not
// once an alert; the scanned flags reach the index either way: copied by
// the build when it follows the scan, set in place when it precedes it.
TEST(StandingTrackerTest, AlertsIssuedBackToBackBuildTheIndexOnce) {
  ::fanout::testing::TempDir dir;
  std::map<std::pair<std::string, uint64_t>, int> handed;
  StandingTracker tracker(dir.path(), [] { return absl::Now(); }, /*sync_each=*/false);
  std::string torn;
  ASSERT_TRUE(tracker.Open(&torn).ok());
  const uint64_t builds_at_open = tracker.GetStats().index_builds;
  DeliveryLists none;
  none.shards.resize(4);
  AlertSummary summary;
  auto register_alert = [&](const std::string& id, const Circle& c) {
    StandingRecipe recipe = RecipeOf(id, c);
    auto area = BuildActiveArea(recipe);
    ASSERT_TRUE(area.ok()) << area.status();
    ASSERT_TRUE(tracker.Register(recipe, *area, std::make_shared<RecordingSink>(&handed)).ok());
  };
  auto scan = [&](const std::string& id) {
    ASSERT_TRUE(
        tracker.CompleteScan(id, none, 0, /*initial=*/true, &summary, LateReason::kEntered).ok());
  };
  // 40 alerts, each 1 degree of longitude apart.
  for (int i = 0; i < 40; ++i) {
    register_alert(absl::StrCat("a", i), Circle{30, -120.0 + i, 10});
    scan(absl::StrCat("a", i));
  }
  EXPECT_EQ(tracker.GetStats().index_builds, builds_at_open);
  // A user at each alert's centre takes a 1-m step: every hit is skipped
  // by its previous cell (the recorded scans had them, as told).
  auto step_at = [&](double lat, double lng, uint64_t user, uint64_t seq) {
    const std::vector<LocationUpdate> batch = {
        LocationUpdate::Upsert(UserRecord::FromDegrees(user, lat + 0.00001, lng))};
    const std::vector<uint64_t> cells = {batch[0].location.ToCellId().id()};
    const std::vector<uint64_t> previous = {UserRecord::FromDegrees(user, lat, lng).ToCellId().id()};
    StandingTracker::Handoff h;
    ASSERT_TRUE(tracker.OnApplied(batch, seq, nullptr, &h, cells, previous).ok());
    tracker.Hand(&h);
  };
  for (int i = 0; i < 40; ++i) step_at(30, -120.0 + i, 100 + i, 1 + i);
  EXPECT_EQ(tracker.GetStats().index_builds, builds_at_open + 1);
  EXPECT_EQ(tracker.GetStats().probes_skipped, 40u);
  // An alert registered, then the index built by an update (its scan not
  // yet recorded: no skip), then its scan recorded: the flag is set in the
  // built index, and the next step is skipped.
  register_alert("later", Circle{35, -100, 10});
  step_at(45, -100, 7, 100);  // in no alert; builds the index
  EXPECT_EQ(tracker.GetStats().index_builds, builds_at_open + 2);
  scan("later");
  step_at(35, -100, 8, 200);
  EXPECT_EQ(tracker.GetStats().index_builds, builds_at_open + 2);
  EXPECT_EQ(tracker.GetStats().probes_skipped, 41u);
  EXPECT_TRUE(handed.empty());
}

}  // namespace
}  // namespace internal
}  // namespace fanout
