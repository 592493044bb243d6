// Copyright 2026 The fan-out engine authors.

#include "engine/snapshot.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/alert_executor.h"
#include "geo/alert_area.h"
#include "geo/polygon_builder.h"
#include "engine/shard_policy.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

std::unique_ptr<LocationIndex> BuildIndex(const std::vector<UserRecord>& users,
                                          LocationIndex::BuildStats* stats = nullptr) {
  auto index = LocationIndex::Build(users, {}, stats);
  EXPECT_TRUE(index.ok()) << index.status();
  return *std::move(index);
}

// Section offsets/sizes as the loader reports them.
std::vector<SnapshotSection> Sections(const std::string& path) {
  auto snap = LoadSnapshot(path);
  EXPECT_TRUE(snap.ok()) << snap.status();
  return snap.ok() ? snap->sections : std::vector<SnapshotSection>{};
}

void ExpectRefused(const std::string& path, const std::string& section) {
  auto snap = LoadSnapshot(path);
  ASSERT_FALSE(snap.ok()) << "a damaged snapshot was accepted";
  EXPECT_EQ(snap.status().code(), absl::StatusCode::kDataLoss) << snap.status();
  EXPECT_NE(snap.status().message().find("section '" + section + "'"), std::string::npos)
      << snap.status();
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    users_ = testing::RandomUsers(7, 20000, 25, 49, -125, -67);
    // A few users move: their later rows must win.
    for (int i = 0; i < 50; ++i) {
      UserRecord moved = users_[i * 3];
      moved.lat_e7 += 1000000;
      users_.push_back(moved);
    }
    index_ = BuildIndex(users_, &stats_);
    path_ = dir_.File("index.fo");
    SnapshotMetadata meta;
    meta.input_rows = stats_.input_rows;
    meta.duplicate_rows = stats_.duplicate_rows;
    meta.build_seconds = stats_.seconds;
    ASSERT_TRUE(WriteSnapshot(path_, *index_, meta).ok());
    bytes_ = ReadFileOrEmpty(path_);
    ASSERT_FALSE(bytes_.empty());
  }

  TempDir dir_;
  std::vector<UserRecord> users_;
  LocationIndex::BuildStats stats_;
  std::unique_ptr<LocationIndex> index_;
  std::string path_;
  std::string bytes_;
};

TEST_F(SnapshotTest, RoundTripKeepsColumnsAndMetadata) {
  auto snap = LoadSnapshot(path_);
  ASSERT_TRUE(snap.ok()) << snap.status();
  SortedRun a = index_->run(), b = snap->index->run();
  ASSERT_EQ(a.size(), 20000u);
  ASSERT_EQ(b.size(), a.size());
  EXPECT_TRUE(std::equal(a.cells.begin(), a.cells.end(), b.cells.begin()));
  EXPECT_TRUE(std::equal(a.users.begin(), a.users.end(), b.users.begin()));
  EXPECT_EQ(snap->metadata.input_rows, 20050u);
  EXPECT_EQ(snap->metadata.duplicate_rows, 50u);
  ASSERT_TRUE(snap->metadata.has_bounds);
  EXPECT_GE(snap->metadata.min_lat_e7, 250000000 - 10);
  EXPECT_LE(snap->metadata.max_lat_e7, 500000000);
  EXPECT_GE(snap->metadata.min_lng_e7, -1250000000 - 10);
  EXPECT_LE(snap->metadata.max_lng_e7, -670000000 + 10);
  EXPECT_DOUBLE_EQ(snap->index->BytesPerUser(),
                   17.0 + 512.0 * (b.size() / SortedRun::kMixBlock) / b.size());
  // The hash column is computed at load (it is not in the file).
  ASSERT_EQ(b.mix_low.size(), b.users.size());
  for (size_t i = 0; i < b.users.size(); ++i) {
    ASSERT_EQ(b.mix_low[i], static_cast<uint8_t>(Mix64(b.users[i]))) << i;
  }
  ASSERT_EQ(snap->sections.size(), 3u);
  for (const SnapshotSection& s : snap->sections) EXPECT_EQ(s.offset % 64, 0u) << s.name;
  // The columns are read in place from the mapping, 64-byte aligned.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.cells.data()) % 64, 0u);
  // The write left nothing but the snapshot behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) files += !e.is_directory();
  EXPECT_EQ(files, 1);
}

