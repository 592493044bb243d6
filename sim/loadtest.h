// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_LOADTEST_H_
#define FANOUT_SIM_LOADTEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/internal/live_index_test_peer.h"
#include "engine/live_index.h"
#include "sim/loadtest_report.h"

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

// Runs the three phases and returns the report (the checker's findings are
// in it; an error only when the test could not run). Starts and joins its
// own threads; call it from one thread at a time (it sets their nice).
absl::StatusOr<LoadTestReport> RunLoadTest(const LoadTestOptions& options);

}  // namespace fanout

#endif  // FANOUT_SIM_LOADTEST_H_
