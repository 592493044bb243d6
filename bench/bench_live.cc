// Copyright 2026 The fan-out engine authors.
//
// BM_LiveMerge: the live index's merge (engine/live_index.h, Merge):
// folding the updates of one merge cycle into a new base, alone on the
// machine, without the update stream and alerts a load test runs beside
// it. The index is the generated US population (bench_fixtures.h); each
// iteration applies a cycle's updates (untimed: moves of random users to random places in the
// US box, one in twenty a new user), freezes them into a run (untimed),
// then times Merge(). The first merges of an index make their bases in
// fresh pages; later ones in the pages of the base before last (the merge
// pool), as a long-running index does: two warm-up merges come first.
// Arguments: users, updates per merge. Real time (the merge runs on every
// core).
//
// BM_LiveApply: the writer path alone (LiveIndex::Apply with the cells
// computed by the caller, as the Engine does): batches of 1,000 updates
// drawn as in a merge cycle (and, one in eight, a user moved earlier in
// the same cycle again), on one thread, with no maintenance running. Each
// iteration is one cycle's updates (timed) then a freeze and a merge
// (untimed), so every cycle starts from a fresh base as a live index does.
// Arguments: users, updates per cycle. Items are updates.

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "bench/bench_fixtures.h"
#include "benchmark/benchmark.h"
#include "engine/live_index.h"
#include "engine/location_index.h"

namespace fanout {
namespace {

std::unique_ptr<LocationIndex> CopyOf(const LocationIndex& index) {
  const SortedRun run = index.run();
  return LocationIndex::FromTrustedColumns(
      std::vector<uint64_t>(run.cells.begin(), run.cells.end()),
      std::vector<uint64_t>(run.users.begin(), run.users.end()));
}

// One merge cycle's updates: moves of existing users (ids from the index)
// and, one in twenty, users new to it.
std::vector<LocationUpdate> CycleUpdates(std::mt19937_64& rng, const SortedRun& run, size_t n,
                                         uint64_t* next_new_user) {
  std::vector<LocationUpdate> out(n);
  for (size_t i = 0; i < n; ++i) {
    // The generated population's box: the contiguous US.
    const auto lat = static_cast<int32_t>(250000000 + rng() % 240000000);
    const auto lng = static_cast<int32_t>(-1250000000 + rng() % 580000000);
    const uint64_t user = i % 20 == 19 ? (*next_new_user)++ : run.users[rng() % run.size()];
    out[i] = LocationUpdate::Upsert({user, lat, lng});
  }
  return out;
}

// CycleUpdates, with one in eight of them moving again a user moved earlier
// in the cycle: users who report often have chains of updates.
std::vector<LocationUpdate> CycleWithRepeats(std::mt19937_64& rng, const SortedRun& run, size_t n,
                                             uint64_t* next_new_user) {
  std::vector<LocationUpdate> out = CycleUpdates(rng, run, n, next_new_user);
  for (size_t i = 1; i < n; ++i) {
    if (rng() % 8 == 0) out[i].location.user_id = out[rng() % i].user_id();
  }
  return out;
}

void ApplyCycle(benchmark::State& state, LiveIndex& live, std::mt19937_64& rng,
                const SortedRun& run, uint64_t* next_new_user) {
  const std::vector<LocationUpdate> updates =
      CycleUpdates(rng, run, static_cast<size_t>(state.range(1)), next_new_user);
  constexpr size_t kBatch = 1 << 16;
  for (size_t i = 0; i < updates.size(); i += kBatch) {
    const size_t n = std::min(kBatch, updates.size() - i);
    if (!live.Apply(absl::MakeConstSpan(updates).subspan(i, n)).ok()) {
      state.SkipWithError("Apply failed");
      return;
    }
  }
  live.Freeze();
}

// What both benchmarks start from: a live index over the generated
// population of state.range(0) users, without background threads, after
// two cycles merged (its base then in the pages of a merged base, huge
// pages, as after any merge or an Open, and the merge pool primed); `live`
// is null (the state skipped) if it cannot be made.
struct WarmLiveIndex {
  explicit WarmLiveIndex(benchmark::State& state)
      : run(bench::UsUsersIndex(static_cast<uint64_t>(state.range(0))).run()) {
    LiveIndex::Options options;
    options.background_maintenance = false;
    auto made = LiveIndex::Create(
        CopyOf(bench::UsUsersIndex(static_cast<uint64_t>(state.range(0)))), options);
    if (!made.ok()) {
      state.SkipWithError("Create failed");
      return;
    }
    live = *std::move(made);
    for (int warm_up = 0; warm_up < 2; ++warm_up) {
      ApplyCycle(state, *live, rng, run, &next_new_user);
      live->Merge();
    }
  }

  const SortedRun run;
  std::mt19937_64 rng{42};
  uint64_t next_new_user = uint64_t{1} << 62;  // above the generated ids
  std::unique_ptr<LiveIndex> live;
};

void BM_LiveMerge(benchmark::State& state) {
  WarmLiveIndex w(state);
  if (w.live == nullptr) return;
  for (auto _ : state) {
    state.PauseTiming();
    ApplyCycle(state, *w.live, w.rng, w.run, &w.next_new_user);
    state.ResumeTiming();
    w.live->Merge();
  }
  const LiveIndex::Stats st = w.live->GetStats();
  state.counters["base_entries"] = static_cast<double>(st.base_entries);
  state.counters["pooled_MB"] = static_cast<double>(st.pooled_bytes) / 1e6;
  // The longest a merge held the writer lock (its last replay and swap).
  state.counters["locked_ms_max"] = st.merge_locked_ms_max;
}
BENCHMARK(BM_LiveMerge)
    ->Args({2000000, 250000})
    ->Args({20000000, 2500000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Iterations(5);

void BM_LiveApply(benchmark::State& state) {
  WarmLiveIndex w(state);
  if (w.live == nullptr) return;
  const size_t n = static_cast<size_t>(state.range(1));
  constexpr size_t kBatch = 1000;
  for (auto _ : state) {
    state.PauseTiming();
    const std::vector<LocationUpdate> updates =
        CycleWithRepeats(w.rng, w.run, n, &w.next_new_user);
    std::vector<uint64_t> cells(n);
    for (size_t i = 0; i < n; ++i) cells[i] = updates[i].location.ToCellId().id();
    state.ResumeTiming();
    for (size_t i = 0; i < n; i += kBatch) {
      const size_t k = std::min(kBatch, n - i);
      if (!w.live->Apply(absl::MakeConstSpan(updates).subspan(i, k),
                         absl::MakeConstSpan(cells).subspan(i, k))
               .ok()) {
        state.SkipWithError("Apply failed");
        return;
      }
    }
    state.PauseTiming();
    w.live->Freeze();
    w.live->Merge();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
  const LiveIndex::Stats st = w.live->GetStats();
  state.counters["bytes_per_user"] =
      static_cast<double>(st.memory_bytes - st.pooled_bytes) / static_cast<double>(st.users);
}
BENCHMARK(BM_LiveApply)
    ->Args({2000000, 250000})
    ->Args({20000000, 1250000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
