// Copyright 2026 The fan-out engine authors.
//
// Feed-time lookups of standing alerts (DESIGN §6, §8): the active alerts
// holding a point, with 1,000 active (circles of 5-40 km at random over
// the continental US), from one and from two threads. Target: 5M
// lookups/s. Points are random over the same box (most hit no alert) or
// drawn inside an alert's circle (each hits at least one).

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "engine/standing_sink.h"

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

BENCHMARK(BM_Standing_LookupRandomPoint)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Standing_LookupInsideAlert)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
