// Copyright 2026 The fan-out engine authors.
//
// User attributes from the command line (issue 18): `fanout generate
// --with-attributes` (CSV and binary), `fanout build` keeping them in the
// snapshot, `fanout alert --max-age` and `--by-info` writing OUT/info-<k>/
// whose union is the plain lists, and bad values refused with exit 2.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

std::string Sample(const std::string& name) {
  return std::string(FANOUT_SOURCE_DIR) + "/data/alerts/" + name;
}

std::multiset<uint64_t> ReadIds(const std::string& dir, int shards) {
  std::multiset<uint64_t> ids;
  for (int s = 0; s < shards; ++s) {
    for (absl::string_view line : absl::StrSplit(
             ReadFileOrEmpty(absl::StrFormat("%s/shard-%05d.csv", dir, s)), '\n',
             absl::SkipEmpty())) {
      uint64_t id;
      EXPECT_TRUE(absl::SimpleAtoi(line, &id)) << line;
      ids.insert(id);
    }
  }
  return ids;
}

TEST(AttributesCliTest, GenerateBuildAlertByInfoAndMaxAge) {
  TempDir dir;
  std::string err;
  // Binary and CSV with the same seed carry the same users and attributes.
  ASSERT_EQ(RunFanout(absl::StrCat("generate --users 60000 --seed 4 --with-attributes --now "
                                   "2026-05-01T20:00:00Z --out ", dir.File("u.bin")),
                      nullptr, &err), 0) << err;
  ASSERT_EQ(RunFanout(absl::StrCat("generate --users 60000 --seed 4 --with-attributes --now "
                                   "2026-05-01T20:00:00Z --out ", dir.File("u.csv")),
                      nullptr, &err), 0) << err;
  EXPECT_EQ(ReadFileOrEmpty(dir.File("u.csv")).substr(0, 32), "user_id,lat,lng,lang,updated_at\n");
  ASSERT_EQ(RunFanout(absl::StrCat("build --users ", dir.File("u.bin"), " --out ", dir.File("a.fo")),
                      nullptr, &err), 0) << err;
  EXPECT_NE(err.find("attributes: lang updated_at"), std::string::npos) << err;
  std::string out;
  ASSERT_EQ(RunFanout(absl::StrCat("inspect ", dir.File("a.fo")), &out, &err), 0) << err;
  EXPECT_NE(out.find("format version 2"), std::string::npos) << out;
  EXPECT_NE(out.find("attributes     lang, updated_at"), std::string::npos) << out;

  const std::string cap = Sample("amber-harris-county-multilingual.xml");
  const std::string base = absl::StrCat("alert --cap ", cap, " --shards 5 --force");
  ASSERT_EQ(RunFanout(absl::StrCat(base, " --index ", dir.File("a.fo"), " --out ",
                                   dir.File("plain")), nullptr, &err), 0) << err;
  const std::multiset<uint64_t> plain = ReadIds(dir.File("plain"), 5);
  ASSERT_GT(plain.size(), 100u);

  // --by-info: the plain lists, and info-0..3 whose union is them.
  for (const std::string& users : {absl::StrCat("--index ", dir.File("a.fo")),
                                   absl::StrCat("--users ", dir.File("u.csv"))}) {
    ASSERT_EQ(RunFanout(absl::StrCat(base, " ", users, " --by-info --out ", dir.File("by")), &out,
                        &err), 0) << err;
    EXPECT_EQ(ReadIds(dir.File("by"), 5), plain);
    std::multiset<uint64_t> all;
    for (int k = 0; k < 4; ++k) {
      for (uint64_t id : ReadIds(dir.File(absl::StrCat("by/info-", k)), 5)) all.insert(id);
    }
    EXPECT_EQ(all, plain);
    auto json = nlohmann::json::parse(ReadFileOrEmpty(dir.File("by/summary.json")));
    const auto& blocks = json["delivery"]["by_info"];
    ASSERT_EQ(blocks.size(), 4u);
    EXPECT_EQ(blocks[1]["language"], "es-US");
    EXPECT_EQ(blocks[3]["language"], "vi-VN");
    EXPECT_GT(blocks[1]["users"].get<uint64_t>(), 0u);
    EXPECT_GT(blocks[3]["user_languages"]["vi"].get<uint64_t>(), 0u);  // primary subtag
    uint64_t sum = 0;
    for (const auto& b : blocks) sum += b["users"].get<uint64_t>();
    EXPECT_EQ(sum, plain.size());
  }

  // --max-age at the CAP's <sent> (19:05Z); --now moves it.
  ASSERT_EQ(RunFanout(absl::StrCat(base, " --index ", dir.File("a.fo"),
                                   " --max-age 6h --out ", dir.File("fresh")), &out, &err), 0)
      << err;
  auto json = nlohmann::json::parse(ReadFileOrEmpty(dir.File("fresh/summary.json")));
  const uint64_t stale = json["delivery"]["stale_skipped"].get<uint64_t>();
  EXPECT_EQ(json["delivery"]["as_of"].get<int64_t>(), 1777662300);
  EXPECT_EQ(json["delivery"]["max_age_s"].get<int64_t>(), 21600);
  EXPECT_GT(stale, 0u);
  EXPECT_EQ(json["matched"].get<uint64_t>() + stale, plain.size());
  const std::multiset<uint64_t> fresh = ReadIds(dir.File("fresh"), 5);
  EXPECT_TRUE(std::includes(plain.begin(), plain.end(), fresh.begin(), fresh.end()));
  ASSERT_EQ(RunFanout(absl::StrCat(base, " --index ", dir.File("a.fo"),
                                   " --max-age 90d --now 2026-05-01T20:00:00Z --out ",
                                   dir.File("all")), &out, &err), 0) << err;
  EXPECT_EQ(ReadIds(dir.File("all"), 5), plain);  // ages are at most 14 days

  // Bad values: exit 2, nothing written.
  for (const char* bad : {"--max-age 6x", "--max-age 0", "--max-age 6h --now soon",
                          "--now 5"}) {
    EXPECT_EQ(RunFanout(absl::StrCat(base, " --index ", dir.File("a.fo"), " ", bad, " --out ",
                                     dir.File("bad")), nullptr, &err), 2) << bad;
    EXPECT_TRUE(ReadFileOrEmpty(dir.File("bad/summary.json")).empty());
  }
}

TEST(AttributesCliTest, MalformedAttributeRowsNameLineAndColumn) {
  TempDir dir;
  WriteFileOrDie(dir.File("u.csv"),
                 "user_id,lat,lng,lang,updated_at\n1,29.7,-95.3,en,1700000000\n"
                 "2,29.7,-95.3,en_US,1700000000\n3,29.7,-95.3,es,\n");
  std::string err;
  EXPECT_EQ(RunFanout(absl::StrCat("build --users ", dir.File("u.csv"), " --out ", dir.File("a.fo")),
                      nullptr, &err), 2);
  EXPECT_NE(err.find("u.csv:3: column 4 (lang): lang \"en_US\""), std::string::npos) << err;
  ASSERT_EQ(RunFanout(absl::StrCat("build --skip-bad-rows --users ", dir.File("u.csv"), " --out ",
                                   dir.File("a.fo")), nullptr, &err), 0) << err;
  EXPECT_NE(err.find("skipped 1 bad rows"), std::string::npos) << err;
}

}  // namespace
}  // namespace fanout