TEST_F(SnapshotTest, AlertOverSnapshotEqualsAlertOverBuiltIndex) {
  auto snap = LoadSnapshot(path_);
  ASSERT_TRUE(snap.ok()) << snap.status();
  AlertArea area;
  area.AddCap(MakeCircle(S2LatLng::FromDegrees(37, -100), 400));
  area.Finalize();
  AlertExecutor::Options options;
  options.shards = 8;
  AlertSummary s1, s2;
  auto built = AlertExecutor(*index_, options).Execute(area, &s1);
  auto loaded = AlertExecutor(*snap->index, options).Execute(area, &s2);
  ASSERT_TRUE(built.ok() && loaded.ok());
  ASSERT_GT(built->total(), 100u);
  ASSERT_EQ(built->shards.size(), loaded->shards.size());
  for (size_t s = 0; s < built->shards.size(); ++s) {
    std::sort(built->shards[s].begin(), built->shards[s].end());
    std::sort(loaded->shards[s].begin(), loaded->shards[s].end());
    EXPECT_EQ(built->shards[s], loaded->shards[s]) << "shard " << s;
  }
}

TEST_F(SnapshotTest, EmptyIndexRoundTrips) {
  auto empty = BuildIndex({});
  std::string path = dir_.File("empty.fo");
  ASSERT_TRUE(WriteSnapshot(path, *empty, {}).ok());
  auto snap = LoadSnapshot(path);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->index->size(), 0u);
  EXPECT_FALSE(snap->metadata.has_bounds);
}

TEST_F(SnapshotTest, OverwriteReplacesTheOldSnapshot) {
  auto small = BuildIndex(testing::RandomUsers(9, 10));
  ASSERT_TRUE(WriteSnapshot(path_, *small, {}).ok());
  auto snap = LoadSnapshot(path_);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->index->size(), 10u);
}

