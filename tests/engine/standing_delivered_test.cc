// Copyright 2026 The fan-out engine authors.
//
// DeliveredSet (the per-alert delivered record of standing alerts) against
// std::set on random inserts and lookups: sequential, random and extreme
// ids, across many freezes; erasures; and its size per user.

#include "engine/internal/standing_delivered.h"

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "engine/shard_policy.h"
#include "gtest/gtest.h"

namespace fanout {
namespace internal {
namespace {

TEST(DeliveredSetTest, UnMix64InvertsMix64) {
  std::mt19937_64 rng(1);
  for (uint64_t x : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}, uint64_t{1} << 63}) {
    EXPECT_EQ(DeliveredSet::UnMix64(Mix64(x)), x);
  }
  for (int i = 0; i < 100000; ++i) {
    const uint64_t x = rng();
    ASSERT_EQ(DeliveredSet::UnMix64(Mix64(x)), x);
  }
}

TEST(DeliveredSetTest, AgreesWithStdSet) {
  for (int mode = 0; mode < 3; ++mode) {
    std::mt19937_64 rng(100 + mode);
    DeliveredSet set;
    std::set<uint64_t> want;
    auto draw = [&]() -> uint64_t {
      switch (mode) {
        case 0: return rng() % 300000;  // small sequential ids, many repeats
        case 1: return rng();           // random 64-bit ids
        default: {                      // extremes and neighbours
          const uint64_t base[] = {0, ~uint64_t{0}, uint64_t{1} << 63, 12345};
          return base[rng() % 4] + (rng() % 2000) - 1000;
        }
      }
    };
    for (int i = 0; i < 400000; ++i) {
      const uint64_t id = draw();
      ASSERT_EQ(set.Insert(id), want.insert(id).second) << mode << " " << id;
      if (i % 7 == 0) {
        const uint64_t probe = draw();
        ASSERT_EQ(set.Contains(probe), want.count(probe) > 0) << mode << " " << probe;
      }
    }
    EXPECT_EQ(set.size(), want.size());
    std::vector<uint64_t> got;
    set.ForEach([&](uint64_t id) { got.push_back(id); });
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, std::vector<uint64_t>(want.begin(), want.end())) << mode;
    for (uint64_t id : want) ASSERT_TRUE(set.Contains(id));
  }
}

// EraseAll (undoing a refused hand-off) against std::set: ids in the
// recent part, in the frozen part, absent, and repeated, with inserts
// between, down to empty and up again.
TEST(DeliveredSetTest, EraseAllAgreesWithStdSet) {
  std::mt19937_64 rng(7);
  DeliveredSet set;
  std::set<uint64_t> want;
  for (int round = 0; round < 60; ++round) {
    const int inserts = static_cast<int>(rng() % 5000);
    for (int i = 0; i < inserts; ++i) {
      const uint64_t id = rng() % 40000;
      ASSERT_EQ(set.Insert(id), want.insert(id).second);
    }
    std::vector<uint64_t> erase;
    const int n = round % 10 == 9 ? 45000 : static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) erase.push_back(round % 10 == 9 ? i : rng() % 45000);
    size_t expected = 0;
    for (uint64_t id : erase) expected += want.erase(id);
    ASSERT_EQ(set.EraseAll(erase), expected) << round;
    ASSERT_EQ(set.size(), want.size()) << round;
    for (int i = 0; i < 2000; ++i) {
      const uint64_t probe = rng() % 45000;
      ASSERT_EQ(set.Contains(probe), want.count(probe) > 0) << round << " " << probe;
    }
    std::vector<uint64_t> got;
    set.ForEach([&](uint64_t id) { got.push_back(id); });
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, std::vector<uint64_t>(want.begin(), want.end())) << round;
  }
}

TEST(DeliveredSetTest, TakesUnderEightBytesAUserAtAMillion) {
  std::mt19937_64 rng(7);
  DeliveredSet set;
  for (int i = 0; i < 1000000; ++i) set.Insert(rng());
  EXPECT_EQ(set.size(), 1000000u);
  EXPECT_LT(double(set.memory_bytes()) / set.size(), 8.0);
}

}  // namespace
}  // namespace internal
}  // namespace fanout
