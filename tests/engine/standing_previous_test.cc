// Copyright 2026 The fan-out engine authors.
//
// The standing check's previous-cell shortcut (StandingTracker::OnApplied:
// a user whose previous cell lay in the same interior interval of an
// alert is not looked up in its record) must never change who is handed
// what, or with which update. Random timelines of users who mostly take
// small steps (so that most updates stay inside, or outside, the same
// areas, and many cross a boundary within one boundary cell), with
// removes and re-adds near the old place, the same user several times in
// a batch, CAP-style area updates, ends, freezes, merges, checkpoints and
// reopens, through the Engine, against the brute-force model of
// sim/standing_model.h (user for user, with the update that handed each).

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/engine.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "engine/standing_sink.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "sim/standing_model.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::TempDir;

// Per alert: (user, seq | StandingModel::kInitial for the initial lists).
struct Recorder {
  std::mutex mu;
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> handed;
};

class RecordingSink : public StandingSink {
 public:
  RecordingSink(std::shared_ptr<Recorder> r, std::string id, uint64_t issue_seq)
      : r_(std::move(r)), id_(std::move(id)), issue_seq_(issue_seq) {}
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary&) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    for (const auto& s : lists.shards) {
      for (uint64_t u : s) r_->handed[id_].push_back({u, issue_seq_ | StandingModel::kInitial});
    }
    return absl::OkStatus();
  }
  absl::Status DeliverLate(absl::string_view, LateReason,
                           const std::vector<std::vector<LateUser>>& shards) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    for (const auto& s : shards) {
      for (const LateUser& u : s) r_->handed[id_].push_back({u.user_id, u.seq});
    }
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<Recorder> r_;
  std::string id_;
  uint64_t issue_seq_;
};

struct Timeline {
  explicit Timeline(int seed) : rng(seed) {}
  std::mt19937_64 rng;
  double Uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
  // A circle or a quadrilateral of 5-30 km in the users' box.
  std::pair<std::string, AlertFormat> Area() {
    const double la = Uniform(29.7, 30.3), ln = Uniform(-95.3, -94.7);
    if (rng() % 2 == 0) return {absl::StrFormat("%.6f,%.6f %.3f", la, ln, Uniform(5, 30)), AlertFormat::kCircle};
    std::string text;
    const double r = Uniform(0.05, 0.25);
    // Four corners at jittered angles, closed.
    double pts[4][2];
    for (int k = 0; k < 4; ++k) {
      const double a = k * 1.5707963 + Uniform(-0.5, 0.5);
      const double rr = r * Uniform(0.6, 1.0);
      pts[k][0] = la + rr * std::sin(a), pts[k][1] = ln + rr * std::cos(a);
    }
    for (int k = 0; k <= 4; ++k) {
      absl::StrAppendFormat(&text, "%s%.6f,%.6f", k ? " " : "", pts[k % 4][0], pts[k % 4][1]);
    }
    return {text, AlertFormat::kPolygon};
  }
};

std::unique_ptr<AlertArea> ModelArea(const std::string& text, AlertFormat format) {
  auto resolved = ResolveAlertText(text, format);
  EXPECT_TRUE(resolved.ok()) << resolved.status();
  if (!resolved.ok()) return nullptr;
  resolved->area->Finalize();
  return std::move(resolved->area);
}

class StandingPreviousTest : public ::testing::TestWithParam<int> {};

