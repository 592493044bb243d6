// Copyright 2026 The fan-out engine authors.
//
// The update log (engine/update_log.h): appending batches, and replaying a
// whole log at restart (verify every frame, then hand every update to a
// trivial `apply`). The log lives in $TMPDIR (default /tmp) and is written
// once per process outside the timed loops; replay reads it from the page
// cache, so the figure is the CPU cost of verifying and decoding.
// Arguments: Append: updates per batch, fdatasync each append (0/1);
// Replay: updates in the log, updates per frame.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/update_log.h"

namespace fanout {
namespace {

// A private folder for the logs, removed at exit.
class BenchFolder {
 public:
  BenchFolder() {
    const char* base = std::getenv("TMPDIR");
    path_ = std::string(base != nullptr ? base : "/tmp") + "/bench_update_log." +
            std::to_string(::getpid());
    std::filesystem::create_directories(path_);
  }
  ~BenchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::string& BenchDir() {
  static const BenchFolder folder;
  return folder.path();
}

std::vector<LocationUpdate> RandomUpdates(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<LocationUpdate> out(n);
  for (size_t i = 0; i < n; ++i) {
    const auto lat = static_cast<int32_t>(rng() % 1800000001) - 900000000;
    const auto lng = static_cast<int32_t>(rng() % 3600000001) - 1800000000;
    out[i] = i % 10 == 9 ? LocationUpdate::Remove(rng()) : LocationUpdate::Upsert({rng(), lat, lng});
  }
  return out;
}

// A log of `updates` updates in frames of `per_frame`, written once.
const std::string& ReplayLog(size_t updates, size_t per_frame) {
  static std::map<std::pair<size_t, size_t>, std::string> logs;
  auto it = logs.find({updates, per_frame});
  if (it != logs.end()) return it->second;
  const std::string path = BenchDir() + "/replay-" + std::to_string(updates) + "-" +
                           std::to_string(per_frame) + ".log";
  std::filesystem::remove(path);
  const std::vector<LocationUpdate> all = RandomUpdates(updates);
  auto writer = UpdateLogWriter::Open(path, {});
  if (!writer.ok()) std::abort();
  for (size_t at = 0; at < all.size(); at += per_frame) {
    const size_t n = std::min(per_frame, all.size() - at);
    if (!(*writer)->Append(at + 1, absl::MakeConstSpan(all).subspan(at, n)).ok()) std::abort();
  }
  return logs[{updates, per_frame}] = path;
}

void BM_UpdateLog_Replay(benchmark::State& state) {
  const std::string& path = ReplayLog(state.range(0), state.range(1));
  const uint64_t bytes = std::filesystem::file_size(path);
  uint64_t checksum = 0;
  for (auto _ : state) {
    auto scan = ReplayUpdateLog(path, 0, [&](uint64_t, absl::Span<const LocationUpdate> batch) {
      for (const LocationUpdate& u : batch) checksum += u.location.user_id;
      return absl::OkStatus();
    });
    if (!scan.ok() || scan->applied_updates != static_cast<uint64_t>(state.range(0))) {
      state.SkipWithError("replay failed");
      break;
    }
  }
  benchmark::DoNotOptimize(checksum);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_UpdateLog_Replay)
    ->ArgNames({"updates", "per_frame"})
    ->Args({1000000, 100})
    ->Args({10000000, 1000})
    ->Args({10000000, 100000})
    ->Unit(benchmark::kMillisecond);

void BM_UpdateLog_Append(benchmark::State& state) {
  const size_t batch = state.range(0);
  UpdateLogWriter::Options options;
  options.sync_each_append = state.range(1) != 0;
  const std::string path = BenchDir() + "/append.log";
  std::filesystem::remove(path);
  auto writer = UpdateLogWriter::Open(path, options);
  if (!writer.ok()) {
    state.SkipWithError("open failed");
    return;
  }
  const std::vector<LocationUpdate> updates = RandomUpdates(batch);
  uint64_t seq = 1;
  for (auto _ : state) {
    if (!(*writer)->Append(seq, updates).ok()) {
      state.SkipWithError("append failed");
      break;
    }
    seq += batch;
  }
  state.SetBytesProcessed(static_cast<int64_t>((*writer)->bytes() - kUpdateLogHeaderSize));
  state.SetItemsProcessed(static_cast<int64_t>(seq - 1));
  writer->reset();
  std::filesystem::remove(path);
}
BENCHMARK(BM_UpdateLog_Append)
    ->ArgNames({"batch", "sync"})
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({10000, 0})
    ->Args({1, 1})
    ->Args({100, 1})
    ->Args({10000, 1})
    ->UseRealTime();  // fdatasync waits off the CPU

}  // namespace
}  // namespace fanout

BENCHMARK_MAIN();
