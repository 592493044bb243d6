// Copyright 2026 The fan-out engine authors.

#include "sim/loadtest.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/data_dir.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/internal/live_index_test_peer.h"
#include "engine/live_index.h"
#include "engine/shard_policy.h"
#include "engine/update_log.h"
#include "sim/consistency_checker.h"
#include "sim/population_generator.h"
#include "sim/standard_alerts.h"

namespace fanout {
namespace {

double NowSeconds() { return absl::GetCurrentTimeNanos() * 1e-9; }

// Sleeps until `t` (seconds, absl clock); returns at once when t has passed.
void SleepUntil(double t) {
  double wait = t - NowSeconds();
  if (wait > 0) absl::SleepFor(absl::Seconds(wait));
}

int32_t ClampE7(double v, double limit) {
  return static_cast<int32_t>(std::lround(std::clamp(v, -limit, limit) * 1e7));
}

// What the alert thread measures, per phase.
struct AlertLoop {
  std::vector<double> ms;
  // Per alert: Snapshot(), then the executor's stages, and the sorted runs.
  std::vector<double> snapshot_ms, cover_ms, plan_ms, scan_ms, runs;
  std::vector<double> start_s;             // since the phase began
  std::vector<uint8_t> during_merge;       // a merge was running at the start or end
  std::vector<uint64_t> pending;           // updates the alert gathered one by one
  std::vector<std::vector<double>> per_area;
  uint64_t last_matched = 0;
};

// What the steps of one load test share. Members are declared in the order
// they are made: `live` holds a raw pointer to `log` and must go first.
struct LoadTestRun {
  std::vector<UserRecord> home;  // each user's initial location, by index
  std::vector<NamedArea> areas;  // the alert mix, issued round robin
  std::unique_ptr<LocationIndex> initial;  // until the live index takes it
  std::unique_ptr<ConsistencyChecker> checker;
  std::unique_ptr<UpdateLogWriter> log;  // null without --log
  std::unique_ptr<LiveIndex> live;
  // The highest sequence number an Apply has returned (0 before any).
  std::atomic<uint64_t> acknowledged{0};
};

// What the update threads of the loaded phase share with the alert thread.
struct UpdateTraffic {
  double start = 0;  // when the loaded phase began (seconds, absl clock)
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> applied{0};  // updates applied, all threads
  absl::Mutex error_mu;
  absl::Status error ABSL_GUARDED_BY(error_mu);
};

absl::Status ValidateLoadTestOptions(const LoadTestOptions& o) {
  if (o.users == 0) return absl::InvalidArgumentError("--users must be > 0");
  if (!(o.update_rate > 0) || !(o.alert_rate > 0) || !(o.seconds > 0)) {
    return absl::InvalidArgumentError("--update-rate, --alert-rate and --seconds must be > 0");
  }
  if (o.update_threads < 1 || o.update_threads > 64) {
    return absl::InvalidArgumentError("--update-threads must be 1..64");
  }
  if (o.batch_updates < 1) return absl::InvalidArgumentError("batch size must be >= 1");
  return absl::OkStatus();
}

// The generated population (run->home) and the alert mix (run->areas): the
// standard alerts without the nation, then 5 warnings at random users' homes.
absl::Status GeneratePopulationAndAlerts(const LoadTestOptions& o, LoadTestRun* run) {
  ASSIGN_OR_RETURN(std::string cities_path, FindDataFile("cities.csv"));
  ASSIGN_OR_RETURN(std::vector<City> cities, LoadCities(cities_path));
  ASSIGN_OR_RETURN(auto generator, PopulationGenerator::Create(cities, Region::kUs, o.seed));
  run->home = generator->GenerateAll(o.users, o.show_progress);
  ASSIGN_OR_RETURN(run->areas, StandardAlerts(/*with_nation=*/false));
  std::mt19937_64 rng(o.seed);
  for (int i = 0; i < 5; ++i) {
    const UserRecord& r = run->home[rng() % run->home.size()];
    run->areas.push_back({absl::StrCat("warning", i + 1), RandomWarning(rng, r.lat(), r.lng())});
  }
  return absl::OkStatus();
}

// The static index of the population, and the checker, which keeps its own
// copy of that initial state.
absl::Status BuildInitialIndexAndChecker(const LoadTestOptions& o, LoadTestRun* run,
                                         LoadTestReport* report) {
  std::vector<const AlertArea*> area_ptrs;
  for (const NamedArea& a : run->areas) area_ptrs.push_back(a.area.get());
  const double t0 = NowSeconds();
  LocationIndex::BuildOptions build_options;
  build_options.show_progress = o.show_progress;
  ASSIGN_OR_RETURN(run->initial, LocationIndex::Build(run->home, build_options));
  report->build_s = NowSeconds() - t0;
  ASSIGN_OR_RETURN(ShardPolicy policy, ShardPolicy::Create(o.shards));
  run->checker = std::make_unique<ConsistencyChecker>(*run->initial, 0, area_ptrs, policy);
  return absl::OkStatus();
}

// The live index over the initial index, writing to a new update log when
// `o.log_path` is set (an existing file is refused).
absl::Status StartLiveIndex(const LoadTestOptions& o, LoadTestRun* run, LoadTestReport* report) {
  if (!o.log_path.empty()) {
    if (access(o.log_path.c_str(), F_OK) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(o.log_path, " exists; the load test starts a new log"));
    }
    ASSIGN_OR_RETURN(run->log, UpdateLogWriter::Open(o.log_path, {}));
  }
  const double t0 = NowSeconds();
  LiveIndex::Options live_options;
  live_options.log = run->log.get();
  ASSIGN_OR_RETURN(run->live, internal::LiveIndexTestPeer::CreateWithFault(
                                  std::move(run->initial), live_options, o.fault));
  report->live_s = NowSeconds() - t0;
  return absl::OkStatus();
}

// Issues the alert mix round robin at `o.alert_rate` for `seconds`, timing
// each one (Snapshot() + Execute(), lists in memory) into `out` and
// recording its lists with the checker.
absl::Status IssueAlertsAtRate(const LoadTestOptions& o, double seconds, LoadTestRun* run,
                               AlertLoop* out) {
  AlertExecutor::Options exec_options;
  exec_options.shards = o.shards;
  const std::vector<NamedArea>& areas = run->areas;
  LiveIndex* live = run->live.get();
  const double start = NowSeconds();
  const double period = 1 / o.alert_rate;
  for (uint64_t k = 0;; ++k) {
    double due = start + k * period;
    if (due >= start + seconds) break;
    SleepUntil(due);
    const size_t area = k % areas.size();
    const uint64_t ack = run->acknowledged.load(std::memory_order_acquire);
    double a = NowSeconds();
    const bool merging_before = live->MergeInProgress();
    LiveView snapshot = live->View();
    out->snapshot_ms.push_back((NowSeconds() - a) * 1e3);
    AlertExecutor executor(snapshot, exec_options);
    AlertSummary summary;
    ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(*areas[area].area, &summary));
    out->ms.push_back((NowSeconds() - a) * 1e3);
    out->per_area.resize(areas.size());
    out->per_area[area].push_back(out->ms.back());
    out->last_matched = summary.matched;
    out->cover_ms.push_back(summary.timings.cover_ms);
    out->plan_ms.push_back(summary.timings.plan_ms);
    out->scan_ms.push_back(summary.timings.scan_ms);
    out->runs.push_back(summary.sorted_runs);
    out->start_s.push_back(a - start);
    out->pending.push_back(snapshot.pending_updates());
    out->during_merge.push_back(merging_before || live->MergeInProgress());
    run->checker->RecordAlert(area, snapshot.seq(), ack, lists);
  }
  return absl::OkStatus();
}