TEST_P(StandingPreviousTest, SmallMovesHandExactlyWhatTheModelHands) {
  Timeline t(GetParam());
  TempDir dir;
  const EngineOptions options = ::fanout::testing::SteppedEngineOptions();
  auto engine = Engine::Open(dir.path(), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto recorder = std::make_shared<Recorder>();
  StandingModel model;
  std::vector<std::unique_ptr<AlertArea>> areas;  // the model's, kept alive
  std::map<std::string, std::pair<std::string, AlertFormat>> active;
  std::vector<std::string> all_ids;
  uint64_t seq = 0, skipped = 0, hits = 0;
  auto tally = [&] {
    const EngineStats st = (*engine)->GetStats();
    skipped += st.standing_probes_skipped, hits += st.standing_hits;
  };

  // Users in a 0.8-degree box; `where` is where each is (or was, before a
  // remove: re-adds come back near it).
  const int kUsers = 4000;
  std::vector<std::pair<double, double>> where(kUsers + 1);
  std::vector<bool> present(kUsers + 1, false);
  std::vector<LocationUpdate> batch;
  auto apply = [&]() {
    auto s = (*engine)->Apply(batch);
    ASSERT_TRUE(s.ok()) << s.status();
    for (const LocationUpdate& u : batch) {
      ++seq;
      if (u.kind == LocationUpdate::Kind::kUpsert) {
        model.Upsert(u.user_id(), seq, u.location.lat_e7, u.location.lng_e7);
      } else {
        model.Remove(u.user_id());
      }
    }
    ASSERT_EQ(*s, seq);
  };
  for (int u = 1; u <= kUsers; ++u) {
    where[u] = {t.Uniform(29.6, 30.4), t.Uniform(-95.4, -94.6)};
    present[u] = true;
    batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(u, where[u].first, where[u].second)));
  }
  apply();

  int next_alert = 0, restarts = 0, removes = 0, readds = 0;
  for (int step = 0; step < 300; ++step) {
    const int what = static_cast<int>(t.rng() % 100);
    std::vector<std::string> ids;
    for (const auto& [id, a] : active) ids.push_back(id);
    auto pick = [&] { return ids[t.rng() % ids.size()]; };
    // What an issue and a CAP Update of alert `id` send.
    auto request = [](const std::string& id, const std::string& text, AlertFormat format) {
      StandingRequest r;
      r.id = id;
      r.alert.text = text;
      r.alert.format = format;
      r.alert.shards = 4;
      return r;
    };
    if (what < 5 || ids.size() < 3) {  // issue
      const std::string id = absl::StrCat("s", next_alert++);
      const auto [text, format] = t.Area();
      auto s = (*engine)->IssueStanding(request(id, text, format),
                                        std::make_shared<RecordingSink>(recorder, id, seq));
      ASSERT_TRUE(s.ok()) << s.status();
      ASSERT_EQ(s->view_seq, seq);
      areas.push_back(ModelArea(text, format));
      model.Issue(id, areas.back().get(), seq);
      active[id] = {text, format};
      all_ids.push_back(id);
    } else if (what < 8) {  // a new area for an active alert (CAP Update)
      const std::string id = pick();
      const auto [text, format] = t.Area();
      auto s = (*engine)->UpdateStanding(id, request(id, text, format));
      ASSERT_TRUE(s.ok()) << s.status();
      areas.push_back(ModelArea(text, format));
      model.Issue(id, areas.back().get(), seq);
      active[id] = {text, format};
    } else if (what < 10 && ids.size() > 3) {  // end (a Cancel)
      const std::string id = pick();
      ASSERT_TRUE((*engine)->EndAlert(id).ok());
      model.End(id);
      active.erase(id);
    } else if (what < 12) {  // reopen, and attach the sinks again
      ++restarts;
      tally();
      engine->reset();
      engine = Engine::Open(dir.path(), options);
      ASSERT_TRUE(engine.ok()) << engine.status();
      for (const auto& [id, a] : active) {
        auto s = (*engine)->AttachStandingSink(id, std::make_shared<RecordingSink>(recorder, id, 0));
        ASSERT_TRUE(s.ok()) << s.status();
        EXPECT_EQ(s->handed, 0u) << "nobody moved while it had no sink";
      }
    } else if (what < 15) {
      ASSERT_TRUE((*engine)->Checkpoint().ok());
    } else if (what < 18) {
      (*engine)->RunMaintenanceForTesting();  // a freeze and a merge
    } else {  // a batch: mostly small steps; teleports, removes, re-adds
      batch.clear();
      const int n = static_cast<int>(1 + t.rng() % 300);
      // A few hot users get several updates in the batch.
      std::vector<int> hot;
      for (int k = 0; k < 4; ++k) hot.push_back(static_cast<int>(1 + t.rng() % kUsers));
      for (int k = 0; k < n; ++k) {
        const int u = t.rng() % 5 == 0 ? hot[t.rng() % hot.size()]
                                       : static_cast<int>(1 + t.rng() % kUsers);
        const int kind = static_cast<int>(t.rng() % 100);
        if (present[u] && kind < 4) {
          batch.push_back(LocationUpdate::Remove(u));
          present[u] = false;
          ++removes;
          continue;
        }
        if (!present[u]) ++readds;
        if (kind < 8) {
          where[u] = {t.Uniform(29.6, 30.4), t.Uniform(-95.4, -94.6)};
        } else {
          // 2-300 m, often under 50 m (within one boundary cell).
          const double step = kind < 50 ? 0.0005 : 0.003;
          where[u].first += t.Uniform(-step, step);
          where[u].second += t.Uniform(-step, step);
        }
        present[u] = true;
        batch.push_back(
            LocationUpdate::Upsert(UserRecord::FromDegrees(u, where[u].first, where[u].second)));
      }
      apply();
    }
  }
  tally();

  std::lock_guard<std::mutex> lock(recorder->mu);
  uint64_t total = 0, wrong = 0;
  for (const std::string& id : all_ids) {
    auto got = recorder->handed[id];
    std::sort(got.begin(), got.end());
    std::vector<std::pair<uint64_t, uint64_t>> want(model.handed(id).begin(), model.handed(id).end());
    std::sort(want.begin(), want.end());
    if (got != want) {
      ++wrong;
      // Name the first difference.
      auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
      ADD_FAILURE() << id << ": engine " << (g == got.end() ? std::string("-") : absl::StrCat(g->first, "@", g->second & ~StandingModel::kInitial))
                    << ", model " << (w == want.end() ? std::string("-") : absl::StrCat(w->first, "@", w->second & ~StandingModel::kInitial))
                    << " (" << got.size() << " vs " << want.size() << " handed)";
    }
    total += want.size();
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(total, 2000u);
  EXPECT_GT(restarts, 0);
  EXPECT_GT(removes, 100);
  EXPECT_GT(readds, 50);
  // The shortcut did work here: most hits were users already inside.
  EXPECT_GT(skipped, hits / 4) << skipped << " of " << hits;
}