TEST_F(SnapshotTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadSnapshot(dir_.File("nope.fo")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SnapshotTest, BadMagicIsRefused) {
  std::string bad = bytes_;
  bad[0] = 'X';
  WriteFileOrDie(path_, bad);
  ExpectRefused(path_, "header");
  // A users file is not a snapshot either.
  WriteFileOrDie(path_, std::string("FOUSERS\0", 8) + std::string(56, '\0'));
  ExpectRefused(path_, "header");
}

TEST_F(SnapshotTest, WrongVersionIsRefusedByName) {
  std::string bad = bytes_;
  uint32_t version = 2;
  std::memcpy(&bad[8], &version, 4);
  // Even with a header checksum that matches, version 2 is refused.
  uint64_t sum = XXH3_64bits(bad.data(), 56);
  std::memcpy(&bad[56], &sum, 8);
  WriteFileOrDie(path_, bad);
  ExpectRefused(path_, "header");
  EXPECT_NE(std::string(LoadSnapshot(path_).status().message()).find("version 2"),
            std::string::npos);
}

TEST_F(SnapshotTest, HostileHeaderFieldsWithAValidChecksumAreRefused) {
  // Header fields a crafted file could set, each with its checksum redone:
  // block size (a tiny one would mean billions of block hashes), section
  // count, user count (larger than the file), file size.
  struct Field {
    size_t offset, width;
    uint64_t value;
  };
  for (const Field& f : std::vector<Field>{{36, 4, 1}, {36, 4, 3 << 20}, {32, 4, 4},
                                           {24, 8, 1ull << 40}, {24, 8, ~0ull},
                                           {16, 8, 1ull << 62}}) {
    SCOPED_TRACE(f.offset);
    std::string bad = bytes_;
    std::memcpy(&bad[f.offset], &f.value, f.width);
    uint64_t sum = XXH3_64bits(bad.data(), 56);
    std::memcpy(&bad[56], &sum, 8);
    WriteFileOrDie(path_, bad);
    auto snap = LoadSnapshot(path_);
    ASSERT_FALSE(snap.ok());
    EXPECT_EQ(snap.status().code(), absl::StatusCode::kDataLoss) << snap.status();
  }
}

TEST_F(SnapshotTest, TruncationAtEverySectionBoundaryIsRefused) {
  std::vector<SnapshotSection> sections = Sections(path_);
  ASSERT_EQ(sections.size(), 3u);
  struct Cut {
    size_t size;
    std::string section;
  };
  std::vector<Cut> cuts = {{0, "header"}, {63, "header"}, {64, "section table"},
                           {64 + 191, "section table"}};
  for (const SnapshotSection& s : sections) {
    cuts.push_back({s.offset, s.name});
    cuts.push_back({s.offset + s.size / 2, s.name});
    cuts.push_back({s.offset + s.size - 1, s.name});
  }
  for (const Cut& cut : cuts) {
    SCOPED_TRACE(cut.size);
    WriteFileOrDie(path_, bytes_.substr(0, cut.size));
    ExpectRefused(path_, cut.section);
  }
  // One byte too many is refused as well.
  WriteFileOrDie(path_, bytes_ + std::string(1, '\0'));
  ExpectRefused(path_, "header");
}

TEST_F(SnapshotTest, FlippedByteInEachSectionIsRefusedNamingIt) {
  std::vector<SnapshotSection> sections = Sections(path_);
  struct Flip {
    size_t offset;
    std::string section;
  };
  std::vector<Flip> flips = {{20, "header"}, {100, "section table"}, {64 + 2 * 64 + 5,
                                                                     "section table"}};
  for (const SnapshotSection& s : sections) {
    flips.push_back({s.offset, s.name});
    flips.push_back({s.offset + s.size - 1, s.name});
  }
  for (const Flip& flip : flips) {
    SCOPED_TRACE(flip.offset);
    std::string bad = bytes_;
    bad[flip.offset] ^= 0x10;
    WriteFileOrDie(path_, bad);
    ExpectRefused(path_, flip.section);
  }
  // A padding byte between sections (with 3 users the cells column is 24
  // bytes, so 40 zero bytes pad it to the users column, which is named).
  std::string small_path = dir_.File("small.fo");
  ASSERT_TRUE(WriteSnapshot(small_path, *BuildIndex(testing::RandomUsers(5, 3)), {}).ok());
  std::vector<SnapshotSection> small = Sections(small_path);
  ASSERT_EQ(small[2].offset - (small[1].offset + small[1].size), 40u);
  std::string bad = ReadFileOrEmpty(small_path);
  bad[small[1].offset + small[1].size + 7] = 1;
  WriteFileOrDie(small_path, bad);
  ExpectRefused(small_path, "users");
}

TEST_F(SnapshotTest, UnsortedColumnsWithValidChecksumsAreRefused) {
  // A snapshot whose checksums are right but whose columns are not in
  // order (as a buggy writer could produce) must not be queried.
  std::vector<SnapshotSection> sections = Sections(path_);
  const SnapshotSection& cells = sections[1];
  std::string bad = bytes_;
  char* first = &bad[cells.offset];
  std::swap_ranges(first, first + 8, first + 8 * 100);
  uint64_t sum = SnapshotChecksum(first, cells.size, kSnapshotBlockSize);
  // Patch the table entry's checksum, then the table checksum in the header,
  // then the header checksum.
  std::memcpy(&bad[64 + 64 + 32], &sum, 8);
  uint64_t table_sum = SnapshotChecksum(&bad[64], 3 * 64, kSnapshotBlockSize);
  std::memcpy(&bad[40], &table_sum, 8);
  uint64_t header_sum = XXH3_64bits(bad.data(), 56);
  std::memcpy(&bad[56], &header_sum, 8);
  WriteFileOrDie(path_, bad);
  ExpectRefused(path_, "cells");
}

TEST(CellLevelHistogramTest, CountsDistinctCellsPerLevel) {
  S2CellId a = S2CellId(S2LatLng::FromDegrees(40, -100));
  S2CellId b = a.parent(20).child_begin(30);  // same level-20 cell as a
  if (b == a) b = a.parent(20).child_end(30).prev();
  S2CellId c = S2CellId(S2LatLng::FromDegrees(-40, 100));  // another face
  std::vector<uint64_t> cells = {a.id(), b.id(), c.id()};
  std::sort(cells.begin(), cells.end());
  auto index = LocationIndex::FromColumns(cells, {1, 2, 3});
  ASSERT_TRUE(index.ok()) << index.status();
  CellLevelHistogram h = ComputeCellLevelHistogram((*index)->run());
  EXPECT_EQ(h.distinct_cells[0], 2u);
  EXPECT_EQ(h.distinct_cells[20], 2u);
  EXPECT_EQ(h.distinct_cells[30], 3u);
  EXPECT_EQ(h.per_face[a.face()] + h.per_face[c.face()], 3u);
  EXPECT_EQ(h.per_face[a.face()], 2u);
}

}  // namespace
}  // namespace fanout
