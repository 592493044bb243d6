// Copyright 2026 The fan-out engine authors.
//
// The per-user cost of the scan's inner loop: the shard function and the
// scatter into per-shard buffers, swept over shard counts; and the write
// pass of the engine's scatter (ids into precomputed slices of 256 lists,
// both cores) against memcpy of the same bytes (the memory limit of
// DESIGN §6), with plain stores and with PutAhead's prefetch at several
// distances.

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/shard_policy.h"
#include "engine/internal/shard_scatter.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace {

std::vector<uint64_t> RandomIds(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> ids(n);
  for (auto& id : ids) id = rng();
  return ids;
}

void BM_Shard_FastMod(benchmark::State& state) {
  auto ids = RandomIds(1 << 16);
  ShardPolicy policy = *ShardPolicy::Create(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    uint64_t acc = 0;
    for (uint64_t id : ids) acc += policy.ShardOf(id);
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * ids.size());
}
BENCHMARK(BM_Shard_FastMod)->Arg(7)->Arg(256)->Arg(1000);

void BM_Shard_HardwareMod(benchmark::State& state) {
  auto ids = RandomIds(1 << 16);
  volatile uint32_t shards_v = static_cast<uint32_t>(state.range(0));
  uint32_t shards = shards_v;
  for (auto _ : state) {
    uint64_t acc = 0;
    for (uint64_t id : ids) acc += Mix64(id) % shards;
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * ids.size());
}
BENCHMARK(BM_Shard_HardwareMod)->Arg(7)->Arg(256)->Arg(1000);

void BM_Scatter_PushBack(benchmark::State& state) {
  auto ids = RandomIds(1 << 20);
  ShardPolicy policy = *ShardPolicy::Create(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    std::vector<std::vector<uint64_t>> buffers(policy.shards());
    for (uint64_t id : ids) buffers[policy.ShardOf(id)].push_back(id);
    benchmark::DoNotOptimize(buffers);
  }
  state.SetItemsProcessed(state.iterations() * ids.size());
}
BENCHMARK(BM_Scatter_PushBack)->Arg(1)->Arg(64)->Arg(256)->Arg(4096);

// 2^range(0) ids, far beyond the last-level cache, in work items of 2^18
// entries (the engine's chunk), scattered by their high byte into 256
// lists; each item's slice of each list is precomputed, as the engine's
// counting pass does.
class WritePass {
 public:
  static constexpr size_t kItem = size_t{1} << 18;
  static constexpr size_t kShards = 256;

  // One per size, made on first use and kept: the 2^27 one holds 2 GB.
  static WritePass& OfSize(int log2_ids) {
    static auto* made = new std::map<int, std::unique_ptr<WritePass>>;
    auto& slot = (*made)[log2_ids];
    if (slot == nullptr) slot.reset(new WritePass(size_t{1} << log2_ids));
    return *slot;
  }

  size_t ids() const { return ids_.size(); }
  size_t bytes() const { return ids_.size() * sizeof(uint64_t); }

  // Copies the ids once, item by item: what the memory limit assumes.
  void Memcpy() {
    tbb::parallel_for(size_t{0}, ids_.size() / kItem, [&](size_t w) {
      std::memcpy(out_.data() + w * kItem, ids_.data() + w * kItem, kItem * sizeof(uint64_t));
    });
  }

  // Runs `put(&at[shard], id)` for every id of every item, in parallel.
  template <typename Put>
  void Scatter(Put put) {
    tbb::parallel_for(size_t{0}, ids_.size() / kItem, [&](size_t w) {
      uint64_t* at[kShards];
      for (size_t s = 0; s < kShards; ++s) at[s] = out_.data() + offsets_[w * kShards + s];
      const uint64_t* first = ids_.data() + w * kItem;
      for (const uint64_t* id = first; id < first + kItem; ++id) put(&at[*id >> 56], *id);
    });
  }

  // Zeroes the output, so that AllWritten can tell a slot never written.
  void Clear() { std::fill(out_.begin(), out_.end(), 0); }
  // Whether the output holds every id (as a xor: one lost id changes it).
  bool AllWritten() const {
    uint64_t a = 0, b = 0;
    for (uint64_t id : ids_) a ^= id;
    for (uint64_t id : out_) b ^= id;
    return a == b;
  }

 private:
  explicit WritePass(size_t n) : ids_(RandomIds(n)), out_(n), offsets_(n / kItem * kShards) {
    const size_t items = n / kItem;
    for (size_t w = 0; w < items; ++w) {
      for (size_t i = w * kItem; i < (w + 1) * kItem; ++i) ++offsets_[w * kShards + (ids_[i] >> 56)];
    }
    uint64_t at = 0;
    for (size_t s = 0; s < kShards; ++s) {
      for (size_t w = 0; w < items; ++w) {
        const uint64_t c = offsets_[w * kShards + s];
        offsets_[w * kShards + s] = at;
        at += c;
      }
    }
  }

  std::vector<uint64_t> ids_;
  std::vector<uint64_t> out_;
  std::vector<uint64_t> offsets_;  // [w * kShards + s]: item w's slice of list s
};

void BM_WritePass_Memcpy(benchmark::State& state) {
  WritePass& pass = WritePass::OfSize(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    pass.Memcpy();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * pass.bytes());
}
BENCHMARK(BM_WritePass_Memcpy)->Arg(24)->Arg(27)->Unit(benchmark::kMillisecond)->UseRealTime();

// One plain store per id: the engine's pass 2 before PutAhead.
void BM_WritePass_PlainStores(benchmark::State& state) {
  WritePass& pass = WritePass::OfSize(static_cast<int>(state.range(0)));
  pass.Clear();
  for (auto _ : state) {
    pass.Scatter([](uint64_t** at, uint64_t id) { *(*at)++ = id; });
    benchmark::ClobberMemory();
  }
  if (!pass.AllWritten()) state.SkipWithError("an id was lost");
  state.SetBytesProcessed(state.iterations() * pass.bytes());
}
BENCHMARK(BM_WritePass_PlainStores)->Arg(24)->Arg(27)->Unit(benchmark::kMillisecond)->UseRealTime();

// The engine's pass 2 (internal::PutAhead), prefetching kAheadIds ahead.
template <int kAheadIds>
void BM_WritePass_PutAhead(benchmark::State& state) {
  WritePass& pass = WritePass::OfSize(static_cast<int>(state.range(0)));
  pass.Clear();
  for (auto _ : state) {
    pass.Scatter([](uint64_t** at, uint64_t id) { internal::PutAhead<kAheadIds>(at, id); });
    benchmark::ClobberMemory();
  }
  if (!pass.AllWritten()) state.SkipWithError("an id was lost");
  state.SetBytesProcessed(state.iterations() * pass.bytes());
}
BENCHMARK_TEMPLATE(BM_WritePass_PutAhead, 8)->Arg(24)->Arg(27)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_WritePass_PutAhead, 16)->Arg(24)->Arg(27)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_WritePass_PutAhead, 32)->Arg(24)->Arg(27)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_WritePass_PutAhead, 64)->Arg(24)->Arg(27)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
