// Copyright 2026 The fan-out engine authors.

#include "mpi/cell_partition.h"

#include <algorithm>
#include <random>
#include <vector>

#include "engine/location_index.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

std::unique_ptr<LocationIndex> RandomIndex(uint64_t seed, size_t n) {
  auto index = LocationIndex::Build(testing::RandomUsers(seed, n), {});
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(*index);
}

TEST(CellPartitionTest, PartsAreContiguousDisjointAndCoverEveryEntry) {
  auto index = RandomIndex(1, 50000);
  SortedRun run = index->run();
  for (int parts : {1, 2, 3, 4, 7}) {
    CellPartition p = CellPartition::FromSamples(CellPartition::SampleCells(run.cells, 4096 * parts),
                                                 parts);
    ASSERT_EQ(p.parts(), parts);
    size_t next = 0;
    for (int k = 0; k < parts; ++k) {
      auto [begin, end] = p.Slice(run, k);
      EXPECT_EQ(begin, next) << "part " << k;
      for (size_t i = begin; i < end; ++i) {
        ASSERT_EQ(p.PartOf(run.cells[i]), k);
        ASSERT_GE(run.cells[i], p.lower(k));
        ASSERT_LT(run.cells[i], p.upper(k));
      }
      // Balanced by users from the sample: within 10% of N / K.
      EXPECT_NEAR(double(end - begin), double(run.size()) / parts, 0.1 * run.size() / parts);
      next = end;
    }
    EXPECT_EQ(next, run.size());
  }
}

TEST(CellPartitionTest, ACellIsNeverSplitAcrossParts) {
  // Half the users in one leaf cell: the parts are unequal, not wrong.
  std::vector<UserRecord> users = testing::RandomUsers(2, 1000);
  for (size_t i = 0; i < 500; ++i) users[i].lat_e7 = 100, users[i].lng_e7 = 200;
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok());
  SortedRun run = (*index)->run();
  CellPartition p = CellPartition::FromSamples(CellPartition::SampleCells(run.cells, 100), 4);
  const uint64_t crowded = UserRecord{0, 100, 200}.ToCellId().id();
  int owner = p.PartOf(crowded);
  size_t total = 0;
  for (int k = 0; k < 4; ++k) {
    auto [begin, end] = p.Slice(run, k);
    total += end - begin;
    for (size_t i = begin; i < end; ++i) {
      if (run.cells[i] == crowded) {
        ASSERT_EQ(k, owner);
      }
    }
  }
  EXPECT_EQ(total, run.size());
}

TEST(CellPartitionTest, NoSamplesPutsEverythingInPartZero) {
  auto index = RandomIndex(3, 100);
  CellPartition p = CellPartition::FromSamples({}, 3);
  EXPECT_EQ(p.Slice(index->run(), 0), std::make_pair(size_t{0}, index->size()));
  EXPECT_EQ(p.Slice(index->run(), 1).second - p.Slice(index->run(), 1).first, 0u);
  EXPECT_EQ(p.Slice(index->run(), 2).second - p.Slice(index->run(), 2).first, 0u);
}

TEST(CellPartitionTest, FromSplittersRefusesBadSplitters) {
  EXPECT_FALSE(CellPartition::FromSplitters({1, 2}, 2).ok());
  EXPECT_FALSE(CellPartition::FromSplitters({5, 3}, 3).ok());
  EXPECT_TRUE(CellPartition::FromSplitters({3, 3}, 3).ok());
  EXPECT_TRUE(CellPartition::FromSplitters({}, 1).ok());
}

TEST(CellPartitionTest, SampleCellsIsEvenlySpaced) {
  std::vector<uint64_t> cells(1000);
  for (size_t i = 0; i < cells.size(); ++i) cells[i] = 2 * i + 1;
  std::vector<uint64_t> s = CellPartition::SampleCells(cells, 10);
  ASSERT_EQ(s.size(), 10u);
  EXPECT_EQ(s[0], cells[50]);
  EXPECT_EQ(s[9], cells[950]);
  EXPECT_EQ(CellPartition::SampleCells(cells, 5000).size(), 1000u);
  EXPECT_TRUE(CellPartition::SampleCells({}, 10).empty());
}

}  // namespace
}  // namespace fanout