// Phase 1: the alert mix at its rate with no updates, for `o.seconds`.
absl::Status MeasureIdleAlerts(const LoadTestOptions& o, LoadTestRun* run, AlertLoop* idle) {
  Progress progress("idle alerts (no updates)", 0, "alerts", o.show_progress);
  RETURN_IF_ERROR(IssueAlertsAtRate(o, o.seconds, run, idle));
  progress.Add(idle->ms.size());
  return absl::OkStatus();
}

// The body of update thread `t` (of o.update_threads): moves its own users
// (indices t, t+T, ...) in batches paced to its share of the rate, until
// traffic->stop. On an Apply error, records it and stops every thread.
void ApplyUpdatesAtRate(const LoadTestOptions& o, int t, LoadTestRun* run,
                        UpdateTraffic* traffic) {
  // Ingest runs below the alert path's priority (nice 10 by default), as
  // a service would run it: on two cores, updates at full rate and alerts
  // share the CPU, and the alerts are the latency-critical part.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), o.update_nice);
  ::pthread_setname_np(::pthread_self(), "load-updates");
  const std::vector<UserRecord>& home = run->home;
  const int threads = o.update_threads;
  const uint64_t owned = (o.users - t + threads - 1) / threads;  // indices t, t+T, ...
  if (owned == 0) return;
  // A cheap generator (xorshift64*): the client's cost is not what is measured.
  uint64_t state = Mix64(o.seed * 1000003 + t + 1);
  auto urng = [&state] {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
  };
  // A step of up to +-0.003 degrees (about 300 m) in each direction.
  auto walk = [&urng] { return (static_cast<int64_t>(urng() >> 40) - (1 << 23)) * (0.003 / (1 << 23)); };
  std::vector<UserRecord> where(owned);
  std::vector<uint8_t> removed(owned, 0);
  for (uint64_t i = 0; i < owned; ++i) where[i] = home[t + i * threads];
  const double rate = o.update_rate / threads;
  std::vector<LocationUpdate> batch;
  std::vector<uint64_t> pick(o.batch_updates);
  for (uint64_t done = 0; !traffic->stop.load(std::memory_order_relaxed);) {
    batch.clear();
    // The batch's users first, their state fetched ahead: it is hundreds
    // of MB read at random, and the client's cache misses would otherwise
    // take CPU from what is measured.
    for (uint64_t& i : pick) {
      i = urng() % owned;
      __builtin_prefetch(&where[i], 1);
      __builtin_prefetch(&removed[i], 1);
    }
    for (size_t b = 0; b < o.batch_updates; ++b) {
      const uint64_t i = pick[b];
      UserRecord& r = where[i];
      uint64_t dice = urng() % 10000;
      if (dice < 5 && !removed[i]) {
        removed[i] = 1;
        batch.push_back(LocationUpdate::Remove(r.user_id));
        continue;
      }
      removed[i] = 0;
      if (dice < 100) {
        const UserRecord& other = home[urng() % home.size()];
        r.lat_e7 = other.lat_e7;
        r.lng_e7 = other.lng_e7;
      } else {
        r.lat_e7 = ClampE7(r.lat() + walk(), 90);
        r.lng_e7 = ClampE7(r.lng() + walk(), 180);
      }
      batch.push_back(LocationUpdate::Upsert(r));
    }
    absl::StatusOr<uint64_t> last = run->live->Apply(batch);
    if (!last.ok()) {
      absl::MutexLock lock(&traffic->error_mu);
      traffic->error = last.status();
      traffic->stop = true;
      return;
    }
    run->checker->RecordBatch(*last, batch);
    uint64_t seen = run->acknowledged.load(std::memory_order_relaxed);
    while (*last > seen && !run->acknowledged.compare_exchange_weak(seen, *last)) {
    }
    done += batch.size();
    traffic->applied.fetch_add(batch.size(), std::memory_order_relaxed);
    SleepUntil(traffic->start + done / rate);
  }
}

