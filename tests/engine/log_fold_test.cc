// Copyright 2026 The fan-out engine authors.
//
// The bulk replay of Open (engine/internal/log_fold.h): LogFold against a
// model (a map user -> location fed the same updates one by one), and
// RecoverEngineDirectory's bulk replay against its writer path (every
// update through LiveIndex::Apply) and the model on random engine folders;
// alerts after Open against brute force.

#include "engine/internal/log_fold.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/engine.h"
#include "engine/internal/engine_directory.h"
#include "engine/shard_policy.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using internal::LogFold;
using internal::RecoverEngineDirectory;
using internal::Recovered;
using internal::ReplayMode;
using ::fanout::testing::ApplyToModel;
using ::fanout::testing::ExpectHashColumnMatches;
using ::fanout::testing::IndexEntries;
using ::fanout::testing::ModelEntries;
using ::fanout::testing::RandomPlace;
using ::fanout::testing::TempDir;
using Entries = ::fanout::testing::IndexEntryList;
using Model = ::fanout::testing::UserModel;

// A mix of every kind of update: users of the base moved and removed, a
// small pool of other ids updated many times, removes of ids never seen,
// and the extreme ids 0 and 2^64 - 1.
std::vector<LocationUpdate> RandomUpdates(std::mt19937_64& rng, size_t n,
                                          const std::vector<UserRecord>& base, size_t pool) {
  std::vector<LocationUpdate> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t id;
    const uint64_t pick = rng() % 16;
    if (pick < 8 && !base.empty()) {
      id = base[rng() % base.size()].user_id;
    } else if (pick < 13) {
      id = (uint64_t{1} << 40) + rng() % std::max<size_t>(pool, 1);
    } else if (pick == 13) {
      id = rng() % 2 ? 0 : std::numeric_limits<uint64_t>::max();
    } else {
      id = rng() | (uint64_t{1} << 63);  // almost surely unknown
    }
    if (rng() % 5 == 0) {
      out.push_back(LocationUpdate::Remove(id));
    } else {
      out.push_back(LocationUpdate::Upsert(RandomPlace(rng, id)));
    }
  }
  return out;
}

// Folds `updates` (added in random batches) into `base` and checks the
// result against the model.
void CheckFold(std::mt19937_64& rng, const std::vector<UserRecord>& base_rows,
               const std::vector<LocationUpdate>& updates, HugePagePool* pool = nullptr) {
  auto base = LocationIndex::Build(base_rows, {});
  ASSERT_TRUE(base.ok()) << base.status();
  Model model;
  for (const UserRecord& r : base_rows) model[r.user_id] = r;
  ApplyToModel(updates, &model);
  LogFold fold(pool);
  for (size_t at = 0; at < updates.size();) {
    const size_t n = std::min<size_t>(updates.size() - at, 1 + rng() % 5000);
    fold.Add(absl::MakeConstSpan(updates).subspan(at, n));
    at += n;
  }
  EXPECT_EQ(fold.updates(), updates.size());
  auto merged_or = fold.MergeInto((*base)->run());
  ASSERT_TRUE(merged_or.ok()) << merged_or.status();
  std::unique_ptr<LocationIndex> merged = std::move(*merged_or);
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(IndexEntries(*merged), ModelEntries(model));
  ExpectHashColumnMatches(merged->run());
  EXPECT_EQ(fold.updates(), 0u);
}

TEST(LogFoldTest, RandomLogsAgreeWithTheModel) {
  for (int seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    const size_t users = seed % 5 == 0 ? 0 : rng() % 3000;
    const size_t updates = seed % 7 == 0 ? 0 : rng() % 6000;
    std::vector<UserRecord> base = testing::RandomUsers(seed, users);
    if (seed % 3 == 0 && !base.empty()) base[0].user_id = 0;
    if (seed % 4 == 0 && base.size() > 1) base[1].user_id = std::numeric_limits<uint64_t>::max();
    // Few ids in the pool: the same user many times.
    const size_t pool = seed % 2 ? 20 : 2000;
    CheckFold(rng, base, RandomUpdates(rng, updates, base, pool));
  }
}

