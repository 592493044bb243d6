// Copyright 2026 The fan-out engine authors.
//
// Users files and snapshots that are hostile as files: not regular files,
// shrunk by another process while mapped, records out of range, counts
// whose byte size overflows.

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "engine/directory_sink.h"
#include "engine/location_index.h"
#include "engine/snapshot.h"
#include "engine/users_binary.h"
#include "engine/users_input.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DirEntries;
using ::fanout::testing::RandomUsers;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

void WriteUsers(const std::string& path, const std::vector<UserRecord>& users) {
  auto writer = UsersBinaryWriter::Create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append(users).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
}

bool Mentions(const absl::Status& status, const std::string& text) {
  return status.message().find(text) != absl::string_view::npos;
}

uint64_t SumIds(absl::Span<const UserRecord> records) {
  uint64_t sum = 0;
  for (const UserRecord& r : records) sum += r.user_id;
  return sum;
}

TEST(MappedInputHostileTest, AFifoIsRefusedAtOnceAsUsersOrSnapshot) {
  TempDir dir;
  for (const char* name : {"users.bin", "users.csv", "index.fo"}) {
    ASSERT_EQ(::mkfifo(dir.File(name).c_str(), 0644), 0);
  }
  UsersCsvOptions csv;
  for (const char* name : {"users.bin", "users.csv"}) {
    auto input = UsersInput::Load(dir.File(name), csv);
    ASSERT_FALSE(input.ok());
    EXPECT_EQ(input.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(Mentions(input.status(), dir.File(name) + ": is not a regular file (a FIFO)"))
        << input.status();
  }
  auto snap = LoadSnapshot(dir.File("index.fo"));
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.status().code(), absl::StatusCode::kInvalidArgument) << snap.status();
}

TEST(MappedInputHostileTest, AnOutOfRangeRecordIsNamedWithTheFile) {
  TempDir dir;
  std::vector<UserRecord> users = RandomUsers(1, 1000);
  users[700].lat_e7 = 950000000;
  const std::string path = dir.File("u.bin");
  WriteUsers(path, users);
  auto input = UsersInput::Load(path, {});
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(input.status(), path + ": record 700 (at byte 11232, user " +
                                           std::to_string(users[700].user_id) + ")"))
      << input.status();
  // Unchecked opening checks the ranges all the same.
  auto unchecked = UsersBinaryFile::Open(path, /*verify_checksum=*/false);
  ASSERT_FALSE(unchecked.ok());
  EXPECT_TRUE(Mentions(unchecked.status(), path + ": record 700")) << unchecked.status();
}

TEST(MappedInputHostileTest, AnOverflowingRecordCountGivesTheRightByteFigure) {
  TempDir dir;
  const std::string path = dir.File("u.bin");
  WriteUsers(path, RandomUsers(2, 10));
  std::string bytes = ReadFileOrEmpty(path);
  // 2^60 + 10 records: 32 + 16 * count wraps to exactly the file size.
  const uint64_t count = (uint64_t{1} << 60) + 10;
  std::memcpy(&bytes[16], &count, 8);
  WriteFileOrDie(path, bytes);
  auto input = UsersInput::Load(path, {});
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(input.status(),
                       "header says 1152921504606846986 records (18446744073709551808 bytes) "
                       "but the file has 192 bytes"))
      << input.status();
}

TEST(MappedInputHostileTest, AHugeSnapshotUserCountIsBlamedOnTheHeader) {
  TempDir dir;
  auto index = LocationIndex::Build(RandomUsers(3, 100), {});
  ASSERT_TRUE(index.ok());
  const std::string path = dir.File("i.fo");
  ASSERT_TRUE(WriteSnapshot(path, **index, {}).ok());
  std::string bytes = ReadFileOrEmpty(path);
  const uint64_t count = ~uint64_t{0};
  std::memcpy(&bytes[24], &count, 8);
  const uint64_t sum = XXH3_64bits(bytes.data(), 56);
  std::memcpy(&bytes[56], &sum, 8);
  WriteFileOrDie(path, bytes);
  auto snap = LoadSnapshot(path);
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(snap.status(), "section 'header': user count 18446744073709551615 needs "
                                      "147573952589676412920 bytes per column"))
      << snap.status();
}

