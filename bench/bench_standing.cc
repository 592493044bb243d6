// Copyright 2026 The fan-out engine authors.
//
// Feed-time lookups of standing alerts (DESIGN §6, §8): the active alerts
// holding a point, with 1,000 active (circles of 5-40 km at random over
// the continental US), from one and from two threads. Target: 5M
// lookups/s. Points are random over the same box (most hit no alert) or
// drawn inside an alert's circle (each hits at least one).
//
// The update path's check (BM_Standing_CollectHits): the load test's
// standing alerts (polygons of 25-50 and 5-40 km and circles of 2-20 km at
// random generated users' homes), and batches of 1,000 updates that move
// generated users up to 300 m from home, as the load test moves them;
// ns per update of StandingIndex::CollectHits given the leaf cells, with
// the covering refined to level Arg(1) with at most Arg(2) boundary cells
// an area (Arg(1) = 0: CoverArea's 64 cells only);
// BM_Standing_CollectHitsCoarse: the same with the engine's coverings and
// the index's coarse table at level Arg(0). BM_Standing_CheckBatch:
// the whole check of those batches (the area tests, then the delivered
// records), without and with the previous cells that let it skip the
// record of a user who was already inside.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/data_dir.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "engine/internal/standing_index.h"
#include "engine/internal/standing_tracker.h"
#include "engine/standing_sink.h"
#include "sim/loadtest.h"
#include "sim/population_generator.h"

namespace fanout {
namespace {

class NullSink : public StandingSink {
 public:
  absl::Status Deliver(const DeliveryLists&, const AlertSummary&) override { return absl::OkStatus(); }
  absl::Status DeliverLate(absl::string_view, LateReason,
                           const std::vector<std::vector<LateUser>>&) override {
    return absl::OkStatus();
  }
};

struct Fixture {
  std::string dir;
  std::unique_ptr<Engine> engine;
  std::vector<std::pair<int32_t, int32_t>> random_points, inside_points;

