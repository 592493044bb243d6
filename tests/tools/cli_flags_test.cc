// Copyright 2026 The fan-out engine authors.

#include "tools/cli_flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fanout {
namespace {

absl::Status ParseArgs(CliFlags* flags, std::vector<std::string> args) {
  std::vector<char*> argv = {const_cast<char*>("fanout"), const_cast<char*>("cmd")};
  for (std::string& a : args) argv.push_back(a.data());
  return flags->Parse(static_cast<int>(argv.size()), argv.data(), 2);
}

TEST(CliFlagsTest, AStrayWordAfterAValueIsRefusedNamingTheFlag) {
  CliFlags flags({"fips", "out"}, {"force"});
  absl::Status s = ParseArgs(&flags, {"--fips", "48", "201", "--out", "x"});
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("unexpected argument \"201\""));
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("--fips"));
}

TEST(CliFlagsTest, PositionalArgumentsUpToTheDeclaredCount) {
  CliFlags none({"out"}, {});
  EXPECT_FALSE(ParseArgs(&none, {"file"}).ok());
  EXPECT_FALSE(ParseArgs(&none, {"--"}).ok());
  CliFlags one({}, {"json"}, /*max_positional=*/1);
  ASSERT_TRUE(ParseArgs(&one, {"snap.fo", "--json"}).ok());
  EXPECT_EQ(one.positional(), std::vector<std::string>{"snap.fo"});
  CliFlags again({}, {"json"}, 1);
  absl::Status s = ParseArgs(&again, {"a.fo", "b.fo"});
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("unexpected argument \"b.fo\""));
}

TEST(CliFlagsTest, UnknownRepeatedAndMissingValues) {
  CliFlags flags({"shards"}, {"force"});
  EXPECT_THAT(std::string(ParseArgs(&flags, {"--shard", "3"}).message()),
              ::testing::HasSubstr("unknown flag --shard"));
  CliFlags twice({"shards"}, {});
  EXPECT_THAT(std::string(ParseArgs(&twice, {"--shards", "3", "--shards=4"}).message()),
              ::testing::HasSubstr("given twice"));
  CliFlags missing({"shards"}, {});
  EXPECT_THAT(std::string(ParseArgs(&missing, {"--shards"}).message()),
              ::testing::HasSubstr("needs a value"));
  CliFlags sw({}, {"force"});
  EXPECT_THAT(std::string(ParseArgs(&sw, {"--force=yes"}).message()),
              ::testing::HasSubstr("takes no value"));
}

}  // namespace
}  // namespace fanout
