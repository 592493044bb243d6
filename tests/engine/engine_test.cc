// Copyright 2026 The fan-out engine authors.
//
// Engine (engine/engine.h): the API, recovery rules on hand-made folder
// states (what a crash or a bad disk leaves), and backpressure. A model
// (a map user -> location, fed the same updates) is the reference.

#include "engine/engine.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/internal/engine_directory.h"
#include "engine/snapshot.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ApplyToModel;
using ::fanout::testing::DirEntries;
using ::fanout::testing::IndexEntries;
using ::fanout::testing::ModelEntries;
using Model = ::fanout::testing::UserModel;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

// Updates over a pool of `users` ids (some new), one in eight a removal.
std::vector<LocationUpdate> RandomUpdates(uint64_t seed, size_t n, const std::vector<UserRecord>& users) {
  std::mt19937_64 rng(seed);
  std::vector<UserRecord> fresh = testing::RandomUsers(seed + 1000, n, 25, 49, -124, -67);
  std::vector<LocationUpdate> out;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t id = rng() % 4 == 0 ? fresh[i].user_id : users[rng() % users.size()].user_id;
    if (rng() % 8 == 0) {
      out.push_back(LocationUpdate::Remove(id));
    } else {
      UserRecord r = fresh[i];
      r.user_id = id;
      out.push_back(LocationUpdate::Upsert(r));
    }
  }
  return out;
}

// A folder made by CreateEngineDirectory from `users`, and the model.
struct Fixture {
  TempDir tmp;
  std::string dir = tmp.File("engine");
  std::vector<UserRecord> users = testing::RandomUsers(7, 5000, 25, 49, -124, -67);
  Model model;
  Fixture() {
    auto index = LocationIndex::Build(users, {});
    EXPECT_TRUE(index.ok());
    EXPECT_TRUE(CreateEngineDirectory(dir, **index, {}, false).ok());
    for (const UserRecord& r : users) model[r.user_id] = r;
  }
  void ExpectState(uint64_t last_seq) {
    auto state = ReadEngineDirectory(dir, /*materialise=*/true);
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ(state->last_seq, last_seq);
    EXPECT_EQ(IndexEntries(*state->index), ModelEntries(model));
  }
};

EngineOptions SmallSegments(SyncPolicy sync) {
  EngineOptions o;
  o.sync = sync;
  o.segment_bytes = 8192;  // a segment every ~300 updates
  o.checkpoint_log_bytes = 0;
  return o;
}


std::vector<std::string> Matching(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& n : DirEntries(dir)) {
    if (absl::StartsWith(n, prefix) && !absl::StrContains(n, ".tmp-")) out.push_back(n);
  }
  return out;
}

