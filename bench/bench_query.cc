// Copyright 2026 The fan-out engine authors.
//
// Whole alerts (cover, plan, scan, merge; lists in memory) over generated US
// populations, and the pieces that dominate them: range planning and
// boundary point tests. Arguments: users, covering max_cells,
// refine_min_entries.

#include "benchmark/benchmark.h"
#include "bench/bench_fixtures.h"
#include "engine/alert_executor.h"
#include "engine/internal/alert_executor_peer.h"
#include "geo/area_point_tester.h"
#include "geo/cell_center.h"

namespace fanout {
namespace {

void RunAlert(benchmark::State& state, const char* name) {
  const LocationIndex& index = bench::UsUsersIndex(static_cast<uint64_t>(state.range(0)));
  const AlertArea& area = bench::StandardArea(name);
  AlertExecutor::Options options;
  options.shards = 256;
  options.covering.max_cells = static_cast<int>(state.range(1));
  options.refine_min_entries = static_cast<size_t>(state.range(2));
  AlertExecutor executor(index, options);
  AlertSummary summary;
  for (auto _ : state) {
    auto lists = executor.Execute(area, &summary);
    benchmark::DoNotOptimize(lists);
  }
  state.counters["matched"] = static_cast<double>(summary.matched);
  state.counters["tested"] = static_cast<double>(summary.tested_entries);
  state.counters["cover_ms"] = summary.timings.cover_ms;
  state.counters["plan_ms"] = summary.timings.plan_ms;
  state.counters["scan_ms"] = summary.timings.scan_ms;
}

void BM_Alert_County(benchmark::State& state) { RunAlert(state, "county"); }
void BM_Alert_State(benchmark::State& state) { RunAlert(state, "state"); }
void BM_Alert_Circle(benchmark::State& state) { RunAlert(state, "circle"); }
void BM_Alert_Texas9(benchmark::State& state) { RunAlert(state, "texas9"); }
void BM_Alert_Nation(benchmark::State& state) { RunAlert(state, "nation"); }

void Sweep(benchmark::internal::Benchmark* b) {
  b->ArgNames({"users", "max_cells", "refine"});
  for (int64_t users : {1000000, 10000000}) {
    for (int64_t cells : {16, 32, 128, 512}) {
      for (int64_t refine : {8, 32, 128, 1024}) b->Args({users, cells, refine});
    }
  }
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Alert_County)->Apply(Sweep);
BENCHMARK(BM_Alert_State)->Apply(Sweep);

// The refinement threshold where users are dense (50M and 170M users).
void DenseSweep(benchmark::internal::Benchmark* b) {
  b->ArgNames({"users", "max_cells", "refine"});
  for (int64_t users : {50000000, 170000000}) {
    for (int64_t refine : {4, 8, 16, 32, 64}) b->Args({users, 32, refine});
  }
  b->Unit(benchmark::kMillisecond);
}
void BM_AlertDense_County(benchmark::State& state) { RunAlert(state, "county"); }
void BM_AlertDense_State(benchmark::State& state) { RunAlert(state, "state"); }
BENCHMARK(BM_AlertDense_County)->Apply(DenseSweep);
BENCHMARK(BM_AlertDense_State)->Apply(DenseSweep);

BENCHMARK(BM_Alert_Circle)->Apply(Sweep);
BENCHMARK(BM_Alert_Texas9)->Apply(Sweep);
BENCHMARK(BM_Alert_Nation)->Args({1000000, 32, 32})->Args({10000000, 32, 32})->Unit(benchmark::kMillisecond);

// The brute-force baseline: every user tested.
void BM_Alert_BruteForceTexas9(benchmark::State& state) {
  const LocationIndex& index = bench::UsUsersIndex(static_cast<uint64_t>(state.range(0)));
  const AlertArea& area = bench::StandardArea("texas9");
  ShardPolicy policy = *ShardPolicy::Create(256);
  for (auto _ : state) benchmark::DoNotOptimize(BruteForceScan(index, area, policy));
}
BENCHMARK(BM_Alert_BruteForceTexas9)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fanout


namespace fanout {
namespace {

// Exact tests of the points that a state alert's plan marks for testing:
// AreaPointTester (locality cache) against AlertArea::Contains, one thread.
std::vector<uint64_t> BoundaryCells(const char* name) {
  const LocationIndex& index = bench::UsUsersIndex(10000000);
  const AlertArea& area = bench::StandardArea(name);
  AlertExecutor::Options options;
  options.refine_min_entries = 1024;
  AlertExecutor executor(index, options);
  std::vector<uint64_t> cells;
  for (const internal::ScanRange& r :
       internal::AlertExecutorPeer::Plan(executor, area, CoverArea(area, options.covering))) {
    if (!r.needs_test) continue;
    for (size_t i = r.begin; i < r.end; ++i) cells.push_back(index.run().cells[i]);
  }
  return cells;
}

// The state alert's boundary cells, planned once for every benchmark below.
const std::vector<uint64_t>& StateBoundaryCells() {
  static const auto* cells = new std::vector<uint64_t>(BoundaryCells("state"));
  return *cells;
}

void BM_PointTest_AreaContains(benchmark::State& state) {
  const std::vector<uint64_t>& cells = StateBoundaryCells();
  const AlertArea& area = bench::StandardArea("state");
  for (auto _ : state) {
    size_t in = 0;
    for (uint64_t c : cells) in += area.Contains(S2CellId(c).ToPoint());
    benchmark::DoNotOptimize(in);
  }
  state.SetItemsProcessed(state.iterations() * cells.size());
}
BENCHMARK(BM_PointTest_AreaContains)->Unit(benchmark::kMillisecond);

void BM_PointTest_Tester(benchmark::State& state) {
  const std::vector<uint64_t>& cells = StateBoundaryCells();
  const AlertArea& area = bench::StandardArea("state");
  for (auto _ : state) {
    AreaPointTester tester(area);
    size_t in = 0;
    for (uint64_t c : cells) in += tester.Contains(S2CellId(c));
    benchmark::DoNotOptimize(in);
  }
  state.SetItemsProcessed(state.iterations() * cells.size());
}
BENCHMARK(BM_PointTest_Tester)->Unit(benchmark::kMillisecond);

// Where every exact test starts: a user's leaf cell id as a unit vector,
// by libs2 (S2CellId::ToPoint) and by CellCenter (the same bits).
template <S2Point (*kToPoint)(S2CellId)>
void BM_PointTest_Centre(benchmark::State& state) {
  const std::vector<uint64_t>& cells = StateBoundaryCells();
  for (auto _ : state) {
    double sum = 0;
    for (uint64_t c : cells) sum += kToPoint(S2CellId(c)).x();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * cells.size());
}
S2Point S2ToPoint(S2CellId id) { return id.ToPoint(); }
BENCHMARK_TEMPLATE(BM_PointTest_Centre, S2ToPoint)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_PointTest_Centre, CellCenter)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
