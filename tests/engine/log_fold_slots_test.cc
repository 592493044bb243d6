// Copyright 2026 The fan-out engine authors.
//
// The slots the bulk replay makes with the first base (LogFold::
// MergeWithSlots) against what they must be (slot i: the base's entry i;
// new users from the base's size on; pos_of_slot pointing each slot at its
// user's entry, a removed user's at none), and the live index made from
// them (LiveIndexImpl::CreateWithSlots) against a model as it takes
// updates of known, new and removed users, and merges.

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/internal/engine_directory.h"
#include "engine/internal/live_index_impl.h"
#include "engine/internal/log_fold.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using internal::LiveBase;
using internal::LiveIndexFactory;
using internal::LiveIndexImpl;
using internal::LiveSlotTable;
using internal::LogFold;
using ::fanout::testing::ApplyToModel;
using ::fanout::testing::IndexEntries;
using ::fanout::testing::ModelEntries;
using ::fanout::testing::RandomPlace;
using Model = ::fanout::testing::UserModel;

// Base users moved, removed, removed then placed again; new users (a pool
// of ids updated often, and ids seen once); removals of ids never seen;
// user 0 and 2^64 - 1. `base_share` in 16ths: how often a base user is
// picked.
std::vector<LocationUpdate> RandomUpdates(std::mt19937_64& rng, size_t n,
                                          const std::vector<uint64_t>& base, size_t pool,
                                          int base_share = 8) {
  std::vector<LocationUpdate> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t id;
    const int pick = static_cast<int>(rng() % 16);
    if (pick < base_share && !base.empty()) {
      id = base[rng() % base.size()];
    } else if (pick < 14) {
      id = (uint64_t{1} << 40) + rng() % std::max<size_t>(pool, 1);
    } else if (pick == 14) {
      id = rng() % 2 ? 0 : std::numeric_limits<uint64_t>::max();
    } else {
      id = rng() | (uint64_t{1} << 63);
    }
    if (rng() % 5 == 0) {
      out.push_back(LocationUpdate::Remove(id));
    } else {
      out.push_back(LocationUpdate::Upsert(RandomPlace(rng, id)));
    }
  }
  return out;
}

std::vector<UserRecord> BaseRows(std::mt19937_64& rng, size_t n, bool with_zero) {
  std::vector<UserRecord> rows;
  std::set<uint64_t> seen;
  if (with_zero && n > 0) {
    rows.push_back(RandomPlace(rng, 0));
    seen.insert(0);
  }
  while (rows.size() < n) {
    const uint64_t id = rng() % 4 == 0 ? (uint64_t{1} << 40) + rng() % 5000 : rng();
    if (seen.insert(id).second) rows.push_back(RandomPlace(rng, id));
  }
  return rows;
}

LogFold::FoldedBase FoldOrDie(const SortedRun& base, const std::vector<LocationUpdate>& updates,
                              std::mt19937_64& rng, HugePagePool* pool) {
  LogFold fold(pool);
  for (size_t at = 0; at < updates.size();) {
    const size_t n = std::min<size_t>(updates.size() - at, 1 + rng() % 7000);
    fold.Add(absl::MakeConstSpan(updates).subspan(at, n));
    at += n;
  }
  // The fold reads a copy of the base's columns, spoilt as soon as it says
  // it reads them no more: what it makes after that must not need them.
  std::vector<uint64_t> cells(base.cells.begin(), base.cells.end());
  std::vector<uint64_t> users(base.users.begin(), base.users.end());
  SortedRun copy;
  copy.cells = absl::MakeConstSpan(cells);
  copy.users = absl::MakeConstSpan(users);
  int released = 0;
  auto folded = fold.MergeWithSlots(copy, [&] {
    ++released;
    std::fill(cells.begin(), cells.end(), 0xabababababababab);
    std::fill(users.begin(), users.end(), 0xcdcdcdcdcdcdcdcd);
  });
  EXPECT_TRUE(folded.ok()) << folded.status();
  EXPECT_EQ(released, folded.ok() ? 1 : 0);
  if (!folded.ok()) return LogFold::FoldedBase{nullptr, LiveSlotTable(0), {}};
  return *std::move(folded);
}