TEST(EngineOptionsTest, ValidateRefusesBadValues) {
  EngineOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.segment_bytes = 10;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = {};
  o.group_interval = absl::ZeroDuration();
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = {};
  o.backlog_fraction = -1;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EngineTest, OpenRefusesAFolderWithoutCheckpointUnlessAskedToCreate) {
  TempDir tmp;
  EXPECT_EQ(Engine::Open(tmp.File("none"), {}).status().code(), absl::StatusCode::kNotFound);
  EngineOptions o;
  o.create_if_missing = true;
  auto engine = Engine::Open(tmp.File("new"), o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->GetStats().users, 0u);
  EXPECT_EQ((*engine)->GetStats().last_seq, 0u);
  // A second Engine on the same folder is refused while the first is open.
  EXPECT_EQ(Engine::Open(tmp.File("new"), o).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(EngineTest, ApplyAlertCheckpointReopen) {
  for (SyncPolicy sync : {SyncPolicy::kBatch, SyncPolicy::kGroup, SyncPolicy::kNone}) {
    Fixture fx;
    std::vector<LocationUpdate> updates = RandomUpdates(11, 3000, fx.users);
    uint64_t seq = 0;
    {
      auto engine = Engine::Open(fx.dir, SmallSegments(sync));
      ASSERT_TRUE(engine.ok()) << engine.status();
      for (size_t i = 0; i < updates.size(); i += 250) {
        auto s = (*engine)->Apply(absl::MakeSpan(updates).subspan(i, 250));
        ASSERT_TRUE(s.ok()) << s.status();
        EXPECT_EQ(*s, i + 250);
        seq = *s;
      }
      ApplyToModel(updates, &fx.model);
      Engine::Stats st = (*engine)->GetStats();
      EXPECT_EQ(st.last_seq, seq);
      EXPECT_EQ(st.users, fx.model.size());
      EXPECT_GT(st.segments, 1u);
      EXPECT_GT(st.log_bytes, 0u);
      // An alert from each kind of text, against the model.
      uint64_t in_circle = 0;
      const S2LatLng centre = S2LatLng::FromDegrees(37, -95);
      for (const auto& [id, r] : fx.model) {
        if (S2LatLng::FromE7(r.lat_e7, r.lng_e7).GetDistance(centre).radians() * 6371.01 <= 500) {
          ++in_circle;
        }
      }
      std::vector<uint64_t> got;
      CallbackSink sink([&](uint32_t, absl::Span<const uint64_t> ids) {
        got.insert(got.end(), ids.begin(), ids.end());
        return absl::OkStatus();
      });
      AlertRequest circle;
      circle.text = "37,-95 500";
      circle.format = AlertFormat::kCircle;
      circle.shards = 4;
      auto summary = (*engine)->Alert(circle, sink);
      ASSERT_TRUE(summary.ok()) << summary.status();
      EXPECT_EQ(summary->shards, 4u);
      EXPECT_EQ(summary->view_seq, seq);
      // Leaf-cell centres against exact points: allow the few on the rim.
      EXPECT_NEAR(double(got.size()), double(in_circle), 3);
      EXPECT_EQ(summary->matched, got.size());

      AlertRequest cap;
      cap.text =
          "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</identifier>"
          "<info><area><areaDesc>box</areaDesc><polygon>30,-100 30,-90 40,-90 40,-100 "
          "30,-100</polygon></area></info></alert>";
      cap.format = AlertFormat::kCap;
      got.clear();
      ASSERT_TRUE((*engine)->Alert(cap, sink).ok());
      AlertRequest polygon;
      polygon.text = "30,-100 30,-90 40,-90 40,-100 30,-100";
      polygon.format = AlertFormat::kPolygon;
      std::vector<uint64_t> from_cap = got;
      got.clear();
      ASSERT_TRUE((*engine)->Alert(polygon, sink).ok());
      std::sort(got.begin(), got.end());
      std::sort(from_cap.begin(), from_cap.end());
      EXPECT_EQ(got, from_cap);
      EXPECT_FALSE(got.empty());

      AlertRequest bad;
      bad.text = "30,-100 30,-90";
      bad.format = AlertFormat::kPolygon;
      EXPECT_EQ((*engine)->Alert(bad, sink).status().code(), absl::StatusCode::kInvalidArgument);
      AlertRequest code;
      code.text = "48";
      code.format = AlertFormat::kCode;
      EXPECT_TRUE((*engine)->Alert(code, sink).ok());

      ASSERT_TRUE((*engine)->Checkpoint().ok());
      st = (*engine)->GetStats();
      EXPECT_EQ(st.checkpoint_seq, seq);
      EXPECT_EQ(st.segments, 1u);  // the ones before the checkpoint are gone
      ASSERT_TRUE((*engine)->Checkpoint().ok());  // nothing new: no-op
      // More updates after the checkpoint.
      std::vector<LocationUpdate> more = RandomUpdates(12, 500, fx.users);
      auto s = (*engine)->Apply(more);
      ASSERT_TRUE(s.ok());
      seq = *s;
      ApplyToModel(more, &fx.model);
    }
    EXPECT_EQ(Matching(fx.dir, "checkpoint-").size(), 1u);
    fx.ExpectState(seq);
    auto reopened = Engine::Open(fx.dir, SmallSegments(sync));
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    EXPECT_EQ((*reopened)->GetStats().last_seq, seq);
    EXPECT_EQ((*reopened)->GetStats().open.updates_replayed, 500u);
  }
}

TEST(EngineTest, BadUpdatesAreRefusedAndNothingOfTheBatchIsApplied) {
  Fixture fx;
  auto engine = Engine::Open(fx.dir, SmallSegments(SyncPolicy::kBatch));
  ASSERT_TRUE(engine.ok());
  std::vector<LocationUpdate> batch = RandomUpdates(3, 10, fx.users);
  batch[7].location.lat_e7 = 900000001;
  batch[7].kind = LocationUpdate::Kind::kUpsert;
  auto s = (*engine)->Apply(batch);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.status().message(), "update 7")) << s.status();
  EXPECT_EQ((*engine)->GetStats().last_seq, 0u);
  batch[7].location.lat_e7 = 0;
  EXPECT_EQ(*(*engine)->Apply(batch), 10u);  // and the engine goes on
}

