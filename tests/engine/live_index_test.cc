// Copyright 2026 The fan-out engine authors.
//
// The live index against a model (a hash map of user -> cell, replayed):
// after random upserts, moves, removals and new users, with freezes, run
// compactions and merges at random points, every alert over every snapshot
// returns exactly what a brute-force test of the model at that snapshot
// finds; old snapshots keep answering for their own moment; a user moved,
// added or removed in the middle of an alert (between the scan's two
// passes, even with a freeze or a merge in between) is judged at its state
// when the alert began. And under real concurrency (writer threads, alert
// threads, the maintenance thread), the consistency checker finds nothing;
// it does find the faults injected on purpose.

#include "engine/live_index.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <tuple>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/alert_executor.h"
#include "engine/internal/alert_executor_peer.h"
#include "engine/internal/live_index_test_peer.h"
#include "engine/internal/live_view_state.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "geo/alert_area.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "sim/consistency_checker.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::SortedShards;
using Shards = std::vector<std::vector<uint64_t>>;

// Users live in a box around Houston, so that areas catch many of them.
constexpr double kLatLo = 29.0, kLatHi = 30.5, kLngLo = -96.2, kLngHi = -94.6;
// A power of two: the base run is scattered by its hash column, the delta
// runs (which keep none) by hashing (shard_scatter.cc).
constexpr uint32_t kShards = 8;

class Model {
 public:
  void Apply(const LocationUpdate& u) {
    if (u.kind == LocationUpdate::Kind::kRemove) {
      cell_of_.erase(u.user_id());
    } else {
      cell_of_[u.user_id()] = u.location.ToCellId().id();
    }
  }
  Shards Expected(const AlertArea& area) const {
    ShardPolicy policy = *ShardPolicy::Create(kShards);
    Shards out(kShards);
    for (const auto& [user, cell] : cell_of_) {
      if (area.Contains(S2CellId(cell).ToPoint())) out[policy.ShardOf(user)].push_back(user);
    }
    for (auto& s : out) std::sort(s.begin(), s.end());
    return out;
  }
  const absl::flat_hash_map<uint64_t, uint64_t>& cells() const { return cell_of_; }

 private:
  absl::flat_hash_map<uint64_t, uint64_t> cell_of_;
};

UserRecord RandomLocation(std::mt19937_64& rng, uint64_t user) {
  std::uniform_real_distribution<double> lat(kLatLo, kLatHi), lng(kLngLo, kLngHi);
  return UserRecord::FromDegrees(user, lat(rng), lng(rng));
}

// Random updates over users [1, max_user]: mostly small moves, some jumps,
// removals, users never seen before, and removals of unknown users.
std::vector<LocationUpdate> RandomBatch(std::mt19937_64& rng, const Model& model, size_t n,
                                        uint64_t* max_user) {
  std::vector<LocationUpdate> batch;
  std::uniform_int_distribution<int> kind(0, 99);
  std::normal_distribution<double> step(0, 0.01);
  for (size_t i = 0; i < n; ++i) {
    uint64_t user = std::uniform_int_distribution<uint64_t>(1, *max_user)(rng);
    int k = kind(rng);
    if (k < 5) {
      batch.push_back(LocationUpdate::Remove(user));
    } else if (k < 8) {
      batch.push_back(LocationUpdate::Upsert(RandomLocation(rng, ++*max_user)));
    } else if (k < 9) {
      batch.push_back(LocationUpdate::Remove(*max_user + 1000));  // never existed
    } else if (k < 30) {
      batch.push_back(LocationUpdate::Upsert(RandomLocation(rng, user)));
    } else {
      auto it = model.cells().find(user);
      S2LatLng at = it == model.cells().end() ? S2LatLng::FromDegrees(29.7, -95.4)
                                              : S2CellId(it->second).ToLatLng();
      double lat = std::clamp(at.lat().degrees() + step(rng), kLatLo, kLatHi);
      double lng = std::clamp(at.lng().degrees() + step(rng), kLngLo, kLngHi);
      batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(user, lat, lng)));
    }
  }
  return batch;
}

std::unique_ptr<AlertArea> RandomArea(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> lat(kLatLo, kLatHi), lng(kLngLo, kLngHi), u(0, 1);
  auto area = std::make_unique<AlertArea>();
  if (u(rng) < 0.5) {
    area->AddCap(MakeCircle(S2LatLng::FromDegrees(lat(rng), lng(rng)), 2 + 40 * u(rng)));
  } else {
    double clat = lat(rng), clng = lng(rng), r = 0.05 + 0.4 * u(rng);
    LatLngRing ring = {S2LatLng::FromDegrees(clat - r, clng - r), S2LatLng::FromDegrees(clat - r, clng + r),
                       S2LatLng::FromDegrees(clat + r * u(rng), clng), S2LatLng::FromDegrees(clat + r, clng + r),
                       S2LatLng::FromDegrees(clat + r, clng - r), S2LatLng::FromDegrees(clat - r, clng - r)};
    area->AddPolygon(*BuildPolygon({ring}, EdgeModel::kPlanar));
  }
  area->Finalize();
  return area;
}

