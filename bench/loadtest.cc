// Copyright 2026 The fan-out engine authors.

#include "bench/loadtest.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/data_dir.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "bench/standard_alerts.h"
#include "engine/internal/live_index_test_peer.h"
#include "engine/alert_executor.h"
#include "engine/consistency_checker.h"
#include "engine/live_index.h"
#include "engine/population_generator.h"
#include "engine/shard_policy.h"
#include "engine/update_log.h"
#include "nlohmann/json.hpp"

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
  // Per alert: View(), then the executor's stages, and the sorted runs.
  std::vector<double> snapshot_ms, cover_ms, plan_ms, scan_ms, runs;
  std::vector<double> start_s;             // since the phase began
  std::vector<uint8_t> during_merge;       // a merge was running at the start or end
  std::vector<uint64_t> pending;           // updates the alert gathered one by one
  std::vector<std::vector<double>> per_area;
  uint64_t last_matched = 0;
};

}  // namespace

absl::StatusOr<LoadTestReport> RunLoadTest(const LoadTestOptions& o) {
  if (o.users == 0) return absl::InvalidArgumentError("--users must be > 0");
  if (!(o.update_rate > 0) || !(o.alert_rate > 0) || !(o.seconds > 0)) {
    return absl::InvalidArgumentError("--update-rate, --alert-rate and --seconds must be > 0");
  }
  if (o.update_threads < 1 || o.update_threads > 64) {
    return absl::InvalidArgumentError("--update-threads must be 1..64");
  }
  if (o.batch_updates < 1) return absl::InvalidArgumentError("batch size must be >= 1");
  LoadTestReport report;
  report.users = o.users;

  // The population and the areas.
  ASSIGN_OR_RETURN(std::string cities_path, FindDataFile("cities.csv"));
  ASSIGN_OR_RETURN(std::vector<City> cities, LoadCities(cities_path));
  ASSIGN_OR_RETURN(auto generator, PopulationGenerator::Create(cities, Region::kUs, o.seed));
  std::vector<UserRecord> home = generator->GenerateAll(o.users, o.show_progress);
  ASSIGN_OR_RETURN(std::vector<NamedArea> areas, StandardAlerts(/*with_nation=*/false));
  std::mt19937_64 rng(o.seed);
  for (int i = 0; i < 5; ++i) {
    const UserRecord& r = home[rng() % home.size()];
    areas.push_back({absl::StrCat("warning", i + 1), RandomWarning(rng, r.lat(), r.lng())});
  }
  std::vector<const AlertArea*> area_ptrs;
  for (const NamedArea& a : areas) area_ptrs.push_back(a.area.get());

  double t0 = NowSeconds();
  LocationIndex::BuildOptions build_options;
  build_options.show_progress = o.show_progress;
  ASSIGN_OR_RETURN(auto initial, LocationIndex::Build(home, build_options));
  report.build_s = NowSeconds() - t0;
  ASSIGN_OR_RETURN(ShardPolicy policy, ShardPolicy::Create(o.shards));
  // The checker keeps its own copy of the initial state.
  auto checker = std::make_unique<ConsistencyChecker>(*initial, 0, area_ptrs, policy);

  std::unique_ptr<UpdateLogWriter> log;
  if (!o.log_path.empty()) {
    if (access(o.log_path.c_str(), F_OK) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(o.log_path, " exists; the load test starts a new log"));
    }
    ASSIGN_OR_RETURN(log, UpdateLogWriter::Open(o.log_path, {}));
  }
  t0 = NowSeconds();
  LiveIndex::Options live_options;
  live_options.log = log.get();
  ASSIGN_OR_RETURN(auto live, internal::LiveIndexTestPeer::CreateWithFault(std::move(initial),
                                                                          live_options, o.fault));
  report.live_s = NowSeconds() - t0;

  AlertExecutor::Options exec_options;
  exec_options.shards = o.shards;
  std::atomic<uint64_t> acknowledged{0};
  auto run_alerts = [&](double seconds, bool record, AlertLoop* out) -> absl::Status {
    const double start = NowSeconds();
    const double period = 1 / o.alert_rate;
    for (uint64_t k = 0;; ++k) {
      double due = start + k * period;
      if (due >= start + seconds) break;
      SleepUntil(due);
      const size_t area = k % areas.size();
      const uint64_t ack = acknowledged.load(std::memory_order_acquire);
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
      if (record) checker->RecordAlert(area, snapshot.seq(), ack, lists);
    }
    return absl::OkStatus();
  };

  // Phase 1: idle.
  AlertLoop idle;
  {
    Progress progress("idle alerts (no updates)", 0, "alerts", o.show_progress);
    RETURN_IF_ERROR(run_alerts(o.seconds, /*record=*/true, &idle));
    progress.Add(idle.ms.size());
  }

  // Phase 2: updates and alerts together.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> applied{0};
  std::mutex error_mu;
  absl::Status update_error;
  const double load_start = NowSeconds();
  auto updater = [&](int t) {
    // Ingest runs below the alert path's priority (nice 10 by default), as
    // a service would run it: on two cores, updates at full rate and alerts
    // share the CPU, and the alerts are the latency-critical part.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), o.update_nice);
    ::pthread_setname_np(::pthread_self(), "load-updates");
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
    for (uint64_t done = 0; !stop.load(std::memory_order_relaxed);) {
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
      absl::StatusOr<uint64_t> last = live->Apply(batch);
      if (!last.ok()) {
        std::lock_guard<std::mutex> lock(error_mu);
        update_error = last.status();
        stop = true;
        return;
      }
      checker->RecordBatch(*last, batch);
      uint64_t seen = acknowledged.load(std::memory_order_relaxed);
      while (*last > seen && !acknowledged.compare_exchange_weak(seen, *last)) {
      }
      done += batch.size();
      applied.fetch_add(batch.size(), std::memory_order_relaxed);
      SleepUntil(load_start + done / rate);
    }
  };
  std::vector<std::thread> updaters;
  for (int t = 0; t < o.update_threads; ++t) updaters.emplace_back(updater, t);
  AlertLoop loaded;
  absl::Status alert_status;
  {
    Progress progress("updates under alerts", static_cast<uint64_t>(o.update_rate * o.seconds),
                      "updates", o.show_progress);
    std::thread reporter([&] {
      uint64_t last = 0;
      while (!stop.load()) {
        absl::SleepFor(absl::Milliseconds(200));
        uint64_t now = applied.load();
        progress.Add(now - last);
        last = now;
      }
    });
    alert_status = run_alerts(o.seconds, /*record=*/true, &loaded);
    // The rate sustained over the loaded phase: updates applied by its end
    // over its length, read at one instant (not after joining the update
    // threads, which may be asleep until their next batch is due). The pacer
    // applies each batch when it falls due, the first at once, so a client
    // that keeps up has applied at least rate x elapsed.
    const uint64_t applied_in_phase = applied.load();
    const double load_seconds = NowSeconds() - load_start;
    stop = true;
    for (auto& t : updaters) t.join();
    reporter.join();
    report.updates_applied = applied.load();
    report.updates_per_s = applied_in_phase / load_seconds;
  }
  RETURN_IF_ERROR(alert_status);
  RETURN_IF_ERROR(update_error);

  LiveIndex::Stats stats = live->GetStats();
  report.bytes_per_user = stats.users ? double(stats.memory_bytes) / stats.users : 0;
  report.merges = stats.merges;
  report.freezes = stats.freezes;
  report.compactions = stats.compactions;
  report.merge_locked_ms_max = stats.merge_locked_ms_max;
  report.merge_s = stats.merge_seconds;
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
    report.per_area.push_back(f);
  }
  auto stages = [](const AlertLoop& loop) {
    LoadTestReport::StageFigures f;
    f.snapshot_ms = Percentile(loop.snapshot_ms, 0.5);
    f.cover_ms = Percentile(loop.cover_ms, 0.5);
    f.plan_ms = Percentile(loop.plan_ms, 0.5);
    f.scan_ms = Percentile(loop.scan_ms, 0.5);
    f.runs = Percentile(loop.runs, 0.5);
    f.runs_max = loop.runs.empty() ? 0 : *std::max_element(loop.runs.begin(), loop.runs.end());
    return f;
  };
  // The slowest loaded alerts, with what they spent their time on.
  {
    std::vector<size_t> order(loaded.ms.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return loaded.ms[a] > loaded.ms[b]; });
    order.resize(std::min<size_t>(order.size(), 12));
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
      report.slowest.push_back(a);
    }
  }
  report.idle_stages = stages(idle);
  report.load_stages = stages(loaded);
  report.alerts = loaded.ms.size();
  report.alert_p50 = Percentile(loaded.ms, 0.5);
  report.alert_p99 = Percentile(loaded.ms, 0.99);
  report.alert_p999 = Percentile(loaded.ms, 0.999);
  report.idle_alerts = idle.ms.size();
  report.idle_p50 = Percentile(idle.ms, 0.5);
  report.idle_p99 = Percentile(idle.ms, 0.99);

  // Phase 3: check.
  t0 = NowSeconds();
  ConsistencyChecker::Report check = checker->Check(live->View(), o.show_progress);
  report.check_s = NowSeconds() - t0;
  report.consistency_violations = check.consistency_violations;
  report.lost_updates = check.lost_updates;
  report.problems = check.examples;
  if (check.updates != report.updates_applied) {
    return absl::InternalError(absl::StrCat("the checker saw ", check.updates, " updates, ",
                                            report.updates_applied, " were applied"));
  }

  if (log != nullptr) {
    RETURN_IF_ERROR(log->Sync());
    report.log_bytes = log->bytes();
    log.reset();
    // Restart = snapshot + replay: replay the whole log into a fresh index
    // built from the same initial users.
    checker.reset();
    ASSIGN_OR_RETURN(auto fresh_base, LocationIndex::Build(home, {}));
    LiveIndex::Options replay_options;
    replay_options.background_maintenance = true;
    ASSIGN_OR_RETURN(auto fresh, LiveIndex::Create(std::move(fresh_base), replay_options));
    t0 = NowSeconds();
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
    report.log_replay_s = NowSeconds() - t0;
    if (fresh->last_seq() != live->last_seq() || scan.updates != live->last_seq()) {
      return absl::InternalError(absl::StrCat("log replay reached update ", fresh->last_seq(),
                                              " (", scan.updates, " in the log), the run applied ",
                                              live->last_seq()));
    }
    // The replayed state must be the run's final state, user for user (an
    // order-free digest of every visible (user, cell); an injected fault
    // makes the live index differ from its own log on purpose).
    auto digest = [](const LiveView& snapshot) {
      std::pair<uint64_t, uint64_t> d{0, 0};
      snapshot.ForEachVisible([&](uint64_t cell, uint64_t user) {
        ++d.first;
        d.second += Mix64(user ^ Mix64(cell));
      });
      return d;
    };
    if (o.fault == internal::LiveIndexFault::kNone &&
        digest(fresh->View()) != digest(live->View())) {
      return absl::InternalError("the state replayed from the update log differs from the run's");
    }
  }
  return report;
}

