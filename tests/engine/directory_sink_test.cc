// Copyright 2026 The fan-out engine authors.

#include "engine/directory_sink.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DirEntries;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

DeliveryLists SampleLists(uint32_t shards) {
  DeliveryLists lists;
  lists.shards.resize(shards);
  for (uint64_t id = 1; id < 1000; id += 3) lists.shards[id % shards].push_back(id * 1000003);
  lists.shards[0].push_back(18446744073709551615ULL);
  if (shards > 2) lists.shards[2].clear();  // an empty shard
  return lists;
}

AlertSummary SummaryOf(const DeliveryLists& lists) {
  AlertSummary s;
  s.shards = lists.shards.size();
  for (const auto& l : lists.shards) {
    s.per_shard.push_back(l.size());
    s.matched += l.size();
  }
  s.timings.cover_ms = 1.5;
  s.alert_info.emplace_back("source", "test");
  return s;
}

std::vector<uint64_t> ReadCsvIds(const std::string& path) {
  std::vector<uint64_t> ids;
  std::string text = ReadFileOrEmpty(path);
  if (!text.empty()) {
    EXPECT_EQ(text.back(), '\n') << path;
  }
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    uint64_t id;
    EXPECT_TRUE(absl::SimpleAtoi(line, &id)) << line;
    EXPECT_EQ(std::to_string(id), std::string(line));  // plain decimal, nothing else
    ids.push_back(id);
  }
  return ids;
}

TEST(DirectorySinkTest, WritesCsvListsAndSummary) {
  TempDir dir;
  const std::string out = dir.File("out");
  DeliveryLists lists = SampleLists(12);
  DirectorySink sink(out, {});
  ASSERT_TRUE(sink.CheckTarget().ok());
  ASSERT_TRUE(sink.Deliver(lists, SummaryOf(lists)).ok());
  std::vector<std::string> want;
  for (int s = 0; s < 12; ++s) want.push_back(absl::StrFormat("shard-%05d.csv", s));
  want.push_back("summary.json");
  std::sort(want.begin(), want.end());
  EXPECT_EQ(DirEntries(out), want);
  EXPECT_TRUE(std::filesystem::exists(out + "/shard-00011.csv"));
  for (int s = 0; s < 12; ++s) {
    EXPECT_EQ(ReadCsvIds(out + absl::StrFormat("/shard-%05d.csv", s)),
              std::vector<uint64_t>(lists.shards[s].begin(), lists.shards[s].end()))
        << s;
  }
  EXPECT_EQ(std::filesystem::file_size(out + "/shard-00002.csv"), 0u);

  auto json = nlohmann::json::parse(ReadFileOrEmpty(out + "/summary.json"));
  EXPECT_EQ(json["matched"].get<uint64_t>(), lists.total());
  EXPECT_EQ(json["shards"].get<uint32_t>(), 12u);
  ASSERT_EQ(json["per_shard"].size(), 12u);
  for (int s = 0; s < 12; ++s) EXPECT_EQ(json["per_shard"][s].get<uint64_t>(), lists.shards[s].size());
  for (const char* key : {"parse", "cover", "scan", "emit", "total"}) {
    EXPECT_TRUE(json["timings_ms"].contains(key)) << key;
    EXPECT_GE(json["timings_ms"][key].get<double>(), 0) << key;
  }
  EXPECT_DOUBLE_EQ(json["timings_ms"]["cover"].get<double>(), 1.5);
  EXPECT_EQ(json["alert"]["source"], "test");
  // Nothing but OUT beside it: no temporary folders left behind.
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"out"});
}

TEST(DirectorySinkTest, WritesLittleEndianBinaryLists) {
  TempDir dir;
  const std::string out = dir.File("bin");
  DeliveryLists lists = SampleLists(3);
  DirectorySink sink(out, {ListFormat::kBinary, false, false});
  ASSERT_TRUE(sink.Deliver(lists, SummaryOf(lists)).ok());
  for (int s = 0; s < 3; ++s) {
    std::string bytes = ReadFileOrEmpty(out + absl::StrFormat("/shard-%05d.bin", s));
    ASSERT_EQ(bytes.size(), 8 * lists.shards[s].size());
    for (size_t i = 0; i < lists.shards[s].size(); ++i) {
      uint64_t v = 0;
      for (int b = 7; b >= 0; --b) v = v << 8 | uint8_t(bytes[8 * i + b]);
      EXPECT_EQ(v, lists.shards[s][i]);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(out + "/shard-00000.csv"));
}

TEST(DirectorySinkTest, RefusesExistingTargetWithoutOverwrite) {
  TempDir dir;
  const std::string out = dir.File("out");
  std::filesystem::create_directory(out);
  WriteFileOrDie(out + "/keep.txt", "precious");
  DeliveryLists lists = SampleLists(4);
  DirectorySink sink(out, {});
  EXPECT_EQ(sink.CheckTarget().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sink.Deliver(lists, SummaryOf(lists)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DirEntries(out), std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(ReadFileOrEmpty(out + "/keep.txt"), "precious");
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"out"});
  // A plain file at the target is refused even with overwrite.
  WriteFileOrDie(dir.File("file"), "x");
  DirectorySink onto_file(dir.File("file"), {ListFormat::kCsv, true, false});
  EXPECT_FALSE(onto_file.Deliver(lists, SummaryOf(lists)).ok());
  EXPECT_EQ(ReadFileOrEmpty(dir.File("file")), "x");
  // A missing parent folder.
  DirectorySink orphan(dir.File("no/such/out"), {});
  EXPECT_FALSE(orphan.CheckTarget().ok());
}

TEST(DirectorySinkTest, OverwriteReplacesTheWholeDirectory) {
  TempDir dir;
  const std::string out = dir.File("out");
  DeliveryLists first = SampleLists(10);
  ASSERT_TRUE(DirectorySink(out, {}).Deliver(first, SummaryOf(first)).ok());
  WriteFileOrDie(out + "/stray.txt", "old");
  DeliveryLists second = SampleLists(2);
  ASSERT_TRUE(DirectorySink(out, {ListFormat::kCsv, true, true}).Deliver(second, SummaryOf(second)).ok());
  EXPECT_EQ(DirEntries(out),
            (std::vector<std::string>{"shard-00000.csv", "shard-00001.csv", "summary.json"}));
  EXPECT_EQ(ReadCsvIds(out + "/shard-00001.csv"),
            std::vector<uint64_t>(second.shards[1].begin(), second.shards[1].end()));
  auto json = nlohmann::json::parse(ReadFileOrEmpty(out + "/summary.json"));
  EXPECT_EQ(json["shards"].get<int>(), 2);
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"out"});
}

TEST(DirectorySinkTest, ParseListFormat) {
  EXPECT_EQ(*ParseListFormat("csv"), ListFormat::kCsv);
  EXPECT_EQ(*ParseListFormat("bin"), ListFormat::kBinary);
  EXPECT_EQ(ParseListFormat("json").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fanout
