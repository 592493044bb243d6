// Copyright 2026 The fan-out engine authors.
//
// Standing alerts (DESIGN §8) through the Engine API, against a model that
// recomputes every delivery by brute force from the same timeline.

#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/engine.h"
#include "engine/standing_sink.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::TempDir;

// Everything every alert handed, shared by the sinks of all alerts.
struct Recorder {
  std::mutex mu;
  std::map<std::string, std::vector<uint64_t>> handed;  // in order, duplicates kept
  std::map<std::string, std::vector<uint64_t>> ended_lists;
  std::map<std::string, EndReason> ended;
  std::map<std::string, uint64_t> late_seq_zero;  // late users without a seq
};

class RecordingSink : public StandingSink {
 public:
  RecordingSink(std::shared_ptr<Recorder> r, std::string id) : r_(std::move(r)), id_(std::move(id)) {}
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary&) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    for (const auto& s : lists.shards) {
      for (uint64_t u : s) r_->handed[id_].push_back(u);
    }
    return absl::OkStatus();
  }
  absl::Status DeliverLate(absl::string_view id, LateReason,
                           const std::vector<std::vector<LateUser>>& shards) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    EXPECT_EQ(id, id_);
    for (const auto& s : shards) {
      for (const LateUser& u : s) {
        r_->handed[id_].push_back(u.user_id);
        if (u.seq == 0) ++r_->late_seq_zero[id_];
      }
    }
    return absl::OkStatus();
  }
  absl::Status Ended(absl::string_view id, EndReason reason, const DeliveryLists* delivered) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    r_->ended[std::string(id)] = reason;
    if (delivered != nullptr) {
      for (const auto& s : delivered->shards) {
        for (uint64_t u : s) r_->ended_lists[std::string(id)].push_back(u);
      }
    }
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<Recorder> r_;
  std::string id_;
};

std::string CircleText(double lat, double lng, double km) {
  return absl::StrFormat("%.5f,%.5f %.3f", lat, lng, km);
}

StandingRequest Circle(const std::string& id, const std::string& text, uint32_t shards = 4) {
  StandingRequest r;
  r.id = id;
  r.alert.text = text;
  r.alert.format = AlertFormat::kCircle;
  r.alert.shards = shards;
  return r;
}

// The brute-force model: users' points (as the index stores them: the leaf
// cell's centre), active areas, and who each alert has been delivered to.
struct Model {
  std::map<uint64_t, S2Point> users;
  std::map<std::string, std::unique_ptr<AlertArea>> active;
  std::map<std::string, std::set<uint64_t>> delivered;

  static std::unique_ptr<AlertArea> Area(const std::string& text) {
    auto resolved = ResolveAlertText(text, AlertFormat::kCircle);
    EXPECT_TRUE(resolved.ok()) << resolved.status();
    return std::move(resolved->area);
  }
  void Sweep(const std::string& id) {
    for (const auto& [u, p] : users) {
      if (active[id]->Contains(p)) delivered[id].insert(u);
    }
  }
  void Issue(const std::string& id, const std::string& text) {
    active[id] = Area(text);
    delivered[id].clear();
    Sweep(id);
  }
  void Update(const std::string& id, const std::string& text) {
    active[id] = Area(text);
    Sweep(id);
  }
  void Move(uint64_t u, int32_t lat_e7, int32_t lng_e7) {
    const S2Point p = S2CellId(S2LatLng::FromE7(lat_e7, lng_e7)).ToPoint();
    users[u] = p;
    for (auto& [id, area] : active) {
      if (area->Contains(p)) delivered[id].insert(u);
    }
  }
};

class StandingModelTest : public ::testing::TestWithParam<int> {};

