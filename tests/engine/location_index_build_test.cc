// Copyright 2026 The fan-out engine authors.
//
// LocationIndex::Build (radix sort path) against a plain reference: the last
// row of each user id in input order wins, entries ordered by (cell, user).

#include <algorithm>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

void ExpectMatchesReference(const std::vector<UserRecord>& rows) {
  std::map<uint64_t, UserRecord> last;
  for (const UserRecord& r : rows) last[r.user_id] = r;
  std::vector<std::pair<uint64_t, uint64_t>> expected;
  for (const auto& [id, r] : last) expected.push_back({r.ToCellId().id(), id});
  std::sort(expected.begin(), expected.end());

  LocationIndex::BuildStats stats;
  auto index = LocationIndex::Build(rows, {}, &stats);
  ASSERT_TRUE(index.ok()) << index.status();
  SortedRun run = (*index)->run();
  ASSERT_EQ(run.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(run.cells[i], expected[i].first) << i;
    ASSERT_EQ(run.users[i], expected[i].second) << i;
    ASSERT_EQ(run.mix_low[i], static_cast<uint8_t>(Mix64(run.users[i]))) << i;
  }
  ASSERT_EQ(run.mix_low.size(), run.size());
  EXPECT_EQ(stats.input_rows, rows.size());
  EXPECT_EQ(stats.duplicate_rows, rows.size() - expected.size());
  EXPECT_DOUBLE_EQ((*index)->BytesPerUser(),
                   expected.empty() ? 0.0
                                    : 17.0 + 512.0 * (run.size() / SortedRun::kMixBlock) /
                                                 run.size());
}

TEST(LocationIndexBuildTest, ManyDuplicatesLastRowWins) {
  // 300k rows over 20k ids: every user moves ~15 times, rows interleaved.
  std::vector<UserRecord> rows = testing::RandomUsers(11, 300000);
  std::mt19937_64 rng(12);
  for (UserRecord& r : rows) r.user_id = rng() % 20000;
  ExpectMatchesReference(rows);
}

TEST(LocationIndexBuildTest, FullWidthIdsAndSharedCells) {
  std::vector<UserRecord> rows = testing::RandomUsers(13, 100000);
  // Many users in the very same spot (same leaf cell): ordered by user id.
  for (size_t i = 0; i < rows.size(); i += 3) rows[i].lat_e7 = rows[i].lng_e7 = 123456789;
  // Extreme ids.
  rows[1].user_id = 0;
  rows[2].user_id = ~uint64_t{0};
  rows[4].user_id = ~uint64_t{0};  // duplicate of rows[2], later: wins
  ExpectMatchesReference(rows);
}

TEST(LocationIndexBuildTest, SingleUserManyRows) {
  std::vector<UserRecord> rows = testing::RandomUsers(14, 1000);
  for (UserRecord& r : rows) r.user_id = 77;
  ExpectMatchesReference(rows);
}

}  // namespace
}  // namespace fanout
