// Copyright 2026 The fan-out engine authors.
//
// User attributes in the Engine (engine.h, Engine::Apply "User
// attributes"): the update path with and without them, and an Engine
// alert's --max-age / --by-info over a live index with them. Each engine
// is made once per process in $TMPDIR (default /tmp) from the generated US
// users (bench_fixtures.h), sync none, maintenance running.
// Arguments: Apply: users, attributes (0: none in the engine or the
// updates; 1: lang + updated_at in both); Alert: users, mode (0 plain,
// 1 max_age 6h, 2 by_info, 3 both), over Texas (1M users) or the nation
// (10M users).

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_fixtures.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "engine/user_attributes.h"

namespace fanout {
namespace {

constexpr int64_t kAsOf = 1777662300;  // 2026-05-01T14:05-05:00
const char* const kTags[] = {"en-US", "es-US", "zh-CN", "vi-VN"};

struct BenchEngine {
  std::string dir;
  std::unique_ptr<Engine> engine;
  std::vector<uint64_t> users;
  std::vector<UserRecord> places;  // locations to move users to
  std::vector<uint8_t> codes;      // the engine's codes of kTags
  double open_live_bytes = 0, open_attribute_bytes = 0;  // per user, right after Open
  ~BenchEngine() {
    engine.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

// Ages spread over 14 days before kAsOf: about 2% of the users are fresher
// than 6 hours (the figure is the cost, not the counts).
uint32_t RandomAge(std::mt19937_64* rng) {
  return static_cast<uint32_t>(kAsOf - static_cast<int64_t>((*rng)() % (14 * 86400)));
}

BenchEngine& EngineFor(uint64_t n, bool attributes) {
  static std::map<std::pair<uint64_t, bool>, std::unique_ptr<BenchEngine>> cache;
  auto& slot = cache[{n, attributes}];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<BenchEngine>();
  BenchEngine& b = *slot;
  const char* base = std::getenv("TMPDIR");
  b.dir = std::string(base != nullptr ? base : "/tmp") + "/bench_engine_attributes." +
          std::to_string(::getpid()) + "." + std::to_string(n) + (attributes ? ".a" : ".p");
  const LocationIndex& index = bench::UsUsersIndex(n);
  const SortedRun run = index.run();
  std::shared_ptr<const UserAttributes> attrs;
  std::mt19937_64 rng(7);
  if (attributes) {
    std::vector<uint8_t> lang(run.size());
    std::vector<uint32_t> updated(run.size());
    for (size_t i = 0; i < run.size(); ++i) {
      lang[i] = static_cast<uint8_t>(rng() % 5);  // 0: none
      updated[i] = RandomAge(&rng);
    }
    UserAttributes::Kinds kinds;
    kinds.lang = kinds.updated_at = true;
    attrs = UserAttributes::Own(kinds, {kTags[0], kTags[1], kTags[2], kTags[3]}, std::move(lang),
                                std::move(updated), run.size());
  }
  absl::Status st = CreateEngineDirectory(b.dir, index, SnapshotMetadata{}, true, attrs.get());
  if (!st.ok()) std::abort();
  EngineOptions options;
  options.sync = SyncPolicy::kNone;
  options.checkpoint_log_bytes = 0;
  auto engine = Engine::Open(b.dir, options);
  if (!engine.ok()) std::abort();
  b.engine = std::move(*engine);
  const Engine::Stats opened = b.engine->GetStats();
  b.open_live_bytes = double(opened.memory_bytes) / opened.users;
  b.open_attribute_bytes = double(opened.attribute_bytes) / opened.users;
  b.users.assign(run.users.begin(), run.users.end());
  for (size_t i = 0; i < 1 << 16; ++i) {
    const size_t k = rng() % run.size();
    const S2LatLng ll = S2CellId(run.cells[k]).ToLatLng();
    b.places.push_back(UserRecord::FromDegrees(0, ll.lat().degrees(), ll.lng().degrees()));
  }
  if (attributes) {
    for (const char* tag : kTags) b.codes.push_back(*b.engine->LanguageCode(tag));
  }
  return b;
}

// Batches of 10,000 moves of random users to random places; with
// attributes each carries an updated_at and one in ten a language.
void BM_Engine_Apply(benchmark::State& state) {
  const bool attributes = state.range(1) != 0;
  BenchEngine& b = EngineFor(static_cast<uint64_t>(state.range(0)), attributes);
  std::mt19937_64 rng(11);
  std::vector<LocationUpdate> batch(10000);
  for (auto _ : state) {
    state.PauseTiming();
    for (LocationUpdate& u : batch) {
      UserRecord r = b.places[rng() % b.places.size()];
      r.user_id = b.users[rng() % b.users.size()];
      u = LocationUpdate::Upsert(r);
      if (attributes) {
        u.updated_at = RandomAge(&rng);
        if (rng() % 10 == 0) u.lang = b.codes[rng() % b.codes.size()];
      }
    }
    state.ResumeTiming();
    auto seq = b.engine->Apply(batch);
    if (!seq.ok()) {
      state.SkipWithError(std::string(seq.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch.size());
  // Bytes per user of the engine as opened (the live index's base and slot
  // table, and the attributes' table), before the timed updates pile up
  // unmerged records and delta runs.
  state.counters["open_live_B_per_user"] = b.open_live_bytes;
  state.counters["open_attr_B_per_user"] = b.open_attribute_bytes;
}
BENCHMARK(BM_Engine_Apply)
    ->ArgsProduct({{1000000}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Texas (FIPS 48) over the engine with attributes, 256 shards, to a sink
// that keeps nothing.
struct NullSink : DeliverySink {
  absl::Status Deliver(const DeliveryLists&, const AlertSummary&) override {
    return absl::OkStatus();
  }
  absl::Status DeliverByInfo(const DeliveryLists&, const std::vector<DeliveryLists>&,
                             const AlertSummary&) override {
    return absl::OkStatus();
  }
};

void AlertAttributes(benchmark::State& state, const char* area) {
  BenchEngine& b = EngineFor(static_cast<uint64_t>(state.range(0)), true);
  const int mode = static_cast<int>(state.range(1));
  AlertRequest request;
  request.text = area;
  request.format = AlertFormat::kCode;
  request.shards = 256;
  request.as_of_unix_s = kAsOf;
  if (mode & 1) request.max_age_s = 6 * 3600;
  request.by_info = (mode & 2) != 0;
  NullSink sink;
  uint64_t matched = 0;
  for (auto _ : state) {
    auto s = b.engine->Alert(request, sink);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.status().message()).c_str());
      break;
    }
    matched = s->matched;
  }
  state.counters["matched"] = double(matched);
}
void BM_Engine_AlertAttributes(benchmark::State& state) { AlertAttributes(state, "FIPS 48"); }
BENCHMARK(BM_Engine_AlertAttributes)
    ->ArgsProduct({{1000000}, {0, 1, 2, 3}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// The whole nation (SAME 000000): nearly every user matched, so the
// lookups' cache misses show.
void BM_Engine_AlertAttributesNation(benchmark::State& state) {
  AlertAttributes(state, "SAME 000000");
}
BENCHMARK(BM_Engine_AlertAttributesNation)
    ->ArgsProduct({{10000000}, {0, 1, 2, 3}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