// Phase 2: update threads at `o.update_rate` and the alert mix at its rate
// together for `o.seconds`; sets the report's update figures.
absl::Status RunLoadedPhase(const LoadTestOptions& o, LoadTestRun* run, AlertLoop* loaded,
                            LoadTestReport* report) {
  UpdateTraffic traffic;
  traffic.start = NowSeconds();
  std::vector<std::thread> updaters;
  for (int t = 0; t < o.update_threads; ++t) {
    updaters.emplace_back(ApplyUpdatesAtRate, std::cref(o), t, run, &traffic);
  }
  absl::Status alert_status;
  {
    Progress progress("updates under alerts", static_cast<uint64_t>(o.update_rate * o.seconds),
                      "updates", o.show_progress);
    std::thread reporter([&] {
      uint64_t last = 0;
      while (!traffic.stop.load()) {
        absl::SleepFor(absl::Milliseconds(200));
        uint64_t now = traffic.applied.load();
        progress.Add(now - last);
        last = now;
      }
    });
    alert_status = IssueAlertsAtRate(o, o.seconds, run, loaded);
    // The rate sustained over the loaded phase: updates applied by its end
    // over its length, read at one instant (not after joining the update
    // threads, which may be asleep until their next batch is due). The pacer
    // applies each batch when it falls due, the first at once, so a client
    // that keeps up has applied at least rate x elapsed.
    const uint64_t applied_in_phase = traffic.applied.load();
    const double load_seconds = NowSeconds() - traffic.start;
    traffic.stop = true;
    for (auto& t : updaters) t.join();
    reporter.join();
    report->updates_applied = traffic.applied.load();
    report->updates_per_s = applied_in_phase / load_seconds;
  }
  RETURN_IF_ERROR(alert_status);
  absl::MutexLock lock(&traffic.error_mu);
  return traffic.error;
}

