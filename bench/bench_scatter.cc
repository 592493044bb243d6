// Copyright 2026 The fan-out engine authors.
//
// The per-user cost of the scan's inner loop: the shard function and the
// scatter into per-shard buffers, swept over shard counts.

#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/shard_policy.h"

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

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
