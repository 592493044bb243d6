// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_SCENARIO_BENCH_H_
#define FANOUT_SIM_SCENARIO_BENCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fanout {

// `fanout bench` (DESIGN §5): a generated population in memory and the
// standard alerts, each measured for this engine and, side by side in the
// same process and run, for the baselines:
//  - brute force: every user tested exactly, in parallel (BruteForceScan);
//  - S2PointIndex: S2's own point index queried over an S2RegionCoverer
//    covering with exact tests, the obvious thing an S2 user would write
//    (one thread, as S2PointIndex offers no parallel query);
//  - the memory limit: the matched ids copied once at the memcpy bandwidth
//    measured here with all cores.
// Each engine figure is the p50/p99 of `repetitions` timed runs after
// `warmup` untimed ones, with per-shard lists in memory (no files).
struct ScenarioBenchOptions {
  uint64_t users = 10000000;  // DEFAULT: 10M
  uint64_t seed = 42;         // DEFAULT: 42
  uint32_t shards = 256;      // DEFAULT: 256
  int warmup = 2;             // DEFAULT: 2
  int repetitions = 11;       // DEFAULT: 11
  int baseline_repetitions = 3;  // DEFAULT: 3 (baselines are slow)
  // Largest population the S2PointIndex baseline is built for (it takes
  // about 10x the engine's memory); above it the baseline runs on the first
  // this-many users and the report says so. DEFAULT: 20M.
  uint64_t s2pointindex_max_users = 20000000;
  // Which alerts to run (names of the standard set, plus "warnings"); empty
  // runs them all. DEFAULT: all.
  std::vector<std::string> alerts;
  // Measure the engine alone (no brute force, no S2PointIndex): for quick
  // before/after runs of the engine's own hot path. DEFAULT: false.
  bool skip_baselines = false;
  bool show_progress = false;
};

// One alert's figures in a `fanout bench` report (DESIGN §5 "queries").
// A plain value.
struct QueryFigures {
  std::string name;
  uint64_t matched = 0;
  double ms_p50 = 0, ms_p99 = 0;
  double bruteforce_ms = 0;
  double s2pointindex_ms = 0;
  uint64_t s2pointindex_users = 0;  // population the S2PointIndex ran on
  double limit_ms = 0;
  uint64_t tested = 0;              // engine point tests (last run)
  // Medians over the timed runs of the engine's stages (AlertSummary).
  double cover_ms = 0, plan_ms = 0, scan_ms = 0;
};

// What `fanout bench` measured (DESIGN §5), as JSON or text. A plain
// value; its methods are const and safe from any thread.
struct ScenarioBenchReport {
  uint64_t users = 0;
  double bytes_per_user = 0;
  double generate_s = 0;
  double build_s = 0;
  // memcpy bandwidth with both cores, measured after the index build and
  // after the last alert; memcpy_gbps, the better of them, sets every
  // alert's limit_ms.
  std::vector<double> memcpy_gbps_runs;
  double memcpy_gbps = 0;
  std::vector<QueryFigures> queries;

  std::string ToJson() const;
  std::string ToText() const;
};

absl::StatusOr<ScenarioBenchReport> RunScenarioBench(const ScenarioBenchOptions& options);

}  // namespace fanout

#endif  // FANOUT_SIM_SCENARIO_BENCH_H_
