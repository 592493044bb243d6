// Copyright 2026 The fan-out engine authors.
//
// UsersShare (mpi/users_share.h) against the whole-file readers: for K
// shares of random CSV and binary files, the shares' rows, concatenated
// in rank order, are exactly the file's rows in order (each line in one
// share), whatever the line ends (CRLF, a missing last newline, blank
// lines), and a bad row is named by its line in the whole file.

#include "mpi/users_share.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::TempDir;

bool SameRecords(const std::vector<UserRecord>& a, const std::vector<UserRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].user_id != b[i].user_id || a[i].lat_e7 != b[i].lat_e7 ||
        a[i].lng_e7 != b[i].lng_e7) {
      return false;
    }
  }
  return true;
}

// The shares' rows concatenated, each share told its first line as the
// ranks work it out (2 plus the lines of the shares before).
std::vector<UserRecord> ReadInShares(const std::string& path, int ranks) {
  std::vector<UserRecord> all;
  uint64_t first_line = 2;
  for (int r = 0; r < ranks; ++r) {
    absl::StatusOr<UsersShare> share = UsersShare::Open(path, r, ranks);
    EXPECT_TRUE(share.ok()) << share.status();
    if (!share.ok()) return {};
    absl::StatusOr<std::vector<UserRecord>> rows = share->Read(first_line, {}, nullptr);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return {};
    all.insert(all.end(), rows->begin(), rows->end());
    first_line += share->lines();
  }
  return all;
}

TEST(UsersShareTest, CsvSharesTogetherAreTheFileInOrder) {
  TempDir dir;
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    SCOPED_TRACE(trial);
    const int rows = static_cast<int>(rng() % 60);
    const bool crlf = rng() % 3 == 0, last_newline = rng() % 4 != 0;
    const char* eol = crlf ? "\r\n" : "\n";
    std::string text = absl::StrCat("user_id,lat,lng", eol);
    for (int i = 0; i < rows; ++i) {
      if (rng() % 7 == 0) absl::StrAppend(&text, eol);  // a blank line
      absl::StrAppend(&text, absl::StrFormat("%d,%.5f,%.5f", rng() % 100000,
                                             -80 + 1e-3 * (rng() % 160000),
                                             -170 + 1e-3 * (rng() % 340000)));
      if (i + 1 < rows || last_newline) absl::StrAppend(&text, eol);
    }
    const std::string path = dir.File(absl::StrCat("u", trial, ".csv"));
    testing::WriteFileOrDie(path, text);
    absl::StatusOr<std::vector<UserRecord>> want = ParseUsersCsv(text, path, {});
    ASSERT_TRUE(want.ok()) << want.status();
    for (int ranks : {1, 2, 3, 5, 8, 64}) {
      SCOPED_TRACE(ranks);
      EXPECT_TRUE(SameRecords(ReadInShares(path, ranks), *want));
    }
  }
}

TEST(UsersShareTest, ABadCsvRowIsNamedByItsLineInTheWholeFile) {
  TempDir dir;
  std::string text = "user_id,lat,lng\n";
  for (int i = 0; i < 100; ++i) {
    text += i == 76 ? "5,91.5,10\n" : absl::StrFormat("%d,10.5,20.5\n", i + 1);
  }
  const std::string path = dir.File("bad.csv");
  testing::WriteFileOrDie(path, text);
  for (int ranks : {1, 3, 7}) {
    uint64_t first_line = 2;
    std::string error;
    for (int r = 0; r < ranks; ++r) {
      absl::StatusOr<UsersShare> share = UsersShare::Open(path, r, ranks);
      ASSERT_TRUE(share.ok()) << share.status();
      absl::StatusOr<std::vector<UserRecord>> rows = share->Read(first_line, {}, nullptr);
      if (!rows.ok()) error = std::string(rows.status().message());
      first_line += share->lines();
    }
    // Data row 77 is line 78 of the file.
    EXPECT_EQ(error.rfind(absl::StrCat(path, ":78: "), 0), 0u) << ranks << ": " << error;
  }
}

TEST(UsersShareTest, BinarySharesAreRecordRangesAndTheChecksumIsChecked) {
  TempDir dir;
  std::vector<UserRecord> records;
  for (int i = 0; i < 1001; ++i) records.push_back(UserRecord::FromDegrees(i * 7 + 1, 10, -i * 0.01));
  const std::string path = dir.File("u.bin");
  {
    auto writer = UsersBinaryWriter::Create(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->Append(records).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  for (int ranks : {1, 2, 3, 10, 2000}) {
    SCOPED_TRACE(ranks);
    EXPECT_TRUE(SameRecords(ReadInShares(path, ranks), records));
  }
  absl::StatusOr<UsersShare> share = UsersShare::Open(path, 0, 3);
  ASSERT_TRUE(share.ok());
  EXPECT_TRUE(share->VerifyChecksum().ok());

  // One flipped bit in the last record: the range check of the share that
  // reads it passes (a valid location), the checksum does not.
  std::string bytes = testing::ReadFileOrEmpty(path);
  bytes[bytes.size() - 16] ^= 1;  // the user id's low byte
  testing::WriteFileOrDie(path, bytes);
  share = UsersShare::Open(path, 2, 3);
  ASSERT_TRUE(share.ok());
  EXPECT_TRUE(share->Read(0, {}, nullptr).ok());
  absl::Status verified = share->VerifyChecksum();
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << verified;

  // A truncated file is refused by every rank from its header alone.
  testing::WriteFileOrDie(path, bytes.substr(0, bytes.size() - 8));
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(UsersShare::Open(path, r, 3).status().code(), absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace fanout