  explicit Fixture(int alerts) {
    dir = (std::filesystem::temp_directory_path() / absl::StrCat("bench-standing-", ::getpid())).string();
    std::filesystem::remove_all(dir);
    EngineOptions options;
    options.create_if_missing = true;
    options.sync = SyncPolicy::kNone;
    engine = Engine::Open(dir, options).value();
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> lat(25, 49), lng(-124, -67), km(5, 40);
    auto sink = std::make_shared<NullSink>();
    for (int i = 0; i < alerts; ++i) {
      const double la = lat(rng), ln = lng(rng);
      StandingRequest r;
      r.id = absl::StrCat("alert-", i);
      r.alert.text = absl::StrFormat("%.5f,%.5f %.2f", la, ln, km(rng));
      r.alert.format = AlertFormat::kCircle;
      if (!engine->IssueStanding(r, sink).ok()) std::abort();
      inside_points.push_back({static_cast<int32_t>(la * 1e7), static_cast<int32_t>(ln * 1e7)});
    }
    for (int i = 0; i < (1 << 16); ++i) {
      random_points.push_back({static_cast<int32_t>(lat(rng) * 1e7), static_cast<int32_t>(lng(rng) * 1e7)});
    }
  }
  ~Fixture() {
    engine.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture* f = new Fixture(1000);
  return *f;
}

void Run(benchmark::State& state, const std::vector<std::pair<int32_t, int32_t>>& points) {
  Engine& engine = *Shared().engine;
  std::vector<std::string> ids;
  size_t i = static_cast<size_t>(state.thread_index()) * 7919, hits = 0;
  for (auto _ : state) {
    const auto& p = points[i++ % points.size()];
    ids.clear();
    hits += engine.ActiveAlertsAt(p.first, p.second, &ids);
    benchmark::DoNotOptimize(ids.data());
  }
  state.counters["lookups_per_s"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
  state.counters["hits_per_lookup"] = static_cast<double>(hits) / state.iterations();
}

void BM_Standing_LookupRandomPoint(benchmark::State& state) { Run(state, Shared().random_points); }
void BM_Standing_LookupInsideAlert(benchmark::State& state) { Run(state, Shared().inside_points); }

// The load test's K standing areas and a pool of moved users' updates.
struct UpdatePathFixture {
  std::vector<std::shared_ptr<const internal::ActiveArea>> areas;  // as the engine builds them
  std::vector<internal::StandingRecipe> recipes;
  std::vector<UserRecord> home;
  std::vector<LocationUpdate> updates;
  std::vector<uint64_t> cells;
  // Per update: the cell its user was at before it (the last update of the
  // same user earlier in the pool, or home), as LiveIndex::Apply reports.
  std::vector<uint64_t> previous;

  explicit UpdatePathFixture(int k) {
    auto cities = LoadCities(FindDataFile("cities.csv").value()).value();
    auto generator = PopulationGenerator::Create(cities, Region::kUs, 42).value();
    home = generator->GenerateAll(200000, false);
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < k; ++i) {
      const UserRecord& h = home[rng() % home.size()];
      internal::StandingRecipe recipe;
      recipe.id = absl::StrCat("a", i);
      recipe.format = static_cast<uint8_t>(i % 3 == 2 ? AlertFormat::kCircle : AlertFormat::kPolygon);
      recipe.text = i % 3 == 0   ? RandomPolygonText(rng, h.lat(), h.lng(), 25, 50)
                    : i % 3 == 1 ? RandomPolygonText(rng, h.lat(), h.lng(), 5, 40)
                                 : absl::StrFormat("%.7f,%.7f %.2f", h.lat(), h.lng(), 2 + 18 * u(rng));
      areas.push_back(internal::BuildActiveArea(recipe).value());
      recipes.push_back(recipe);
    }
    std::uniform_real_distribution<double> step(-0.003, 0.003);
    for (int i = 0; i < (1 << 18); ++i) {
      const UserRecord& h = home[rng() % home.size()];
      updates.push_back(LocationUpdate::Upsert(
          UserRecord::FromDegrees(h.user_id, h.lat() + step(rng), h.lng() + step(rng))));
      cells.push_back(updates.back().location.ToCellId().id());
    }
    absl::flat_hash_map<uint64_t, uint64_t> at;
    for (const UserRecord& h : home) at[h.user_id] = h.ToCellId().id();
    for (size_t i = 0; i < updates.size(); ++i) {
      uint64_t& c = at[updates[i].user_id()];
      previous.push_back(c);
      c = cells[i];
    }
  }
};

// The timed loop of the CollectHits benchmarks: the fixture's updates in
// batches of 1,000, with ns per update and hits per update as counters.
void CollectHitsInBatches(benchmark::State& state, const UpdatePathFixture& f,
                          const internal::StandingIndex& index) {
  std::vector<internal::StandingIndex::Hit> hits;
  constexpr size_t kBatch = 1000;
  size_t at = 0, n = 0, hit = 0;
  for (auto _ : state) {
    if (at + kBatch > f.updates.size()) at = 0;
    index.CollectHits(absl::MakeConstSpan(f.updates).subspan(at, kBatch),
                      absl::MakeConstSpan(f.cells).subspan(at, kBatch), &hits);
    at += kBatch, n += kBatch, hit += hits.size();
  }
  state.counters["ns_per_update"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["hits_per_update"] = static_cast<double>(hit) / static_cast<double>(n);
}

void BM_Standing_CollectHits(benchmark::State& state) {
  static UpdatePathFixture* f = new UpdatePathFixture(100);
  std::vector<std::shared_ptr<const internal::ActiveArea>> areas;
  for (const auto& a : f->areas) {
    auto copy = std::make_shared<internal::ActiveArea>(*a);
    CoveringOptions covering;
    covering.max_cells = 64;
    copy->covering = CoverArea(*copy->area, covering);
    if (state.range(0) > 0) {
      internal::RefineForPoints(*copy->area, static_cast<int>(state.range(0)),
                                static_cast<size_t>(state.range(1)), &copy->covering);
    }
    areas.push_back(std::move(copy));
  }
  auto index = internal::StandingIndex::Build(std::move(areas));
  CollectHitsInBatches(state, *f, *index);
  state.counters["intervals"] = static_cast<double>(index->intervals());
  state.counters["index_kib"] = static_cast<double>(index->memory_bytes()) / 1024;
}
// StandingIndex::CollectHits as above with the engine's coverings, the
// coarse table's cells at level Arg(0) (StandingIndex::Build).
void BM_Standing_CollectHitsCoarse(benchmark::State& state) {
  static UpdatePathFixture* f = new UpdatePathFixture(100);
  auto index = internal::StandingIndex::Build(f->areas, static_cast<int>(state.range(0)));
  CollectHitsInBatches(state, *f, *index);
  state.counters["coarse_cells"] = static_cast<double>(index->coarse_cells());
  state.counters["index_kib"] = static_cast<double>(index->memory_bytes()) / 1024;
}
BENCHMARK(BM_Standing_CollectHitsCoarse)->DenseRange(6, 14, 2)->Unit(benchmark::kMicrosecond);

// The whole check of the update path at K = 100 (the engine's coverings):
// StandingTracker::PrecheckBatch (off the lock) and OnApplied (under it:
// the delivered-record probes), for batches of 1,000 moves of users, the
// records holding everyone inside at home (the initial lists) and everyone
// handed since. Arg(0) = 1: OnApplied is given each update's previous cell
// (the shortcut skips the probe for users who were in the same interior
// interval); 0: not (every hit probed).
void BM_Standing_CheckBatch(benchmark::State& state) {
  static UpdatePathFixture* f = new UpdatePathFixture(100);
  const bool with_previous = state.range(0) != 0;
  const std::string dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("bench-check-", ::getpid())).string();
  internal::StandingTracker tracker(dir, [] { return absl::Now(); },
                                    false);  // never opened: no journal
  auto sink = std::make_shared<NullSink>();
  auto index = internal::StandingIndex::Build(f->areas);
  std::vector<LocationUpdate> homes;
  for (const UserRecord& h : f->home) homes.push_back(LocationUpdate::Upsert(h));
  std::vector<internal::StandingIndex::Hit> hits;
  index->CollectHits(homes, {}, &hits);
  std::vector<DeliveryLists> initial(f->areas.size());
  for (auto& l : initial) l.shards.resize(1);
  for (const auto& h : hits) initial[h.slot].shards[0].push_back(homes[h.k].user_id());
  for (size_t i = 0; i < f->areas.size(); ++i) {
    if (!tracker.Register(f->recipes[i], f->areas[i], sink).ok()) std::abort();
    AlertSummary summary;
    if (!tracker.CompleteScan(f->recipes[i].id, initial[i], 0, true, &summary,
                              LateReason::kEntered).ok()) {
      std::abort();
    }
  }
  constexpr size_t kBatch = 1000;
  internal::StandingTracker::Precheck pre;
  internal::StandingTracker::Handoff handoff;
  size_t at = 0, n = 0;
  uint64_t seq = 1;
  auto batch = [&] {
    if (at + kBatch > f->updates.size()) at = 0;
    const auto updates = absl::MakeConstSpan(f->updates).subspan(at, kBatch);
    const auto cells = absl::MakeConstSpan(f->cells).subspan(at, kBatch);
    tracker.PrecheckBatch(updates, &pre, cells);
    if (!tracker.OnApplied(updates, seq, &pre, &handoff, cells,
                           with_previous ? absl::MakeConstSpan(f->previous).subspan(at, kBatch)
                                         : absl::Span<const uint64_t>())
             .ok()) {
      std::abort();
    }
    handoff.items.clear();
    at += kBatch, seq += kBatch;
  };
  for (size_t i = 0; i < f->updates.size() / kBatch; ++i) batch();  // to the steady state
  const auto before = tracker.GetStats();
  for (auto _ : state) batch(), n += kBatch;
  const auto after = tracker.GetStats();
  state.counters["ns_per_update"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["hits_per_update"] = static_cast<double>(after.hits - before.hits) / static_cast<double>(n);
  state.counters["skipped_per_update"] =
      static_cast<double>(after.probes_skipped - before.probes_skipped) / static_cast<double>(n);
  state.counters["late_per_update"] = static_cast<double>(after.late - before.late) / static_cast<double>(n);
}
BENCHMARK(BM_Standing_CheckBatch)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_Standing_CollectHits)
    ->Args({0, 0})
    ->Args({14, 256})
    ->Args({16, 512})
    ->Args({16, 1024})
    ->Args({16, 2048})
    ->Args({18, 4096})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_Standing_LookupRandomPoint)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Standing_LookupInsideAlert)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