TEST(LogFoldTest, LargeLogsCutIntoManyParts) {
  std::mt19937_64 rng(99);
  // Base larger than the log, the log larger than the base, log only, base
  // only: each cut into parts by the larger (and the sort into chunks).
  for (auto [users, updates] : std::vector<std::pair<size_t, size_t>>{
           {300000, 200000}, {50000, 400000}, {0, 300000}, {300000, 0}}) {
    SCOPED_TRACE(absl::StrCat(users, " users, ", updates, " updates"));
    std::vector<UserRecord> base = testing::RandomUsers(users + 1, users);
    CheckFold(rng, base, RandomUpdates(rng, updates, base, 100000));
  }
}

// Enough updates that every bucket spills into chunks from the pool (4096
// each in its first block): the scratch then reuses the chunks' pages, and
// a second fold with the same pool takes nearly everything from it.
TEST(LogFoldTest, APoolIsReusedAndTheResultStillAgreesWithTheModel) {
  std::mt19937_64 rng(123);
  HugePagePool pool;
  std::vector<UserRecord> base = testing::RandomUsers(7, 100000);
  CheckFold(rng, base, RandomUpdates(rng, 1200000, base, 300000), &pool);
  const HugePagePool::Stats first = pool.stats();
  EXPECT_GT(first.reused_bytes, 0u);
  EXPECT_GT(first.kept_bytes, 0u);  // the scratch, given back
  CheckFold(rng, base, RandomUpdates(rng, 1200000, base, 300000), &pool);
  const HugePagePool::Stats second = pool.stats();
  // The second fold's scratch came from the first's pages, but for what
  // its columns (its own, not given back) and any larger need took.
  EXPECT_GT(second.reused_bytes - first.reused_bytes, first.kept_bytes / 2);
}

TEST(LogFoldTest, OneUserManyTimesEndsWhereItsLastUpdatePutIt) {
  std::mt19937_64 rng(5);
  std::vector<UserRecord> base = {{7, 10, 20}, {8, 30, 40}};
  std::vector<LocationUpdate> updates;
  for (int i = 0; i < 1000; ++i) updates.push_back(LocationUpdate::Upsert({7, i * 1000, -i * 1000}));
  updates.push_back(LocationUpdate::Remove(8));
  updates.push_back(LocationUpdate::Upsert({8, 5, 5}));
  updates.push_back(LocationUpdate::Remove(8));  // removed last: gone
  updates.push_back(LocationUpdate::Remove(9));  // never there
  updates.push_back(LocationUpdate::Remove(10));
  updates.push_back(LocationUpdate::Upsert({10, 1, 1}));  // removed, then placed
  CheckFold(rng, base, updates);
}

// --- Recovery: the bulk replay against the writer path and the model.

EngineOptions SmallSegments() {
  EngineOptions o;
  o.sync = SyncPolicy::kNone;
  o.segment_bytes = 8192;  // a segment every ~300 updates
  o.checkpoint_log_bytes = 0;
  o.create_if_missing = true;
  return o;
}