INSTANTIATE_TEST_SUITE_P(Seeds, StandingPreviousTest, ::testing::Values(1, 2, 3, 4));

// The cases the argument names, one by one: a user removed while inside
// and added again (after an alert was issued over the place) has no
// previous cell; an alert issued, or re-areaed, over users who then take a
// small step hands them through its scan, once.
TEST(StandingPreviousCaseTest, RemovedThenIssuedThenReaddedIsHanded) {
  TempDir dir;
  EngineOptions options;
  options.create_if_missing = true;
  options.sync = SyncPolicy::kNone;
  auto engine = Engine::Open(dir.path(), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto recorder = std::make_shared<Recorder>();
  // Users 1..50 in the middle of the coming circle (deep interior), then 1..25 removed.
  std::vector<LocationUpdate> batch;
  for (int u = 1; u <= 50; ++u) {
    batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(u, 30 + u * 1e-4, -95)));
  }
  ASSERT_TRUE((*engine)->Apply(batch).ok());
  batch.clear();
  for (int u = 1; u <= 25; ++u) batch.push_back(LocationUpdate::Remove(u));
  ASSERT_TRUE((*engine)->Apply(batch).ok());
  StandingRequest r;
  r.id = "c";
  r.alert.text = "30.0,-95.0 20";
  r.alert.format = AlertFormat::kCircle;
  auto s = (*engine)->IssueStanding(r, std::make_shared<RecordingSink>(recorder, "c", 0));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->handed, 25u);
  // Everyone takes a 10-m step; the removed come back where they were.
  batch.clear();
  for (int u = 1; u <= 50; ++u) {
    batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(u, 30 + u * 1e-4 + 1e-4, -95)));
  }
  ASSERT_TRUE((*engine)->Apply(batch).ok());
  std::lock_guard<std::mutex> lock(recorder->mu);
  std::vector<uint64_t> users;
  for (const auto& [u, seq] : recorder->handed["c"]) users.push_back(u);
  std::sort(users.begin(), users.end());
  ASSERT_EQ(users.size(), 50u);
  for (int u = 1; u <= 50; ++u) EXPECT_EQ(users[u - 1], static_cast<uint64_t>(u));
  const EngineStats st = (*engine)->GetStats();
  EXPECT_EQ(st.standing_probes_skipped, 25u) << "the 25 who stayed, not the 25 re-added";
}

