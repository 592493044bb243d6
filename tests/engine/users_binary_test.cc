// Copyright 2026 The fan-out engine authors.

#include "engine/users_binary.h"

#include <cstring>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DirEntries;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

void WriteUsers(const std::string& path, const std::vector<UserRecord>& users) {
  auto writer = UsersBinaryWriter::Create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  // In uneven batches.
  size_t at = 0;
  for (size_t batch : {size_t{1}, size_t{999}, size_t{5000}}) {
    size_t n = std::min(batch, users.size() - at);
    ASSERT_TRUE((*writer)->Append(absl::MakeConstSpan(users).subspan(at, n)).ok());
    at += n;
  }
  ASSERT_TRUE((*writer)->Append(absl::MakeConstSpan(users).subspan(at)).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ((*writer)->Finish().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(UsersBinaryTest, RoundTrip) {
  TempDir dir;
  std::vector<UserRecord> users = testing::RandomUsers(1, 12345);
  WriteUsers(dir.File("u.bin"), users);
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"u.bin"});
  EXPECT_EQ(std::filesystem::file_size(dir.File("u.bin")), kUsersHeaderSize + 16 * users.size());
  std::string bytes = ReadFileOrEmpty(dir.File("u.bin"));
  EXPECT_EQ(bytes.substr(0, 8), std::string("FOUSERS\0", 8));
  auto file = UsersBinaryFile::Open(dir.File("u.bin"));
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ((*file)->records().size(), users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    ASSERT_EQ((*file)->records()[i].user_id, users[i].user_id);
    ASSERT_EQ((*file)->records()[i].lat_e7, users[i].lat_e7);
    ASSERT_EQ((*file)->records()[i].lng_e7, users[i].lng_e7);
  }
  // Little-endian record layout: the first record's id at offset 32.
  uint64_t first_id = 0;
  for (int b = 7; b >= 0; --b) first_id = first_id << 8 | uint8_t(bytes[32 + b]);
  EXPECT_EQ(first_id, users[0].user_id);
}

TEST(UsersBinaryTest, EmptyFile) {
  TempDir dir;
  WriteUsers(dir.File("e.bin"), {});
  auto file = UsersBinaryFile::Open(dir.File("e.bin"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE((*file)->records().empty());
}

class CorruptUsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteUsers(dir_.File("u.bin"), testing::RandomUsers(2, 1000));
    good_ = ReadFileOrEmpty(dir_.File("u.bin"));
    ASSERT_EQ(good_.size(), kUsersHeaderSize + 16000);
  }
  // Writes `bytes` and expects Open to fail with kDataLoss mentioning `needle`.
  void ExpectDataLoss(const std::string& bytes, absl::string_view needle) {
    std::string path = dir_.File("bad.bin");
    WriteFileOrDie(path, bytes);
    auto file = UsersBinaryFile::Open(path);
    ASSERT_EQ(file.status().code(), absl::StatusCode::kDataLoss) << file.status();
    EXPECT_NE(file.status().message().find(needle), absl::string_view::npos) << file.status();
  }
  TempDir dir_;
  std::string good_;
};

TEST_F(CorruptUsersTest, Truncated) {
  ExpectDataLoss(good_.substr(0, good_.size() - 1), "truncated");
  ExpectDataLoss(good_.substr(0, good_.size() - 16), "truncated");
  ExpectDataLoss(good_.substr(0, 20), "too short");
  ExpectDataLoss("", "too short");
  ExpectDataLoss(good_ + "x", "bytes");
}

TEST_F(CorruptUsersTest, BadMagic) {
  std::string bytes = good_;
  bytes[0] = 'X';
  ExpectDataLoss(bytes, "magic");
}

TEST_F(CorruptUsersTest, WrongVersion) {
  std::string bytes = good_;
  bytes[8] = 3;  // 1 and 2 are read
  ExpectDataLoss(bytes, "version");
}

TEST_F(CorruptUsersTest, WrongRecordSize) {
  std::string bytes = good_;
  bytes[12] = 24;
  ExpectDataLoss(bytes, "record size");
}

TEST_F(CorruptUsersTest, HugeCount) {
  std::string bytes = good_;
  for (int b = 16; b < 24; ++b) bytes[b] = char(0xff);
  ExpectDataLoss(bytes, "records");
}

TEST_F(CorruptUsersTest, FlippedRecordByte) {
  for (size_t at : {size_t{32}, size_t{32 + 16 * 500 + 9}, good_.size() - 1}) {
    std::string bytes = good_;
    bytes[at] ^= 0x10;
    ExpectDataLoss(bytes, "checksum");
  }
  // Without verification the damaged file opens (the check is what catches it).
  std::string bytes = good_;
  bytes[100] ^= 1;
  WriteFileOrDie(dir_.File("unchecked.bin"), bytes);
  EXPECT_TRUE(UsersBinaryFile::Open(dir_.File("unchecked.bin"), false).ok());
}

TEST(UsersBinaryTest, AbandonedWriterLeavesNothing) {
  TempDir dir;
  {
    auto writer = UsersBinaryWriter::Create(dir.File("u.bin"));
    ASSERT_TRUE(writer.ok());
    auto users = testing::RandomUsers(3, 100);
    ASSERT_TRUE((*writer)->Append(users).ok());
  }
  EXPECT_TRUE(DirEntries(dir.path()).empty());
  // An existing file at the target is left as it was.
  WriteFileOrDie(dir.File("u.bin"), "old");
  {
    auto writer = UsersBinaryWriter::Create(dir.File("u.bin"));
    ASSERT_TRUE(writer.ok());
  }
  EXPECT_EQ(ReadFileOrEmpty(dir.File("u.bin")), "old");
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"u.bin"});
}

TEST(UsersBinaryTest, MissingFileIsNotDataLoss) {
  TempDir dir;
  auto file = UsersBinaryFile::Open(dir.File("nope.bin"));
  EXPECT_FALSE(file.ok());
  EXPECT_NE(file.status().code(), absl::StatusCode::kDataLoss);
}

TEST(UsersBinaryTest, IsBinaryUsersPath) {
  EXPECT_TRUE(IsBinaryUsersPath("a/b.bin"));
  EXPECT_FALSE(IsBinaryUsersPath("a/b.csv"));
  EXPECT_FALSE(IsBinaryUsersPath("bin"));
}

}  // namespace
}  // namespace fanout