// The folded base and its slots against the model and the base they came
// from.
void CheckSlots(const SortedRun& base, const LogFold::FoldedBase& folded, const Model& model) {
  ASSERT_NE(folded.index, nullptr);
  EXPECT_EQ(IndexEntries(*folded.index), ModelEntries(model));
  const SortedRun run = folded.index->run();
  const size_t c = base.size();
  std::set<uint64_t> base_users(base.users.begin(), base.users.end());
  size_t fresh = 0;
  for (const auto& [id, r] : model) fresh += base_users.count(id) == 0;
  ASSERT_EQ(folded.pos_of_slot.size(), c + fresh) << "one slot per base entry and new user";
  // Each entry of the new base has exactly one slot.
  std::vector<int> slots_at(run.size(), 0);
  for (size_t s = 0; s < folded.pos_of_slot.size(); ++s) {
    const uint32_t pos = folded.pos_of_slot[s];
    if (s < c) {
      const uint64_t user = base.users[s];
      if (model.count(user) == 0) {
        EXPECT_EQ(pos, LiveBase::kNoPos) << "removed user " << user << " keeps a place";
        continue;
      }
      ASSERT_LT(pos, run.size());
      EXPECT_EQ(run.users[pos], user) << "slot " << s << " is base entry " << s << "'s";
    } else {
      ASSERT_LT(pos, run.size()) << "a new user's slot without a place";
      EXPECT_EQ(base_users.count(run.users[pos]), 0u);
    }
    ++slots_at[pos];
  }
  for (size_t i = 0; i < run.size(); ++i) EXPECT_EQ(slots_at[i], 1) << "entry " << i;
  // Every user of the model found, confirmed through its entry; a removed
  // base user not (its slot is dead weight).
  auto find = [&](uint64_t user) {
    return folded.slot_of.Find(user, [&](uint32_t s) {
      const uint32_t pos = folded.pos_of_slot[s];
      return pos != LiveBase::kNoPos && run.users[pos] == user;
    });
  };
  for (const auto& [id, r] : model) {
    const uint32_t slot = find(id);
    ASSERT_NE(slot, LiveSlotTable::kNoSlot) << "user " << id;
    EXPECT_EQ(run.users[folded.pos_of_slot[slot]], id);
  }
  for (size_t s = 0; s < c; ++s) {
    if (model.count(base.users[s]) == 0) {
      EXPECT_EQ(find(base.users[s]), LiveSlotTable::kNoSlot);
    } else {
      EXPECT_EQ(find(base.users[s]), s);
    }
  }
}

void CheckFoldWithSlots(std::mt19937_64& rng, const std::vector<UserRecord>& rows,
                        const std::vector<LocationUpdate>& updates, HugePagePool* pool = nullptr) {
  auto base = LocationIndex::Build(rows, {});
  ASSERT_TRUE(base.ok()) << base.status();
  Model model;
  for (const UserRecord& r : rows) model[r.user_id] = r;
  ApplyToModel(updates, &model);
  LogFold::FoldedBase folded = FoldOrDie((*base)->run(), updates, rng, pool);
  CheckSlots((*base)->run(), folded, model);
  // Deterministic: the same slots whatever the batches.
  LogFold::FoldedBase again = FoldOrDie((*base)->run(), updates, rng, pool);
  EXPECT_TRUE(std::equal(folded.pos_of_slot.begin(), folded.pos_of_slot.end(),
                         again.pos_of_slot.begin(), again.pos_of_slot.end()));
}

TEST(LogFoldSlotsTest, RandomLogsGiveEachUserOneSlot) {
  for (int seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    const size_t users = seed % 6 == 0 ? 0 : rng() % 4000;
    const size_t updates = seed % 7 == 0 ? 0 : rng() % 8000;  // 0: an empty log
    const std::vector<UserRecord> rows = BaseRows(rng, users, seed % 3 == 0);
    std::vector<uint64_t> ids;
    for (const UserRecord& r : rows) ids.push_back(r.user_id);
    CheckFoldWithSlots(rng, rows, RandomUpdates(rng, updates, ids, seed % 2 ? 20 : 3000));
  }
}

// Large enough that the table is filled in parallel ranges: few new users
// (added to the checkpoint's table), and more than an eighth of the base
// new (the table made again for all).
TEST(LogFoldSlotsTest, FewOrManyNewUsersInALargeBase) {
  HugePagePool pool;
  for (auto [users, updates, share] : std::vector<std::tuple<size_t, size_t, int>>{
           {200000, 150000, 14}, {200000, 300000, 4}, {0, 200000, 0}, {30000, 300000, 2}}) {
    SCOPED_TRACE(absl::StrCat(users, " users, ", updates, " updates, ", share));
    std::mt19937_64 rng(users + updates);
    const std::vector<UserRecord> rows = BaseRows(rng, users, true);
    std::vector<uint64_t> ids;
    for (const UserRecord& r : rows) ids.push_back(r.user_id);
    CheckFoldWithSlots(rng, rows, RandomUpdates(rng, updates, ids, 100000, share), &pool);
  }
}

// Every user of the base touched: each moved, removed, or removed and
// placed again; and user 0 among them.
TEST(LogFoldSlotsTest, ALogTouchingEveryUser) {
  std::mt19937_64 rng(8);
  const std::vector<UserRecord> rows = BaseRows(rng, 50000, true);
  std::vector<LocationUpdate> updates;
  for (const UserRecord& r : rows) {
    switch (rng() % 4) {
      case 0:
        updates.push_back(LocationUpdate::Remove(r.user_id));
        break;
      case 1:
        updates.push_back(LocationUpdate::Remove(r.user_id));
        updates.push_back(LocationUpdate::Upsert(RandomPlace(rng, r.user_id)));
        break;
      default:
        updates.push_back(LocationUpdate::Upsert(RandomPlace(rng, r.user_id)));
    }
  }
  std::shuffle(updates.begin(), updates.end(), rng);
  updates.push_back(LocationUpdate::Upsert(RandomPlace(rng, 0)));
  CheckFoldWithSlots(rng, rows, updates);
}

