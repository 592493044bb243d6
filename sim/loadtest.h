// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_LOADTEST_H_
#define FANOUT_SIM_LOADTEST_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/engine.h"
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

  // Engine mode (`--dir`): the population becomes a new engine folder
  // (CreateEngineDirectory: checkpoint 0) opened as an Engine, and updates
  // and alerts go through Engine::Apply and Engine::Alert (durable, per
  // `sync`). Empty: the LiveIndex mode above (its report is unchanged).
  // An existing folder holding anything is refused unless `replace_dir`.
  // After the run the engine is closed and reopened (open_s), and the
  // checker is given the state ReadEngineDirectory recovers from the folder.
  std::string engine_dir;
  bool replace_dir = false;
  SyncPolicy sync = SyncPolicy::kGroup;
  // Engine mode: one Engine::Checkpoint this many seconds into the loaded
  // phase (< 0: none); automatic checkpoints as EngineOptions says.
  double checkpoint_at = -1;
  uint64_t checkpoint_log_bytes = EngineOptions().checkpoint_log_bytes;
  // Engine mode: EngineOptions::merge_fraction (`--merge-fraction`).
  double merge_fraction = EngineOptions().merge_fraction;
  // Engine mode: EngineStats sampled every this many seconds of the loaded
  // phase into the report's samples (`--sample-every`); 0: 20 samples
  // (at most 2 a second).
  double sample_every_s = 0;
  // false (`--check none`): no ConsistencyChecker and no standing model
  // (neither keeps the history, which is 24+ bytes an update: 7 GB for
  // 170M users x 300 s); the report says it was not checked.
  bool check = true;
  // Engine mode: K standing alerts (Engine::IssueStanding) issued after the
  // idle phase and active through the loaded phase: a third county-size
  // polygons (25-50 km), a third warning-size polygons (5-40 km), a third
  // circles (2-20 km), each at a random user's home. Their late deliveries
  // are timed and, with `check`, compared user for user with a brute-force
  // model (sim/standing_model.h) replayed over the same history.
  uint32_t standing_alerts = 0;
  // Testing the standing check: the load test's sinks forget the first
  // late user of every DeliverLate call (`--inject-fault drop-late-delivery`).
  bool drop_late_for_testing = false;
};

// Runs the three phases and returns the report (the checker's findings are
// in it; an error only when the test could not run). Starts and joins its
// own threads; call it from one thread at a time (it sets their nice).
absl::StatusOr<LoadTestReport> RunLoadTest(const LoadTestOptions& options);

// CAP polygon text ("lat,lon lat,lon ...", closed) of 6 to 10 vertices at
// min_km..max_km around a centre, radii jittered: the load test's warnings
// and standing alerts (bench_standing draws the same).
std::string RandomPolygonText(std::mt19937_64& rng, double lat, double lng, double min_km,
                              double max_km);

}  // namespace fanout

#endif  // FANOUT_SIM_LOADTEST_H_
