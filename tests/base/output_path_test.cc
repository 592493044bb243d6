// Copyright 2026 The fan-out engine authors.
//
// Which output paths the atomic writers accept (CheckOutputFile), and the
// removal of dead writers' temporaries shared by files and folders.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>

#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DeadPid;
using ::fanout::testing::DirEntries;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

absl::Status WriteHello(const std::string& path) {
  return WriteFileAtomically(path, [](const AppendFn& append) { return append("hello"); });
}

bool Mentions(const absl::Status& status, const std::string& text) {
  return status.message().find(text) != absl::string_view::npos;
}

TEST(OutputPathTest, AcceptsAnAbsentFileOrARegularFile) {
  TempDir dir;
  EXPECT_TRUE(CheckOutputFile(dir.File("new")).ok());
  WriteFileOrDie(dir.File("old"), "x");
  EXPECT_TRUE(CheckOutputFile(dir.File("old")).ok());
}

TEST(OutputPathTest, AMissingFolderIsBadInputNamingIt) {
  TempDir dir;
  const std::string path = dir.File("nope/x.fo");
  absl::Status status = CheckOutputFile(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(Mentions(status, dir.File("nope") + " does not exist")) << status;
  status = WriteHello(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  WriteFileOrDie(dir.File("plain"), "x");
  status = CheckOutputFile(dir.File("plain/x.fo"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(Mentions(status, "is not a folder")) << status;
  EXPECT_EQ(CheckOutputFile("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckOutputFile(dir.File("x/")).code(), absl::StatusCode::kInvalidArgument);
}

TEST(OutputPathTest, RefusesADeviceWithoutTouchingIt) {
  absl::Status status = CheckOutputFile("/dev/null");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_TRUE(Mentions(status, "/dev/null")) << status;
  EXPECT_TRUE(Mentions(status, "character device")) << status;
}

TEST(OutputPathTest, NeverReplacesAFifoADirectoryOrALink) {
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  ASSERT_EQ(::mkdir(dir.File("folder").c_str(), 0755), 0);
  WriteFileOrDie(dir.File("target"), "old");
  ASSERT_EQ(::symlink("target", dir.File("link").c_str()), 0);
  for (const char* name : {"fifo", "folder", "link"}) {
    absl::Status status = WriteHello(dir.File(name));
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << name << ": " << status;
    EXPECT_TRUE(Mentions(status, dir.File(name))) << status;
  }
  struct stat st;
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_EQ(::lstat(dir.File("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(ReadFileOrEmpty(dir.File("target")), "old");
  EXPECT_EQ(DirEntries(dir.path()), (std::vector<std::string>{"fifo", "folder", "link", "target"}));
}

TEST(OutputPathTest, StaleTemporaryFoldersAndFilesOfDeadWritersAreRemoved) {
  TempDir dir;
  const int dead = DeadPid();
  ASSERT_GT(dead, 0);
  const std::string dead_dir = dir.File(absl::StrFormat(".out.tmp-%d-0000abcd", dead));
  const std::string live_dir = dir.File(absl::StrFormat(".out.tmp-%d-0000abcd", ::getpid()));
  ASSERT_EQ(::mkdir(dead_dir.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dead_dir + "/sub").c_str(), 0755), 0);
  WriteFileOrDie(dead_dir + "/sub/shard-00000.csv", "1\n");
  ASSERT_EQ(::mkdir(live_dir.c_str(), 0755), 0);
  WriteFileOrDie(dir.File(absl::StrFormat(".out.tmp-%d-0000abce", dead)), "file");
  WriteFileOrDie(dir.File(absl::StrFormat(".out.tmp-%d-xyz", dead)), "not a temp name");
  RemoveStaleTemps(dir.path(), ".out.tmp-");
  // DirEntries is sorted as strings, so the order depends on the pids.
  std::vector<std::string> expected = {absl::StrFormat(".out.tmp-%d-0000abcd", ::getpid()),
                                       absl::StrFormat(".out.tmp-%d-xyz", dead)};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(DirEntries(dir.path()), expected);
}

}  // namespace
}  // namespace fanout