// The live index's memory and background work at the end of the run.
void ReportLiveIndexStats(const LiveIndex& live, LoadTestReport* report) {
  LiveIndex::Stats stats = live.GetStats();
  report->bytes_per_user = stats.users ? double(stats.memory_bytes) / stats.users : 0;
  report->merges = stats.merges;
  report->freezes = stats.freezes;
  report->compactions = stats.compactions;
  report->merge_locked_ms_max = stats.merge_locked_ms_max;
  report->merge_s = stats.merge_seconds;
}

// Medians over all alerts of a phase: where an alert's time goes.
LoadTestReport::StageFigures MedianStages(const AlertLoop& loop) {
  LoadTestReport::StageFigures f;
  f.snapshot_ms = Percentile(loop.snapshot_ms, 0.5);
  f.cover_ms = Percentile(loop.cover_ms, 0.5);
  f.plan_ms = Percentile(loop.plan_ms, 0.5);
  f.scan_ms = Percentile(loop.scan_ms, 0.5);
  f.runs = Percentile(loop.runs, 0.5);
  f.runs_max = loop.runs.empty() ? 0 : *std::max_element(loop.runs.begin(), loop.runs.end());
  return f;
}

// The slowest loaded alerts (at most 12), with what they spent their time on.
std::vector<LoadTestReport::SlowAlert> SlowestAlerts(const std::vector<NamedArea>& areas,
                                                     const AlertLoop& loaded) {
  std::vector<size_t> order(loaded.ms.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return loaded.ms[a] > loaded.ms[b]; });
  order.resize(std::min<size_t>(order.size(), 12));
  std::vector<LoadTestReport::SlowAlert> slowest;
  for (size_t i : order) {
    LoadTestReport::SlowAlert a;
    a.area = areas[i % areas.size()].name;
    a.at_s = loaded.start_s[i];
    a.ms = loaded.ms[i];
    a.snapshot_ms = loaded.snapshot_ms[i];
    a.cover_ms = loaded.cover_ms[i];
    a.plan_ms = loaded.plan_ms[i];
    a.scan_ms = loaded.scan_ms[i];
    a.runs = static_cast<uint32_t>(loaded.runs[i]);
    a.during_merge = loaded.during_merge[i];
    a.pending = loaded.pending[i];
    slowest.push_back(a);
  }
  return slowest;
}

// The alert latencies of both phases: overall, per area, per stage, and
// the slowest loaded alerts.
void ReportAlertLatencies(const std::vector<NamedArea>& areas, const AlertLoop& idle,
                          const AlertLoop& loaded, LoadTestReport* report) {
  for (size_t k = 0; k < areas.size(); ++k) {
    LoadTestReport::AreaFigures f;
    f.name = areas[k].name;
    if (k < idle.per_area.size()) {
      f.idle_p50 = Percentile(idle.per_area[k], 0.5);
      f.idle_p99 = Percentile(idle.per_area[k], 0.99);
    }
    if (k < loaded.per_area.size()) {
      f.load_p50 = Percentile(loaded.per_area[k], 0.5);
      f.load_p99 = Percentile(loaded.per_area[k], 0.99);
    }
    report->per_area.push_back(f);
  }
  report->slowest = SlowestAlerts(areas, loaded);
  report->idle_stages = MedianStages(idle);
  report->load_stages = MedianStages(loaded);
  report->alerts = loaded.ms.size();
  report->alert_p50 = Percentile(loaded.ms, 0.5);
  report->alert_p99 = Percentile(loaded.ms, 0.99);
  report->alert_p999 = Percentile(loaded.ms, 0.999);
  report->idle_alerts = idle.ms.size();
  report->idle_p50 = Percentile(idle.ms, 0.5);
  report->idle_p99 = Percentile(idle.ms, 0.99);
}

