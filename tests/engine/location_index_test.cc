// Copyright 2026 The fan-out engine authors.

#include "engine/location_index.h"

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "engine/alert_executor.h"
#include "geo/polygon_builder.h"
#include "engine/shard_policy.h"
#include "gtest/gtest.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ExpectHashColumnMatches;
using ::fanout::testing::RandomUsers;

std::set<uint64_t> Found(const LocationIndex& index, const AlertArea& area) {
  auto lists = AlertExecutor(index, {}).Execute(area, nullptr);
  EXPECT_TRUE(lists.ok()) << lists.status();
  std::set<uint64_t> ids;
  if (lists.ok()) {
    for (const auto& s : lists->shards) ids.insert(s.begin(), s.end());
  }
  return ids;
}

TEST(LocationIndexTest, BuildSortsByCellThenUserAndKeepsEveryUser) {
  std::vector<UserRecord> users = RandomUsers(1, 100000);
  LocationIndex::BuildStats stats;
  auto index = LocationIndex::Build(users, {}, &stats);
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ((*index)->size(), users.size());
  EXPECT_EQ(stats.input_rows, users.size());
  EXPECT_EQ(stats.duplicate_rows, 0u);
  SortedRun run = (*index)->run();
  for (size_t i = 1; i < run.size(); ++i) {
    ASSERT_TRUE(run.cells[i - 1] < run.cells[i] ||
                (run.cells[i - 1] == run.cells[i] && run.users[i - 1] < run.users[i]));
  }
  // Each user sits in the leaf cell of its record.
  std::vector<std::pair<uint64_t, uint64_t>> want, got;
  for (const UserRecord& u : users) want.push_back({u.user_id, u.ToCellId().id()});
  for (size_t i = 0; i < run.size(); ++i) got.push_back({run.users[i], run.cells[i]});
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  EXPECT_GE((*index)->MemoryBytes(), 17 * users.size());
  ExpectHashColumnMatches(run);
}

TEST(LocationIndexTest, DuplicateUserIdsLastRowWins) {
  // User 42 first appears in Houston, then in Paris, then finally in Tokyo;
  // user 7 appears twice at the same place.
  std::vector<UserRecord> users = RandomUsers(2, 1000);
  users.push_back(UserRecord::FromDegrees(42, 29.76, -95.37));
  users.push_back(UserRecord::FromDegrees(7, 10, 10));
  users.insert(users.begin() + 500, UserRecord::FromDegrees(42, 48.85, 2.35));
  users.push_back(UserRecord::FromDegrees(42, 35.68, 139.69));
  users.push_back(UserRecord::FromDegrees(7, 10, 10));
  LocationIndex::BuildStats stats;
  auto index = LocationIndex::Build(users, {}, &stats);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(stats.input_rows, users.size());
  EXPECT_EQ(stats.duplicate_rows, 3u);
  EXPECT_EQ((*index)->size(), users.size() - 3);

  auto circle = [](double lat, double lng) {
    AlertArea area;
    area.AddCap(MakeCircle(S2LatLng::FromDegrees(lat, lng), 5));
    area.Finalize();
    return area;
  };
  EXPECT_EQ(Found(**index, circle(35.68, 139.69)).count(42), 1u);
  EXPECT_EQ(Found(**index, circle(29.76, -95.37)).count(42), 0u);
  EXPECT_EQ(Found(**index, circle(48.85, 2.35)).count(42), 0u);
  EXPECT_EQ(Found(**index, circle(10, 10)).count(7), 1u);

  SortedRun run = (*index)->run();
  EXPECT_EQ(std::count(run.users.begin(), run.users.end(), 42u), 1);
  EXPECT_EQ(std::count(run.users.begin(), run.users.end(), 7u), 1);
}

TEST(LocationIndexTest, BuildRejectsOutOfRangeRecords) {
  std::vector<UserRecord> users = RandomUsers(3, 100);
  users[37].lat_e7 = 900000001;
  auto index = LocationIndex::Build(users, {});
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(index.status().message().find("37"), absl::string_view::npos) << index.status();
  users[37].lat_e7 = 0;
  users[12].lng_e7 = -1800000001;
  index = LocationIndex::Build(users, {});
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LocationIndexTest, EmptyBuild) {
  LocationIndex::BuildStats stats;
  auto index = LocationIndex::Build({}, {}, &stats);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->size(), 0u);
  EXPECT_EQ(stats.input_rows, 0u);
  EXPECT_EQ((*index)->BytesPerUser(), 0);
}