std::unique_ptr<LocationIndex> InitialIndex(std::mt19937_64& rng, size_t n, Model* model) {
  std::vector<UserRecord> users;
  for (uint64_t id = 1; id <= n; ++id) {
    users.push_back(RandomLocation(rng, id));
    model->Apply(LocationUpdate::Upsert(users.back()));
  }
  return *LocationIndex::Build(users, {});
}

LiveIndex::Options Manual() {
  LiveIndex::Options options;
  options.background_maintenance = false;
  return options;
}

AlertExecutor::Options ExecutorOptions(size_t refine) {
  AlertExecutor::Options options;
  options.shards = kShards;
  options.refine_min_entries = refine;
  options.chunk_entries = 257;  // many work items, even for small runs
  return options;
}

Shards AlertOn(const LiveView& snapshot, const AlertArea& area, size_t refine = 32) {
  AlertExecutor executor(snapshot, ExecutorOptions(refine));
  AlertSummary summary;
  auto lists = executor.Execute(area, &summary);
  EXPECT_TRUE(lists.ok()) << lists.status();
  EXPECT_EQ(summary.view_seq, snapshot.seq());
  return SortedShards(*lists);
}

void ExpectSameState(const LiveView& snapshot, const Model& model) {
  absl::flat_hash_map<uint64_t, uint64_t> seen;
  size_t duplicates = 0;
  snapshot.ForEachVisible([&](uint64_t cell, uint64_t user) {
    duplicates += !seen.emplace(user, cell).second;
  });
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(seen.size(), model.cells().size());
  size_t differ = 0;
  for (const auto& [user, cell] : model.cells()) {
    auto it = seen.find(user);
    differ += it == seen.end() || it->second != cell;
  }
  EXPECT_EQ(differ, 0u);
}

// Maintenance schedules: what runs between batches.
enum class Schedule { kNone, kFreeze, kFreezeAndMerge, kRandom };

class LivePropertyTest : public ::testing::TestWithParam<std::tuple<int, Schedule>> {};

