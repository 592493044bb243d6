// Copyright 2026 The fan-out engine authors.
//
// Crash tests of the engine folder through the real `fanout` binary
// (DESIGN §7): `fanout apply` and `fanout checkpoint` are SIGKILLed at
// random moments, and after each kill the folder must recover to exactly
// the base plus the first last_seq updates applied, with last_seq at a
// batch boundary (no batch half-applied) and at or after every `acked SEQ`
// the process printed. Damage is refused with exit 2 naming the file.
//
// Kills per sync policy: FANOUT_CRASH_KILLS (default 20);
// tools/crash_kill_test.sh runs this with more. The seed is printed, and
// FANOUT_CRASH_SEED replays a run.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DirEntries;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

using Model = ::fanout::testing::UserModel;
using ::fanout::testing::ModelEntries;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t out;
  return v != nullptr && absl::SimpleAtoi(v, &out) ? out : fallback;
}

std::string E7(int32_t v) {
  return absl::StrFormat("%s%d.%07d", v < 0 ? "-" : "", std::abs(v) / 10000000,
                         std::abs(v) % 10000000);
}

// A running `fanout` whose stdout is a pipe.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::dup2(fds[1], 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::close(fds[0]);
    std::vector<char*> argv;
    std::string binary = FANOUT_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  c.out_fd = fds[0];
  return c;
}

// Kills `c` after `delay` (unless it ended before), then returns its whole
// stdout; *exit_code is its exit code, or -SIGKILL.
std::string KillAfter(Child c, absl::Duration delay, int* exit_code) {
  const absl::Time deadline = absl::Now() + delay;
  int status = 0;
  bool ended = false;
  while (absl::Now() < deadline) {
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      ended = true;
      break;
    }
    absl::SleepFor(absl::Microseconds(200));
  }
  if (!ended) {
    ::kill(c.pid, SIGKILL);
    ::waitpid(c.pid, &status, 0);
  }
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(c.out_fd, buf, sizeof buf)) > 0) out.append(buf, n);
  ::close(c.out_fd);
  return out;
}

uint64_t MaxAcked(const std::string& out) {
  uint64_t best = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    uint64_t v;
    if (absl::ConsumePrefix(&line, "acked ") && absl::SimpleAtoi(line, &v)) best = std::max(best, v);
  }
  return best;
}

class EngineCrashTest : public ::testing::Test {
 protected:
  static constexpr size_t kUpdates = 60000;
  static constexpr size_t kBatch = 500;

  void SetUp() override {
    seed_ = EnvOr("FANOUT_CRASH_SEED", std::random_device{}());
    std::printf("FANOUT_CRASH_SEED=%llu\n", static_cast<unsigned long long>(seed_));
    rng_.seed(seed_);
    std::vector<UserRecord> users = testing::RandomUsers(seed_, 20000, 25, 49, -124, -67);
    std::string csv = "user_id,lat,lng\n";
    for (const UserRecord& r : users) {
      model_[r.user_id] = r;
      absl::StrAppend(&csv, r.user_id, ",", E7(r.lat_e7), ",", E7(r.lng_e7), "\n");
    }
    WriteFileOrDie(tmp_.File("users.csv"), csv);
    std::vector<UserRecord> moves = testing::RandomUsers(seed_ + 1, kUpdates, 25, 49, -124, -67);
    std::string upd = "user_id,lat,lng\n";
    for (size_t i = 0; i < kUpdates; ++i) {
      const uint64_t id = i % 7 == 0 ? moves[i].user_id : users[rng_() % users.size()].user_id;
      if (i % 9 == 4) {
        updates_.push_back(LocationUpdate::Remove(id));
        absl::StrAppend(&upd, id, ",,\n");
      } else {
        UserRecord r = moves[i];
        r.user_id = id;
        updates_.push_back(LocationUpdate::Upsert(r));
        absl::StrAppend(&upd, id, ",", E7(r.lat_e7), ",", E7(r.lng_e7), "\n");
      }
    }
    WriteFileOrDie(tmp_.File("updates.csv"), upd);
    ASSERT_EQ(RunFanout(absl::StrCat("build --users ", tmp_.File("users.csv"), " --dir ", dir_)), 0);
  }