// Another process truncates the users file after it was loaded, while the
// records are still being read (say, by the index build): the reads see
// zeros instead of killing the process, and CheckIntact says what happened.
TEST(MappedInputHostileTest, AUsersFileShrunkAfterLoadIsReportedNotACrash) {
  TempDir dir;
  const std::string path = dir.File("u.bin");
  std::vector<UserRecord> users = RandomUsers(4, 100000);  // 1.6 MB: many pages
  WriteUsers(path, users);
  auto input = UsersInput::Load(path, {});
  ASSERT_TRUE(input.ok()) << input.status();
  EXPECT_TRUE((*input)->CheckIntact().ok());
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  uint64_t sum = SumIds((*input)->records());
  EXPECT_NE(sum, SumIds(users));
  absl::Status status = (*input)->CheckIntact();
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_TRUE(Mentions(status, path + ": the file shrank below its size of 1600032 bytes"))
      << status;
  EXPECT_TRUE(Mentions(status, "now has 4096 bytes")) << status;
  input->reset();
  EXPECT_EQ(MappedFile::CheckAllIntact().code(), absl::StatusCode::kAborted);
}

TEST(MappedInputHostileTest, ASnapshotShrunkUnderItsIndexIsReportedNotACrash) {
  TempDir dir;
  auto built = LocationIndex::Build(RandomUsers(5, 100000), {});
  ASSERT_TRUE(built.ok());
  const std::string path = dir.File("i.fo");
  ASSERT_TRUE(WriteSnapshot(path, **built, {}).ok());
  auto snap = LoadSnapshot(path);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_TRUE(MappedFile::CheckAllIntact().ok());
  ASSERT_EQ(::truncate(path.c_str(), 8192), 0);
  // The index reads the mapping itself: every cell and user, as a scan would.
  const SortedRun run = snap->index->run();
  uint64_t sum = 0;
  for (size_t i = 0; i < run.size(); ++i) sum += run.cells[i] ^ run.users[i];
  EXPECT_NE(sum, 0u);
  absl::Status status = MappedFile::CheckAllIntact();
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_TRUE(Mentions(status, path + ": the file shrank")) << status;
  snap->index.reset();
  EXPECT_EQ(MappedFile::CheckAllIntact().code(), absl::StatusCode::kAborted);
}

// The last line: even a caller that never checks cannot commit output
// derived from a shrunk mapping.
TEST(MappedInputHostileTest, NoOutputIsCommittedWhileAMappedInputHasShrunk) {
  TempDir dir;
  const std::string users_path = dir.File("u.bin");
  WriteUsers(users_path, RandomUsers(6, 100000));
  auto input = UsersInput::Load(users_path, {});
  ASSERT_TRUE(input.ok()) << input.status();
  ASSERT_EQ(::truncate(users_path.c_str(), 100), 0);
  auto index = LocationIndex::Build((*input)->records(), {});  // reads zeros
  ASSERT_TRUE(index.ok()) << index.status();
  absl::Status status = WriteSnapshot(dir.File("i.fo"), **index, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_TRUE(Mentions(status, users_path)) << status;
  auto writer = UsersBinaryWriter::Create(dir.File("copy.bin"));
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->Finish().code(), absl::StatusCode::kAborted);
  DirectorySink::Options options;
  options.fsync = false;
  DeliveryLists lists;
  lists.shards.resize(2);
  AlertSummary summary;
  summary.shards = 2;
  summary.per_shard = {0, 0};
  status = DirectorySink(dir.File("out"), options).Deliver(lists, summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"u.bin"});
  // As `fanout alert --users` does: the input is gone before the output is
  // written; the shrink found at unmapping still stops the first commit.
  input->reset();
  status = WriteSnapshot(dir.File("i.fo"), **index, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_TRUE(Mentions(status, users_path)) << status;
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"u.bin"});
  EXPECT_TRUE(WriteSnapshot(dir.File("i.fo"), **index, {}).ok());  // reported once
}

}  // namespace
}  // namespace fanout