std::string LoadTestReport::ToJson() const {
  nlohmann::ordered_json j;
  j["updates_applied"] = updates_applied;
  j["updates_per_s"] = updates_per_s;
  j["alerts"] = alerts;
  j["alert_ms"] = {{"p50", alert_p50}, {"p99", alert_p99}, {"p999", alert_p999}};
  j["idle_alert_ms"] = {{"p50", idle_p50}, {"p99", idle_p99}};
  j["consistency_violations"] = consistency_violations;
  j["lost_updates"] = lost_updates;
  // Beyond the contract.
  j["users"] = users;
  j["idle_alerts"] = idle_alerts;
  j["bytes_per_user"] = bytes_per_user;
  j["merges"] = merges;
  j["freezes"] = freezes;
  j["compactions"] = compactions;
  j["merge_locked_ms_max"] = merge_locked_ms_max;
  j["merge_s"] = merge_s;
  for (const AreaFigures& f : per_area) {
    j["per_area"].push_back({{"name", f.name},
                             {"idle_p50", f.idle_p50},
                             {"idle_p99", f.idle_p99},
                             {"p50", f.load_p50},
                             {"p99", f.load_p99}});
  }
  auto stages = [](const StageFigures& f) {
    return nlohmann::ordered_json{{"snapshot_ms_p50", f.snapshot_ms}, {"cover_ms_p50", f.cover_ms},
                                  {"plan_ms_p50", f.plan_ms},         {"scan_ms_p50", f.scan_ms},
                                  {"sorted_runs_p50", f.runs},        {"sorted_runs_max", f.runs_max}};
  };
  j["stages"] = {{"idle", stages(idle_stages)}, {"loaded", stages(load_stages)}};
  for (const SlowAlert& a : slowest) {
    j["slowest_loaded"].push_back({{"area", a.area},
                                   {"at_s", a.at_s},
                                   {"ms", a.ms},
                                   {"snapshot_ms", a.snapshot_ms},
                                   {"cover_ms", a.cover_ms},
                                   {"plan_ms", a.plan_ms},
                                   {"scan_ms", a.scan_ms},
                                   {"sorted_runs", a.runs},
                                   {"pending_updates", a.pending},
                                   {"during_merge", a.during_merge}});
  }
  j["build_s"] = build_s;
  j["live_s"] = live_s;
  j["check_s"] = check_s;
  if (log_bytes > 0) {
    j["log_bytes"] = log_bytes;
    j["log_replay_s"] = log_replay_s;
  }
  j["problems"] = problems;
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string LoadTestReport::ToText() const {
  std::string s = absl::StrFormat(
      "users %d, live index %.1f bytes/user at the end\n"
      "updates applied %d: %.0f per second\n"
      "alerts %d under load: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n"
      "alerts %d idle:       p50 %.2f ms, p99 %.2f ms (loaded p99 / idle p99 = %.2f)\n"
      "merges %d (%.1f s in all, longest writer stall %.1f ms), freezes %d, compactions %d\n"
      "consistency violations %d, lost updates %d (checked in %.1f s)\n",
      users, bytes_per_user, updates_applied, updates_per_s, alerts, alert_p50, alert_p99,
      alert_p999, idle_alerts, idle_p50, idle_p99, idle_p99 > 0 ? alert_p99 / idle_p99 : 0,
      merges, merge_s, merge_locked_ms_max, freezes, compactions, consistency_violations, lost_updates,
      check_s);
  if (log_bytes > 0) {
    absl::StrAppendFormat(&s, "update log %.1f MB, replayed in %.2f s (%.0f updates/s)\n",
                          log_bytes / 1e6, log_replay_s,
                          log_replay_s > 0 ? updates_applied / log_replay_s : 0);
  }
  for (const auto& [name, f] : {std::pair{"idle", idle_stages}, std::pair{"loaded", load_stages}}) {
    absl::StrAppendFormat(&s,
                          "  stages p50 %-6s snapshot %.2f, cover %.2f, plan %.2f, scan %.2f ms; "
                          "sorted runs %.0f (max %.0f)\n",
                          name, f.snapshot_ms, f.cover_ms, f.plan_ms, f.scan_ms, f.runs, f.runs_max);
  }
  for (const AreaFigures& f : per_area) {
    absl::StrAppendFormat(&s, "  %-9s idle p50 %7.2f p99 %7.2f | loaded p50 %7.2f p99 %7.2f ms\n",
                          f.name, f.idle_p50, f.idle_p99, f.load_p50, f.load_p99);
  }
  if (!slowest.empty()) absl::StrAppend(&s, "  slowest loaded alerts:\n");
  for (const SlowAlert& a : slowest) {
    absl::StrAppendFormat(&s,
                          "    %-9s at %5.1f s: %6.2f ms (cover %.2f, plan %.2f, scan %.2f; "
                          "%d runs, %d pending%s)\n",
                          a.area, a.at_s, a.ms, a.cover_ms, a.plan_ms, a.scan_ms, a.runs, a.pending,
                          a.during_merge ? ", during a merge" : "");
  }
  for (const std::string& p : problems) absl::StrAppend(&s, "  problem: ", p, "\n");
  return s;
}

}  // namespace fanout
