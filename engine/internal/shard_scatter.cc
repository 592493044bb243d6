// Copyright 2026 The fan-out engine authors.

#include "engine/internal/shard_scatter.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

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
      slices->push_back(ScanRange{b, b + take, r.needs_test, r.source});
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

namespace {

using Filter = ScanSource::Filter;

// Calls body(visible) with the source's visibility test as a lambda the
// compiler can inline into each loop: the static index (kAll) pays nothing.
template <typename Body>
void WithVisibility(const ScanSource& src, Body&& body) {
  switch (src.filter) {
    case Filter::kAll:
      return body([](size_t) { return true; });
    case Filter::kBase: {
      const std::atomic<uint32_t>* moved = src.moved_at;
      const uint32_t limit = src.moved_limit;
      return body([moved, limit](size_t i) {
        return moved[i].load(std::memory_order_relaxed) > limit;
      });
    }
    case Filter::kDelta:
      return body([&src](size_t i) { return src.Visible(i); });
    case Filter::kFresh: {
      const uint32_t* updated = src.updated_at;
      const uint64_t cutoff = src.fresh_cutoff;
      return body([updated, cutoff](size_t i) { return IsFresh(updated[i], cutoff); });
    }
  }
}

// Calls body(shard_of) with the entry -> shard function as a lambda of
// (index, user id): a masked byte of the run's hash column where the policy
// allows it (shard_policy.h, UsesMixLowByte), else the policy's hash.
template <typename Body>
void WithShardOf(const ScanSource& src, const ShardPolicy& policy, Body&& body) {
  if (policy.UsesMixLowByte() && !src.run.mix_low.empty()) {
    const uint8_t* mix_low = src.run.mix_low.data();
    const uint32_t mask = policy.mix_low_mask();
    return body([mix_low, mask](size_t i, uint64_t) { return mix_low[i] & mask; });
  }
  return body([&policy](size_t, uint64_t user) { return policy.ShardOf(user); });
}

// Whether CountByBlocks may count an untested slice of `src`: every entry
// visible, and a run that keeps hash bytes and block counts under a policy
// they serve.
bool CanCountByBlocks(const ScanSource& src, const ShardPolicy& policy) {
  return src.filter == ScanSource::Filter::kAll && policy.UsesMixLowByte() &&
         !src.run.mix_low_blocks.empty();
}

// Counts by shard the entries [begin, end) of a run that keeps hash bytes
// and their block counts, all visible: whole blocks by their counts, the
// rest entry by entry. REQUIRES: CanCountByBlocks.
void CountByBlocks(const SortedRun& run, size_t begin, size_t end, uint32_t mask,
                   uint64_t* count) {
  constexpr size_t kBlock = SortedRun::kMixBlock;
  const uint8_t* mix_low = run.mix_low.data();
  size_t first = (begin + kBlock - 1) / kBlock, last = end / kBlock;
  if (first >= last) {
    for (size_t i = begin; i < end; ++i) ++count[mix_low[i] & mask];
    return;
  }
  for (size_t i = begin; i < first * kBlock; ++i) ++count[mix_low[i] & mask];
  for (size_t b = first; b < last; ++b) {
    const uint16_t* block = run.mix_low_blocks.data() + b * 256;
    if (mask == 255) {
      for (uint32_t v = 0; v < 256; ++v) count[v] += block[v];
    } else {
      for (uint32_t v = 0; v < 256; ++v) count[v & mask] += block[v];
    }
  }
  for (size_t i = last * kBlock; i < end; ++i) ++count[mix_low[i] & mask];
}

}  // namespace