TEST_P(LivePropertyTest, EveryAlertMatchesTheModelAtItsSnapshot) {
  const auto [seed, schedule] = GetParam();
  std::mt19937_64 rng(seed);
  Model model;
  uint64_t max_user = 3000;
  auto live = *LiveIndex::Create(InitialIndex(rng, max_user, &model), Manual());
  std::vector<std::unique_ptr<AlertArea>> areas;
  for (int i = 0; i < 4; ++i) areas.push_back(RandomArea(rng));

  for (int round = 0; round < 25; ++round) {
    std::vector<LocationUpdate> batch = RandomBatch(rng, model, 1 + rng() % 400, &max_user);
    // Sometimes one update at a time, sometimes the whole batch at once.
    if (rng() % 2) {
      for (const LocationUpdate& u : batch) ASSERT_TRUE(live->Apply({&u, 1}).ok());
    } else {
      ASSERT_TRUE(live->Apply(batch).ok());
    }
    for (const LocationUpdate& u : batch) model.Apply(u);

    const int r = rng() % 4;
    if (schedule == Schedule::kFreeze || (schedule == Schedule::kRandom && r == 1)) live->Freeze();
    if ((schedule == Schedule::kFreezeAndMerge && round % 5 == 4) ||
        (schedule == Schedule::kRandom && r == 2)) {
      live->Merge();
    }
    LiveView snapshot = live->View();
    ASSERT_EQ(snapshot.seq(), live->last_seq());
    for (const auto& area : areas) {
      ASSERT_EQ(AlertOn(snapshot, *area, 1 + rng() % 40), model.Expected(*area))
          << "round " << round << " seed " << seed;
    }
    ExpectSameState(snapshot, model);
    EXPECT_EQ(live->GetStats().users, model.cells().size());
  }
  LiveIndex::Stats stats = live->GetStats();
  if (schedule == Schedule::kFreezeAndMerge) {
    EXPECT_GE(stats.merges, 4u);
  }
  if (schedule == Schedule::kFreeze) {
    EXPECT_GE(stats.freezes, 20u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Schedules, LivePropertyTest,
    ::testing::Combine(::testing::Values(1, 2, 3),
                       ::testing::Values(Schedule::kNone, Schedule::kFreeze,
                                         Schedule::kFreezeAndMerge, Schedule::kRandom)));

// While a merge builds its base, updates, freezes and compactions go on
// (the compactions among the runs frozen since the merge began only), and
// every snapshot taken meanwhile, and after the swap, still matches the model.
TEST(LiveIndexTest, FreezesAndCompactionsWhileAMergeBuildsItsBase) {
  std::mt19937_64 rng(11);
  Model model;
  uint64_t max_user = 3000;
  auto live = *LiveIndex::Create(InitialIndex(rng, max_user, &model), Manual());
  std::vector<std::unique_ptr<AlertArea>> areas;
  for (int i = 0; i < 3; ++i) areas.push_back(RandomArea(rng));
  auto check = [&](const char* when, int round) {
    LiveView snapshot = live->View();
    for (const auto& area : areas) {
      ASSERT_EQ(AlertOn(snapshot, *area), model.Expected(*area)) << when << " round " << round;
    }
    ExpectSameState(snapshot, model);
    // The merge builds its base from the runs' entries merged in order:
    // the base must come out sorted by (cell, user), the order every
    // binary search of the planner relies on.
    const SortedRun& base = internal::LiveViewAccess::State(snapshot)->sources[0].run;
    for (size_t i = 1; i < base.size(); ++i) {
      ASSERT_LT(std::tie(base.cells[i - 1], base.users[i - 1]), std::tie(base.cells[i], base.users[i]))
          << when << " round " << round << " entry " << i;
    }
  };
  auto update = [&] {
    std::vector<LocationUpdate> batch = RandomBatch(rng, model, 1 + rng() % 300, &max_user);
    ASSERT_TRUE(live->Apply(batch).ok());
    for (const LocationUpdate& u : batch) model.Apply(u);
  };
  for (int merge = 0; merge < 3; ++merge) {
    // Runs for the merge to take.
    for (int i = 0; i < 4; ++i) {
      update();
      live->Freeze();
    }
    uint64_t compactions_inside = 0;
    internal::LiveIndexTestPeer::SetMergeHook(*live, [&] {
      const uint64_t before = live->GetStats().compactions;
      for (int round = 0; round < 12; ++round) {
        update();
        if (round % 2 == 1) live->Freeze();
        check("during the merge", round);
      }
      compactions_inside = live->GetStats().compactions - before;
    });
    live->Merge();
    internal::LiveIndexTestPeer::SetMergeHook(*live, nullptr);
    EXPECT_GT(compactions_inside, 0u) << "merge " << merge;
    check("after the merge", merge);
    // The runs frozen during the merge were kept; they fold into the next.
    EXPECT_GT(live->GetStats().delta_entries, 0u);
  }
  live->Merge();
  EXPECT_EQ(live->GetStats().delta_runs, 0u);
  check("after the last merge", 0);
}

TEST(LiveIndexTest, OldSnapshotsKeepAnsweringForTheirMoment) {
  std::mt19937_64 rng(7);
  Model model;
  uint64_t max_user = 2000;
  auto live = *LiveIndex::Create(InitialIndex(rng, max_user, &model), Manual());
  auto area = RandomArea(rng);
  struct Kept {
    LiveView snapshot;
    Shards expected;
  };
  std::vector<Kept> kept;
  for (int round = 0; round < 12; ++round) {
    std::vector<LocationUpdate> batch = RandomBatch(rng, model, 300, &max_user);
    ASSERT_TRUE(live->Apply(batch).ok());
    for (const LocationUpdate& u : batch) model.Apply(u);
    kept.push_back({live->View(), model.Expected(*area)});
    if (round % 3 == 0) live->Freeze();
    if (round % 4 == 3) live->Merge();
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(AlertOn(kept[i].snapshot, *area), kept[i].expected) << "snapshot " << i;
  }
}

// The deterministic interleaving of DESIGN §3: updates land between the two
// passes of the scan (pass 1 counted, pass 2 has not written yet), with a
// freeze or a merge in between too. The alert must judge every user at its
// state when the alert's snapshot was taken.
class MoveDuringAlertTest : public ::testing::TestWithParam<int> {};

TEST_P(MoveDuringAlertTest, UsersAreJudgedAtTheirSnapshotLocation) {
  const int maintenance = GetParam();  // 0 none, 1 freeze, 2 merge, 3 freeze+merge
  AlertArea area;
  area.AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 20));
  area.Finalize();
  const UserRecord inside_a = UserRecord::FromDegrees(1, 29.76, -95.37);
  const UserRecord inside_b = UserRecord::FromDegrees(2, 29.80, -95.30);
  const UserRecord outside = UserRecord::FromDegrees(3, 31.0, -97.0);
  std::vector<UserRecord> users = {inside_a, inside_b, outside};
  std::mt19937_64 rng(5);
  for (uint64_t id = 10; id < 2000; ++id) users.push_back(RandomLocation(rng, id));
  auto live = *LiveIndex::Create(*LocationIndex::Build(users, {}), Manual());
  // Some history in runs and pending, so every kind of source is involved.
  ASSERT_TRUE(live->Upsert(UserRecord::FromDegrees(4, 29.70, -95.40)).ok());  // inside
  live->Freeze();
  ASSERT_TRUE(live->Upsert(UserRecord::FromDegrees(5, 29.71, -95.41)).ok());  // inside, pending

  LiveView before = live->View();
  AlertExecutor executor(before, ExecutorOptions(1));
  int hook_calls = 0;
  internal::AlertExecutorPeer::SetBetweenPassesHook(executor, [&] {
    ++hook_calls;
    // 1 leaves, 3 arrives, 2 is removed, 4 and 5 move out, 6 appears inside.
    std::vector<LocationUpdate> moves = {
        LocationUpdate::Upsert(UserRecord::FromDegrees(1, 31.5, -97.5)),
        LocationUpdate::Upsert(UserRecord::FromDegrees(3, 29.77, -95.36)),
        LocationUpdate::Remove(2),
        LocationUpdate::Upsert(UserRecord::FromDegrees(4, 35.0, -100.0)),
        LocationUpdate::Upsert(UserRecord::FromDegrees(5, 35.0, -100.0)),
        LocationUpdate::Upsert(UserRecord::FromDegrees(6, 29.76, -95.37)),
    };
    ASSERT_TRUE(live->Apply(moves).ok());
    if (maintenance & 1) live->Freeze();
    if (maintenance & 2) live->Merge();
  });
  AlertSummary summary;
  auto lists = executor.Execute(area, &summary);
  ASSERT_TRUE(lists.ok());
  EXPECT_EQ(hook_calls, 1);
  std::vector<uint64_t> got;
  for (const auto& s : lists->shards) got.insert(got.end(), s.begin(), s.end());
  std::sort(got.begin(), got.end());
  std::vector<uint64_t> expected;
  for (uint64_t u : {1, 2, 4, 5}) expected.push_back(u);
  for (const UserRecord& r : users) {
    if (r.user_id >= 10 && area.Contains(r.ToCellId().ToPoint())) expected.push_back(r.user_id);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);

  // A new snapshot sees the moves.
  Shards after = AlertOn(live->View(), area);
  std::vector<uint64_t> now;
  for (const auto& s : after) now.insert(now.end(), s.begin(), s.end());
  EXPECT_TRUE(std::count(now.begin(), now.end(), 3) == 1);
  EXPECT_TRUE(std::count(now.begin(), now.end(), 6) == 1);
  for (uint64_t u : {1, 2, 4, 5}) EXPECT_EQ(std::count(now.begin(), now.end(), u), 0) << u;
}

