// Copyright 2026 The fan-out engine authors.

#include "engine/users_csv.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

absl::StatusOr<std::vector<UserRecord>> Parse(const std::string& text, bool skip = false,
                                              UsersCsvStats* stats = nullptr) {
  UsersCsvOptions options;
  options.skip_bad_rows = skip;
  return ParseUsersCsv(text, "users.csv", options, stats);
}

// The error names "users.csv:LINE:" and contains `needle`.
void ExpectError(const std::string& text, int line, absl::string_view needle = "") {
  auto users = Parse(text);
  ASSERT_EQ(users.status().code(), absl::StatusCode::kInvalidArgument) << text;
  std::string prefix = absl::StrCat("users.csv:", line, ":");
  EXPECT_EQ(users.status().message().substr(0, prefix.size()), prefix)
      << "for " << text << " got " << users.status();
  EXPECT_NE(users.status().message().find(needle), absl::string_view::npos)
      << "for " << text << " got " << users.status();
}

TEST(UsersCsvTest, ParsesRows) {
  UsersCsvStats stats;
  auto users = Parse("user_id,lat,lng\n1,29.76,-95.37\n18446744073709551615,-90,180\n0,90,-180\n",
                     false, &stats);
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].user_id, 1u);
  EXPECT_EQ((*users)[0].lat_e7, 297600000);
  EXPECT_EQ((*users)[0].lng_e7, -953700000);
  EXPECT_EQ((*users)[1].user_id, 18446744073709551615ULL);
  EXPECT_EQ((*users)[1].lat_e7, -900000000);
  EXPECT_EQ((*users)[1].lng_e7, 1800000000);
  EXPECT_EQ((*users)[2].lng_e7, -1800000000);
  EXPECT_EQ(stats.rows, 3u);
  EXPECT_EQ(stats.bad_rows, 0u);
  EXPECT_EQ(stats.columns, (std::vector<std::string>{"user_id", "lat", "lng"}));
}

TEST(UsersCsvTest, CrlfNoTrailingNewlineBlankLinesExtraColumns) {
  UsersCsvStats stats;
  auto users = Parse("user_id,lat,lon,lang,updated_at\r\n1,1.5,2.5,en,2026\r\n\r\n\n2,3,4,fr,x\r\n3,5,6",
                     false, &stats);
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[1].user_id, 2u);
  EXPECT_EQ((*users)[2].lat_e7, 50000000);
  EXPECT_EQ((*users)[2].lng_e7, 60000000);
  EXPECT_EQ(stats.columns.size(), 5u);
  EXPECT_EQ(stats.columns[3], "lang");
  // Header only, with and without newline.
  EXPECT_TRUE(Parse("user_id,lat,lng").ok());
  EXPECT_EQ(Parse("user_id,lat,lng\n")->size(), 0u);
  // A blank line still counts for the line numbers.
  ExpectError("user_id,lat,lng\n\n\n1,2,x\n", 4, "lng");
  ExpectError("user_id,lat,lng\r\n1,2,3\r\n\r\n4,5,6,7\r\n8,9\r\n", 5);
}