// Everything recovery reports, but its timings.
void ExpectSameRecovery(const Recovered& a, const Recovered& b) {
  const EngineDirectoryState& x = a.state;
  const EngineDirectoryState& y = b.state;
  EXPECT_EQ(x.last_seq, y.last_seq);
  EXPECT_EQ(x.users, y.users);
  EXPECT_EQ(x.log_bytes, y.log_bytes);
  ASSERT_EQ(x.segments.size(), y.segments.size());
  for (size_t i = 0; i < x.segments.size(); ++i) {
    EXPECT_EQ(x.segments[i].name, y.segments[i].name);
    EXPECT_EQ(x.segments[i].first_seq, y.segments[i].first_seq);
    EXPECT_EQ(x.segments[i].last_seq, y.segments[i].last_seq);
    EXPECT_EQ(x.segments[i].updates, y.segments[i].updates);
    EXPECT_EQ(x.segments[i].bytes, y.segments[i].bytes);
  }
  EXPECT_EQ(x.report.checkpoint_path, y.report.checkpoint_path);
  EXPECT_EQ(x.report.checkpoint_seq, y.report.checkpoint_seq);
  EXPECT_EQ(x.report.checkpoint_users, y.report.checkpoint_users);
  EXPECT_EQ(x.report.segments_replayed, y.report.segments_replayed);
  EXPECT_EQ(x.report.updates_replayed, y.report.updates_replayed);
  EXPECT_EQ(x.report.torn_tail_bytes, y.report.torn_tail_bytes);
  EXPECT_EQ(x.report.torn_tail_detail, y.report.torn_tail_detail);
  EXPECT_EQ(x.report.removed, y.report.removed);
  ASSERT_EQ(a.live_segments.size(), b.live_segments.size());
  for (size_t i = 0; i < a.live_segments.size(); ++i) {
    EXPECT_EQ(a.live_segments[i].name, b.live_segments[i].name);
  }
  EXPECT_EQ(a.last_segment_usable, b.last_segment_usable);
  EXPECT_EQ(a.redundant, b.redundant);
  EXPECT_EQ(a.live->last_seq(), b.live->last_seq());
  EXPECT_EQ(a.live->last_seq(), x.last_seq);
  EXPECT_EQ(a.live->View().seq(), b.live->View().seq());
  EXPECT_EQ(a.live->GetStats().users, b.live->GetStats().users);
  EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(a.live->View())),
            IndexEntries(*internal::MaterialiseSnapshot(b.live->View())));
}

// Recovers `dir` both ways and checks them against each other and the model.
void CheckRecovery(const std::string& dir, const Model& model, uint64_t last_seq) {
  LiveIndex::Options live_options;
  live_options.background_maintenance = false;
  auto bulk = RecoverEngineDirectory(dir, live_options, ReplayMode::kBulk);
  auto writer = RecoverEngineDirectory(dir, live_options, ReplayMode::kWriterPath);
  ASSERT_TRUE(bulk.ok()) << bulk.status();
  ASSERT_TRUE(writer.ok()) << writer.status();
  ExpectSameRecovery(*bulk, *writer);
  EXPECT_EQ(bulk->state.last_seq, last_seq);
  EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(bulk->live->View())), ModelEntries(model));
  // The live index made by the bulk replay takes updates on from there.
  std::mt19937_64 rng(last_seq);
  std::vector<UserRecord> some;
  for (const auto& [id, r] : model) {
    if (some.size() < 50) some.push_back(r);
  }
  std::vector<LocationUpdate> more = RandomUpdates(rng, 200, some, 30);
  Model after = model;
  ApplyToModel(more, &after);
  auto seq = bulk->live->Apply(more);
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, last_seq + more.size());
  EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(bulk->live->View())), ModelEntries(after));
  bulk->live->Freeze();
  bulk->live->Merge();
  EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(bulk->live->View())), ModelEntries(after));
}

