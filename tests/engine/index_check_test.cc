// Copyright 2026 The fan-out engine authors.

#include "engine/index_check.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "s2/s2cell_id.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

TEST(IndexCheckTest, ABuiltIndexHasNoRepeatedUsers) {
  auto users = testing::RandomUsers(11, 50000);
  users.push_back(users[17]);  // the build keeps the last row of a user
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok()) << index.status();
  IndexCheckReport report = FindDuplicateUsers((*index)->run());
  EXPECT_EQ(report.entries, 50000u);
  EXPECT_EQ(report.repeated_users, 0u);
  EXPECT_TRUE(report.examples.empty());
}

TEST(IndexCheckTest, FindsEveryRepeatedUserAndItsCells) {
  // Columns ordered by (cell, user), as a snapshot holds them, with user 7
  // in three cells and user 9 in two.
  std::vector<uint64_t> cells, users;
  for (uint64_t k = 0; k < 1000; ++k) {
    cells.push_back(S2CellId::FromFacePosLevel(1, k << 20, 30).id());
    users.push_back(k == 10 || k == 500 || k == 900 ? 7 : k == 20 || k == 30 ? 9 : 1000 + k);
  }
  // FromColumns refuses them; the snapshot loader's FromBorrowedColumns
  // does not look (that is what the deep check is for).
  EXPECT_FALSE(LocationIndex::FromColumns(cells, users).ok());
  auto index = LocationIndex::FromBorrowedColumns(cells, users, nullptr);
  ASSERT_TRUE(index.ok()) << index.status();
  IndexCheckReport report = FindDuplicateUsers((*index)->run());
  EXPECT_EQ(report.repeated_users, 2u);
  EXPECT_EQ(report.extra_entries, 3u);
  ASSERT_EQ(report.examples.size(), 2u);
  EXPECT_EQ(report.examples[0].user_id, 7u);
  EXPECT_EQ(report.examples[0].cells,
            (std::vector<uint64_t>{cells[10], cells[500], cells[900]}));
  EXPECT_EQ(report.examples[1].user_id, 9u);
  IndexCheckReport few = FindDuplicateUsers((*index)->run(), /*max_examples=*/1);
  EXPECT_EQ(few.repeated_users, 2u);
  EXPECT_EQ(few.examples.size(), 1u);
}

}  // namespace
}  // namespace fanout
