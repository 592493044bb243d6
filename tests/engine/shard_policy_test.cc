// Copyright 2026 The fan-out engine authors.

#include "engine/shard_policy.h"

#include <random>

#include "gtest/gtest.h"

namespace fanout {
namespace {

TEST(ShardPolicyTest, Mix64KnownValues) {
  // SplitMix64 finalizer outputs (computed independently from the formula in
  // DESIGN §3).
  EXPECT_EQ(Mix64(0), 0u);
  EXPECT_EQ(Mix64(1), 0x5692161d100b05e5ULL);
  EXPECT_EQ(Mix64(0x9e3779b97f4a7c15ULL), 0xe220a8397b1dcdafULL);
}

TEST(ShardPolicyTest, FastModuloEqualsRemainder) {
  std::mt19937_64 rng(1);
  for (uint32_t shards : {1u, 2u, 3u, 7u, 10u, 255u, 256u, 1000u, 65535u, 65536u, 65537u,
                          1000003u, ShardPolicy::kMaxShards}) {
    auto policy = ShardPolicy::Create(shards);
    ASSERT_TRUE(policy.ok());
    auto modulo = ShardPolicy::Create(shards, ShardPolicy::Kind::kModulo);
    ASSERT_TRUE(modulo.ok());
    for (int i = 0; i < 20000; ++i) {
      uint64_t id = i < 100 ? uint64_t(i) : (i < 200 ? ~uint64_t(i) : rng());
      ASSERT_EQ(policy->ShardOf(id), Mix64(id) % shards) << "shards=" << shards << " id=" << id;
      ASSERT_EQ(modulo->ShardOf(id), id % shards) << "shards=" << shards << " id=" << id;
    }
  }
}

// The scatter's shortcut: where the policy says the low hash byte decides,
// the masked byte is the shard; everywhere else the policy must say no.
TEST(ShardPolicyTest, MixLowByteGivesTheShardWhereClaimed) {
  std::mt19937_64 rng(2);
  for (uint32_t shards : {1u, 2u, 4u, 16u, 128u, 256u}) {
    auto policy = ShardPolicy::Create(shards);
    ASSERT_TRUE(policy.ok());
    ASSERT_TRUE(policy->UsesMixLowByte()) << shards;
    for (int i = 0; i < 20000; ++i) {
      uint64_t id = rng();
      ASSERT_EQ(policy->ShardOf(id), static_cast<uint8_t>(Mix64(id)) & policy->mix_low_mask())
          << "shards=" << shards << " id=" << id;
    }
  }
  for (uint32_t shards : {3u, 255u, 257u, 512u, 1000u}) {
    EXPECT_FALSE(ShardPolicy::Create(shards)->UsesMixLowByte()) << shards;
  }
  EXPECT_FALSE(ShardPolicy::Create(256, ShardPolicy::Kind::kModulo)->UsesMixLowByte());
}

TEST(ShardPolicyTest, RejectsBadShardCounts) {
  EXPECT_FALSE(ShardPolicy::Create(0).ok());
  EXPECT_FALSE(ShardPolicy::Create(ShardPolicy::kMaxShards + 1).ok());
}

}  // namespace
}  // namespace fanout