INSTANTIATE_TEST_SUITE_P(Maintenance, MoveDuringAlertTest, ::testing::Values(0, 1, 2, 3));

TEST(LiveIndexTest, InvalidUpdatesApplyNothing) {
  auto live = *LiveIndex::Create(*LocationIndex::Build({UserRecord::FromDegrees(1, 10, 10)}, {}),
                                 Manual());
  std::vector<LocationUpdate> batch = {LocationUpdate::Upsert(UserRecord::FromDegrees(2, 1, 1)),
                                       LocationUpdate::Upsert(UserRecord{3, 900000001, 0})};
  auto result = live->Apply(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("update 1 (user 3)"), std::string::npos)
      << result.status();
  EXPECT_EQ(live->last_seq(), 0u);
  EXPECT_EQ(live->GetStats().users, 1u);
  LocationUpdate bad_kind{UserRecord{4, 0, 0}, static_cast<LocationUpdate::Kind>(9)};
  EXPECT_FALSE(live->Apply({&bad_kind, 1}).ok());
  // An empty batch is fine and changes nothing.
  auto empty = live->Apply({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0u);
}

TEST(LiveIndexTest, RemoveAndReinsert) {
  auto live = *LiveIndex::Create(
      *LocationIndex::Build({UserRecord::FromDegrees(1, 29.76, -95.37)}, {}), Manual());
  AlertArea area;
  area.AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 5));
  area.Finalize();
  auto count = [&] { return AlertOn(live->View(), area)[ShardPolicy::Create(kShards)->ShardOf(1)].size(); };
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(*live->Remove(1), 1u);
  EXPECT_EQ(count(), 0u);
  EXPECT_EQ(*live->Remove(1), 2u);    // already gone: a no-op with a number
  EXPECT_EQ(*live->Remove(999), 3u);  // never there
  EXPECT_EQ(live->GetStats().users, 0u);
  live->Merge();
  EXPECT_EQ(count(), 0u);
  EXPECT_EQ(live->GetStats().base_entries, 0u);
  ASSERT_TRUE(live->Upsert(UserRecord::FromDegrees(1, 29.761, -95.371)).ok());
  EXPECT_EQ(count(), 1u);
  live->Merge();
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(live->GetStats().users, 1u);
}