// A base that holds a user twice is refused, naming the user, whether or
// not the log touches it.
TEST(LogFoldSlotsTest, ABaseWithAUserTwiceIsRefused) {
  std::mt19937_64 rng(4);
  for (const bool touched : {false, true}) {
    SCOPED_TRACE(touched);
    std::vector<std::pair<uint64_t, uint64_t>> entries;
    for (uint64_t id = 1; id <= 3000; ++id) {
      entries.emplace_back(RandomPlace(rng, id).ToCellId().id(), id);
    }
    entries.emplace_back(RandomPlace(rng, 77).ToCellId().id(), 77);
    std::sort(entries.begin(), entries.end());
    std::vector<uint64_t> cells, users;
    for (const auto& [c, u] : entries) {
      cells.push_back(c);
      users.push_back(u);
    }
    SortedRun base;
    base.cells = absl::MakeConstSpan(cells);
    base.users = absl::MakeConstSpan(users);
    LogFold fold;
    std::vector<LocationUpdate> updates = {LocationUpdate::Upsert(RandomPlace(rng, 5000))};
    if (touched) updates.push_back(LocationUpdate::Upsert(RandomPlace(rng, 77)));
    fold.Add(updates);
    auto folded = fold.MergeWithSlots(base);
    ASSERT_FALSE(folded.ok());
    EXPECT_EQ(folded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(folded.status().message().find("user 77 appears twice"), std::string::npos)
        << folded.status();
  }
}

// The live index made from the folded base and its slots takes updates
// of known users, new ones, removed ones (placed again: a new slot) and
// merges, as a model does; Create's index fed the same updates agrees.
TEST(LogFoldSlotsTest, LiveIndexFromTheSlotsTakesUpdatesAndMerges) {
  for (int seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed * 31);
    const std::vector<UserRecord> rows = BaseRows(rng, seed == 3 ? 0 : 20000, seed % 2 == 0);
    std::vector<uint64_t> ids;
    for (const UserRecord& r : rows) ids.push_back(r.user_id);
    const std::vector<LocationUpdate> log = RandomUpdates(rng, 30000, ids, 5000);
    auto base = LocationIndex::Build(rows, {});
    ASSERT_TRUE(base.ok()) << base.status();
    Model model;
    for (const UserRecord& r : rows) model[r.user_id] = r;
    ApplyToModel(log, &model);
    LogFold::FoldedBase folded = FoldOrDie((*base)->run(), log, rng, nullptr);
    ASSERT_NE(folded.index, nullptr);
    const size_t slots = folded.pos_of_slot.size();
    LiveIndex::Options options;
    options.background_maintenance = false;
    constexpr uint64_t kBaseSeq = 1000;
    auto impl = LiveIndexImpl::CreateWithSlots(std::move(folded.index), std::move(folded.slot_of),
                                               std::move(folded.pos_of_slot), options, kBaseSeq);
    ASSERT_TRUE(impl.ok()) << impl.status();
    std::unique_ptr<LiveIndex> live = LiveIndexFactory::Wrap(*std::move(impl));
    EXPECT_EQ(live->last_seq(), kBaseSeq);
    EXPECT_EQ(live->GetStats().users, model.size());
    EXPECT_EQ(live->GetStats().slots, slots);
    EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(live->View())), ModelEntries(model));
    // The users of the base and of the log, whatever became of them (the
    // removed ones too), and more new ones: enough of those, at the end,
    // that the slot table grows.
    std::vector<uint64_t> known = ids;
    for (const LocationUpdate& u : log) known.push_back(u.user_id());
    uint64_t seq = kBaseSeq;
    for (int round = 0; round < 4; ++round) {
      SCOPED_TRACE(round);
      std::vector<LocationUpdate> batch = RandomUpdates(rng, 6000, known, 8000, 12);
      if (round == 3) {
        for (size_t i = 0; i < 12000; ++i) {
          batch.push_back(LocationUpdate::Upsert(RandomPlace(rng, (uint64_t{1} << 50) + i)));
        }
      }
      ApplyToModel(batch, &model);
      auto applied = live->Apply(batch);
      ASSERT_TRUE(applied.ok()) << applied.status();
      seq += batch.size();
      EXPECT_EQ(*applied, seq);
      EXPECT_EQ(live->GetStats().users, model.size());
      EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(live->View())), ModelEntries(model));
      if (round % 2 == 0) {
        live->Freeze();
        live->Merge();
        EXPECT_EQ(live->GetStats().base_entries, model.size());
        EXPECT_EQ(IndexEntries(*internal::MaterialiseSnapshot(live->View())), ModelEntries(model));
      }
    }
  }
}

}  // namespace
}  // namespace fanout
