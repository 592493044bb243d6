// Copyright 2026 The fan-out engine authors.

#include "engine/radix_sort.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace fanout {
namespace {

// The reference: std::stable_sort of (key, value) by key only.
void ExpectSortedLikeStableSort(std::vector<uint64_t> keys, std::vector<uint64_t> values) {
  std::vector<std::pair<uint64_t, uint64_t>> expected(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) expected[i] = {keys[i], values[i]};
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  RadixSortPairs(&keys, &values);
  ASSERT_EQ(keys.size(), expected.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(keys[i], expected[i].first) << "at " << i;
    ASSERT_EQ(values[i], expected[i].second) << "at " << i;
  }
}

TEST(RadixSortTest, EmptyAndSingle) {
  std::vector<uint64_t> k, v;
  EXPECT_EQ(RadixSortPairs(&k, &v), 0);
  k = {7};
  v = {1};
  EXPECT_EQ(RadixSortPairs(&k, &v), 0);
  EXPECT_EQ(k[0], 7u);
  EXPECT_EQ(v[0], 1u);
}

TEST(RadixSortTest, RandomFullWidthKeysMatchStableSort) {
  std::mt19937_64 rng(1);
  for (size_t n : {2u, 100u, 5000u, 300000u}) {
    std::vector<uint64_t> k(n), v(n);
    for (size_t i = 0; i < n; ++i) {
      k[i] = rng();
      v[i] = i;
    }
    ExpectSortedLikeStableSort(k, v);
  }
}

TEST(RadixSortTest, ManyEqualKeysStayInInputOrder) {
  std::mt19937_64 rng(2);
  const size_t n = 400000;  // several chunks, so stability across chunks counts
  std::vector<uint64_t> k(n), v(n);
  for (size_t i = 0; i < n; ++i) {
    k[i] = (rng() % 37) << 40 | (rng() % 3);
    v[i] = i;
  }
  ExpectSortedLikeStableSort(k, v);
}

TEST(RadixSortTest, ConstantDigitsAreSkipped) {
  // Keys differ only in their lowest 8 bits: one pass suffices.
  std::mt19937_64 rng(3);
  const size_t n = 100000;
  std::vector<uint64_t> k(n), v(n);
  for (size_t i = 0; i < n; ++i) {
    k[i] = 0xABCD000000000000ULL | (rng() & 0xff);
    v[i] = i;
  }
  std::vector<uint64_t> k2 = k, v2 = v;
  EXPECT_EQ(RadixSortPairs(&k2, &v2), 1);
  ExpectSortedLikeStableSort(k, v);
  // All keys equal: nothing to do, and nothing moves.
  std::vector<uint64_t> same(1000, 42), ids(1000);
  std::iota(ids.begin(), ids.end(), 0);
  EXPECT_EQ(RadixSortPairs(&same, &ids), 0);
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], i);
}

TEST(RadixSortTest, AlreadySortedAndReversed) {
  const size_t n = 200000;
  std::vector<uint64_t> k(n), v(n);
  for (size_t i = 0; i < n; ++i) {
    k[i] = i * 0x9E3779B97F4A7C15ULL >> 1;  // distinct, spread over all digits
    v[i] = i;
  }
  std::sort(k.begin(), k.end());
  ExpectSortedLikeStableSort(k, v);
  std::reverse(k.begin(), k.end());
  ExpectSortedLikeStableSort(k, v);
}

}  // namespace
}  // namespace fanout