// A user's current entry is its base entry, the update that moved it off
// that entry (its head), or the slot's last update kept aside for the few
// users the head cannot name (live_index_impl.h, current_of_). Each way a
// user can get there, before a merge's point, after it (applied while the
// merge builds its base) and across both, must leave exactly the model's
// state, before and after the swap and after the next merge.
TEST(LiveIndexTest, EveryUserIsFoundAtItsLastUpdateAcrossMerges) {
  std::mt19937_64 rng(5);
  Model model;
  std::vector<UserRecord> users;
  for (uint64_t id = 1; id <= 40; ++id) {
    users.push_back(RandomLocation(rng, id));
    model.Apply(LocationUpdate::Upsert(users.back()));
  }
  auto live = *LiveIndex::Create(*LocationIndex::Build(users, {}), Manual());
  auto apply = [&](const std::vector<LocationUpdate>& batch) {
    ASSERT_TRUE(live->Apply(batch).ok());
    for (const LocationUpdate& u : batch) model.Apply(u);
  };
  auto move = [&](uint64_t user) { return LocationUpdate::Upsert(RandomLocation(rng, user)); };
  auto remove = [](uint64_t user) { return LocationUpdate::Remove(user); };
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    ExpectSameState(live->View(), model);
    EXPECT_EQ(live->GetStats().users, model.cells().size());
  };
  // Before the merge point: once, twice, removed, removed and back, new,
  // new and moved, new and removed.
  apply({move(1), move(2), move(2), remove(3), remove(4), move(4), move(101), move(102),
         move(102), move(103), remove(103), move(5), move(6), move(6), remove(7), move(7)});
  check("before the merge");
  internal::LiveIndexTestPeer::SetMergeHook(*live, [&] {
    // After the point, for users in each of those states and fresh ones.
    apply({move(1), move(2), move(3), move(4), remove(101), move(102), move(103), move(5),
           move(5), remove(6), move(6), move(7), remove(7), move(8), move(8), move(8),
           remove(9), move(9), move(9), remove(10), move(104), move(104), move(105),
           remove(105), move(105)});
    check("during the merge");
  });
  live->Merge();
  internal::LiveIndexTestPeer::SetMergeHook(*live, nullptr);
  check("after the swap");
  // Each of them once more, then twice, on the merged base.
  std::vector<LocationUpdate> again;
  for (uint64_t user : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 101, 102, 103, 104, 105}) {
    again.push_back(move(user));
  }
  apply(again);
  check("moved once after the swap");
  apply(again);
  apply({remove(8), remove(104), move(104)});
  check("moved again after the swap");
  live->Merge();
  check("after the next merge");
  apply(again);
  check("moved after the next merge");
}

// The slot table keeps no keys (live_slot_table.h): it grows many times
// from an empty base, rebuilding from what the index can still name, and
// users removed and merged away (whose slots it can no longer confirm)
// come back in new slots; through all of it every user is found where the
// model says, once, and the user count agrees.
TEST(LiveIndexTest, SlotTableGrowsAndForgetsMergedRemovals) {
  std::mt19937_64 rng(11);
  auto live = *LiveIndex::Create(*LocationIndex::Build({}, {}), Manual());
  Model model;
  uint64_t next = 1;
  for (int round = 0; round < 40; ++round) {
    std::vector<LocationUpdate> batch;
    for (int i = 0; i < 500; ++i) {
      const int d = static_cast<int>(rng() % 100);
      const uint64_t old = 1 + rng() % next;
      if (d < 40) {
        batch.push_back(LocationUpdate::Upsert(RandomLocation(rng, next++)));
      } else if (d < 60) {
        batch.push_back(LocationUpdate::Remove(old));
      } else {
        batch.push_back(LocationUpdate::Upsert(RandomLocation(rng, old)));  // moves, re-entries
      }
    }
    for (const auto& u : batch) model.Apply(u);
    ASSERT_TRUE(live->Apply(batch).ok());
    if (round % 3 == 0) live->Merge();
    if (round % 5 == 1) live->Freeze();
    ExpectSameState(live->View(), model);
    ASSERT_EQ(live->GetStats().users, model.cells().size()) << "round " << round;
  }
}

TEST(LiveIndexTest, RejectsBadOptionsAndDuplicateBase) {
  LiveIndex::Options options = Manual();
  options.merge_fraction = 0;
  EXPECT_FALSE(LiveIndex::Create(*LocationIndex::Build({}, {}), options).ok());
  EXPECT_FALSE(LiveIndex::Create(nullptr, Manual()).ok());
  // Borrowed columns are not checked for unique users (location_index.h):
  // the live index, which keys everything by user, must refuse them.
  auto cells = std::make_shared<std::vector<uint64_t>>(std::vector<uint64_t>{
      UserRecord::FromDegrees(5, 10, 10).ToCellId().id(),
      UserRecord::FromDegrees(5, 20, 20).ToCellId().id()});
  auto users = std::make_shared<std::vector<uint64_t>>(std::vector<uint64_t>{5, 5});
  auto twice = LocationIndex::FromBorrowedColumns(*cells, *users, cells);
  ASSERT_TRUE(twice.ok()) << twice.status();
  auto live = LiveIndex::Create(*std::move(twice), Manual());
  ASSERT_FALSE(live.ok());
  EXPECT_NE(live.status().message().find("user 5 appears twice"), std::string::npos)
      << live.status();
}

