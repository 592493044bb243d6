// Copyright 2026 The fan-out engine authors.
//
// Covering an alert area with S2 cells, swept over the coverer's cell budget.

#include "benchmark/benchmark.h"
#include "bench/bench_fixtures.h"
#include "geo/area_covering.h"

namespace fanout {
namespace {

void CoverStandardArea(benchmark::State& state, const char* name) {
  const AlertArea& area = bench::StandardArea(name);
  CoveringOptions options;
  options.max_cells = static_cast<int>(state.range(0));
  size_t cells = 0;
  for (auto _ : state) {
    AreaCovering covering = CoverArea(area, options);
    cells = covering.interior.num_cells() + covering.boundary.num_cells();
    benchmark::DoNotOptimize(cells);
  }
  state.counters["cells"] = static_cast<double>(cells);
}

void BM_Covering_County(benchmark::State& state) { CoverStandardArea(state, "county"); }
void BM_Covering_State(benchmark::State& state) { CoverStandardArea(state, "state"); }
void BM_Covering_Circle(benchmark::State& state) { CoverStandardArea(state, "circle"); }

BENCHMARK(BM_Covering_County)->RangeMultiplier(4)->Range(16, 1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Covering_State)->RangeMultiplier(4)->Range(16, 1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Covering_Circle)->RangeMultiplier(4)->Range(16, 1024)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