// Random folders: a base, batches applied through the Engine with
// checkpoints now and then (or never, or at the very end).
TEST(BulkReplayTest, RandomFoldersRecoverAsTheWriterPathDoes) {
  for (int seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed * 7919);
    TempDir tmp;
    const std::string dir = tmp.File("engine");
    Model model;
    std::vector<UserRecord> base;
    if (seed % 4 != 1) {  // seed % 4 == 1: log only (the empty checkpoint at 0)
      base = testing::RandomUsers(seed, 500 + rng() % 2000);
      auto index = LocationIndex::Build(base, {});
      ASSERT_TRUE(index.ok());
      ASSERT_TRUE(CreateEngineDirectory(dir, **index, {}, false).ok());
      for (const UserRecord& r : base) model[r.user_id] = r;
    }
    uint64_t seq = 0;
    {
      auto engine = Engine::Open(dir, SmallSegments());
      ASSERT_TRUE(engine.ok()) << engine.status();
      const int batches = seed % 6 == 0 ? 0 : 1 + rng() % 12;
      for (int b = 0; b < batches; ++b) {
        std::vector<LocationUpdate> batch =
            RandomUpdates(rng, 1 + rng() % 800, base, seed % 2 ? 15 : 500);
        auto s = (*engine)->Apply(batch);
        ASSERT_TRUE(s.ok()) << s.status();
        seq = *s;
        ApplyToModel(batch, &model);
        if (rng() % 4 == 0) {
          ASSERT_TRUE((*engine)->Checkpoint().ok());
        }
      }
      if (seed % 5 == 0) {  // checkpoint only
        ASSERT_TRUE((*engine)->Checkpoint().ok());
      }
    }
    CheckRecovery(dir, model, seq);
  }
}

TEST(BulkReplayTest, TornTailIsCutAndReportedTheSameWay) {
  TempDir tmp;
  const std::string dir = tmp.File("engine");
  std::mt19937_64 rng(3);
  Model model;
  uint64_t seq = 0;
  {
    auto engine = Engine::Open(dir, SmallSegments());
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (int b = 0; b < 5; ++b) {
      std::vector<LocationUpdate> batch = RandomUpdates(rng, 400, {}, 300);
      auto s = (*engine)->Apply(batch);
      ASSERT_TRUE(s.ok());
      seq = *s;
      ApplyToModel(batch, &model);
    }
  }
  auto listing = internal::ListEngineDirectory(dir);
  ASSERT_TRUE(listing.ok());
  ASSERT_FALSE(listing->segments.empty());
  const std::string last = internal::JoinPath(dir, listing->segments.back().name);
  FILE* f = std::fopen(last.c_str(), "ab");
  ASSERT_NE(f, nullptr);
  std::fputs("FOFR half a frame", f);
  std::fclose(f);
  LiveIndex::Options live_options;
  live_options.background_maintenance = false;
  auto bulk = RecoverEngineDirectory(dir, live_options, ReplayMode::kBulk);
  ASSERT_TRUE(bulk.ok()) << bulk.status();
  EXPECT_GT(bulk->state.report.torn_tail_bytes, 0u);
  CheckRecovery(dir, model, seq);
}

