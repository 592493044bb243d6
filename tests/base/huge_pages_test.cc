// Copyright 2026 The fan-out engine authors.
//
// HugePagePool (base/huge_pages.h): pages given back are handed out again
// with what they held (not faulted in afresh), kept ranges are joined in
// one block when none is large enough, and HugePageAllocator draws from the
// pool of a Scope.

#include "base/huge_pages.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace fanout {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

void Fill(void* p, size_t bytes, uint8_t value) { std::memset(p, value, bytes); }

// The byte every 4 KiB page of [p, p + bytes) starts with.
std::vector<uint8_t> PageBytes(const void* p, size_t bytes) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < bytes; i += 4096) out.push_back(static_cast<const uint8_t*>(p)[i]);
  return out;
}

TEST(HugePagePoolTest, GivenPagesAreTakenAgainWithWhatTheyHeld) {
  HugePagePool pool;
  void* a = pool.Take(3 * kMiB);  // rounded up to 4 MiB
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kHugePageBytes, 0u);
  Fill(a, 4 * kMiB, 7);
  pool.Give(a, 3 * kMiB);
  EXPECT_EQ(pool.stats().kept_bytes, 4 * kMiB);
  void* b = pool.Take(4 * kMiB);
  EXPECT_EQ(b, a);  // the same block, not a fresh one
  for (uint8_t v : PageBytes(b, 4 * kMiB)) ASSERT_EQ(v, 7);
  const HugePagePool::Stats s = pool.stats();
  EXPECT_EQ(s.fresh_bytes, 4 * kMiB);
  EXPECT_EQ(s.reused_bytes, 4 * kMiB);
  EXPECT_EQ(s.kept_bytes, 0u);
  UnmapHuge(b, 4 * kMiB);
}

TEST(HugePagePoolTest, SmallTakesAreCutFromAKeptRange) {
  HugePagePool pool;
  void* a = pool.Take(8 * kMiB);
  Fill(a, 8 * kMiB, 3);
  pool.Give(a, 8 * kMiB);
  void* b = pool.Take(2 * kMiB);
  void* c = pool.Take(6 * kMiB);
  EXPECT_EQ(pool.stats().fresh_bytes, 8 * kMiB);  // only a's
  for (uint8_t v : PageBytes(b, 2 * kMiB)) ASSERT_EQ(v, 3);
  for (uint8_t v : PageBytes(c, 6 * kMiB)) ASSERT_EQ(v, 3);
  // Given back side by side, the two become one range again.
  pool.Give(b, 2 * kMiB);
  pool.Give(c, 6 * kMiB);
  void* d = pool.Take(8 * kMiB);
  EXPECT_EQ(pool.stats().fresh_bytes, 8 * kMiB);
  UnmapHuge(d, 8 * kMiB);
}

// Ranges that are not adjacent are joined (their pages moved, not copied),
// the largest first, and what they lack is fresh (zero). A block joined
// from several mappings can itself be joined again.
TEST(HugePagePoolTest, KeptRangesAreJoinedWhenNoneIsLargeEnough) {
  HugePagePool pool;
  void* a = pool.Take(2 * kMiB);
  void* gap = pool.Take(2 * kMiB);
  void* b = pool.Take(4 * kMiB);
  Fill(a, 2 * kMiB, 1);
  Fill(gap, 2 * kMiB, 9);
  Fill(b, 4 * kMiB, 2);
  pool.Give(a, 2 * kMiB);
  pool.Give(b, 4 * kMiB);
  const size_t fresh_before = pool.stats().fresh_bytes;
  void* joined = pool.Take(8 * kMiB);
  // b's pages and a's (in either order: adjacent ranges merge by address),
  // then 2 MiB of fresh ones.
  std::vector<uint8_t> got = PageBytes(joined, 8 * kMiB);
  std::multiset<uint8_t> kept_part(got.begin(), got.begin() + 1536);
  EXPECT_EQ(kept_part.count(2), 1024u);
  EXPECT_EQ(kept_part.count(1), 512u);
  for (size_t i = 1536; i < got.size(); ++i) ASSERT_EQ(got[i], 0) << i;
  EXPECT_EQ(pool.stats().fresh_bytes - fresh_before, 2 * kMiB);
  // Again, with the joined block (three mappings) and the gap's block.
  Fill(static_cast<char*>(joined) + 6 * kMiB, 2 * kMiB, 4);
  pool.Give(joined, 8 * kMiB);
  pool.Give(gap, 2 * kMiB);
  void* all = pool.Take(10 * kMiB);
  got = PageBytes(all, 10 * kMiB);
  std::multiset<uint8_t> values(got.begin(), got.end());
  EXPECT_EQ(values.count(2), 1024u);
  EXPECT_EQ(values.count(1), 512u);
  EXPECT_EQ(values.count(4), 512u);
  EXPECT_EQ(values.count(9), 512u);
  EXPECT_EQ(pool.stats().fresh_bytes - fresh_before, 2 * kMiB);
  UnmapHuge(all, 10 * kMiB);
}

