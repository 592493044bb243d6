// Copyright 2026 The fan-out engine authors.
//
// LiveView and the lifetimes of what an AlertExecutor scans: an executor
// keeps its own view, a view outlives the index that made it, an empty view
// is safe, and a temporary LocationIndex cannot be handed to an executor.

#include "engine/live_view.h"

#include <algorithm>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/alert_executor.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "geo/alert_area.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

// The trap of issue 14 cannot be written for an index, and is safe for a
// view (the executor takes the view by value).
static_assert(!std::is_constructible_v<AlertExecutor, LocationIndex&&, const AlertExecutor::Options&>,
              "a temporary LocationIndex must not bind to an executor that refers to it");
static_assert(
    !std::is_constructible_v<AlertExecutor, const LocationIndex&&, const AlertExecutor::Options&>,
    "nor a const temporary");
static_assert(std::is_constructible_v<AlertExecutor, const LocationIndex&, const AlertExecutor::Options&>);
static_assert(std::is_constructible_v<AlertExecutor, LiveView&&, const AlertExecutor::Options&>,
              "an executor keeps its own copy of a temporary view");
static_assert(std::is_constructible_v<AlertExecutor, std::unique_ptr<LocationIndex>&&,
                                      const AlertExecutor::Options&>,
              "an index handed over by unique_ptr is shared, not referred to");
static_assert(std::is_nothrow_move_constructible_v<LiveView>);

constexpr double kLat = 29.76, kLng = -95.37;

AlertArea Houston() {
  AlertArea area;
  area.AddCap(MakeCircle(S2LatLng::FromDegrees(kLat, kLng), 20));
  area.Finalize();
  return area;
}

// Users 1..n on a line through the circle: the odd ones inside, the even
// ones far away.
std::vector<UserRecord> Users(uint64_t n) {
  std::vector<UserRecord> users;
  for (uint64_t id = 1; id <= n; ++id) {
    users.push_back(id % 2 == 1 ? UserRecord::FromDegrees(id, kLat + 0.0001 * id, kLng)
                                : UserRecord::FromDegrees(id, kLat + 5, kLng + 0.001 * id));
  }
  return users;
}

std::vector<uint64_t> Found(const AlertExecutor& executor, const AlertArea& area) {
  auto lists = executor.Execute(area, nullptr);
  EXPECT_TRUE(lists.ok()) << lists.status();
  std::vector<uint64_t> got;
  if (!lists.ok()) return got;
  for (const auto& s : lists->shards) got.insert(got.end(), s.begin(), s.end());
  std::sort(got.begin(), got.end());
  return got;
}

LiveIndex::Options Manual() {
  LiveIndex::Options o;
  o.background_maintenance = false;
  return o;
}

TEST(LiveViewTest, DefaultViewIsEmptyAndSafe) {
  LiveView view;
  EXPECT_EQ(view.seq(), 0u);
  EXPECT_EQ(view.base_entries(), 0u);
  EXPECT_EQ(view.users_approx(), 0u);
  EXPECT_EQ(view.pending_updates(), 0u);
  int calls = 0;
  view.ForEachVisible([&](uint64_t, uint64_t) { ++calls; });
  EXPECT_EQ(calls, 0);

  AlertExecutor::Options options;
  options.shards = 4;
  AlertExecutor executor(view, options);
  AlertSummary summary;
  auto lists = executor.Execute(Houston(), &summary);
  ASSERT_TRUE(lists.ok()) << lists.status();
  EXPECT_EQ(lists->shards.size(), 4u);
  EXPECT_EQ(summary.matched, 0u);
  EXPECT_EQ(summary.view_seq, 0u);
}

TEST(LiveViewTest, ExecutorFromATemporaryViewStaysValidAsTheIndexMovesOn) {
  const AlertArea area = Houston();
  std::vector<UserRecord> users = Users(200);
  auto live = *LiveIndex::Create(*LocationIndex::Build(users, {}), Manual());
  // Updates in a run and pending, so the view pins every kind of source.
  ASSERT_TRUE(live->Upsert(UserRecord::FromDegrees(1001, kLat, kLng)).ok());
  live->Freeze();
  ASSERT_TRUE(live->Upsert(UserRecord::FromDegrees(1003, kLat, kLng + 0.001)).ok());

  AlertExecutor executor(live->View(), AlertExecutor::Options{});  // the trap of issue 14
  std::vector<uint64_t> expected;
  for (const UserRecord& r : users) {
    if (r.user_id % 2 == 1) expected.push_back(r.user_id);
  }
  expected.push_back(1001);
  expected.push_back(1003);
  ASSERT_EQ(Found(executor, area), expected);

  // Everyone inside leaves; freezes, compactions and merges replace every
  // run and the base the view was taken over.
  for (int round = 0; round < 3; ++round) {
    std::vector<LocationUpdate> moves;
    for (uint64_t id : expected) {
      moves.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(id, kLat - 10, kLng)));
    }
    ASSERT_TRUE(live->Apply(moves).ok());
    live->Freeze();
    live->Merge();
  }
  EXPECT_EQ(Found(executor, area), expected);
  EXPECT_TRUE(Found(AlertExecutor(live->View(), {}), area).empty());

  // And after the index itself is gone.
  live.reset();
  EXPECT_EQ(Found(executor, area), expected);
}

TEST(LiveViewTest, CopiesPinTheSameState) {
  auto live = *LiveIndex::Create(*LocationIndex::Build(Users(10), {}), Manual());
  LiveView a = live->View();
  ASSERT_TRUE(live->Remove(1).ok());
  LiveView b = a;
  LiveView c = live->View();
  EXPECT_EQ(a.seq(), b.seq());
  EXPECT_LT(b.seq(), c.seq());
  size_t in_b = 0, in_c = 0;
  b.ForEachVisible([&](uint64_t, uint64_t) { ++in_b; });
  c.ForEachVisible([&](uint64_t, uint64_t) { ++in_c; });
  EXPECT_EQ(in_b, 10u);
  EXPECT_EQ(in_c, 9u);
  b = std::move(c);
  EXPECT_EQ(b.seq(), live->last_seq());
}

TEST(LiveViewTest, ExecutorSharesAnIndexHandedOverByPointer) {
  const AlertArea area = Houston();
  std::unique_ptr<LocationIndex> index = *LocationIndex::Build(Users(20), {});
  AlertExecutor executor(std::move(index), AlertExecutor::Options{});
  EXPECT_EQ(Found(executor, area), (std::vector<uint64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19}));
}

}  // namespace
}  // namespace fanout
