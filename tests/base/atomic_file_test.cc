// Copyright 2026 The fan-out engine authors.

#include "base/atomic_file.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DeadPid;
using ::fanout::testing::DirEntries;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

TEST(AtomicFileTest, WritesWholeContentAndLeavesNoTemporary) {
  TempDir dir;
  std::string path = dir.File("f");
  ASSERT_TRUE(WriteFileAtomically(path, [](const AppendFn& append) { return append("hello"); }).ok());
  EXPECT_EQ(ReadFileOrEmpty(path), "hello");
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"f"});
}

TEST(AtomicFileTest, FailedFillLeavesOldContent) {
  TempDir dir;
  std::string path = dir.File("f");
  WriteFileOrDie(path, "old");
  absl::Status s = WriteFileAtomically(path, [](const AppendFn& append) {
    append("partial").IgnoreError();
    return absl::InternalError("boom");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(ReadFileOrEmpty(path), "old");
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"f"});
}

TEST(AtomicFileTest, RemovesTemporariesOfDeadWritersOnly) {
  TempDir dir;
  std::string path = dir.File("index.fo");
  int dead = DeadPid();
  ASSERT_GT(dead, 0);
  std::string stale = absl::StrFormat("index.fo.tmp-%d-0badf00d", dead);
  std::string live = absl::StrFormat("index.fo.tmp-%d-12345678", ::getpid());
  std::string other = absl::StrFormat("other.fo.tmp-%d-0badf00d", dead);
  std::string odd = absl::StrFormat("index.fo.tmp-%d-xyz", dead);
  for (const std::string& name : {stale, live, other, odd}) WriteFileOrDie(dir.File(name), "x");
  RemoveStaleTempFiles(path);
  std::vector<std::string> want = {live, odd, other};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(DirEntries(dir.path()), want);
}

}  // namespace
}  // namespace fanout
