// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BENCH_LOADTEST_H_
#define FANOUT_BENCH_LOADTEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/internal/live_index_test_peer.h"
#include "engine/live_index.h"

namespace fanout {

// `fanout loadtest` (DESIGN §5): a generated population in a LiveIndex,
// location updates at a target rate from update threads while alerts run at
// a target rate from an alert thread, then the ConsistencyChecker replays
// the whole update history and checks every alert at its snapshot and the
// final state.
//
// Phases: (1) idle: the same alert mix at the same rate with no updates,
// for `seconds` too, giving the idle latencies (so that both p99 figures are
// estimated from as many alerts: from 200 alerts a p99 is the second
// slowest, and moved 17-25 ms between runs of the acceptance test); (2)
// load: updates and alerts together for `seconds`; (3) check.
//
// Updates: each update thread owns the users with index % threads == its
// number (so one user's updates are ordered), and moves a random one of
// them: mostly a step of up to ~300 m, 1% a jump to another user's home, 0.05% a
// removal (the user's next update brings it back). Batches of
// `batch_updates`, paced to the rate; a thread that cannot keep up runs
// flat out and the report shows the rate reached. Update threads run at
// nice `update_nice` (default 10; the live index's own threads at nice 5 for
// freezes, 10 for compactions, 19 for merges): alerts are the
// latency-critical path.
//
// Alerts: round robin over county, state, circle and 5 warnings at users'
// homes (not the nation-wide alert: at 20 per second it would need more
// than this machine's two cores on its own). Each alert's time is View()
// + Execute() with per-shard lists in memory.
struct LoadTestOptions {
  uint64_t users = 20000000;
  uint64_t seed = 42;
  double update_rate = 1000000;  // per second, all update threads together
  double alert_rate = 20;        // per second
  double seconds = 60;
  uint32_t shards = 256;
  // Two by default, as a service ingests from several connections: one
  // thread alone applies about 1.1-1.3M updates/s on this machine, and
  // fell 0.13% behind 1M/s in a 60-s run while competing with the alerts
  // and the index's background threads.
  int update_threads = 2;
  size_t batch_updates = 1000;
  // CPU priority (nice) of the update threads: ingest yields to alerts.
  int update_nice = 10;
  // When set, every batch is appended to this update log (update_log.h)
  // before it is applied; the report gives its size and replay speed.
  std::string log_path;
  internal::LiveIndexFault fault = internal::LiveIndexFault::kNone;
  bool show_progress = false;
};

// What a load test measured and found: the DESIGN §5 figures, then more.
// A plain value.
struct LoadTestReport {
  uint64_t users = 0;
  uint64_t updates_applied = 0;
  double updates_per_s = 0;  // applied by the end of the loaded phase / its length
  uint64_t alerts = 0;
  double alert_p50 = 0, alert_p99 = 0, alert_p999 = 0;
  double idle_p50 = 0, idle_p99 = 0;
  uint64_t idle_alerts = 0;
  uint64_t consistency_violations = 0;
  uint64_t lost_updates = 0;
  std::vector<std::string> problems;  // the checker's first examples
  // The live index at the end of the run.
  double bytes_per_user = 0;
  uint64_t merges = 0, freezes = 0, compactions = 0;
  double merge_locked_ms_max = 0;
  double merge_s = 0;  // total time spent merging (on the merge thread)
  // Per area of the alert mix: name, idle p50/p99, loaded p50/p99 (ms).
  struct AreaFigures {
    std::string name;
    double idle_p50 = 0, idle_p99 = 0, load_p50 = 0, load_p99 = 0;
  };
  std::vector<AreaFigures> per_area;
  // Medians over all alerts of a phase: where an alert's time goes.
  struct StageFigures {
    double snapshot_ms = 0, cover_ms = 0, plan_ms = 0, scan_ms = 0;
    double runs = 0, runs_max = 0;  // sorted runs scanned (live_index.h)
  };
  StageFigures idle_stages, load_stages;
  // The slowest alerts under load (at most 12), slowest first.
  struct SlowAlert {
    std::string area;
    double at_s = 0;  // when it began, from the start of the loaded phase
    double ms = 0, snapshot_ms = 0, cover_ms = 0, plan_ms = 0, scan_ms = 0;
    uint32_t runs = 0;
    uint64_t pending = 0;  // updates not yet in a sorted run, gathered one by one
    bool during_merge = false;
  };
  std::vector<SlowAlert> slowest;
  double build_s = 0, live_s = 0, check_s = 0;
  // With a log: its size, and the time to replay it into a fresh index.
  uint64_t log_bytes = 0;
  double log_replay_s = 0;

  std::string ToJson() const;
  std::string ToText() const;
};

// Runs the three phases and returns the report (the checker's findings are
// in it; an error only when the test could not run). Starts and joins its
// own threads; call it from one thread at a time (it sets their nice).
absl::StatusOr<LoadTestReport> RunLoadTest(const LoadTestOptions& options);

}  // namespace fanout

#endif  // FANOUT_BENCH_LOADTEST_H_