void ScatterByShard(absl::Span<const ScanSource> sources, const std::vector<ScanRange>& slices,
                    const std::vector<WorkItem>& items, const AlertArea& area,
                    const ShardPolicy& policy, DeliveryLists* lists_out,
                    const std::function<void()>& between_passes,
                    std::vector<UserIdList>* cells_out, std::vector<UserIdList>* positions_out) {
  const size_t shards = policy.shards();
  const size_t n_items = items.size();

  // Pass 1: counts[w * shards + s], and the answers of the exact tests.
  std::vector<uint64_t> counts(n_items * shards, 0);
  std::vector<std::vector<uint8_t>> inside(n_items);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n_items, 1), [&](const auto& r) {
    AreaPointTester tester(area);
    for (size_t w = r.begin(); w < r.end(); ++w) {
      uint64_t* count = counts.data() + w * shards;
      for (size_t s = items[w].first; s < items[w].last; ++s) {
        const ScanRange& slice = slices[s];
        const ScanSource& src = sources[slice.source];
        const uint64_t* users = src.run.users.data();
        const uint64_t* cells = src.run.cells.data();
        if (!slice.needs_test && CanCountByBlocks(src, policy)) {
          CountByBlocks(src.run, slice.begin, slice.end, policy.mix_low_mask(), count);
          continue;
        }
        WithShardOf(src, policy, [&](auto shard_of) {
          WithVisibility(src, [&](auto visible) {
            if (!slice.needs_test) {
              // Added, not branched on: a filter may hide entries in no
              // predictable order (kFresh); for kAll it is a constant 1.
              for (size_t i = slice.begin; i < slice.end; ++i) {
                count[shard_of(i, users[i])] += visible(i);
              }
              return;
            }
            for (size_t i = slice.begin; i < slice.end; ++i) {
              bool in = visible(i) && tester.Contains(S2CellId(cells[i]));
              inside[w].push_back(in);
              if (in) ++count[shard_of(i, users[i])];
            }
          });
        });
      }
    }
  });
  if (between_passes) between_passes();

  // Exclusive scan over items, per shard: counts become start offsets.
  DeliveryLists& lists = *lists_out;
  lists.shards.resize(shards);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, shards), [&](const auto& r) {
    for (size_t s = r.begin(); s < r.end(); ++s) {
      uint64_t total = 0;
      for (size_t w = 0; w < n_items; ++w) {
        uint64_t c = counts[w * shards + s];
        counts[w * shards + s] = total;
        total += c;
      }
      // Not zero-filled (UserIdList): pass 2 writes every element. A list
      // whose capacity falls short gets new memory, though, fresh from the
      // kernel: touch one word per page of it now, so that its pages fault
      // in here, page after page, rather than in the middle of pass 2's
      // scattered writes (which made a nation-wide alert slower than
      // zero-filling did: bench/README.md, "Figures behind engine
      // comments"). A list whose capacity suffices
      // keeps its pages, faulted in already, and is not touched. The old
      // ids are dropped first, so that a list that grows is not copied.
      UserIdList& list = lists.shards[s];
      const bool fresh = list.capacity() < total;
      list.clear();
      list.resize(total);
      constexpr size_t kWordsPerPage = 4096 / sizeof(uint64_t);
      if (fresh) {
        for (size_t i = 0; i < total; i += kWordsPerPage) list[i] = 0;
      }
    }
  });

  // Pass 2: every item writes its users into its own slice of each list
  // (and, when asked, their cells into the same slice of each cell list).
  for (std::vector<UserIdList>* beside : {cells_out, positions_out}) {
    if (beside == nullptr) continue;
    beside->resize(shards);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, shards), [&](const auto& r) {
      for (size_t s = r.begin(); s < r.end(); ++s) {
        (*beside)[s].clear();
        (*beside)[s].resize(lists.shards[s].size());
      }
    });
  }
  auto pass2 = [&](auto keep_cells, auto keep_positions) {
    constexpr bool kKeepCells = decltype(keep_cells)::value;
    constexpr bool kKeepPositions = decltype(keep_positions)::value;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n_items, 1), [&](const auto& r) {
      std::vector<uint64_t*> out(shards);
      std::vector<uint64_t*> out_cells(kKeepCells ? shards : 0);
      std::vector<uint64_t*> out_positions(kKeepPositions ? shards : 0);
      for (size_t w = r.begin(); w < r.end(); ++w) {
        const uint64_t* offset = counts.data() + w * shards;
        for (size_t s = 0; s < shards; ++s) out[s] = lists.shards[s].data() + offset[s];
        if constexpr (kKeepCells) {
          for (size_t s = 0; s < shards; ++s) out_cells[s] = (*cells_out)[s].data() + offset[s];
        }
        if constexpr (kKeepPositions) {
          for (size_t s = 0; s < shards; ++s) {
            out_positions[s] = (*positions_out)[s].data() + offset[s];
          }
        }
        size_t tested = 0;
        for (size_t s = items[w].first; s < items[w].last; ++s) {
          const ScanRange& slice = slices[s];
          const ScanSource& src = sources[slice.source];
          const uint64_t* users = src.run.users.data();
          const uint64_t* cells = src.run.cells.data();
          WithShardOf(src, policy, [&](auto shard_of) {
            auto put = [&](size_t i) {
              const uint32_t shard = shard_of(i, users[i]);
              if constexpr (kKeepCells) *out_cells[shard]++ = cells[i];
              if constexpr (kKeepPositions) *out_positions[shard]++ = i;
              PutAhead(&out[shard], users[i]);
            };
            if (slice.needs_test) {
              for (size_t i = slice.begin; i < slice.end; ++i) {
                if (inside[w][tested++]) put(i);
              }
              return;
            }
            WithVisibility(src, [&](auto visible) {
              for (size_t i = slice.begin; i < slice.end; ++i) {
                if (visible(i)) put(i);
              }
            });
          });
        }
      }
    });
  };
  if (positions_out != nullptr) {
    if (cells_out != nullptr) {
      pass2(std::true_type(), std::true_type());
    } else {
      pass2(std::false_type(), std::true_type());
    }
  } else if (cells_out != nullptr) {
    pass2(std::true_type(), std::false_type());
  } else {
    pass2(std::false_type(), std::false_type());
  }
}

}  // namespace internal
}  // namespace fanout