// A damaged folder: both replay paths refuse it with kDataLoss naming
// `file`, and with the same error.
void ExpectBothReplaysRefuseNaming(const std::string& dir, const std::string& file) {
  LiveIndex::Options live_options;
  live_options.background_maintenance = false;
  auto bulk = RecoverEngineDirectory(dir, live_options, ReplayMode::kBulk);
  auto writer = RecoverEngineDirectory(dir, live_options, ReplayMode::kWriterPath);
  ASSERT_FALSE(bulk.ok());
  EXPECT_EQ(bulk.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(bulk.status().message().find(file), std::string::npos) << bulk.status();
  EXPECT_EQ(bulk.status(), writer.status());
}

TEST(BulkReplayTest, DamageIsRefusedWithTheSameErrorBothWays) {
  TempDir tmp;
  const std::string dir = tmp.File("engine");
  std::mt19937_64 rng(4);
  {
    auto engine = Engine::Open(dir, SmallSegments());
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (int b = 0; b < 6; ++b) ASSERT_TRUE((*engine)->Apply(RandomUpdates(rng, 400, {}, 300)).ok());
  }
  auto listing = internal::ListEngineDirectory(dir);
  ASSERT_TRUE(listing.ok());
  ASSERT_GT(listing->segments.size(), 3u);
  const std::string middle = internal::JoinPath(dir, listing->segments[1].name);
  testing::FlipByteOrDie(middle, 200);
  ExpectBothReplaysRefuseNaming(dir, listing->segments[1].name);
}

// A log of no update, or of at most one per 64 users of the checkpoint:
// the bulk replay keeps the checkpoint's mapping as the first base and
// sends the few updates through the writer (they stay pending in the live
// index); one more update and they are folded. Either way the state is
// the writer path's and the model's, and takes updates, a merge, a
// checkpoint and a reopen from there.
TEST(BulkReplayTest, FewUpdatesKeepTheMappedCheckpoint) {
  const size_t kUsers = 6400;  // the mapped path takes up to 100 updates
  for (size_t updates : {size_t{0}, size_t{1}, size_t{37}, size_t{100}, size_t{101}, size_t{900}}) {
    SCOPED_TRACE(updates);
    std::mt19937_64 rng(updates + 5);
    TempDir tmp;
    const std::string dir = tmp.File("engine");
    const std::vector<UserRecord> base = testing::RandomUsers(updates + 3, kUsers);
    auto index = LocationIndex::Build(base, {});
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE(CreateEngineDirectory(dir, **index, {}, false).ok());
    Model model;
    for (const UserRecord& r : base) model[r.user_id] = r;
    {
      auto engine = Engine::Open(dir, SmallSegments());
      ASSERT_TRUE(engine.ok()) << engine.status();
      for (size_t done = 0; done < updates;) {
        std::vector<LocationUpdate> batch =
            RandomUpdates(rng, std::min<size_t>(updates - done, 1 + rng() % 40), base, 20);
        ASSERT_TRUE((*engine)->Apply(batch).ok());
        ApplyToModel(batch, &model);
        done += batch.size();
      }
    }
    LiveIndex::Options live_options;
    live_options.background_maintenance = false;
    {
      auto bulk = RecoverEngineDirectory(dir, live_options, ReplayMode::kBulk);
      ASSERT_TRUE(bulk.ok()) << bulk.status();
      const LiveIndex::Stats stats = bulk->live->GetStats();
      if (updates <= kUsers / 64) {
        EXPECT_EQ(stats.base_entries, kUsers) << "the checkpoint is the base";
        EXPECT_EQ(stats.pending_updates, updates);
      } else {
        EXPECT_EQ(stats.pending_updates, 0u) << "folded";
        EXPECT_EQ(stats.base_entries, model.size());
      }
    }
    CheckRecovery(dir, model, updates);  // also updates and a merge after it

    // Through the Engine: more updates, a merge, a checkpoint, a reopen.
    EngineOptions options = SmallSegments();
    options.pause_maintenance_for_testing = true;
    uint64_t seq = updates;
    {
      auto engine = Engine::Open(dir, options);
      ASSERT_TRUE(engine.ok()) << engine.status();
      EXPECT_EQ((*engine)->GetStats().users, model.size());
      for (int b = 0; b < 3; ++b) {
        std::vector<LocationUpdate> batch = RandomUpdates(rng, 300, base, 20);
        auto s = (*engine)->Apply(batch);
        ASSERT_TRUE(s.ok()) << s.status();
        seq = *s;
        ApplyToModel(batch, &model);
        if (b == 1) (*engine)->RunMaintenanceForTesting();
      }
      ASSERT_TRUE((*engine)->Checkpoint().ok());
    }
    auto again = RecoverEngineDirectory(dir, live_options, ReplayMode::kBulk);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->state.last_seq, seq);
    EXPECT_EQ(again->state.report.checkpoint_seq, seq);
    EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(again->live->View())),
              ModelEntries(model));
  }
}