TEST(EngineTest, ConcurrentAppliesAlertsAndCheckpoints) {
  Fixture fx;
  EngineOptions o = SmallSegments(SyncPolicy::kGroup);
  o.checkpoint_log_bytes = 64 << 10;  // automatic checkpoints too
  auto engine = Engine::Open(fx.dir, o);
  ASSERT_TRUE(engine.ok());
  std::vector<std::vector<LocationUpdate>> per_thread;
  for (int t = 0; t < 3; ++t) per_thread.push_back(RandomUpdates(100 + t, 2000, fx.users));
  std::atomic<bool> stop{false};
  std::thread alerts([&] {
    CallbackSink sink([](uint32_t, absl::Span<const uint64_t>) { return absl::OkStatus(); });
    AlertRequest r;
    r.text = "37,-95 800";
    r.format = AlertFormat::kCircle;
    while (!stop.load()) EXPECT_TRUE((*engine)->Alert(r, sink).ok());
  });
  std::thread checkpoints([&] {
    while (!stop.load()) {
      EXPECT_TRUE((*engine)->Checkpoint().ok());
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (size_t i = 0; i < per_thread[t].size(); i += 100) {
        EXPECT_TRUE((*engine)->Apply(absl::MakeSpan(per_thread[t]).subspan(i, 100)).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  alerts.join();
  checkpoints.join();
  EXPECT_EQ((*engine)->GetStats().last_seq, 6000u);
  engine->reset();
  auto state = ReadEngineDirectory(fx.dir, true);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->last_seq, 6000u);
}

// --- Recovery from folder states a crash or a bad disk leaves -------------

// A folder with `n` updates in small segments, no checkpoint after 0.
uint64_t FillLog(Fixture& fx, size_t n, uint64_t seed = 21) {
  auto engine = Engine::Open(fx.dir, SmallSegments(SyncPolicy::kNone));
  EXPECT_TRUE(engine.ok());
  std::vector<LocationUpdate> updates = RandomUpdates(seed, n, fx.users);
  uint64_t seq = 0;
  for (size_t i = 0; i < n; i += 100) {
    seq = *(*engine)->Apply(absl::MakeSpan(updates).subspan(i, std::min<size_t>(100, n - i)));
  }
  ApplyToModel(updates, &fx.model);
  return seq;
}

// Writes the checkpoint a crashed Checkpoint() would have left: the state
// at the folder's last_seq, nothing deleted.
uint64_t WriteCheckpointOnly(const std::string& dir) {
  auto state = ReadEngineDirectory(dir, true);
  EXPECT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(internal::WriteCheckpoint(dir, state->last_seq, *state->index, {}).ok());
  return state->last_seq;
}

TEST(EngineRecoveryTest, StrayTemporaryOfADeadCheckpointWriterIsRemoved) {
  Fixture fx;
  uint64_t seq = FillLog(fx, 1000);
  const std::string stray = absl::StrCat(internal::CheckpointName(seq), ".tmp-",
                                         testing::DeadPid(), "-0badf00d");
  WriteFileOrDie(fx.tmp.File("engine/" + stray), "half a checkpoint");
  auto engine = Engine::Open(fx.dir, {});
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->GetStats().last_seq, seq);
  const Engine::Stats stats = (*engine)->GetStats();
  EXPECT_EQ(std::count(stats.open.removed.begin(), stats.open.removed.end(), stray), 1);
  engine->reset();
  for (const std::string& n : DirEntries(fx.dir)) EXPECT_FALSE(absl::StrContains(n, ".tmp-")) << n;
  fx.ExpectState(seq);
}

TEST(EngineRecoveryTest, NewCheckpointWithOldSegmentsAndCheckpointsStillThere) {
  Fixture fx;
  uint64_t seq = FillLog(fx, 1000);
  ASSERT_EQ(WriteCheckpointOnly(fx.dir), seq);
  EXPECT_EQ(Matching(fx.dir, "checkpoint-").size(), 2u);
  EXPECT_GT(Matching(fx.dir, "log-").size(), 2u);
  fx.ExpectState(seq);
  auto engine = Engine::Open(fx.dir, {});
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->GetStats().open.updates_replayed, 0u);
  engine->reset();
  EXPECT_EQ(Matching(fx.dir, "checkpoint-").size(), 1u);
  EXPECT_LE(Matching(fx.dir, "log-").size(), 2u);
  fx.ExpectState(seq);
}

TEST(EngineRecoveryTest, CheckpointInTheMiddleWithSegmentsPartlyDeleted) {
  Fixture fx;
  uint64_t mid = FillLog(fx, 1000, 21);
  ASSERT_EQ(WriteCheckpointOnly(fx.dir), mid);
  uint64_t seq = FillLog(fx, 2000, 22);  // Open removed the redundant ones; more now
  ASSERT_EQ(seq, 3000u);
  // A second checkpoint at 3000 is written; its clean-up deleted only the
  // oldest segment before dying.
  ASSERT_EQ(WriteCheckpointOnly(fx.dir), seq);
  std::vector<std::string> logs = Matching(fx.dir, "log-");
  ASSERT_GT(logs.size(), 3u);
  ASSERT_EQ(::unlink((fx.dir + "/" + logs[0]).c_str()), 0);
  fx.ExpectState(seq);
  auto engine = Engine::Open(fx.dir, {});
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->GetStats().last_seq, seq);
}

TEST(EngineRecoveryTest, DamagedNewestCheckpointIsRefusedWithoutFallback) {
  Fixture fx;
  FillLog(fx, 1000);
  const uint64_t seq = WriteCheckpointOnly(fx.dir);  // the older one (0) stays
  const std::string newest = fx.dir + "/" + internal::CheckpointName(seq);
  testing::FlipByteOrDie(newest, 4096 + 100);
  auto engine = Engine::Open(fx.dir, {});
  ASSERT_EQ(engine.status().code(), absl::StatusCode::kDataLoss) << engine.status();
  EXPECT_TRUE(absl::StrContains(engine.status().message(), internal::CheckpointName(seq)))
      << engine.status();
  EXPECT_EQ(ReadEngineDirectory(fx.dir, false).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EngineRecoveryTest, DamagedMiddleSegmentIsRefusedNamingIt) {
  Fixture fx;
  FillLog(fx, 2000);
  std::vector<std::string> logs = Matching(fx.dir, "log-");
  ASSERT_GT(logs.size(), 3u);
  const std::string victim = logs[1];
  testing::FlipByteOrDie(fx.dir + "/" + victim, 64 + 24 + 5);  // inside the first frame's records
  auto engine = Engine::Open(fx.dir, {});
  ASSERT_EQ(engine.status().code(), absl::StatusCode::kDataLoss) << engine.status();
  EXPECT_TRUE(absl::StrContains(engine.status().message(), victim)) << engine.status();
}

TEST(EngineRecoveryTest, TornTailOfAMiddleSegmentIsRefused) {
  Fixture fx;
  FillLog(fx, 2000);
  std::vector<std::string> logs = Matching(fx.dir, "log-");
  ASSERT_GT(logs.size(), 3u);
  const std::string victim = fx.dir + "/" + logs[1];
  struct stat st;
  ASSERT_EQ(::stat(victim.c_str(), &st), 0);
  ASSERT_EQ(::truncate(victim.c_str(), st.st_size - 10), 0);
  auto engine = Engine::Open(fx.dir, {});
  ASSERT_EQ(engine.status().code(), absl::StatusCode::kDataLoss) << engine.status();
  EXPECT_TRUE(absl::StrContains(engine.status().message(), logs[1])) << engine.status();
}

TEST(EngineRecoveryTest, MissingSegmentIsAGapNamed) {
  Fixture fx;
  FillLog(fx, 2000);
  std::vector<std::string> logs = Matching(fx.dir, "log-");
  ASSERT_GT(logs.size(), 3u);
  ASSERT_EQ(::unlink((fx.dir + "/" + logs[2]).c_str()), 0);
  auto engine = Engine::Open(fx.dir, {});
  ASSERT_EQ(engine.status().code(), absl::StatusCode::kDataLoss) << engine.status();
  EXPECT_TRUE(absl::StrContains(engine.status().message(), "missing")) << engine.status();
  EXPECT_TRUE(absl::StrContains(engine.status().message(), logs[3])) << engine.status();
  // The first segment gone too (after checkpoint 0): also a gap.
  Fixture fx2;
  FillLog(fx2, 2000);
  ASSERT_EQ(::unlink((fx2.dir + "/" + Matching(fx2.dir, "log-")[0]).c_str()), 0);
  EXPECT_EQ(Engine::Open(fx2.dir, {}).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EngineRecoveryTest, TornTailIsCutAndReported) {
  Fixture fx;
  auto engine = Engine::Open(fx.dir, SmallSegments(SyncPolicy::kNone));
  ASSERT_TRUE(engine.ok());
  std::vector<LocationUpdate> updates = RandomUpdates(5, 150, fx.users);
  ASSERT_EQ(*(*engine)->Apply(absl::MakeSpan(updates).subspan(0, 100)), 100u);
  ASSERT_EQ(*(*engine)->Apply(absl::MakeSpan(updates).subspan(100, 50)), 150u);
  engine->reset();
  std::vector<std::string> logs = Matching(fx.dir, "log-");
  const std::string last = fx.dir + "/" + logs.back();
  struct stat st;
  ASSERT_EQ(::stat(last.c_str(), &st), 0);
  ASSERT_EQ(::truncate(last.c_str(), st.st_size - 7), 0);  // the last batch torn
  ApplyToModel(absl::MakeSpan(updates).subspan(0, 100), &fx.model);
  fx.ExpectState(100);
  auto reopened = Engine::Open(fx.dir, {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const EngineOpenReport& report = (*reopened)->GetStats().open;
  EXPECT_GT(report.torn_tail_bytes, 0u);
  EXPECT_TRUE(absl::StrContains(report.torn_tail_detail, logs.back())) << report.torn_tail_detail;
  EXPECT_EQ((*reopened)->GetStats().last_seq, 100u);
  // Appends continue after the cut.
  EXPECT_EQ(*(*reopened)->Apply(absl::MakeSpan(updates).subspan(100, 50)), 150u);
  reopened->reset();
  ApplyToModel(absl::MakeSpan(updates).subspan(100, 50), &fx.model);
  fx.ExpectState(150);
}

// --- Backpressure ------------------------------------------------------------

TEST(EngineBackpressureTest, RefusesWhenMaintenanceIsStarvedAndRecovers) {
  Fixture fx;
  EngineOptions o = SmallSegments(SyncPolicy::kNone);
  o.pause_maintenance_for_testing = true;
  o.backlog_min_updates = 2000;
  o.backlog_fraction = 0;
  o.backlog_wait = absl::Milliseconds(20);
  auto engine = Engine::Open(fx.dir, o);
  ASSERT_TRUE(engine.ok());
  std::vector<LocationUpdate> updates = RandomUpdates(9, 10000, fx.users);
  size_t accepted = 0;
  absl::Status refused;
  uint64_t peak_memory = 0;
  for (size_t i = 0; i < updates.size(); i += 100) {
    auto s = (*engine)->Apply(absl::MakeSpan(updates).subspan(i, 100));
    peak_memory = std::max(peak_memory, (*engine)->GetStats().memory_bytes);
    if (!s.ok()) {
      refused = s.status();
      break;
    }
    accepted += 100;
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_EQ(accepted, 2000u);  // exactly the bound, then nothing more
  Engine::Stats st = (*engine)->GetStats();
  EXPECT_EQ(st.last_seq, 2000u);
  EXPECT_EQ(st.unfolded_updates, 2000u);
  EXPECT_GE(st.backlog_refusals, 1u);
  // Refused again and again: memory stays where it was.
  for (int k = 0; k < 5; ++k) {
    EXPECT_FALSE((*engine)->Apply(absl::MakeSpan(updates).subspan(2000, 100)).ok());
  }
  EXPECT_EQ((*engine)->GetStats().memory_bytes, st.memory_bytes);
  // Maintenance folds them; updates are taken again.
  (*engine)->RunMaintenanceForTesting();
  EXPECT_EQ((*engine)->GetStats().unfolded_updates, 0u);
  EXPECT_EQ(*(*engine)->Apply(absl::MakeSpan(updates).subspan(2000, 100)), 2100u);
}

// The bound by bytes (EngineOptions::backlog_min_bytes and
// backlog_bytes_per_user), with the bound by count out of the way. Records
// come in chunks of 65,536 (56 bytes each, 3.67 MB): with 5 MiB allowed,
// the batch that starts the second chunk is the last one taken.
TEST(EngineBackpressureTest, RefusesByBytesWhenMaintenanceIsStarved) {
  Fixture fx;
  EngineOptions o = SmallSegments(SyncPolicy::kNone);
  o.pause_maintenance_for_testing = true;
  o.backlog_min_updates = uint64_t{1} << 40;
  o.segment_bytes = 1 << 20;
  o.backlog_min_bytes = uint64_t{5} << 20;
  o.backlog_bytes_per_user = 0;
  o.backlog_wait = absl::Milliseconds(20);
  auto engine = Engine::Open(fx.dir, o);
  ASSERT_TRUE(engine.ok());
  const Engine::Stats start = (*engine)->GetStats();
  EXPECT_EQ(start.backlog_bytes_limit, uint64_t{5} << 20);
  std::vector<LocationUpdate> updates = RandomUpdates(9, 80000, fx.users);
  size_t accepted = 0;
  absl::Status refused;
  uint64_t before_last = 0;  // unmerged bytes before the last batch taken
  for (size_t i = 0; i < updates.size(); i += 1000) {
    const uint64_t unmerged = (*engine)->GetStats().unmerged_bytes;
    auto s = (*engine)->Apply(absl::MakeSpan(updates).subspan(i, 1000));
    if (!s.ok()) {
      refused = s.status();
      break;
    }
    before_last = unmerged;
    accepted += 1000;
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find("bytes (limit 5242880)"), std::string::npos) << refused;
  EXPECT_EQ(accepted, 66000u);
  Engine::Stats st = (*engine)->GetStats();
  EXPECT_LT(before_last, o.backlog_min_bytes);
  EXPECT_GE(st.unmerged_bytes, o.backlog_min_bytes);
  // Past the bound by at most the last batch's chunk of records.
  EXPECT_LE(st.unmerged_bytes, o.backlog_min_bytes + 65536 * 56);
  EXPECT_LE(st.memory_bytes, start.memory_bytes + o.backlog_min_bytes + 65536 * 56);
  EXPECT_EQ(st.last_seq, accepted);
  EXPECT_GE(st.backlog_refusals, 1u);
  // Refused again and again: nothing applied, nothing logged, no memory.
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ((*engine)->Apply(absl::MakeSpan(updates).subspan(accepted, 1000)).status().code(),
              absl::StatusCode::kResourceExhausted);
  }
  const Engine::Stats refusing = (*engine)->GetStats();
  EXPECT_EQ(refusing.last_seq, accepted);
  EXPECT_EQ(refusing.memory_bytes, st.memory_bytes);
  EXPECT_EQ(refusing.log_bytes, st.log_bytes);
  // Maintenance folds them (the records' last chunk stays); updates are
  // taken again.
  (*engine)->RunMaintenanceForTesting();
  EXPECT_LT((*engine)->GetStats().unmerged_bytes, o.backlog_min_bytes);
  EXPECT_EQ(*(*engine)->Apply(absl::MakeSpan(updates).subspan(accepted, 1000)), accepted + 1000);
  engine->reset();
  // What the folder holds is exactly the updates taken.
  ApplyToModel(absl::MakeSpan(updates).subspan(0, accepted + 1000), &fx.model);
  fx.ExpectState(accepted + 1000);
}

// The byte bound scales with the users.
TEST(EngineBackpressureTest, ByteBoundIsPerUserAboveTheMinimum) {
  Fixture fx;
  EngineOptions o = SmallSegments(SyncPolicy::kNone);
  o.pause_maintenance_for_testing = true;
  o.backlog_min_bytes = 1000;
  o.backlog_bytes_per_user = 1000;
  auto engine = Engine::Open(fx.dir, o);
  ASSERT_TRUE(engine.ok());
  const Engine::Stats st = (*engine)->GetStats();
  EXPECT_EQ(st.backlog_bytes_limit, 1000 * st.users);
  EngineOptions bad = o;
  bad.backlog_min_bytes = 0;
  EXPECT_EQ(bad.Validate().code(), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.backlog_bytes_per_user = -1;
  EXPECT_EQ(bad.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EngineBackpressureTest, ApplyWaitsForMaintenanceInsteadOfFailing) {
  Fixture fx;
  EngineOptions o = SmallSegments(SyncPolicy::kNone);
  o.pause_maintenance_for_testing = true;
  o.backlog_min_updates = 1000;
  o.backlog_fraction = 0;
  o.backlog_wait = absl::Seconds(60);
  auto engine = Engine::Open(fx.dir, o);
  ASSERT_TRUE(engine.ok());
  std::vector<LocationUpdate> updates = RandomUpdates(9, 1100, fx.users);
  ASSERT_TRUE((*engine)->Apply(absl::MakeSpan(updates).subspan(0, 1000)).ok());
  std::atomic<bool> done{false};
  std::thread maintenance([&] {
    // Not before the Apply below has begun to wait: folding first (the main
    // thread can be late by more than any sleep here, under ThreadSanitizer
    // on a loaded machine) would let it through without a wait. Then keeps
    // folding until it got through.
    while (!done.load() && (*engine)->GetStats().backlog_waits == 0) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    while (!done.load()) {
      absl::SleepFor(absl::Milliseconds(20));
      (*engine)->RunMaintenanceForTesting();
    }
  });
  auto s = (*engine)->Apply(absl::MakeSpan(updates).subspan(1000, 100));
  done = true;
  maintenance.join();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, 1100u);
  EXPECT_GE((*engine)->GetStats().backlog_waits, 1u);
  EXPECT_EQ((*engine)->GetStats().backlog_refusals, 0u);
}

}  // namespace
}  // namespace fanout
