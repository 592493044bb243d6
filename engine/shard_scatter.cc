// Copyright 2026 The fan-out engine authors.

#include "engine/shard_scatter.h"

#include <algorithm>
#include <cstdint>

#include "geo/area_point_tester.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "s2/s2cell_id.h"

namespace fanout {
namespace internal {

void SplitWork(const std::vector<ScanRange>& plan, size_t chunk, std::vector<ScanRange>* slices,
               std::vector<WorkItem>* items) {
  size_t in_item = 0;
  size_t item_first = 0;
  for (const ScanRange& r : plan) {
    size_t b = r.begin;
    while (b < r.end) {
      size_t take = std::min(r.end - b, chunk - in_item);
      slices->push_back(ScanRange{b, b + take, r.needs_test});
      b += take;
      in_item += take;
      if (in_item == chunk) {
        items->push_back(WorkItem{item_first, slices->size()});
        item_first = slices->size();
        in_item = 0;
      }
    }
  }
  if (item_first < slices->size()) items->push_back(WorkItem{item_first, slices->size()});
}

DeliveryLists ScatterByShard(const SortedRun& run, const std::vector<ScanRange>& slices,
                             const std::vector<WorkItem>& items, const AlertArea& area,
                             const ShardPolicy& policy) {
  const size_t shards = policy.shards();
  const size_t n_items = items.size();
  const uint64_t* users = run.users.data();
  const uint64_t* cells = run.cells.data();

  // Pass 1: counts[w * shards + s], and the answers of the exact tests.
  std::vector<uint64_t> counts(n_items * shards, 0);
  std::vector<std::vector<uint8_t>> inside(n_items);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n_items, 1), [&](const auto& r) {
    AreaPointTester tester(area);
    for (size_t w = r.begin(); w < r.end(); ++w) {
      uint64_t* count = counts.data() + w * shards;
      for (size_t s = items[w].first; s < items[w].last; ++s) {
        const ScanRange& slice = slices[s];
        if (!slice.needs_test) {
          for (size_t i = slice.begin; i < slice.end; ++i) ++count[policy.ShardOf(users[i])];
          continue;
        }
        for (size_t i = slice.begin; i < slice.end; ++i) {
          bool in = tester.Contains(S2CellId(cells[i]));
          inside[w].push_back(in);
          if (in) ++count[policy.ShardOf(users[i])];
        }
      }
    }
  });

  // Exclusive scan over items, per shard: counts become start offsets.
  DeliveryLists lists;
  lists.shards.resize(shards);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, shards), [&](const auto& r) {
    for (size_t s = r.begin(); s < r.end(); ++s) {
      uint64_t total = 0;
      for (size_t w = 0; w < n_items; ++w) {
        uint64_t c = counts[w * shards + s];
        counts[w * shards + s] = total;
        total += c;
      }
      lists.shards[s].resize(total);
    }
  });

  // Pass 2: every item writes its users into its own slice of each list.
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n_items, 1), [&](const auto& r) {
    std::vector<uint64_t*> out(shards);
    for (size_t w = r.begin(); w < r.end(); ++w) {
      const uint64_t* offset = counts.data() + w * shards;
      for (size_t s = 0; s < shards; ++s) out[s] = lists.shards[s].data() + offset[s];
      size_t tested = 0;
      for (size_t s = items[w].first; s < items[w].last; ++s) {
        const ScanRange& slice = slices[s];
        if (!slice.needs_test) {
          for (size_t i = slice.begin; i < slice.end; ++i) {
            *out[policy.ShardOf(users[i])]++ = users[i];
          }
          continue;
        }
        for (size_t i = slice.begin; i < slice.end; ++i) {
          if (inside[w][tested++]) *out[policy.ShardOf(users[i])]++ = users[i];
        }
      }
    }
  });
  return lists;
}

}  // namespace internal
}  // namespace fanout
