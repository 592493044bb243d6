// Copyright 2026 The fan-out engine authors.
//
// DirectorySink against clumsy targets: a trailing slash, names that cannot
// be a new folder, too many shard files, and temporaries of dead writers.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/directory_sink.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DeadPid;
using ::fanout::testing::DirEntries;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

DeliveryLists Lists(uint32_t shards) {
  DeliveryLists lists;
  lists.shards.resize(shards);
  lists.shards[0] = {7, 11};
  return lists;
}

AlertSummary SummaryOf(const DeliveryLists& lists) {
  AlertSummary s;
  s.shards = lists.shards.size();
  for (const auto& l : lists.shards) {
    s.per_shard.push_back(l.size());
    s.matched += l.size();
  }
  return s;
}

absl::Status Deliver(const std::string& out, const DeliveryLists& lists, bool overwrite = false) {
  DirectorySink::Options options;
  options.overwrite = overwrite;
  options.fsync = false;
  DirectorySink sink(out, options);
  absl::Status status = sink.CheckTarget();
  if (!status.ok()) return status;
  return sink.Deliver(lists, SummaryOf(lists));
}

TEST(DirectorySinkHostileTest, ATrailingSlashNamesTheSameFolder) {
  TempDir dir;
  const std::string out = dir.File("amber") + "/";
  ASSERT_TRUE(Deliver(out, Lists(2)).ok());
  EXPECT_EQ(DirEntries(dir.File("amber")),
            (std::vector<std::string>{"shard-00000.csv", "shard-00001.csv", "summary.json"}));
  EXPECT_EQ(ReadFileOrEmpty(dir.File("amber/shard-00000.csv")), "7\n11\n");
  // Again, with two slashes: it exists now, so --force is needed.
  EXPECT_EQ(Deliver(dir.File("amber") + "//", Lists(2)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Deliver(dir.File("amber") + "//", Lists(3), /*overwrite=*/true).ok());
  EXPECT_EQ(DirEntries(dir.File("amber")).size(), 4u);
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"amber"});
}

TEST(DirectorySinkHostileTest, RelativeTargetWithATrailingSlash) {
  TempDir dir;
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  absl::Status status = Deliver("amber/", Lists(1));
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(DirEntries(dir.File("amber")).size(), 2u);
}

TEST(DirectorySinkHostileTest, NamesThatCannotBeANewFolderAreBadInput) {
  TempDir dir;
  for (const std::string& out : {dir.path() + "/.", dir.path() + "/..", std::string("/"),
                                 dir.path() + "/./", std::string("")}) {
    absl::Status status = Deliver(out, Lists(1), /*overwrite=*/true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << out << ": " << status;
  }
  absl::Status status = Deliver(dir.File("nope/out"), Lists(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(dir.File("nope")), std::string::npos) << status;
}

TEST(DirectorySinkHostileTest, ShardFileCountIsBounded) {
  EXPECT_TRUE(DirectorySink::CheckShardCount(1).ok());
  EXPECT_TRUE(DirectorySink::CheckShardCount(DirectorySink::kMaxShardFiles).ok());
  EXPECT_EQ(DirectorySink::CheckShardCount(0).code(), absl::StatusCode::kInvalidArgument);
  absl::Status status = DirectorySink::CheckShardCount(1048576);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("1048576"), std::string::npos) << status;
  // Deliver refuses too, before writing anything.
  TempDir dir;
  status = Deliver(dir.File("out"), Lists(DirectorySink::kMaxShardFiles + 1));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(DirEntries(dir.path()).empty());
}

TEST(DirectorySinkHostileTest, TemporariesOfDeadWritersAreRemovedByTheNextDelivery) {
  TempDir dir;
  const int dead = DeadPid();
  ASSERT_GT(dead, 0);
  const std::string dead_tmp = absl::StrFormat(".out.tmp-%d-0000abcd", dead);
  const std::string live_tmp = absl::StrFormat(".out.tmp-%d-0000abcd", ::getpid());
  const std::string other_tmp = absl::StrFormat(".other.tmp-%d-0000abcd", dead);
  for (const std::string& name : {dead_tmp, live_tmp, other_tmp}) {
    ASSERT_EQ(::mkdir(dir.File(name).c_str(), 0755), 0);
    WriteFileOrDie(dir.File(name + "/shard-00000.csv"), "1\n");
  }
  ASSERT_TRUE(Deliver(dir.File("out"), Lists(1)).ok());
  EXPECT_EQ(DirEntries(dir.path()), (std::vector<std::string>{other_tmp, live_tmp, "out"}));
}

TEST(DirectorySinkHostileTest, ADeadWritersOldListsGoOnlyOnceTheTargetExists) {
  TempDir dir;
  const std::string dead_old = absl::StrFormat(".out.old-%d-0000abcd", DeadPid());
  ASSERT_EQ(::mkdir(dir.File(dead_old).c_str(), 0755), 0);
  // No target: the old lists may be all that is left of it.
  ASSERT_TRUE(Deliver(dir.File("out"), Lists(1)).ok());
  EXPECT_EQ(DirEntries(dir.path()), (std::vector<std::string>{dead_old, "out"}));
  ASSERT_TRUE(Deliver(dir.File("out"), Lists(1), /*overwrite=*/true).ok());
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"out"});
}

}  // namespace
}  // namespace fanout