// The mapped path verifies the checkpoint as the fold does: a damaged one
// is refused, with or without a log after it.
TEST(BulkReplayTest, DamagedCheckpointIsRefusedWithAnEmptyOrShortLog) {
  for (size_t updates : {size_t{0}, size_t{5}}) {
    SCOPED_TRACE(updates);
    std::mt19937_64 rng(17);
    TempDir tmp;
    const std::string dir = tmp.File("engine");
    const std::vector<UserRecord> base = testing::RandomUsers(17, 3000);
    auto index = LocationIndex::Build(base, {});
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE(CreateEngineDirectory(dir, **index, {}, false).ok());
    if (updates > 0) {
      auto engine = Engine::Open(dir, SmallSegments());
      ASSERT_TRUE(engine.ok()) << engine.status();
      ASSERT_TRUE((*engine)->Apply(RandomUpdates(rng, updates, base, 20)).ok());
    }
    auto listing = internal::ListEngineDirectory(dir);
    ASSERT_TRUE(listing.ok());
    ASSERT_EQ(listing->checkpoints.size(), 1u);
    const std::string checkpoint = internal::JoinPath(dir, listing->checkpoints[0].name);
    struct stat st;
    ASSERT_EQ(::stat(checkpoint.c_str(), &st), 0);
    testing::FlipByteOrDie(checkpoint, st.st_size / 2, 0x21);  // inside the columns
    ExpectBothReplaysRefuseNaming(dir, listing->checkpoints[0].name);
    EXPECT_FALSE(Engine::Open(dir, SmallSegments()).ok());
  }
}

// A checkpoint that holds a user twice: the slot table made from the
// checkpoint's users (while the log is read) refuses it as the writer path
// does (kDataLoss naming the checkpoint and the user), with a log long
// enough to be folded and with a short one (the checkpoint's mapping
// kept: at most one update per kFewUpdatesPerUser users), whether or not
// the log touches that user.
TEST(BulkReplayTest, CheckpointWithAUserTwiceIsRefusedBothWays) {
  for (const bool short_log : {false, true}) {
    for (const bool touched : {false, true}) {
      SCOPED_TRACE(absl::StrCat("short log ", short_log, ", touched ", touched));
      std::mt19937_64 rng(touched ? 21 : 22);
      TempDir tmp;
      const std::string dir = tmp.File("engine");
      std::vector<UserRecord> base = testing::RandomUsers(21, 3000);
      auto index = LocationIndex::Build(base, {});
      ASSERT_TRUE(index.ok());
      ASSERT_TRUE(CreateEngineDirectory(dir, **index, {}, false).ok());
      const uint64_t twice = base[17].user_id;
      {
        auto engine = Engine::Open(dir, SmallSegments());
        ASSERT_TRUE(engine.ok()) << engine.status();
        std::vector<LocationUpdate> batch = RandomUpdates(rng, short_log ? 20 : 500, base, 20);
        if (touched) batch.push_back(LocationUpdate::Upsert(RandomPlace(rng, twice)));
        ASSERT_TRUE((*engine)->Apply(batch).ok());
      }
      // The same checkpoint, rewritten with `twice` at a second place.
      std::vector<std::pair<uint64_t, uint64_t>> entries;
      for (const UserRecord& r : base) entries.emplace_back(r.ToCellId().id(), r.user_id);
      entries.emplace_back(RandomPlace(rng, twice).ToCellId().id(), twice);
      std::unique_ptr<LocationIndex> bad = ::fanout::testing::IndexOfEntries(std::move(entries));
      ASSERT_NE(bad, nullptr);
      ASSERT_TRUE(internal::WriteCheckpoint(dir, 0, *bad, SnapshotMetadata{}).ok());
      const std::string name = internal::CheckpointName(0);
      ExpectBothReplaysRefuseNaming(dir, name);
      LiveIndex::Options live_options;
      live_options.background_maintenance = false;
      auto bulk = RecoverEngineDirectory(dir, live_options, ReplayMode::kBulk);
      EXPECT_NE(bulk.status().message().find(absl::StrCat("user ", twice, " appears twice")),
                std::string::npos)
          << bulk.status();
      EXPECT_FALSE(Engine::Open(dir, SmallSegments()).ok());
    }
  }
}

