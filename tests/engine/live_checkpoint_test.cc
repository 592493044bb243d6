// Copyright 2026 The fan-out engine authors.
//
// A live state written as a checkpoint by merging its sorted runs
// (live_checkpoint.h, WriteSnapshotStreamed) gives exactly the bytes of the
// brute-force path: every visible entry collected, sorted, and written by
// WriteSnapshot. Random states with moves, removals, re-entries, new
// users, and freezes, compactions and merges at random points, cut into
// few parts and into many.

#include "engine/internal/live_checkpoint.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "engine/snapshot.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

constexpr int64_t kCreated = 1700000000;

LiveIndex::Options Manual() {
  LiveIndex::Options options;
  options.background_maintenance = false;
  return options;
}

UserRecord Somewhere(std::mt19937_64& rng, uint64_t user) {
  std::uniform_real_distribution<double> lat(29.0, 30.5), lng(-96.2, -94.6);
  return UserRecord::FromDegrees(user, lat(rng), lng(rng));
}

// The brute-force checkpoint: every visible entry, sorted, written whole.
std::string BruteForceSnapshot(const LiveView& view, const std::string& path) {
  std::vector<std::pair<uint64_t, uint64_t>> entries;
  view.ForEachVisible([&](uint64_t cell, uint64_t user) { entries.emplace_back(cell, user); });
  std::sort(entries.begin(), entries.end());
  std::vector<uint64_t> cells, users;
  for (const auto& [c, u] : entries) {
    cells.push_back(c);
    users.push_back(u);
  }
  auto index = LocationIndex::FromColumns(std::move(cells), std::move(users));
  EXPECT_TRUE(index.ok()) << index.status();
  SnapshotMetadata meta;
  meta.input_rows = (*index)->size();
  meta.created_unix_s = kCreated;
  EXPECT_TRUE(WriteSnapshot(path, **index, meta).ok());
  return testing::ReadFileOrEmpty(path);
}

std::string StreamedSnapshot(const LiveView& view, size_t entries_per_part,
                             const std::string& path) {
  internal::VisibleColumns columns(view, entries_per_part);
  SnapshotMetadata meta;
  meta.created_unix_s = kCreated;
  SnapshotWriteOptions options;
  options.input_rows_are_users = true;
  absl::Status st = WriteSnapshotStreamed(path, columns, meta, options);
  EXPECT_TRUE(st.ok()) << st;
  return testing::ReadFileOrEmpty(path);
}

void ExpectSameCheckpoints(const LiveView& view, const testing::TempDir& dir,
                           const std::string& where) {
  const std::string want = BruteForceSnapshot(view, dir.File("brute.fo"));
  ASSERT_FALSE(want.empty());
  for (size_t per_part : {size_t{1} << 18, size_t{64}, size_t{7}, size_t{1}}) {
    EXPECT_TRUE(StreamedSnapshot(view, per_part, dir.File("streamed.fo")) == want)
        << where << ", " << per_part << " entries per part";
  }
  // The same columns in memory, and the file loads.
  std::unique_ptr<LocationIndex> index = internal::MaterialiseVisible(view);
  auto loaded = LoadSnapshot(dir.File("brute.fo"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const SortedRun a = index->run(), b = loaded->index->run();
  ASSERT_EQ(a.size(), b.size()) << where;
  EXPECT_TRUE(std::equal(a.cells.begin(), a.cells.end(), b.cells.begin())) << where;
  EXPECT_TRUE(std::equal(a.users.begin(), a.users.end(), b.users.begin())) << where;
}

class LiveCheckpointTest : public ::testing::TestWithParam<int> {};

TEST_P(LiveCheckpointTest, MergedRunsGiveTheBruteForceBytes) {
  std::mt19937_64 rng(GetParam());
  testing::TempDir dir;
  // Seed 0: an empty base, every user arriving as an update.
  const size_t base_users = GetParam() == 0 ? 0 : 300 + rng() % 2000;
  std::vector<UserRecord> users;
  for (uint64_t id = 1; id <= base_users; ++id) users.push_back(Somewhere(rng, id * 7919));
  auto live = LiveIndex::Create(*LocationIndex::Build(users, {}), Manual());
  ASSERT_TRUE(live.ok()) << live.status();
  uint64_t max_user = base_users + 1;
  std::uniform_int_distribution<int> dice(0, 99);
  for (int round = 0; round < 12; ++round) {
    std::vector<LocationUpdate> batch;
    const size_t n = 1 + rng() % 600;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t user = (1 + rng() % max_user) * 7919;
      const int d = dice(rng);
      if (d < 8) {
        batch.push_back(LocationUpdate::Remove(user));
      } else if (d < 20) {
        batch.push_back(LocationUpdate::Upsert(Somewhere(rng, ++max_user * 7919)));
      } else {
        batch.push_back(LocationUpdate::Upsert(Somewhere(rng, user)));  // moves, re-entries
      }
    }
    ASSERT_TRUE((*live)->Apply(batch).ok());
    const int step = dice(rng);
    if (step < 40) {
      (*live)->Freeze();
    } else if (step < 55) {
      (*live)->Merge();
    }
    ExpectSameCheckpoints((*live)->View(), dir,
                          absl::StrCat("seed ", GetParam(), " round ", round));
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, LiveCheckpointTest, ::testing::Range(0, 8));

TEST(LiveCheckpointTest, EmptyViewGivesAnEmptySnapshot) {
  testing::TempDir dir;
  auto live = LiveIndex::Create(*LocationIndex::Build({}, {}), Manual());
  ASSERT_TRUE(live.ok());
  ExpectSameCheckpoints((*live)->View(), dir, "empty");
  ASSERT_TRUE((*live)->Upsert(UserRecord::FromDegrees(5, 29.5, -95)).ok());
  ASSERT_TRUE((*live)->Remove(5).ok());
  ExpectSameCheckpoints((*live)->View(), dir, "all removed");
}

}  // namespace
}  // namespace fanout