// Phase 3: the checker replays the history against every recorded alert and
// the final state. Its findings go in the report; an error only when it did
// not see every applied update.
absl::Status CheckConsistency(const LoadTestOptions& o, LoadTestRun* run,
                              LoadTestReport* report) {
  const double t0 = NowSeconds();
  ConsistencyChecker::Report check = run->checker->Check(run->live->View(), o.show_progress);
  report->check_s = NowSeconds() - t0;
  report->consistency_violations = check.consistency_violations;
  report->lost_updates = check.lost_updates;
  report->problems = check.examples;
  if (check.updates != report->updates_applied) {
    return absl::InternalError(absl::StrCat("the checker saw ", check.updates, " updates, ",
                                            report->updates_applied, " were applied"));
  }
  return absl::OkStatus();
}

// An order-free digest of every visible (user, cell): count, sum of hashes.
std::pair<uint64_t, uint64_t> VisibleStateDigest(const LiveView& snapshot) {
  std::pair<uint64_t, uint64_t> d{0, 0};
  snapshot.ForEachVisible([&](uint64_t cell, uint64_t user) {
    ++d.first;
    d.second += Mix64(user ^ Mix64(cell));
  });
  return d;
}

// With a log: syncs and closes it, then restarts as a service would
// (snapshot + replay): replays the whole log into a fresh index built from
// the same initial users, timing it, and requires the run's final state.
absl::Status ReplayLogIntoFreshIndex(const LoadTestOptions& o, LoadTestRun* run,
                                     LoadTestReport* report) {
  RETURN_IF_ERROR(run->log->Sync());
  report->log_bytes = run->log->bytes();
  run->log.reset();
  run->checker.reset();  // its copy of the population is no longer needed
  ASSIGN_OR_RETURN(auto fresh_base, LocationIndex::Build(run->home, {}));
  LiveIndex::Options replay_options;
  replay_options.background_maintenance = true;
  ASSIGN_OR_RETURN(auto fresh, LiveIndex::Create(std::move(fresh_base), replay_options));
  const double t0 = NowSeconds();
  ASSIGN_OR_RETURN(UpdateLogScan scan,
                   ReplayUpdateLog(o.log_path, 0,
                                   [&](uint64_t first_seq, absl::Span<const LocationUpdate> u)
                                       -> absl::Status {
                                     ASSIGN_OR_RETURN(uint64_t last, fresh->Apply(u));
                                     if (last != first_seq + u.size() - 1) {
                                       return absl::InternalError("replay out of sequence");
                                     }
                                     return absl::OkStatus();
                                   }));
  report->log_replay_s = NowSeconds() - t0;
  const LiveIndex& live = *run->live;
  if (fresh->last_seq() != live.last_seq() || scan.updates != live.last_seq()) {
    return absl::InternalError(absl::StrCat("log replay reached update ", fresh->last_seq(),
                                            " (", scan.updates, " in the log), the run applied ",
                                            live.last_seq()));
  }
  // The replayed state must be the run's final state, user for user (an
  // injected fault makes the live index differ from its own log on purpose).
  if (o.fault == internal::LiveIndexFault::kNone &&
      VisibleStateDigest(fresh->View()) != VisibleStateDigest(live.View())) {
    return absl::InternalError("the state replayed from the update log differs from the run's");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LoadTestReport> RunLoadTest(const LoadTestOptions& o) {
  RETURN_IF_ERROR(ValidateLoadTestOptions(o));
  LoadTestReport report;
  report.users = o.users;
  LoadTestRun run;
  RETURN_IF_ERROR(GeneratePopulationAndAlerts(o, &run));
  RETURN_IF_ERROR(BuildInitialIndexAndChecker(o, &run, &report));
  RETURN_IF_ERROR(StartLiveIndex(o, &run, &report));

  AlertLoop idle, loaded;
  RETURN_IF_ERROR(MeasureIdleAlerts(o, &run, &idle));
  RETURN_IF_ERROR(RunLoadedPhase(o, &run, &loaded, &report));
  ReportLiveIndexStats(*run.live, &report);
  ReportAlertLatencies(run.areas, idle, loaded, &report);

  RETURN_IF_ERROR(CheckConsistency(o, &run, &report));
  if (run.log != nullptr) RETURN_IF_ERROR(ReplayLogIntoFreshIndex(o, &run, &report));
  return report;
}

}  // namespace fanout