// LiveIndex::Apply's previous cells, against a map of where each user is:
// from the base entry and from update records, before and after freezes
// and merges, for a user updated several times in one batch, removed, or
// new (0). The span is filled with garbage first (asking for every
// element but every third, which may come back 0 or exact).
TEST(LiveIndexPreviousCellTest, ReportsTheSupersededEntrysCell) {
  std::mt19937_64 rng(5);
  std::map<uint64_t, uint64_t> cell_of;  // user -> leaf cell id
  std::vector<UserRecord> base;
  auto random_user = [&](uint64_t u) {
    return UserRecord::FromDegrees(u, std::uniform_real_distribution<double>(29, 31)(rng),
                                   std::uniform_real_distribution<double>(-96, -94)(rng));
  };
  for (uint64_t u = 1; u <= 3000; ++u) {
    base.push_back(random_user(u));
    cell_of[u] = base.back().ToCellId().id();
  }
  LiveIndex::Options options;
  options.background_maintenance = false;
  auto live = LiveIndex::Create(*LocationIndex::Build(base, {}), options);
  ASSERT_TRUE(live.ok()) << live.status();
  uint64_t none = 0;
  for (int round = 0; round < 60; ++round) {
    std::vector<LocationUpdate> batch;
    std::vector<uint64_t> cells, want;
    const int n = static_cast<int>(1 + rng() % 400);
    for (int k = 0; k < n; ++k) {
      const uint64_t u = 1 + rng() % (k % 7 == 0 ? 20 : 3500);  // 1..20 often; 3001+ new
      auto it = cell_of.find(u);
      want.push_back(it == cell_of.end() ? 0 : it->second);
      if (rng() % 10 == 0) {
        batch.push_back(LocationUpdate::Remove(u));
        cells.push_back(0);
        cell_of.erase(u);
      } else {
        batch.push_back(LocationUpdate::Upsert(random_user(u)));
        cells.push_back(batch.back().location.ToCellId().id());
        cell_of[u] = cells.back();
      }
      if (want.back() == 0) ++none;
    }
    // Asked for all but every third (0 on entry: not needed, may stay 0).
    std::vector<uint64_t> got(batch.size(), 0x5555555555555555ULL);
    for (size_t k = 0; k < got.size(); k += 3) got[k] = 0;
    ASSERT_TRUE((*live)->Apply(batch, cells, absl::MakeSpan(got)).ok());
    for (size_t k = 0; k < got.size(); ++k) {
      if (k % 3 == 0 && got[k] == 0) continue;
      ASSERT_EQ(got[k], want[k]) << "round " << round << ", update " << k;
    }
    if (round % 10 == 3) (*live)->Freeze();
    if (round % 20 == 9) (*live)->Merge();
  }
  EXPECT_GT(none, 100u);
}

}  // namespace
}  // namespace fanout