std::vector<uint64_t> Leaf(std::vector<std::pair<double, double>> points) {
  std::vector<uint64_t> cells;
  for (auto [lat, lng] : points) cells.push_back(S2CellId(S2LatLng::FromDegrees(lat, lng)).id());
  return cells;
}

TEST(LocationIndexTest, FromColumnsAcceptsValidColumns) {
  std::vector<uint64_t> cells = Leaf({{1, 1}, {2, 2}, {3, 3}});
  std::sort(cells.begin(), cells.end());
  // Two users in one cell are fine when ordered by user id.
  cells.insert(cells.begin() + 1, cells[1]);
  auto index = LocationIndex::FromColumns(cells, {9, 3, 4, 1});
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ((*index)->size(), 4u);
  auto empty = LocationIndex::FromColumns({}, {});
  EXPECT_TRUE(empty.ok());
}

TEST(LocationIndexTest, FromColumnsRejectsBadColumns) {
  std::vector<uint64_t> cells = Leaf({{1, 1}, {2, 2}, {3, 3}});
  std::sort(cells.begin(), cells.end());
  // Unsorted cells.
  std::vector<uint64_t> unsorted = {cells[1], cells[0], cells[2]};
  EXPECT_EQ(LocationIndex::FromColumns(unsorted, {1, 2, 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Same cell, users out of order.
  EXPECT_EQ(LocationIndex::FromColumns({cells[0], cells[0]}, {5, 4}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Same cell, same user twice.
  EXPECT_EQ(LocationIndex::FromColumns({cells[0], cells[0]}, {5, 5}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // One user in two cells.
  EXPECT_EQ(LocationIndex::FromColumns(cells, {8, 9, 8}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Not a leaf: a level-10 cell id, and an invalid id.
  std::vector<uint64_t> parent = cells;
  parent[1] = S2CellId(parent[1]).parent(10).id();
  EXPECT_EQ(LocationIndex::FromColumns(parent, {1, 2, 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LocationIndex::FromColumns({0}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Column sizes differ.
  EXPECT_EQ(LocationIndex::FromColumns(cells, {1, 2}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LocationIndexTest, SortedRunEqualRange) {
  auto index = LocationIndex::Build(RandomUsers(4, 50000), {});
  ASSERT_TRUE(index.ok());
  SortedRun run = (*index)->run();
  for (int level : {3, 8, 12}) {
    S2CellId cell = S2CellId(run.cells[run.size() / 3]).parent(level);
    auto [b, e] = run.EqualRange(cell.range_min().id(), cell.range_max().id(), 0, run.size());
    size_t expected = 0;
    for (size_t i = 0; i < run.size(); ++i) expected += cell.contains(S2CellId(run.cells[i]));
    EXPECT_EQ(e - b, expected) << "level " << level;
    for (size_t i = b; i < e; ++i) EXPECT_TRUE(cell.contains(S2CellId(run.cells[i])));
  }
}

// LowerBound searches only inside [lo, hi) and answers with a position in
// the whole run (the planner splits a cell's slice with it): on every slice,
// with repeated cells and keys below, between, on and above the entries.
TEST(LocationIndexTest, SortedRunLowerBoundMatchesTheStandardOne) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 200; ++round) {
    const size_t n = rng() % 70;
    std::vector<uint64_t> cells(n);
    for (uint64_t& c : cells) c = 10 + 2 * (rng() % 40);  // even, repeated
    std::sort(cells.begin(), cells.end());
    SortedRun run;
    run.cells = cells;
    for (int probe = 0; probe < 50; ++probe) {
      const size_t lo = n ? rng() % (n + 1) : 0;
      const size_t hi = lo + (n - lo ? rng() % (n - lo + 1) : 0);
      const uint64_t key = 8 + rng() % 85;  // odd keys fall between entries
      const size_t want = std::lower_bound(cells.begin() + lo, cells.begin() + hi, key) -
                          cells.begin();
      ASSERT_EQ(run.LowerBound(key, lo, hi), want)
          << "n " << n << " [" << lo << ", " << hi << ") key " << key;
    }
  }
}

}  // namespace
}  // namespace fanout