TEST_P(StandingModelTest, AgreesWithBruteForceAcrossRestarts) {
  const int seed = GetParam();
  std::mt19937_64 rng(seed);
  TempDir dir;
  const EngineOptions options = ::fanout::testing::SteppedEngineOptions();
  auto engine = Engine::Open(dir.path(), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto recorder = std::make_shared<Recorder>();
  Model model;

  // Users in a 1-degree box; alerts are circles of 5-40 km inside it, so
  // moves cross their boundaries often.
  std::uniform_real_distribution<double> lat(29.5, 30.5), lng(-95.5, -94.5);
  const int kUsers = 3000;
  std::vector<LocationUpdate> batch;
  for (int u = 1; u <= kUsers; ++u) {
    UserRecord r = UserRecord::FromDegrees(u, lat(rng), lng(rng));
    batch.push_back(LocationUpdate::Upsert(r));
    model.Move(u, r.lat_e7, r.lng_e7);
  }
  ASSERT_TRUE((*engine)->Apply(batch).ok());

  int next_alert = 0, restarts = 0;
  std::vector<std::string> all_ids;
  for (int step = 0; step < 400; ++step) {
    const int what = std::uniform_int_distribution<int>(0, 99)(rng);
    std::vector<std::string> active;
    for (const auto& [id, a] : model.active) active.push_back(id);
    auto pick = [&] { return active[std::uniform_int_distribution<size_t>(0, active.size() - 1)(rng)]; };
    auto circle = [&] {
      return CircleText(lat(rng), lng(rng), std::uniform_real_distribution<double>(5, 40)(rng));
    };
    if (what < 6 || active.empty()) {  // issue
      const std::string id = absl::StrCat("a", next_alert++);
      const std::string text = circle();
      auto s = (*engine)->IssueStanding(Circle(id, text),
                                        std::make_shared<RecordingSink>(recorder, id));
      ASSERT_TRUE(s.ok()) << s.status();
      model.Issue(id, text);
      all_ids.push_back(id);
    } else if (what < 10) {  // update: grow, shrink or move the area
      const std::string id = pick();
      const std::string text = circle();
      auto s = (*engine)->UpdateStanding(id, Circle(id, text));
      ASSERT_TRUE(s.ok()) << s.status();
      model.Update(id, text);
    } else if (what < 12) {  // end
      const std::string id = pick();
      ASSERT_TRUE((*engine)->EndAlert(id).ok());
      model.active.erase(id);
    } else if (what < 13) {  // restart: close, reopen, attach sinks again
      ++restarts;
      engine->reset();
      engine = Engine::Open(dir.path(), options);
      ASSERT_TRUE(engine.ok()) << engine.status();
      ASSERT_EQ((*engine)->ListStanding().size(), model.active.size());
      for (const auto& [id, a] : model.active) {
        auto s = (*engine)->AttachStandingSink(id, std::make_shared<RecordingSink>(recorder, id));
        ASSERT_TRUE(s.ok()) << s.status();
        EXPECT_EQ(s->handed, 0u) << "nobody moved while it had no sink";
      }
    } else if (what < 15) {
      ASSERT_TRUE((*engine)->Checkpoint().ok());
    } else if (what < 17) {
      (*engine)->RunMaintenanceForTesting();  // a freeze and a merge
    } else {  // a batch of moves and removes, some back and forth
      batch.clear();
      const int n = std::uniform_int_distribution<int>(1, 200)(rng);
      for (int k = 0; k < n; ++k) {
        const uint64_t u = std::uniform_int_distribution<uint64_t>(1, kUsers + 100)(rng);
        if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
          batch.push_back(LocationUpdate::Remove(u));
          model.users.erase(u);
        } else {
          UserRecord r = UserRecord::FromDegrees(u, lat(rng), lng(rng));
          batch.push_back(LocationUpdate::Upsert(r));
          model.Move(u, r.lat_e7, r.lng_e7);
        }
      }
      ASSERT_TRUE((*engine)->Apply(batch).ok());
    }
  }
  // Every alert, active or ended: the users handed it are exactly the
  // model's, each once.
  std::lock_guard<std::mutex> lock(recorder->mu);
  uint64_t total = 0;
  for (const std::string& id : all_ids) {
    std::vector<uint64_t> got = recorder->handed[id];
    std::sort(got.begin(), got.end());
    EXPECT_TRUE(std::adjacent_find(got.begin(), got.end()) == got.end()) << id << " handed twice";
    std::vector<uint64_t> want(model.delivered[id].begin(), model.delivered[id].end());
    EXPECT_EQ(got, want) << id;
    EXPECT_EQ(recorder->late_seq_zero[id], 0u) << id;
    total += got.size();
  }
  EXPECT_GT(total, 1000u);
  EXPECT_GE(all_ids.size(), 10u);
  EXPECT_GT(restarts, 0);
  // Point lookups agree with the model's active areas.
  for (int k = 0; k < 200; ++k) {
    const UserRecord r = UserRecord::FromDegrees(0, lat(rng), lng(rng));
    std::vector<std::string> got;
    (*engine)->ActiveAlertsAt(r.lat_e7, r.lng_e7, &got);
    std::sort(got.begin(), got.end());
    std::vector<std::string> want;
    const S2Point p = S2CellId(S2LatLng::FromE7(r.lat_e7, r.lng_e7)).ToPoint();
    for (const auto& [id, area] : model.active) {
      if (area->Contains(p)) want.push_back(id);
    }
    EXPECT_EQ(got, want);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, StandingModelTest, ::testing::Values(1, 2, 3));

std::string Cap(const std::string& identifier, const std::string& msg_type,
                const std::string& references, const std::string& polygon,
                const std::string& expires = "") {
  std::string x = absl::StrCat(
      "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>", identifier,
      "</identifier><sender>nws@example</sender><sent>2026-01-01T00:00:00-00:00</sent>"
      "<status>Actual</status><msgType>", msg_type, "</msgType><scope>Public</scope>");
  if (!references.empty()) absl::StrAppend(&x, "<references>", references, "</references>");
  absl::StrAppend(&x, "<info><category>Safety</category><event>AMBER</event>");
  if (!expires.empty()) absl::StrAppend(&x, "<expires>", expires, "</expires>");
  absl::StrAppend(&x, "<area><areaDesc>box</areaDesc><polygon>", polygon,
                  "</polygon></area></info></alert>");
  return x;
}

class StandingCapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.create_if_missing = true;
    options.sync = SyncPolicy::kNone;
    options.clock = [this] { return now_; };
    auto e = Engine::Open(dir_.path(), options);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = std::move(*e);
    // Users 1..10 at latitude 30.1 .. 31.0, longitude -95.
    std::vector<LocationUpdate> batch;
    for (int u = 1; u <= 10; ++u) {
      batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(u, 30 + u * 0.1, -95)));
    }
    ASSERT_TRUE(engine_->Apply(batch).ok());
  }
  std::vector<uint64_t> Handed(const std::string& id) {
    std::lock_guard<std::mutex> lock(recorder_->mu);
    std::vector<uint64_t> v = recorder_->handed[id];
    std::sort(v.begin(), v.end());
    return v;
  }
  StandingRequest CapRequest(const std::string& text) {
    StandingRequest r;
    r.alert.text = text;
    r.alert.format = AlertFormat::kCap;
    r.list_on_end = true;
    return r;
  }

  TempDir dir_;
  absl::Time now_ = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<Recorder> recorder_ = std::make_shared<Recorder>();
};