// Opened by the bulk replay after a log that touches every user of the
// checkpoint (moved, removed, removed and placed again; user 0 among
// them) and adds new ones: the Engine takes updates of known, new and
// removed users, merges, checkpoints and reopens, as the model says.
TEST(BulkReplayTest, OpenAfterALogTouchingEveryUserThenUpdatesMergesAndACheckpoint) {
  TempDir tmp;
  const std::string dir = tmp.File("engine");
  std::mt19937_64 rng(77);
  std::vector<UserRecord> base = testing::RandomUsers(77, 4000);
  base[0].user_id = 0;
  auto index = LocationIndex::Build(base, {});
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(CreateEngineDirectory(dir, **index, {}, false).ok());
  Model model;
  for (const UserRecord& r : base) model[r.user_id] = r;
  std::vector<LocationUpdate> log;
  std::vector<uint64_t> removed;
  for (const UserRecord& r : base) {
    switch (rng() % 4) {
      case 0:
        log.push_back(LocationUpdate::Remove(r.user_id));
        removed.push_back(r.user_id);
        break;
      case 1:
        log.push_back(LocationUpdate::Remove(r.user_id));
        log.push_back(LocationUpdate::Upsert(RandomPlace(rng, r.user_id)));
        break;
      default:
        log.push_back(LocationUpdate::Upsert(RandomPlace(rng, r.user_id)));
    }
  }
  for (uint64_t i = 0; i < 1500; ++i) {
    log.push_back(LocationUpdate::Upsert(RandomPlace(rng, (uint64_t{1} << 45) + i)));
  }
  std::shuffle(log.begin(), log.end(), rng);
  EngineOptions options = SmallSegments();
  options.pause_maintenance_for_testing = true;
  {
    auto engine = Engine::Open(dir, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (size_t at = 0; at < log.size(); at += 700) {
      auto batch = absl::MakeConstSpan(log).subspan(at, std::min<size_t>(700, log.size() - at));
      ASSERT_TRUE((*engine)->Apply(batch).ok());
    }
  }
  ApplyToModel(log, &model);
  uint64_t seq = log.size();
  CheckRecovery(dir, model, seq);
  {
    auto engine = Engine::Open(dir, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    EXPECT_EQ((*engine)->GetStats().open.updates_replayed, log.size()) << "folded, not mapped";
    EXPECT_EQ((*engine)->GetStats().users, model.size());
    for (int b = 0; b < 4; ++b) {
      // Known users, removed ones placed again, new ones, removals.
      std::vector<LocationUpdate> batch;
      for (int i = 0; i < 400; ++i) {
        const uint64_t pick = rng() % 4;
        const uint64_t id = pick == 0   ? removed[rng() % removed.size()]
                            : pick == 1 ? (uint64_t{1} << 46) + rng() % 1000
                                        : base[rng() % base.size()].user_id;
        if (rng() % 6 == 0) {
          batch.push_back(LocationUpdate::Remove(id));
        } else {
          batch.push_back(LocationUpdate::Upsert(RandomPlace(rng, id)));
        }
      }
      auto s = (*engine)->Apply(batch);
      ASSERT_TRUE(s.ok()) << s.status();
      seq = *s;
      ApplyToModel(batch, &model);
      EXPECT_EQ((*engine)->GetStats().users, model.size());
      if (b == 1) (*engine)->RunMaintenanceForTesting();
    }
    ASSERT_TRUE((*engine)->Checkpoint().ok());
  }
  LiveIndex::Options live_options;
  live_options.background_maintenance = false;
  auto again = RecoverEngineDirectory(dir, live_options, ReplayMode::kBulk);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state.last_seq, seq);
  EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(again->live->View())), ModelEntries(model));
}