  // The folder recovers to the model plus the first (last_seq - start)
  // updates of the file, at a batch boundary, at or after `acked`.
  void CheckRecovered(uint64_t start, uint64_t acked, const std::string& what) {
    auto state = ReadEngineDirectory(dir_, /*materialise=*/true);
    ASSERT_TRUE(state.ok()) << what << ": " << state.status();
    const uint64_t last = state->last_seq;
    ASSERT_GE(last, acked) << what << ": an acknowledged update was lost";
    ASSERT_GE(last, start) << what;
    const uint64_t applied = last - start;
    ASSERT_LE(applied, kUpdates) << what;
    ASSERT_TRUE(applied % kBatch == 0 || applied == kUpdates)
        << what << ": half a batch applied (" << applied << " updates)";
    for (size_t i = 0; i < applied; ++i) {
      const LocationUpdate& u = updates_[i];
      if (u.kind == LocationUpdate::Kind::kRemove) {
        model_.erase(u.user_id());
      } else {
        model_[u.user_id()] = u.location;
      }
    }
    std::vector<std::pair<uint64_t, uint64_t>> got;
    SortedRun run = state->index->run();
    for (size_t i = 0; i < run.size(); ++i) got.push_back({run.cells[i], run.users[i]});
    ASSERT_TRUE(got == ModelEntries(model_))
        << what << ": state differs from the base plus the first " << last << " updates";
    last_seq_ = last;
  }