// Latitudes 30.05 .. 30.35: users 1, 2, 3.
constexpr char kSmall[] = "30.05,-95.5 30.05,-94.5 30.35,-94.5 30.35,-95.5 30.05,-95.5";
// Latitudes 30.05 .. 30.65: users 1 .. 6.
constexpr char kLarge[] = "30.05,-95.5 30.05,-94.5 30.65,-94.5 30.65,-95.5 30.05,-95.5";

TEST_F(StandingCapTest, UpdateHandsOnlyTheNewAndCancelListsEveryone) {
  auto issued = engine_->IssueStanding(CapRequest(Cap("AMBER-1", "Alert", "", kSmall)),
                                       std::make_shared<RecordingSink>(recorder_, "AMBER-1"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->ids, std::vector<std::string>{"AMBER-1"});
  EXPECT_EQ(Handed("AMBER-1"), (std::vector<uint64_t>{1, 2, 3}));
  // User 9 drives in; user 1 leaves and comes back: handed once.
  std::vector<LocationUpdate> moves = {
      LocationUpdate::Upsert(UserRecord::FromDegrees(9, 30.2, -95.1)),
      LocationUpdate::Upsert(UserRecord::FromDegrees(1, 35, -95)),
      LocationUpdate::Upsert(UserRecord::FromDegrees(1, 30.1, -95))};
  ASSERT_TRUE(engine_->Apply(moves).ok());
  EXPECT_EQ(Handed("AMBER-1"), (std::vector<uint64_t>{1, 2, 3, 9}));
  std::vector<std::string> at;
  EXPECT_EQ(engine_->ActiveAlertsAt(302000000, -950000000, &at), 1u);
  at.clear();
  EXPECT_EQ(engine_->ActiveAlertsForUser(9, &at), 1u);

  // An Update naming it grows the area: 4, 5, 6 now, nobody twice.
  auto updated = engine_->IssueStanding(
      CapRequest(Cap("AMBER-2", "Update", "nws@example,AMBER-1,2026-01-01T00:00:00-00:00", kLarge)),
      nullptr);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->action, "updated");
  EXPECT_EQ(updated->handed, 3u);
  EXPECT_EQ(Handed("AMBER-1"), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 9}));

  // References naming nothing active are refused, naming the reference.
  auto bad = engine_->IssueStanding(
      CapRequest(Cap("AMBER-3", "Cancel", "nws@example,NOPE,2026-01-01T00:00:00-00:00", kSmall)),
      nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(bad.status().message().find("NOPE"), std::string::npos);

  auto cancelled = engine_->IssueStanding(
      CapRequest(Cap("AMBER-4", "Cancel", "nws@example,AMBER-1,2026-01-01T00:00:00-00:00", kSmall)),
      nullptr);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  std::lock_guard<std::mutex> lock(recorder_->mu);
  EXPECT_EQ(recorder_->ended["AMBER-1"], EndReason::kCancelled);
  std::vector<uint64_t> listed = recorder_->ended_lists["AMBER-1"];
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 9}));
  EXPECT_TRUE(engine_->ListStanding().empty());
}