TEST(HugePagePoolTest, SmallFreshPagesAreZeroAndReusedTheSame) {
  HugePagePool pool(nullptr, HugePagePool::FreshPages::kSmall);
  void* a = pool.Take(4 * kMiB);
  for (uint8_t v : PageBytes(a, 4 * kMiB)) ASSERT_EQ(v, 0);
  Fill(a, 4 * kMiB, 8);
  pool.Give(a, 4 * kMiB);
  void* b = pool.Take(6 * kMiB);  // a's pages, then 2 MiB fresh
  std::vector<uint8_t> got = PageBytes(b, 6 * kMiB);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], i < 1024 ? 8 : 0) << i;
  EXPECT_EQ(pool.stats().fresh_bytes, 6 * kMiB);
  EXPECT_EQ(pool.stats().reused_bytes, 4 * kMiB);
  UnmapHuge(b, 6 * kMiB);
}

TEST(HugePagePoolTest, AllocatorDrawsFromTheScopedPool) {
  using Vec = std::vector<uint64_t, HugePageAllocator<uint64_t>>;
  HugePagePool pool;
  {
    HugePagePool::Scope scope(&pool);
    EXPECT_EQ(HugePagePool::Current(), &pool);
    Vec v(kMiB);  // 8 MiB, zeroed by the vector
    for (uint64_t x : v) ASSERT_EQ(x, 0u);
    std::fill(v.begin(), v.end(), 5);
  }  // v given back
  EXPECT_EQ(HugePagePool::Current(), nullptr);
  EXPECT_EQ(pool.stats().kept_bytes, 8 * kMiB);
  {
    HugePagePool::Scope scope(&pool);
    Vec w(kMiB, 6);  // from the kept pages
    EXPECT_EQ(pool.stats().reused_bytes, 8 * kMiB);
    Vec small(100);  // below 2 MiB: malloc, not the pool
    EXPECT_EQ(pool.stats().fresh_bytes, 8 * kMiB);
    w.clear();
    w.shrink_to_fit();
  }
  // Outside a scope: mapped and unmapped, the pool untouched.
  const HugePagePool::Stats before = pool.stats();
  { Vec x(kMiB, 1); }
  EXPECT_EQ(pool.stats().fresh_bytes, before.fresh_bytes);
  EXPECT_EQ(pool.stats().kept_bytes, before.kept_bytes);
}

// A HugePageArray is taken and given back as HugePageAllocator does, once:
// moving it moves the block, and a moved-from or reset array frees nothing.
TEST(HugePagePoolTest, ArrayGoesBackToTheScopedPoolOnce) {
  HugePagePool pool;
  HugePagePool::Scope scope(&pool);
  HugePageArray<uint64_t> a(kMiB);  // 8 MiB, from the pool (fresh)
  EXPECT_EQ(a.size(), kMiB);
  EXPECT_EQ(pool.stats().fresh_bytes, 8 * kMiB);
  for (size_t i = 0; i < a.size(); ++i) a[i] = i;
  HugePageArray<uint64_t> b(std::move(a));
  EXPECT_EQ(a.get(), nullptr);
  EXPECT_EQ(b.size(), kMiB);
  EXPECT_EQ(b[kMiB - 1], kMiB - 1);
  EXPECT_EQ(pool.stats().kept_bytes, 0u);
  b.reset();
  EXPECT_EQ(pool.stats().kept_bytes, 8 * kMiB);
  b.reset();  // nothing more
  EXPECT_EQ(pool.stats().kept_bytes, 8 * kMiB);
  {
    HugePageArray<uint8_t> c(8 * kMiB);  // the kept pages again
    EXPECT_EQ(pool.stats().reused_bytes, 8 * kMiB);
    EXPECT_EQ(pool.stats().kept_bytes, 0u);
    HugePageArray<uint8_t> empty(0);  // a valid, empty array
    EXPECT_EQ(empty.size(), 0u);
    EXPECT_NE(empty.get(), nullptr);
  }
  EXPECT_EQ(pool.stats().kept_bytes, 8 * kMiB);
}

}  // namespace
}  // namespace fanout
