// Copyright 2026 The fan-out engine authors.
//
// fanout build / inspect / alert --index end to end, and crash safety: a
// `fanout build` killed with SIGKILL at any moment (in particular while the
// snapshot is being written) never leaves a torn file at the target name.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/snapshot.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

const std::string kCounties = std::string(FANOUT_SOURCE_DIR) + "/data/boundaries/us-counties.geojson";

std::string Sorted(std::string lines) {
  std::vector<std::string> v;
  size_t start = 0;
  while (start < lines.size()) {
    size_t end = lines.find('\n', start);
    if (end == std::string::npos) end = lines.size();
    v.push_back(lines.substr(start, end - start));
    start = end + 1;
  }
  std::sort(v.begin(), v.end());
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

class BuildCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    users_ = dir_.File("users.bin");
    snap_ = dir_.File("index.fo");
    ASSERT_EQ(RunFanout("generate --users 200000 --seed 5 --out " + users_), 0);
    std::string err;
    ASSERT_EQ(RunFanout("build --users " + users_ + " --out " + snap_, nullptr, &err), 0) << err;
  }
  TempDir dir_;
  std::string users_, snap_;
};

TEST_F(BuildCliTest, AlertFromSnapshotEqualsAlertFromUsers) {
  for (const std::string& area :
       {std::string("--circle \"29.76,-95.37 50\""),
        "--geojson " + kCounties + " --feature 48201"}) {
    SCOPED_TRACE(area);
    std::string a = dir_.File("a"), b = dir_.File("b"), err;
    ASSERT_EQ(RunFanout("alert --index " + snap_ + " " + area + " --shards 4 --out " + a +
                            " --force",
                        nullptr, &err),
              0)
        << err;
    ASSERT_EQ(RunFanout("alert --users " + users_ + " " + area + " --shards 4 --out " + b +
                            " --force",
                        nullptr, &err),
              0)
        << err;
    size_t total = 0;
    for (int s = 0; s < 4; ++s) {
      std::string name = "/shard-0000" + std::to_string(s) + ".csv";
      std::string la = ReadFileOrEmpty(a + name), lb = ReadFileOrEmpty(b + name);
      total += la.size();
      EXPECT_EQ(Sorted(la), Sorted(lb)) << "shard " << s;
    }
    EXPECT_GT(total, 1000u);
  }
}

TEST_F(BuildCliTest, IndexAndUsersAreExclusive) {
  std::string err;
  EXPECT_EQ(RunFanout("alert --index " + snap_ + " --users " + users_ +
                          " --circle \"29.76,-95.37 50\" --shards 4 --out " + dir_.File("o"),
                      nullptr, &err),
            2);
  EXPECT_NE(err.find("exactly one"), std::string::npos) << err;
}

TEST_F(BuildCliTest, InspectDescribesTheSnapshot) {
  std::string out, err;
  ASSERT_EQ(RunFanout("inspect " + snap_, &out, &err), 0) << err;
  EXPECT_NE(out.find("users          200000"), std::string::npos) << out;
  EXPECT_NE(out.find("bytes per user 17.12"), std::string::npos) << out;
  EXPECT_NE(out.find("cells"), std::string::npos) << out;
  EXPECT_NE(out.find("bounds"), std::string::npos) << out;
  ASSERT_EQ(RunFanout("inspect " + snap_ + " --json", &out, &err), 0) << err;
  EXPECT_NE(out.find("\"users\": 200000"), std::string::npos) << out;
  EXPECT_NE(out.find("\"cell_levels\": [{\"level\": 0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"name\": \"users\""), std::string::npos) << out;
}

TEST_F(BuildCliTest, DamagedSnapshotIsRefusedWithExit2NamingTheSection) {
  std::string good = ReadFileOrEmpty(snap_);
  std::string bad = good;
  bad[bad.size() - 3] ^= 1;  // in the users column
  WriteFileOrDie(snap_, bad);
  std::string err;
  EXPECT_EQ(RunFanout("inspect " + snap_, nullptr, &err), 2);
  EXPECT_NE(err.find("section 'users'"), std::string::npos) << err;
  EXPECT_EQ(RunFanout("alert --index " + snap_ + " --circle \"29.76,-95.37 50\" --shards 4 --out " +
                          dir_.File("o"),
                      nullptr, &err),
            2);
  EXPECT_NE(err.find("section 'users'"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("o")));
  WriteFileOrDie(snap_, good.substr(0, good.size() / 2));
  EXPECT_EQ(RunFanout("inspect " + snap_, nullptr, &err), 2);
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

// Starts `fanout build` in the background; returns its pid.
pid_t StartBuild(const std::string& users, const std::string& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(FANOUT_BINARY, FANOUT_BINARY, "build", "--users", users.c_str(), "--out", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

bool TempFileExists(const std::string& dir, const std::string& prefix) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST_F(BuildCliTest, KilledBuildNeverLeavesATornSnapshot) {
  const std::string big = dir_.File("big.bin");
  ASSERT_EQ(RunFanout("generate --users 3000000 --seed 6 --out " + big), 0);
  const std::string old_bytes = ReadFileOrEmpty(snap_);
  // Kill points: early (loading/building), and the moment the temporary
  // snapshot appears (writing), then a little after it.
  int killed_mid_write = 0;
  for (int delay_ms : {-1, 0, 5, 30, 60, 400}) {
    SCOPED_TRACE(delay_ms);
    pid_t pid = StartBuild(big, snap_);
    ASSERT_GT(pid, 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool finished = false;
    if (delay_ms >= 0) {  // wait for the temporary file, then `delay_ms`
      while (!TempFileExists(dir_.path(), "index.fo.tmp-")) {
        int status;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          finished = true;
          break;
        }
        ASSERT_LT(std::chrono::steady_clock::now(), deadline);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!finished) {
      ::kill(pid, SIGKILL);
      int status;
      ::waitpid(pid, &status, 0);
      killed_mid_write += TempFileExists(dir_.path(), "index.fo.tmp-");
    }
    // The target is whole: the old snapshot or the complete new one.
    auto snap = LoadSnapshot(snap_);
    ASSERT_TRUE(snap.ok()) << snap.status();
    size_t n = snap->index->size();
    EXPECT_TRUE(n == 200000 || n == 3000000) << n;
    if (n == 200000) {
      EXPECT_EQ(ReadFileOrEmpty(snap_), old_bytes);
    }
    // Put the old snapshot back for the next round; clear stray temp files.
    WriteFileOrDie(snap_, old_bytes);
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.path().filename().string().rfind("index.fo.tmp-", 0) == 0) {
        std::filesystem::remove(e.path());
      }
    }
  }
  // The test means something only if some kill hit the write itself.
  EXPECT_GE(killed_mid_write, 1);
}

}  // namespace
}  // namespace fanout