TEST_F(StandingCapTest, ExpiresOnTheEnginesClock) {
  auto issued = engine_->IssueStanding(
      CapRequest(Cap("W-1", "Alert", "", kSmall, "2026-01-01T01:00:00-00:00")),
      std::make_shared<RecordingSink>(recorder_, "W-1"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  std::vector<std::string> at;
  EXPECT_EQ(engine_->ActiveAlertsAt(301000000, -950000000, &at), 1u);
  now_ += absl::Hours(2);
  at.clear();
  EXPECT_EQ(engine_->ActiveAlertsAt(301000000, -950000000, &at), 0u);
  // The next Apply ends it; a user entering after is not handed it.
  std::vector<LocationUpdate> moves = {
      LocationUpdate::Upsert(UserRecord::FromDegrees(9, 30.2, -95.1))};
  ASSERT_TRUE(engine_->Apply(moves).ok());
  EXPECT_EQ(Handed("W-1"), (std::vector<uint64_t>{1, 2, 3}));
  std::lock_guard<std::mutex> lock(recorder_->mu);
  EXPECT_EQ(recorder_->ended["W-1"], EndReason::kExpired);
}

TEST_F(StandingCapTest, AlreadyExpiredAndDuplicateIdsAreRefused) {
  auto expired = engine_->IssueStanding(
      CapRequest(Cap("W-2", "Alert", "", kSmall, "2025-01-01T01:00:00-00:00")),
      std::make_shared<RecordingSink>(recorder_, "W-2"));
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);
  auto sink = std::make_shared<RecordingSink>(recorder_, "W-3");
  ASSERT_TRUE(engine_->IssueStanding(CapRequest(Cap("W-3", "Alert", "", kSmall)), sink).ok());
  EXPECT_EQ(engine_->IssueStanding(CapRequest(Cap("W-3", "Alert", "", kSmall)), sink).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(engine_->EndAlert("nope").code(), absl::StatusCode::kNotFound);
}

// A sink that refuses the initial lists.
class RefusingSink : public RecordingSink {
 public:
  using RecordingSink::RecordingSink;
  absl::Status Deliver(const DeliveryLists&, const AlertSummary&) override {
    return absl::UnavailableError("sink down");
  }
};

// An issue whose initial lists could not be handed returns the error and
// leaves nothing behind: not active, not looked up, not handed later, its
// id free, and not restored by a reopen.
TEST_F(StandingCapTest, FailedIssueIsWithdrawn) {
  auto failed = engine_->IssueStanding(CapRequest(Cap("W-4", "Alert", "", kSmall)),
                                       std::make_shared<RefusingSink>(recorder_, "W-4"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(engine_->ListStanding().empty());
  std::vector<std::string> ids;
  EXPECT_EQ(engine_->ActiveAlertsAt(301000000, -950000000, &ids), 0u);
  EXPECT_EQ(engine_->ActiveAlertsForUser(1, &ids), 0u);
  // User 7 moves into the area: nobody is handed W-4.
  ASSERT_TRUE(engine_->Apply({LocationUpdate::Upsert(UserRecord::FromDegrees(7, 30.2, -95))}).ok());
  EXPECT_TRUE(Handed("W-4").empty());
  EXPECT_EQ(engine_->EndAlert("W-4").code(), absl::StatusCode::kNotFound);
  // Its journal says it ended: a reopened engine has no W-4 either.
  engine_.reset();
  EngineOptions options;
  options.sync = SyncPolicy::kNone;
  options.clock = [this] { return now_; };
  auto reopened = Engine::Open(dir_.path(), options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  engine_ = std::move(*reopened);
  EXPECT_TRUE(engine_->ListStanding().empty());
  // The id issues again, with users 1, 2, 3 and 7 inside.
  auto again = engine_->IssueStanding(CapRequest(Cap("W-4", "Alert", "", kSmall)),
                                      std::make_shared<RecordingSink>(recorder_, "W-4"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Handed("W-4"), (std::vector<uint64_t>{1, 2, 3, 7}));
}

}  // namespace
}  // namespace fanout