  // `kills` rounds: `fanout apply` killed at a random moment; every fifth
  // round a `fanout checkpoint` killed at a random moment as well, and every
  // tenth one run to completion.
  void RunKills(const std::string& sync, uint64_t kills) {
    uint64_t acked_total = 0, mid_apply = 0, finished = 0;
    for (uint64_t k = 0; k < kills && !HasFatalFailure(); ++k) {
      const uint64_t start = last_seq_;
      Child c = Spawn({"apply", "--dir", dir_, "--updates", tmp_.File("updates.csv"), "--sync",
                       sync, "--batch", std::to_string(kBatch)});
      int code = 0;
      const absl::Duration delay = absl::Microseconds(rng_() % 100000);
      const std::string out = KillAfter(c, delay, &code);
      ASSERT_TRUE(code == -SIGKILL || code == 0) << "apply exited with " << code;
      const uint64_t acked = MaxAcked(out);
      acked_total += acked > start ? acked - start : 0;
      if (code == 0) ++finished;
      else if (acked > start) ++mid_apply;
      CheckRecovered(start, acked, absl::StrCat(sync, " kill ", k, " after ",
                                                absl::FormatDuration(delay)));
      if (k % 5 == 4) {
        Child cp = Spawn({"checkpoint", "--dir", dir_});
        const std::string cp_out = KillAfter(cp, absl::Microseconds(rng_() % 40000), &code);
        ASSERT_TRUE(code == -SIGKILL || code == 0) << "checkpoint exited with " << code;
        const uint64_t before = last_seq_;
        CheckRecovered(before, before, absl::StrCat(sync, " checkpoint kill ", k));
        ASSERT_EQ(last_seq_, before);
      }
      if (k % 10 == 9) {  // a completed one now and then keeps Open short
        ASSERT_EQ(RunFanout(absl::StrCat("checkpoint --dir ", dir_)), 0);
        CheckRecovered(last_seq_, last_seq_, absl::StrCat(sync, " checkpoint ", k));
      }
    }
    std::printf("%s: %llu kills, %llu after some acks, %llu runs finished first; last_seq %llu\n",
                sync.c_str(), static_cast<unsigned long long>(kills),
                static_cast<unsigned long long>(mid_apply),
                static_cast<unsigned long long>(finished),
                static_cast<unsigned long long>(last_seq_));
    EXPECT_GT(acked_total, 0u) << "no kill came after an acknowledgement: kill later";
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  TempDir tmp_;
  std::string dir_ = tmp_.File("engine");
  Model model_;
  std::vector<LocationUpdate> updates_;
  uint64_t last_seq_ = 0;
};

TEST_F(EngineCrashTest, KillApplyWithSyncBatch) { RunKills("batch", EnvOr("FANOUT_CRASH_KILLS", 20)); }

TEST_F(EngineCrashTest, KillApplyWithSyncGroup) { RunKills("group", EnvOr("FANOUT_CRASH_KILLS", 20)); }

TEST_F(EngineCrashTest, KillCheckpointRepeatedly) {
  int code = 0;
  // Some log first.
  KillAfter(Spawn({"apply", "--dir", dir_, "--updates", tmp_.File("updates.csv"), "--batch",
                   std::to_string(kBatch)}),
            absl::Seconds(30), &code);
  ASSERT_EQ(code, 0);
  CheckRecovered(0, kUpdates, "full apply");
  const uint64_t kills = std::max<uint64_t>(10, EnvOr("FANOUT_CRASH_KILLS", 20) / 2);
  for (uint64_t k = 0; k < kills; ++k) {
    KillAfter(Spawn({"checkpoint", "--dir", dir_}), absl::Microseconds(rng_() % 50000), &code);
    ASSERT_TRUE(code == -SIGKILL || code == 0) << code;
    CheckRecovered(last_seq_, last_seq_, absl::StrCat("checkpoint kill ", k));
  }
  // And it completes.
  ASSERT_EQ(RunFanout(absl::StrCat("checkpoint --dir ", dir_)), 0);
  std::string json;
  ASSERT_EQ(RunFanout(absl::StrCat("inspect --json ", dir_), &json), 0);
  EXPECT_TRUE(absl::StrContains(json, absl::StrCat("\"checkpoint_seq\": ", kUpdates))) << json;
  EXPECT_TRUE(absl::StrContains(json, absl::StrCat("\"last_seq\": ", kUpdates))) << json;
}

// --- Damage through the command line: exit 2, naming the file -------------

class EngineDamageCliTest : public EngineCrashTest {
 protected:
  void SetUp() override {
    EngineCrashTest::SetUp();
    // Small segments: Engine options are not flags, so make them here.
    EngineOptions o;
    o.sync = SyncPolicy::kNone;
    o.segment_bytes = 64 << 10;
    auto engine = Engine::Open(dir_, o);
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (size_t i = 0; i < kUpdates; i += kBatch) {
      ASSERT_TRUE((*engine)->Apply(absl::MakeSpan(updates_).subspan(i, kBatch)).ok());
    }
  }
  std::vector<std::string> Files(const std::string& prefix) {
    std::vector<std::string> out;
    for (const std::string& n : DirEntries(dir_)) {
      if (absl::StartsWith(n, prefix)) out.push_back(n);
    }
    return out;
  }
  void ExpectRefused(const std::string& names) {
    for (const std::string& cmd :
         {absl::StrCat("inspect ", dir_), absl::StrCat("checkpoint --dir ", dir_),
          absl::StrCat("apply --dir ", dir_, " --updates ", tmp_.File("updates.csv")),
          absl::StrCat("alert --dir ", dir_, " --fips 48 --shards 2 --out ", tmp_.File("out"))}) {
      std::string err;
      EXPECT_EQ(RunFanout(cmd, nullptr, &err), 2) << cmd << ": " << err;
      EXPECT_TRUE(absl::StrContains(err, names)) << cmd << ": " << err;
    }
  }
};


TEST_F(EngineDamageCliTest, DamagedNewestCheckpoint) {
  ASSERT_EQ(RunFanout(absl::StrCat("checkpoint --dir ", dir_)), 0);
  const std::string newest = Files("checkpoint-").back();
  testing::FlipByteOrDie(dir_ + "/" + newest, 5000, 0xff);
  ExpectRefused(newest);
}

TEST_F(EngineDamageCliTest, DamagedMiddleSegment) {
  std::vector<std::string> logs = Files("log-");
  ASSERT_GE(logs.size(), 3u);
  testing::FlipByteOrDie(dir_ + "/" + logs[1], 64 + 24 + 100, 0xff);
  ExpectRefused(logs[1]);
}

TEST_F(EngineDamageCliTest, MissingSegment) {
  std::vector<std::string> logs = Files("log-");
  ASSERT_GE(logs.size(), 3u);
  ASSERT_EQ(::unlink((dir_ + "/" + logs[1]).c_str()), 0);
  ExpectRefused(logs[2]);  // "... and log-X starts after them"
}

TEST_F(EngineDamageCliTest, TornTailIsCutAndReported) {
  std::vector<std::string> logs = Files("log-");
  const std::string last = dir_ + "/" + logs.back();
  struct stat st;
  ASSERT_EQ(::stat(last.c_str(), &st), 0);
  ASSERT_EQ(::truncate(last.c_str(), st.st_size - 100), 0);
  std::string out;
  ASSERT_EQ(RunFanout(absl::StrCat("inspect --json ", dir_), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "\"torn_tail_bytes\": ")) << out;
  EXPECT_FALSE(absl::StrContains(out, "\"torn_tail_bytes\": 0,")) << out;
  EXPECT_TRUE(absl::StrContains(out, absl::StrCat("\"last_seq\": ", kUpdates - kBatch))) << out;
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("checkpoint --dir ", dir_), nullptr, &err), 0) << err;
  EXPECT_TRUE(absl::StrContains(err, "cut a torn log tail")) << err;
  EXPECT_TRUE(absl::StrContains(err, logs.back())) << err;
  CheckRecovered(0, kUpdates - kBatch, "after the cut");
}

}  // namespace
}  // namespace fanout
