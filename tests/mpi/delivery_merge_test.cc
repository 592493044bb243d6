// Copyright 2026 The fan-out engine authors.
//
// mpi/delivery_merge.h without mpirun: the k-way merge of nearest-first
// runs against a stable sort of the whole list (many equal keys), the
// split by info block against the block tags it came from, and the
// per-language counts against the executor's order of them.

#include "mpi/delivery_merge.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace fanout {
namespace {

TEST(DeliveryMergeTest, MergedRunsAreTheStableSortByKeyOfTheWholeList) {
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 200; ++trial) {
    const int ranks = 1 + static_cast<int>(rng() % 5);
    const size_t shards = 1 + rng() % 4;
    std::vector<uint64_t> run_sizes(ranks * shards);
    DeliveryLists lists, keys, tags, want, want_tags;
    lists.shards.resize(shards);
    keys.shards.resize(shards);
    tags.shards.resize(shards);
    want.shards.resize(shards);
    want_tags.shards.resize(shards);
    for (size_t s = 0; s < shards; ++s) {
      // The whole list in index order: user i at position i, keys from a
      // small range (ties), tags random; rank r holds a consecutive run.
      struct Item { uint64_t key, user, tag; };
      std::vector<Item> whole;
      uint64_t user = 0;
      for (int r = 0; r < ranks; ++r) {
        const size_t n = rng() % 30;
        run_sizes[r * shards + s] = n;
        std::vector<Item> run;
        for (size_t i = 0; i < n; ++i) run.push_back({rng() % 8, user++, rng() % 3});
        whole.insert(whole.end(), run.begin(), run.end());
        // Each rank sorts its run by (key, position), as the executor does.
        std::stable_sort(run.begin(), run.end(),
                         [](const Item& a, const Item& b) { return a.key < b.key; });
        for (const Item& it : run) {
          lists.shards[s].push_back(it.user);
          keys.shards[s].push_back(it.key);
          tags.shards[s].push_back(it.tag);
        }
      }
      std::stable_sort(whole.begin(), whole.end(),
                       [](const Item& a, const Item& b) { return a.key < b.key; });
      for (const Item& it : whole) {
        want.shards[s].push_back(it.user);
        want_tags.shards[s].push_back(it.tag);
      }
    }
    MergeNearestRuns(run_sizes, ranks, keys, &lists, &tags);
    ASSERT_EQ(lists.shards, want.shards) << "trial " << trial;
    ASSERT_EQ(tags.shards, want_tags.shards) << "trial " << trial;
  }
}

TEST(DeliveryMergeTest, SplitByTagsInvertsBlockTags) {
  std::mt19937_64 rng(78);
  DeliveryLists lists, tags;
  lists.shards.resize(5);
  tags.shards.resize(5);
  uint64_t user = 1;
  for (size_t s = 0; s < 5; ++s) {
    for (size_t i = rng() % 50; i > 0; --i) {
      lists.shards[s].push_back(user++ * 7919);
      tags.shards[s].push_back(rng() % 4);
    }
  }
  std::vector<DeliveryLists> blocks = SplitByTags(lists, tags, 4);
  ASSERT_EQ(blocks.size(), 4u);
  for (size_t s = 0; s < 5; ++s) {
    std::vector<uint64_t> want[4];
    for (size_t i = 0; i < lists.shards[s].size(); ++i) {
      want[tags.shards[s][i]].push_back(lists.shards[s][i]);
    }
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_TRUE(std::equal(want[k].begin(), want[k].end(), blocks[k].shards[s].begin(),
                             blocks[k].shards[s].end()));
    }
  }
  EXPECT_EQ(BlockTags(lists, blocks).shards, tags.shards);
}

TEST(DeliveryMergeTest, LanguageCountsComeBackInTheExecutorsOrder) {
  // Codes 1..3: es-MX, en-US, fr; blocks en, es.
  auto attrs = UserAttributes::Own({/*lang=*/true, /*updated_at=*/false},
                                   {"es-MX", "en-US", "fr"}, {0, 1, 2, 3}, {}, 4);
  std::vector<uint64_t> counts(UserAttributes::kMaxLanguages + 1, 0);
  counts[0] = 5;
  counts[1] = 1;
  counts[2] = 2;
  counts[3] = 3;
  const std::vector<std::string> info = {"en", "es"};
  std::vector<AlertSummary::InfoCount> by_info = InfoCountsFromCodes(counts, attrs.get(), info);
  ASSERT_EQ(by_info.size(), 2u);
  EXPECT_EQ(by_info[0].language, "en");
  EXPECT_EQ(by_info[0].users, 10u);
  using Pairs = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(by_info[0].by_user_language, (Pairs{{"", 5}, {"en-US", 2}, {"fr", 3}}));
  EXPECT_EQ(by_info[1].users, 1u);
  EXPECT_EQ(by_info[1].by_user_language, (Pairs{{"es-MX", 1}}));
  AlertSummary summary;
  summary.by_info = by_info;
  EXPECT_EQ(CountsByLanguageCode(summary, attrs.get()), counts);
  // Without a lang column everyone is "none", in block 0.
  std::vector<uint64_t> none(UserAttributes::kMaxLanguages + 1, 0);
  none[0] = 7;
  by_info = InfoCountsFromCodes(none, nullptr, info);
  EXPECT_EQ(by_info[0].by_user_language, (Pairs{{"", 7}}));
  EXPECT_EQ(by_info[1].users, 0u);
  EXPECT_NE(DictionaryDigest(attrs.get()), 0u);
  EXPECT_EQ(DictionaryDigest(nullptr), 0u);
  // One dictionary, one digest; another order of the same tags is another
  // dictionary (the codes differ), so another digest.
  auto same = UserAttributes::Own({true, false}, {"es-MX", "en-US", "fr"}, {3, 2}, {}, 2);
  auto reordered = UserAttributes::Own({true, false}, {"en-US", "es-MX", "fr"}, {0, 1}, {}, 2);
  EXPECT_EQ(DictionaryDigest(same.get()), DictionaryDigest(attrs.get()));
  EXPECT_NE(DictionaryDigest(reordered.get()), DictionaryDigest(attrs.get()));
}

}  // namespace
}  // namespace fanout
