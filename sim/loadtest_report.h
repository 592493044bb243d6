// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_LOADTEST_REPORT_H_
#define FANOUT_SIM_LOADTEST_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace fanout {

// What a load test (RunLoadTest, sim/loadtest.h) measured and found: the
// DESIGN §5 figures, then more. A plain value; its methods are const and
// safe from any thread.
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
  // The CPU time (user + system) of the whole process over the loaded phase,
  // per update applied in it (microseconds): the update path with its
  // background maintenance (freezes, merges, compactions, log writes) and
  // the alerts issued meanwhile; and by thread name ("load-updates": the
  // client and Apply; "live-*": the maintenance threads; the name of the
  // program: the alert thread and the thread pool).
  double loaded_cpu_s = 0;
  double cpu_us_per_update = 0;
  std::vector<std::pair<std::string, double>> loaded_cpu_s_by_thread;
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

  // Engine mode only (LoadTestOptions::engine_dir): printed and written
  // only when `engine` is true.
  bool engine = false;
  std::string sync;      // "batch", "group", "none"
  bool checked = true;   // false: --check none (no checker, no model)
  uint64_t syncs = 0;    // fdatasyncs of the log (EngineStats::syncs)
  // Engine::Apply calls that waited for maintenance, and those refused
  // (kResourceExhausted, retried by the client): EngineStats.
  uint64_t backlog_waits = 0, backlog_refusals = 0;
  // Engine::Apply's wall time per batch, as the update threads see it: under
  // kGroup and kBatch mostly the wait for durability (the engine does not
  // expose that wait apart).
  double apply_ms_p50 = 0, apply_ms_p99 = 0, apply_ms_max = 0;
  // CPU time of the update threads per update applied (microseconds): the
  // update path's cost (Apply, standing checks and sink calls, and the
  // client's own generation), less sensitive to a shared machine than
  // the rate reached.
  double update_cpu_us = 0;
  std::vector<double> checkpoint_s;  // each --checkpoint-at Checkpoint's duration
  uint64_t checkpoints = 0;          // taken by the engine (explicit and automatic)
  double last_checkpoint_s = 0;      // EngineStats::last_checkpoint_s
  uint64_t engine_log_bytes = 0;     // segments after the newest checkpoint, at the end
  struct Sample {
    double at_s = 0;  // since the loaded phase began
    double bytes_per_user = 0;
    uint64_t log_bytes = 0, unfolded_updates = 0;
    uint64_t rss_bytes = 0;        // the whole process's resident set
    uint64_t merge_bytes = 0;      // LiveIndex::Stats::merge_bytes
    uint64_t unmerged_bytes = 0;   // EngineStats::unmerged_bytes
    uint64_t pooled_bytes = 0;     // LiveIndex::Stats::pooled_bytes
  };
  std::vector<Sample> samples;  // EngineStats over the loaded phase
  // What the load client itself holds through the loaded phase, per user
  // (its users' current locations, the removed bits, the jump targets, and
  // the population when the checker needs it).
  double client_bytes_per_user = 0;
  double open_s = 0;            // Engine::Open of the folder after the run
  uint64_t open_updates_replayed = 0;
  // Standing alerts (LoadTestOptions::standing_alerts).
  uint32_t standing_alerts = 0;
  double standing_issue_s = 0;      // issuing all K (their initial scans)
  uint64_t standing_initial = 0;    // users in their initial lists
  uint64_t late_deliveries = 0;     // late users handed during the loaded phase
  // From Apply returning to the sink receiving the user (one stamp per
  // DeliverLate call, steady clock). A delivery made before that Apply
  // returned counts as 0 ms (late_before_return of them): the engine hands
  // late users from inside Apply, before its wait for durability.
  double late_p50 = 0, late_p99 = 0, late_max = 0;
  uint64_t late_before_return = 0;
  // From the Apply call that carried the update to the sink receiving it.
  double late_from_call_p50 = 0, late_from_call_p99 = 0;
  // Users handed wrongly: missing, extra, twice, or with the wrong update's
  // sequence number, against the model; -1 when not checked.
  int64_t standing_violations = -1;
  double standing_check_s = 0;
  double standing_bytes_per_delivered = 0;  // EngineStats: record bytes / delivered user
  uint64_t standing_delivered_users = 0;

  std::string ToJson() const;
  std::string ToText() const;
};

}  // namespace fanout

#endif  // FANOUT_SIM_LOADTEST_REPORT_H_