// A base large enough that Create fills its slot table in parallel ranges:
// a user twice, whether the two copies land in one range or spill past
// its end, is refused; without one, every user is found by its update.
TEST(LiveIndexTest, ParallelSlotTableFindsDuplicatesAndEveryUser) {
  std::mt19937_64 rng(5);
  constexpr size_t kUsers = 300000;
  std::vector<uint64_t> ids(kUsers);
  for (auto& id : ids) id = rng();
  auto make = [&](const std::vector<uint64_t>& user_ids) {
    std::vector<std::pair<uint64_t, uint64_t>> entries;
    for (uint64_t id : user_ids) entries.emplace_back(RandomLocation(rng, id).ToCellId().id(), id);
    return ::fanout::testing::IndexOfEntries(std::move(entries));
  };
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<uint64_t> twice = ids;
    const uint64_t dup = ids[rng() % kUsers];
    twice.push_back(dup);
    auto live = LiveIndex::Create(make(twice), Manual());
    ASSERT_FALSE(live.ok());
    EXPECT_NE(live.status().message().find(absl::StrCat("user ", dup, " appears twice")),
              std::string::npos)
        << live.status();
  }
  auto live = LiveIndex::Create(make(ids), Manual());
  ASSERT_TRUE(live.ok()) << live.status();
  Model model;
  for (uint64_t id : ids) model.Apply(LocationUpdate::Upsert(RandomLocation(rng, id)));
  std::vector<LocationUpdate> batch;
  for (const auto& [id, cell] : model.cells()) {
    batch.push_back(LocationUpdate::Upsert(RandomLocation(rng, id)));
  }
  Model moved;
  for (const auto& u : batch) moved.Apply(u);
  ASSERT_TRUE((*live)->Apply(batch).ok());
  EXPECT_EQ((*live)->GetStats().users, kUsers);
  EXPECT_EQ((*live)->GetStats().slots, kUsers);  // every update found its user's slot
  ExpectSameState((*live)->View(), moved);
}

// Real threads: two writers, two alert threads, the maintenance thread
// freezing every millisecond and merging often. Runs under TSan in
// `./run tsan`. The checker replays the history afterwards.
struct ConcurrentRun {
  ConsistencyChecker::Report report;
  LiveIndex::Stats stats;
};