TEST(UsersCsvTest, ErrorsNameTheLine) {
  const std::string h = "user_id,lat,lng\n1,1,1\n";
  ExpectError("id,lat,lng\n1,1,1\n", 1, "header");
  ExpectError("user_id,lng,lat\n", 1, "header");
  ExpectError("user_id,lat\n", 1, "header");
  ExpectError(h + "-5,1,1\n", 3, "user_id");
  ExpectError(h + "abc,1,1\n", 3, "user_id");
  ExpectError(h + "18446744073709551616,1,1\n", 3, "user_id");
  ExpectError(h + " 5,1,1\n", 3, "user_id");
  ExpectError(h + "5,95,1\n", 3, "lat");
  ExpectError(h + "5,-90.0000001,1\n", 3, "lat");
  ExpectError(h + "5,1,-181\n", 3, "lng");
  ExpectError(h + "5,1,180.5\n", 3, "lng");
  ExpectError(h + "5,1\n", 3, "fields");
  ExpectError(h + "5\n", 3, "fields");
  ExpectError(h + "5,nan,1\n", 3, "lat");
  ExpectError(h + "5,1,inf\n", 3, "lng");
  ExpectError(h + "5,1,-inf\n", 3, "lng");
  ExpectError(h + ",1,1\n", 3, "user_id");
  ExpectError(h + "5,,1\n", 3, "lat");
  ExpectError(h + "5,1,\n", 3, "lng");
  ExpectError(h + "5,1,2x\n", 3, "lng");
  // The first bad line is the one reported.
  ExpectError(h + "2,2,2\n3,3,3\n4,400,4\n5,5,500\n", 5, "lat");
  EXPECT_EQ(Parse("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UsersCsvTest, SkipBadRowsCountsAndReportsFirst) {
  UsersCsvStats stats;
  auto users = Parse("user_id,lat,lng\n1,1,1\nx,1,1\n2,2,2\n3,95,3\n\n4,4,4\n", true, &stats);
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(users->size(), 3u);
  EXPECT_EQ(stats.rows, 3u);
  EXPECT_EQ(stats.bad_rows, 2u);
  EXPECT_EQ(stats.first_bad_line, 3u);
  EXPECT_NE(stats.first_bad_reason.find("user_id"), std::string::npos) << stats.first_bad_reason;
  // A bad header is never skipped.
  EXPECT_FALSE(Parse("a,b,c\n1,1,1\n", true).ok());
}

// More than 8 MiB, so the body is parsed in several parallel chunks: the
// reported line is still exact, and with skipping the counts add up.
TEST(UsersCsvTest, BigInputReportsTheRightLine) {
  std::string text = "user_id,lat,lng\n";
  const int kRows = 1000000;
  const int kBadLine = 612345;  // 1-based line number in the file
  for (int i = 0; i < kRows; ++i) {
    int line = i + 2;
    if (line == kBadLine) {
      absl::StrAppend(&text, i, ",12.5,999\n");
    } else if (i % 100000 == 0) {
      text += "\r\n";  // blank lines (with CR) must be counted too
      absl::StrAppend(&text, i, ",", (i % 180) - 89.5, ",", (i % 360) - 179.5, "\r\n");
      ++i;  // keeps `line` in step: this blank line used one line number
    } else {
      absl::StrAppend(&text, i, ",", (i % 180) - 89.5, ",", (i % 360) - 179.5, "\n");
    }
  }
  ASSERT_GT(text.size(), 16u << 20);
  ExpectError(text, kBadLine, "999");
  UsersCsvStats stats;
  auto users = Parse(text, true, &stats);
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(stats.bad_rows, 1u);
  EXPECT_EQ(stats.first_bad_line, static_cast<uint64_t>(kBadLine));
  // Order is kept across chunks.
  for (size_t i = 1; i < users->size(); ++i) {
    ASSERT_LT((*users)[i - 1].user_id, (*users)[i].user_id);
  }
}

TEST(UsersCsvTest, WriteThenReadRoundTrip) {
  testing::TempDir dir;
  std::vector<UserRecord> users = testing::RandomUsers(9, 5000);
  users.push_back(UserRecord::FromDegrees(~0ULL, -90, -180));
  users.push_back(UserRecord::FromDegrees(0, 90, 180));
  ASSERT_TRUE(WriteUsersCsv(dir.File("u.csv"), users).ok());
  UsersCsvStats stats;
  auto read = ReadUsersCsv(dir.File("u.csv"), {}, &stats);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    EXPECT_EQ((*read)[i].user_id, users[i].user_id);
    EXPECT_EQ((*read)[i].lat_e7, users[i].lat_e7);
    EXPECT_EQ((*read)[i].lng_e7, users[i].lng_e7);
  }
  // Errors from a file name the file path.
  testing::WriteFileOrDie(dir.File("bad.csv"), "user_id,lat,lng\n1,2,3\n4,5\n");
  auto bad = ReadUsersCsv(dir.File("bad.csv"), {});
  EXPECT_NE(bad.status().message().find(dir.File("bad.csv") + ":3:"), absl::string_view::npos)
      << bad.status();
}

}  // namespace
}  // namespace fanout