// Alerts from an Engine opened by the bulk replay: every user whose point
// (its leaf cell's centre, as the index stores it) is in the area, once,
// in its mix64 shard; before and after more updates and a merge.
TEST(BulkReplayTest, AlertsAfterOpenEqualBruteForce) {
  // A checkpoint after batch 4 (10,000 updates of log to fold), or after
  // the last batch (no log: the mapped checkpoint is the first base).
  for (const int checkpoint_after : {4, 9}) {
  SCOPED_TRACE(checkpoint_after);
  TempDir tmp;
  const std::string dir = tmp.File("engine");
  std::mt19937_64 rng(11);
  std::vector<UserRecord> base = testing::RandomUsers(11, 20000, 25, 49, -124, -67);
  auto index = LocationIndex::Build(base, {});
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(CreateEngineDirectory(dir, **index, {}, false).ok());
  Model model;
  for (const UserRecord& r : base) model[r.user_id] = r;
  // Updates mostly inside the same box, so that the alerts find movers.
  auto in_box = [&](uint64_t id) {
    return UserRecord{id, static_cast<int32_t>(250000000 + rng() % 240000000),
                      static_cast<int32_t>(-1240000000 + static_cast<int64_t>(rng() % 570000000))};
  };
  auto random_batch = [&](size_t n) {
    std::vector<LocationUpdate> out;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t id = rng() % 3 ? base[rng() % base.size()].user_id : (uint64_t{1} << 50) + rng() % 5000;
      if (rng() % 6 == 0) {
        out.push_back(LocationUpdate::Remove(id));
      } else {
        out.push_back(LocationUpdate::Upsert(in_box(id)));
      }
    }
    return out;
  };
  EngineOptions options = SmallSegments();
  options.pause_maintenance_for_testing = true;
  {
    auto engine = Engine::Open(dir, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (int b = 0; b < 10; ++b) {
      std::vector<LocationUpdate> batch = random_batch(2000);
      ASSERT_TRUE((*engine)->Apply(batch).ok());
      ApplyToModel(batch, &model);
      if (b == checkpoint_after) {
        ASSERT_TRUE((*engine)->Checkpoint().ok());
      }
    }
  }
  auto engine = Engine::Open(dir, options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->GetStats().last_seq, 20000u);
  EXPECT_EQ((*engine)->GetStats().users, model.size());
  EXPECT_EQ((*engine)->GetStats().open.updates_replayed, checkpoint_after == 4 ? 10000u : 0u);
  const uint32_t shards = 8;
  const std::vector<std::pair<std::string, AlertFormat>> alerts = {
      {"37,-95 400", AlertFormat::kCircle},
      {"30,-100 30,-90 40,-90 40,-100 30,-100", AlertFormat::kPolygon},
      {"48", AlertFormat::kCode},
  };
  auto check = [&](const std::string& when) {
    for (const auto& [text, format] : alerts) {
      SCOPED_TRACE(absl::StrCat(when, ": ", text));
      auto resolved = ResolveAlertText(text, format);
      ASSERT_TRUE(resolved.ok()) << resolved.status();
      std::vector<std::set<uint64_t>> expected(shards);
      for (const auto& [id, r] : model) {
        if (resolved->area->Contains(r.ToCellId().ToPoint())) expected[Mix64(id) % shards].insert(id);
      }
      std::vector<std::set<uint64_t>> got(shards);
      size_t delivered = 0;
      CallbackSink sink([&](uint32_t shard, absl::Span<const uint64_t> ids) {
        got[shard].insert(ids.begin(), ids.end());
        delivered += ids.size();
        return absl::OkStatus();
      });
      AlertRequest request;
      request.text = text;
      request.format = format;
      request.shards = shards;
      auto summary = (*engine)->Alert(request, sink);
      ASSERT_TRUE(summary.ok()) << summary.status();
      EXPECT_EQ(got, expected);
      size_t distinct = 0;
      for (const auto& s : got) distinct += s.size();
      EXPECT_EQ(delivered, distinct) << "a user delivered twice";
      EXPECT_GT(distinct, 0u);
    }
  };
  check("after Open");
  std::vector<LocationUpdate> batch = random_batch(3000);
  auto s = (*engine)->Apply(batch);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, 23000u);
  ApplyToModel(batch, &model);
  check("after more updates");
  (*engine)->RunMaintenanceForTesting();
  check("after a merge");
  }
}

}  // namespace
}  // namespace fanout