ConcurrentRun RunConcurrently(internal::LiveIndexFault fault, int rounds) {
  std::mt19937_64 rng(11);
  std::vector<UserRecord> users;
  for (uint64_t id = 1; id <= 4000; ++id) users.push_back(RandomLocation(rng, id));
  auto initial = *LocationIndex::Build(users, {});
  std::vector<std::unique_ptr<AlertArea>> areas;
  std::vector<const AlertArea*> area_ptrs;
  for (int i = 0; i < 3; ++i) {
    areas.push_back(RandomArea(rng));
    area_ptrs.push_back(areas.back().get());
  }
  ConsistencyChecker checker(*initial, 0, area_ptrs, *ShardPolicy::Create(kShards));
  LiveIndex::Options options;
  options.freeze_interval = absl::Milliseconds(1);
  options.merge_fraction = 0.05;
  // The alert threads run back to back: maintenance must not wait for them,
  // so that freezes, compactions and merges interleave with alerts.
  options.max_yield_to_alerts = absl::ZeroDuration();
  auto live =
      *internal::LiveIndexTestPeer::CreateWithFault(*LocationIndex::Build(users, {}), options, fault);

  std::atomic<uint64_t> acknowledged{0};
  std::atomic<bool> writers_done{false};
  auto writer = [&](int t) {
    std::mt19937_64 wrng(100 + t);
    std::normal_distribution<double> step(0, 0.02);
    for (int round = 0; round < rounds; ++round) {
      std::vector<LocationUpdate> batch;
      for (int i = 0; i < 50; ++i) {
        // Writer t owns users with id % 2 == t, so each user's updates are
        // ordered; a few new users and removals too.
        uint64_t user = 2 * (wrng() % 2500) + t + 1;
        if (wrng() % 50 == 0) {
          batch.push_back(LocationUpdate::Remove(user));
        } else {
          batch.push_back(LocationUpdate::Upsert(RandomLocation(wrng, user)));
        }
      }
      auto last = live->Apply(batch);
      ASSERT_TRUE(last.ok());
      checker.RecordBatch(*last, batch);
      uint64_t seen = acknowledged.load();
      while (*last > seen && !acknowledged.compare_exchange_weak(seen, *last)) {
      }
    }
  };
  auto alerter = [&](int t) {
    size_t k = t;
    // At least 20 alerts per thread, however fast the writers are.
    while (!writers_done.load() || k < size_t(t) + 20) {
      uint64_t ack = acknowledged.load();
      LiveView snapshot = live->View();
      AlertExecutor executor(snapshot, ExecutorOptions(8));
      auto lists = executor.Execute(*areas[k % areas.size()], nullptr);
      ASSERT_TRUE(lists.ok());
      checker.RecordAlert(k % areas.size(), snapshot.seq(), ack, *lists);
      ++k;
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(alerter, 0);
  threads.emplace_back(alerter, 1);
  std::thread w0(writer, 0), w1(writer, 1);
  w0.join();
  w1.join();
  writers_done = true;
  for (auto& t : threads) t.join();
  ConcurrentRun out;
  out.report = checker.Check(live->View());
  out.stats = live->GetStats();
  return out;
}

// A view that pins the base a merge replaced (a checkpoint's, a long
// alert's) holds that base; another merge now would hold a third. The
// background merge waits for the view to go; an explicit Merge() does not.
TEST(LiveIndexTest, NoBackgroundMergeWhileAViewPinsTheReplacedBase) {
  std::mt19937_64 rng(11);
  Model model;
  uint64_t max_user = 2000;
  LiveIndex::Options options;
  options.freeze_interval = absl::Milliseconds(1);
  options.merge_fraction = 0.01;  // due after 656 updates (of the 65,536 floor)
  options.max_yield_to_alerts = absl::ZeroDuration();
  auto live = *LiveIndex::Create(InitialIndex(rng, max_user, &model), options);
  auto area = RandomArea(rng);
  auto apply = [&](size_t n) {
    std::vector<LocationUpdate> batch = RandomBatch(rng, model, n, &max_user);
    ASSERT_TRUE(live->Apply(batch).ok());
    for (const LocationUpdate& u : batch) model.Apply(u);
  };
  apply(100);  // not due
  EXPECT_EQ(live->GetStats().replaced_bytes, 0u);
  LiveView pinned = live->View();
  const Shards expected = model.Expected(*area);
  live->Merge();
  const LiveIndex::Stats after = live->GetStats();
  EXPECT_GT(after.replaced_bytes, 0u);
  EXPECT_GE(after.memory_bytes, after.replaced_bytes + after.unmerged_bytes);
  for (int i = 0; i < 10; ++i) apply(500);  // 5,000 updates: due many times over
  // The merge thread looks every 20 ms: it must not merge while `pinned` lives.
  for (int i = 0; i < 30; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    ASSERT_EQ(live->GetStats().merges, after.merges);
  }
  EXPECT_GT(live->GetStats().replaced_bytes, 0u);
  EXPECT_EQ(AlertOn(pinned, *area), expected);  // and the view still answers for its moment
  pinned = LiveView();
  bool merged = false;  // then the merge goes ahead, and leaves nothing pinned
  for (int i = 0; i < 6000 && !merged; ++i) {
    const LiveIndex::Stats st = live->GetStats();
    merged = st.merges > after.merges && st.replaced_bytes == 0;
    if (!merged) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(merged);
  EXPECT_EQ(AlertOn(live->View(), *area), model.Expected(*area));
}

// 5,000 random updates applied to `live` and `model`, then a merge.
void ApplyAndMerge(std::mt19937_64& rng, Model& model, uint64_t* max_user, LiveIndex& live) {
  std::vector<LocationUpdate> batch = RandomBatch(rng, model, 5000, max_user);
  ASSERT_TRUE(live.Apply(batch).ok());
  for (const LocationUpdate& u : batch) model.Apply(u);
  live.Merge();
}

// A merge makes its base in the pages of the base before last: a replaced
// base goes to the index's pool once nothing pins it, and the next merge
// takes its pages from there, so what the pool holds stays about one base
// (it would grow by a base per merge if merges took fresh pages). The
// answers stay the model's.
TEST(LiveIndexTest, MergesReuseThePagesOfTheReplacedBase) {
  std::mt19937_64 rng(21);
  Model model;
  uint64_t max_user = 600000;  // arrays of 2.4-4.8 MB: the pool's 2 MiB units
  auto live = *LiveIndex::Create(InitialIndex(rng, max_user, &model), Manual());
  auto area = RandomArea(rng);
  auto apply_and_merge = [&] { ApplyAndMerge(rng, model, &max_user, *live); };
  EXPECT_EQ(live->GetStats().pooled_bytes, 0u);
  apply_and_merge();  // the merge's scratch (the first base is not pooled)
  apply_and_merge();  // and a merged base: columns, moved_at, pos_of_slot
  const LiveIndex::Stats second = live->GetStats();
  EXPECT_GE(second.pooled_bytes, 600000u * (8 + 8 + 4 + 4));
  EXPECT_GE(second.memory_bytes, second.pooled_bytes + second.base_entries * 16);
  for (int i = 0; i < 3; ++i) {
    apply_and_merge();
    const LiveIndex::Stats st = live->GetStats();
    EXPECT_LE(st.pooled_bytes, second.pooled_bytes + (size_t{4} << 20)) << "merge " << 3 + i;
    EXPECT_EQ(AlertOn(live->View(), *area), model.Expected(*area));
  }
  // A view taken before a merge keeps its base (not pooled) until it goes.
  LiveView pinned = live->View();
  const Shards expected = model.Expected(*area);
  apply_and_merge();
  EXPECT_GT(live->GetStats().replaced_bytes, 0u);
  EXPECT_EQ(AlertOn(pinned, *area), expected);
  pinned = LiveView();
  EXPECT_EQ(live->GetStats().replaced_bytes, 0u);
  apply_and_merge();
  EXPECT_EQ(AlertOn(live->View(), *area), model.Expected(*area));
}

// With no merge for a while, the background merge thread gives the pool's
// pages back: an idle index holds one base, not two.
TEST(LiveIndexTest, AnIdleIndexReleasesThePagesKeptForMerges) {
  std::mt19937_64 rng(22);
  Model model;
  uint64_t max_user = 600000;
  LiveIndex::Options options;
  options.freeze_interval = absl::Milliseconds(5);
  auto live = *LiveIndex::Create(InitialIndex(rng, max_user, &model), options);
  internal::LiveIndexTestPeer::SetMergePagesReleaseDelay(*live, absl::Seconds(1));
  ApplyAndMerge(rng, model, &max_user, *live);
  ApplyAndMerge(rng, model, &max_user, *live);  // replaces a merged base: pooled
  EXPECT_GT(live->GetStats().pooled_bytes, 0u);
  bool released = false;
  for (int i = 0; i < 3000 && !released; ++i) {  // up to 30 s on a loaded machine
    absl::SleepFor(absl::Milliseconds(10));
    released = live->GetStats().pooled_bytes == 0;
  }
  EXPECT_TRUE(released);
  auto area = RandomArea(rng);
  EXPECT_EQ(AlertOn(live->View(), *area), model.Expected(*area));
}

// Background work waits while an alert runs over one of the index's
// snapshots, and catches up once it ends.
TEST(LiveIndexTest, BackgroundWorkWaitsForRunningAlerts) {
  std::mt19937_64 rng(5);
  Model model;
  uint64_t max_user = 1000;
  LiveIndex::Options options;
  options.freeze_interval = absl::Milliseconds(1);
  options.max_yield_to_alerts = absl::Seconds(60);  // longer than the test
  auto live = *LiveIndex::Create(InitialIndex(rng, max_user, &model), options);
  LiveView snapshot = live->View();
  {
    internal::AlertActivity::Scope alert(
        internal::LiveViewAccess::State(snapshot)->activity.get());
    // A freeze step that began before the alert has nothing to freeze; let
    // it finish, then no step may start until the alert ends.
    absl::SleepFor(absl::Milliseconds(20));
    std::vector<LocationUpdate> batch = RandomBatch(rng, model, 100, &max_user);
    ASSERT_TRUE(live->Apply(batch).ok());
    absl::SleepFor(absl::Milliseconds(50));
    EXPECT_EQ(live->GetStats().pending_updates, 100u);
  }
  bool frozen = false;
  for (int i = 0; i < 1000 && !frozen; ++i) {
    frozen = live->GetStats().pending_updates == 0;
    if (!frozen) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(frozen);
}

TEST(LiveIndexConcurrencyTest, CheckerFindsNothingWrong) {
  ConcurrentRun run = RunConcurrently(internal::LiveIndexFault::kNone, 300);
  EXPECT_EQ(run.report.updates, 2u * 300 * 50);
  EXPECT_GT(run.report.alerts, 10u);
  EXPECT_EQ(run.report.consistency_violations, 0u)
      << (run.report.examples.empty() ? "" : run.report.examples[0]);
  EXPECT_EQ(run.report.lost_updates, 0u)
      << (run.report.examples.empty() ? "" : run.report.examples[0]);
  EXPECT_GT(run.stats.freezes, 0u);
}

// The checker must catch a broken index.
TEST(LiveIndexConcurrencyTest, CheckerCatchesAnIndexThatKeepsOldEntries) {
  ConcurrentRun run = RunConcurrently(internal::LiveIndexFault::kKeepReplacedEntry, 200);
  EXPECT_GT(run.report.consistency_violations, 0u);
  EXPECT_GT(run.report.lost_updates, 0u);
}

TEST(LiveIndexConcurrencyTest, CheckerCatchesDroppedUpdates) {
  ConcurrentRun run = RunConcurrently(internal::LiveIndexFault::kDropEveryThousandth, 200);
  EXPECT_GT(run.report.lost_updates, 0u);
}

}  // namespace
}  // namespace fanout
