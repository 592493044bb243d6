// Copyright 2026 The fan-out engine authors.

#include "sim/loadtest.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/data_dir.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "absl/strings/str_format.h"
#include "engine/alert_executor.h"
#include "engine/engine.h"
#include "engine/standing_sink.h"
#include "geo/alert_text.h"
#include "engine/internal/live_index_test_peer.h"
#include "engine/live_index.h"
#include "engine/shard_policy.h"
#include "engine/update_log.h"
#include "sim/consistency_checker.h"
#include "sim/population_generator.h"
#include "sim/standard_alerts.h"
#include "sim/standing_model.h"

namespace fanout {

// (loadtest.h) CAP polygon text ("lat,lon lat,lon ...", closed) of 6 to 10 vertices at
// min_km..max_km around a centre, radii jittered: RandomWarning's recipe,
// drawing the same numbers, as text an Engine resolves.
std::string RandomPolygonText(std::mt19937_64& rng, double lat, double lng, double min_km,
                              double max_km) {
  std::uniform_real_distribution<double> u(0, 1);
  const int n = 6 + static_cast<int>(u(rng) * 5);
  const double radius_km = min_km + (max_km - min_km) * u(rng);
  std::string text, first;
  for (int i = 0; i < n; ++i) {
    const double angle = 2 * M_PI * i / n;
    const double r = radius_km * (0.6 + 0.4 * u(rng));
    const double dlat = r * std::cos(angle) / 111.2;
    const double dlng = r * std::sin(angle) / (111.2 * std::cos(lat * M_PI / 180));
    const std::string pair = absl::StrFormat("%.7f,%.7f", std::clamp(lat + dlat, -89.9, 89.9),
                                             std::clamp(lng + dlng, -179.9, 179.9));
    if (i == 0) first = pair;
    absl::StrAppend(&text, pair, " ");
  }
  return text + first;
}

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

// The process's resident set now (/proc/self/statm), in bytes; 0 when
// it cannot be read.
uint64_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int got = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

// The CPU time (user + system, seconds) of the process's live threads,
// summed by thread name (/proc/self/task/*/stat), and of the whole process
// (getrusage: also threads that have exited) under "".
std::map<std::string, double> CpuSecondsByThread() {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;  // the thread ended meanwhile
    // "tid (comm) state ...": the name may hold blanks and parentheses, so
    // the fields are counted from the last ')'; utime and stime are the
    // 14th and 15th fields, the 12th and 13th after it.
    const size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 1; i <= 13 && rest >> field; ++i) {
      if (i == 12) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (i == 13) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    out[line.substr(open + 1, close - open - 1)] += (utime + stime) / tick;
  }
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  out[""] = u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
  return out;
}

// The steady clock (CLOCK_MONOTONIC: one clock for every thread and core),
// in nanoseconds: what late-delivery latencies are stamped with.
int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Late deliveries of one standing alert, as the load test receives them.
class LoadStandingSink : public StandingSink {
 public:
  struct Arrival {
    uint64_t seq;    // of the first user in the call (all come from one Apply)
    uint32_t users;  // in the call
    int64_t ns;      // SteadyNs() on arrival
  };
  LoadStandingSink(bool keep_users, bool drop_some) : keep_users_(keep_users), drop_some_(drop_some) {}
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary&) override {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& shard : lists.shards) {
      initial_count += shard.size();
      if (keep_users_) initial.insert(initial.end(), shard.begin(), shard.end());
    }
    return absl::OkStatus();
  }
  absl::Status DeliverLate(absl::string_view, LateReason,
                           const std::vector<std::vector<LateUser>>& shards) override {
    const int64_t now = SteadyNs();
    std::lock_guard<std::mutex> lock(mu);
    Arrival a{0, 0, now};
    for (const auto& shard : shards) {
      for (const LateUser& u : shard) {
        if (a.users++ == 0) a.seq = u.seq;
        if (drop_some_ && a.users == 1) continue;  // forget the first of each call
        if (keep_users_) late.push_back(u);
      }
    }
    if (a.users > 0) arrivals.push_back(a);
    return absl::OkStatus();
  }
  // Read after the engine is closed (or no Apply runs).
  std::mutex mu;
  uint64_t initial_count = 0;
  std::vector<uint64_t> initial;  // with keep_users
  std::vector<LateUser> late;     // with keep_users
  std::vector<Arrival> arrivals;

 private:
  const bool keep_users_;
  const bool drop_some_;
};

// One alert's lists, kept in memory (Engine mode's alert loop).
class ListsSink : public DeliverySink {
 public:
  absl::Status Deliver(const DeliveryLists& l, const AlertSummary&) override {
    lists = l;
    return absl::OkStatus();
  }
  DeliveryLists lists;
};

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

  // One alert of area `area` (of `areas`): `total_ms` in all, issued `at_s`
  // into the phase, `snapshot` ms of it taking the view.
  void Record(size_t area, size_t areas, double total_ms, double at_s,
              const AlertSummary& summary, double snapshot, uint64_t pending_updates,
              bool merging) {
    ms.push_back(total_ms);
    snapshot_ms.push_back(snapshot);
    per_area.resize(areas);
    per_area[area].push_back(total_ms);
    last_matched = summary.matched;
    cover_ms.push_back(summary.timings.cover_ms);
    plan_ms.push_back(summary.timings.plan_ms);
    scan_ms.push_back(summary.timings.scan_ms);
    runs.push_back(summary.sorted_runs);
    start_s.push_back(at_s);
    pending.push_back(pending_updates);
    during_merge.push_back(merging);
  }
};

// What the steps of one load test share. Members are declared in the order
// they are made: `live` holds a raw pointer to `log` and must go first.
struct LoadTestRun {
  // Each user's initial location, by index. Freed before the loaded phase
  // unless the checker (or the log replay) needs it: at 170M users it is
  // 2.7 GB.
  std::vector<UserRecord> home;
  std::unique_ptr<PopulationGenerator> generator;  // user ids from indices
  // The load client's state in the loaded phase (PrepareClientState):
  // each user's current location, by index (update thread t owns indices
  // t, t+T, ...), 8 bytes a user; ids come from the generator, and each
  // thread keeps a bit per owned user for "removed". 1% of the moves jump
  // to one of `jump_to`, homes sampled from the population.
  struct Point {
    int32_t lat_e7, lng_e7;
  };
  std::vector<Point> where;
  std::vector<Point> jump_to;
  std::vector<NamedArea> areas;  // the alert mix, issued round robin
  std::unique_ptr<LocationIndex> initial;  // until the live index takes it
  std::unique_ptr<ConsistencyChecker> checker;
  std::unique_ptr<UpdateLogWriter> log;  // null without --log
  std::unique_ptr<LiveIndex> live;
  // The highest sequence number an Apply has returned (0 before any).
  std::atomic<uint64_t> acknowledged{0};

  // Engine mode.
  std::vector<AlertRequest> requests;  // areas[k] as text (what Engine::Alert takes)
  std::unique_ptr<Engine> engine;
  EngineOptions engine_options;
  struct BatchTiming {
    uint64_t last_seq;
    int64_t call_ns, return_ns;  // SteadyNs() around Engine::Apply
  };
  std::mutex timing_mu;
  std::vector<BatchTiming> timings;  // every loaded batch, all threads
  std::vector<double> apply_ms;
  std::atomic<int64_t> update_cpu_ns{0};  // CPU time of the update threads, all together
  // Standing alerts: sinks, areas (for the model) and the state issued at.
  std::vector<std::string> standing_ids;
  std::vector<std::shared_ptr<LoadStandingSink>> standing_sinks;
  std::vector<std::unique_ptr<AlertArea>> standing_areas;
  uint64_t standing_seq = 0;
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
  if (o.engine_dir.empty()) {
    if (o.standing_alerts > 0) {
      return absl::InvalidArgumentError("--standing-alerts needs --dir (the Engine mode)");
    }
    if (o.checkpoint_at >= 0) return absl::InvalidArgumentError("--checkpoint-at needs --dir");
    if (!o.check) return absl::InvalidArgumentError("--check none needs --dir");
    return absl::OkStatus();
  }
  if (!o.log_path.empty()) {
    return absl::InvalidArgumentError("--log and --dir: the engine keeps its own log");
  }
  if (o.fault != internal::LiveIndexFault::kNone) {
    return absl::InvalidArgumentError("--inject-fault works on the LiveIndex mode only");
  }
  std::error_code ec;
  if (!o.replace_dir && std::filesystem::is_directory(o.engine_dir, ec) &&
      !std::filesystem::is_empty(o.engine_dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        o.engine_dir, " exists and is not empty: the load test builds a new engine folder "
                      "(--replace-dir to remove the engine files in it first)"));
  }
  return absl::OkStatus();
}

// The generated population (run->home) and the alert mix (run->areas): the
// standard alerts without the nation, then 5 warnings at random users' homes.
absl::Status GeneratePopulationAndAlerts(const LoadTestOptions& o, LoadTestRun* run) {
  ASSIGN_OR_RETURN(std::string cities_path, FindDataFile("cities.csv"));
  ASSIGN_OR_RETURN(std::vector<City> cities, LoadCities(cities_path));
  ASSIGN_OR_RETURN(run->generator, PopulationGenerator::Create(cities, Region::kUs, o.seed));
  run->home = run->generator->GenerateAll(o.users, o.show_progress);
  std::mt19937_64 rng(o.seed);
  if (o.engine_dir.empty()) {
    ASSIGN_OR_RETURN(run->areas, StandardAlerts(/*with_nation=*/false));
    for (int i = 0; i < 5; ++i) {
      const UserRecord& r = run->home[rng() % run->home.size()];
      run->areas.push_back({absl::StrCat("warning", i + 1), RandomWarning(rng, r.lat(), r.lng())});
    }
    return absl::OkStatus();
  }
  // Engine mode: Engine::Alert takes text, so the same mix as text (the
  // county and state by FIPS code, the circle, warnings as CAP polygons),
  // resolved here too for the checker.
  auto request_of = [](std::string text, AlertFormat format) {
    AlertRequest r;
    r.text = std::move(text);
    r.format = format;
    return r;
  };
  std::vector<std::pair<std::string, AlertRequest>> mix = {
      {"county", request_of("FIPS 48201", AlertFormat::kCode)},
      {"state", request_of("FIPS 48", AlertFormat::kCode)},
      {"circle", request_of("29.76,-95.37 50", AlertFormat::kCircle)}};
  for (int i = 0; i < 5; ++i) {
    const UserRecord& r = run->home[rng() % run->home.size()];
    mix.push_back({absl::StrCat("warning", i + 1),
                   request_of(RandomPolygonText(rng, r.lat(), r.lng(), 5, 40),
                              AlertFormat::kPolygon)});
  }
  for (auto& [name, request] : mix) {
    request.shards = o.shards;
    ASSIGN_OR_RETURN(ResolvedAlert resolved, ResolveAlertText(request.text, request.format));
    resolved.area->Finalize();
    run->areas.push_back({name, std::move(resolved.area)});
    run->requests.push_back(std::move(request));
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
  if (o.check) {
    run->checker = std::make_unique<ConsistencyChecker>(*run->initial, 0, area_ptrs, policy);
  }
  return absl::OkStatus();
}

// Engine mode: the initial index becomes checkpoint 0 of a new engine
// folder, opened as an Engine.
absl::Status StartEngine(const LoadTestOptions& o, LoadTestRun* run, LoadTestReport* report) {
  const double t0 = NowSeconds();
  SnapshotMetadata meta;
  meta.input_rows = o.users;
  meta.created_unix_s = absl::ToUnixSeconds(absl::Now());
  RETURN_IF_ERROR(CreateEngineDirectory(o.engine_dir, *run->initial, meta, o.replace_dir));
  run->initial.reset();
  run->engine_options.sync = o.sync;
  run->engine_options.checkpoint_log_bytes = o.checkpoint_log_bytes;
  run->engine_options.merge_fraction = o.merge_fraction;
  ASSIGN_OR_RETURN(run->engine, Engine::Open(o.engine_dir, run->engine_options));
  report->live_s = NowSeconds() - t0;
  return absl::OkStatus();
}

// Engine mode: K standing alerts at random users' homes (see
// LoadTestOptions::standing_alerts), issued before the loaded phase.
absl::Status IssueStandingAlerts(const LoadTestOptions& o, LoadTestRun* run,
                                 LoadTestReport* report) {
  std::mt19937_64 rng(Mix64(o.seed ^ 0x5354414e44494e47ULL));
  std::uniform_real_distribution<double> u(0, 1);
  Progress progress("standing alerts issued", o.standing_alerts, "alerts", o.show_progress);
  const double t0 = NowSeconds();
  for (uint32_t k = 0; k < o.standing_alerts; ++k) {
    const UserRecord& home = run->home[rng() % run->home.size()];
    StandingRequest request;
    switch (k % 3) {
      case 0:
        request.alert.text = RandomPolygonText(rng, home.lat(), home.lng(), 25, 50);
        request.alert.format = AlertFormat::kPolygon;
        break;
      case 1:
        request.alert.text = RandomPolygonText(rng, home.lat(), home.lng(), 5, 40);
        request.alert.format = AlertFormat::kPolygon;
        break;
      default:
        request.alert.text = absl::StrFormat("%.7f,%.7f %.2f", home.lat(), home.lng(), 2 + 18 * u(rng));
        request.alert.format = AlertFormat::kCircle;
        break;
    }
    request.alert.shards = o.shards;
    request.id = absl::StrCat("standing-", k);
    request.expires = absl::InfiniteFuture();
    request.follow_msg_type = false;
    auto sink = std::make_shared<LoadStandingSink>(o.check, o.drop_late_for_testing);
    ASSIGN_OR_RETURN(StandingSummary summary, run->engine->IssueStanding(request, sink));
    if (k == 0) run->standing_seq = summary.view_seq;
    if (summary.view_seq != run->standing_seq) {
      return absl::InternalError("standing alerts issued at different states with no updates");
    }
    report->standing_initial += summary.handed;
    if (o.check) {
      ASSIGN_OR_RETURN(ResolvedAlert resolved,
                       ResolveAlertText(request.alert.text, request.alert.format));
      resolved.area->Finalize();
      run->standing_areas.push_back(std::move(resolved.area));
    }
    run->standing_ids.push_back(request.id);
    run->standing_sinks.push_back(std::move(sink));
    progress.Add(1);
  }
  report->standing_issue_s = NowSeconds() - t0;
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

// The update threads' state (LoadTestRun::where, jump_to) from the
// population; then the population itself is freed unless the checker
// (or, in the LiveIndex mode, the log replay) reads it later. Sets the
// report's client_bytes_per_user: what the client holds for the loaded
// phase, per user.
void PrepareClientState(const LoadTestOptions& o, LoadTestRun* run, LoadTestReport* report) {
  const uint64_t n = run->home.size();
  run->where.resize(n);
  for (uint64_t i = 0; i < n; ++i) run->where[i] = {run->home[i].lat_e7, run->home[i].lng_e7};
  constexpr uint64_t kJumpTargets = uint64_t{1} << 20;
  std::mt19937_64 rng(Mix64(o.seed ^ 0x4a554d50ULL));
  run->jump_to.resize(std::min(n, kJumpTargets));
  for (auto& p : run->jump_to) {
    const UserRecord& r = run->home[rng() % n];
    p = {r.lat_e7, r.lng_e7};
  }
  if (!o.check) std::vector<UserRecord>().swap(run->home);
  const uint64_t bytes = run->where.capacity() * sizeof(LoadTestRun::Point) +
                         run->jump_to.capacity() * sizeof(LoadTestRun::Point) +
                         run->home.capacity() * sizeof(UserRecord) + n / 8;  // removed bits
  report->client_bytes_per_user = n ? double(bytes) / n : 0;
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
    if (run->engine != nullptr) {
      ListsSink sink;
      ASSIGN_OR_RETURN(AlertSummary summary, run->engine->Alert(run->requests[area], sink));
      out->Record(area, areas.size(), (NowSeconds() - a) * 1e3, a - start, summary,
                  /*snapshot_ms=*/0, /*pending=*/0, /*during_merge=*/false);
      if (run->checker != nullptr) {
        run->checker->RecordAlert(area, summary.view_seq, ack, sink.lists);
      }
      continue;
    }
    const bool merging_before = live->MergeInProgress();
    LiveView snapshot = live->View();
    const double snapshot_ms = (NowSeconds() - a) * 1e3;
    AlertExecutor executor(snapshot, exec_options);
    AlertSummary summary;
    ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(*areas[area].area, &summary));
    out->Record(area, areas.size(), (NowSeconds() - a) * 1e3, a - start, summary, snapshot_ms,
                snapshot.pending_updates(), merging_before || live->MergeInProgress());
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
  std::vector<LoadTestRun::Point>& where = run->where;
  const std::vector<LoadTestRun::Point>& jump_to = run->jump_to;
  const PopulationGenerator& generator = *run->generator;
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
  std::vector<uint64_t> removed((owned + 63) / 64, 0);  // a bit per owned user
  const double rate = o.update_rate / threads;
  std::vector<LocationUpdate> batch;
  std::vector<uint64_t> pick(o.batch_updates);
  std::vector<LoadTestRun::BatchTiming> timings;
  std::vector<double> apply_ms;
  auto thread_cpu_ns = [] {
    timespec ts;
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  };
  const int64_t cpu_start = thread_cpu_ns();
  auto publish = [&] {
    run->update_cpu_ns.fetch_add(thread_cpu_ns() - cpu_start);
    std::lock_guard<std::mutex> lock(run->timing_mu);
    run->timings.insert(run->timings.end(), timings.begin(), timings.end());
    run->apply_ms.insert(run->apply_ms.end(), apply_ms.begin(), apply_ms.end());
  };
  for (uint64_t done = 0; !traffic->stop.load(std::memory_order_relaxed);) {
    batch.clear();
    // The batch's users first, their state fetched ahead: it is over a GB
    // read at random at 170M users, and the client's cache misses would
    // otherwise take CPU from what is measured.
    for (uint64_t& i : pick) {
      i = urng() % owned;
      __builtin_prefetch(&where[t + i * threads], 1);
      __builtin_prefetch(&removed[i / 64], 1);
    }
    for (size_t b = 0; b < o.batch_updates; ++b) {
      const uint64_t i = pick[b];
      const uint64_t index = t + i * threads;
      LoadTestRun::Point& p = where[index];
      const uint64_t user_id = generator.UserId(index);
      const uint64_t bit = uint64_t{1} << (i % 64);
      uint64_t dice = urng() % 10000;
      if (dice < 5 && !(removed[i / 64] & bit)) {
        removed[i / 64] |= bit;
        batch.push_back(LocationUpdate::Remove(user_id));
        continue;
      }
      removed[i / 64] &= ~bit;
      if (dice < 100) {
        p = jump_to[urng() % jump_to.size()];
      } else {
        p.lat_e7 = ClampE7(p.lat_e7 * 1e-7 + walk(), 90);
        p.lng_e7 = ClampE7(p.lng_e7 * 1e-7 + walk(), 180);
      }
      batch.push_back(LocationUpdate::Upsert(UserRecord{user_id, p.lat_e7, p.lng_e7}));
    }
    const int64_t call_ns = SteadyNs();
    absl::StatusOr<uint64_t> last =
        run->engine != nullptr ? run->engine->Apply(batch) : run->live->Apply(batch);
    // Refused by the engine's backpressure (nothing applied): as a service
    // would, retry the batch once maintenance has caught up, and go at the
    // speed it allows (the report counts the waits and refusals).
    while (run->engine != nullptr && last.status().code() == absl::StatusCode::kResourceExhausted &&
           !traffic->stop.load(std::memory_order_relaxed)) {
      absl::SleepFor(absl::Milliseconds(10));
      last = run->engine->Apply(batch);
    }
    if (!last.ok() && last.status().code() == absl::StatusCode::kResourceExhausted) break;
    if (!last.ok()) {
      publish();
      absl::MutexLock lock(&traffic->error_mu);
      traffic->error = last.status();
      traffic->stop = true;
      return;
    }
    if (run->engine != nullptr) {
      const int64_t return_ns = SteadyNs();
      timings.push_back({*last, call_ns, return_ns});
      apply_ms.push_back((return_ns - call_ns) * 1e-6);
    }
    if (run->checker != nullptr) run->checker->RecordBatch(*last, batch);
    uint64_t seen = run->acknowledged.load(std::memory_order_relaxed);
    while (*last > seen && !run->acknowledged.compare_exchange_weak(seen, *last)) {
    }
    done += batch.size();
    traffic->applied.fetch_add(batch.size(), std::memory_order_relaxed);
    SleepUntil(traffic->start + done / rate);
  }
  publish();
}

// Sleeps until `t` (seconds, absl clock) or until `stop`; false when stopped.
bool SleepUntilOrStop(double t, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const double wait = t - NowSeconds();
    if (wait <= 0) return true;
    absl::SleepFor(absl::Seconds(std::min(wait, 0.05)));
  }
  return false;
}

// Phase 2: update threads at `o.update_rate` and the alert mix at its rate
// together for `o.seconds`; sets the report's update figures.
absl::Status RunLoadedPhase(const LoadTestOptions& o, LoadTestRun* run, AlertLoop* loaded,
                            LoadTestReport* report) {
  UpdateTraffic traffic;
  const std::map<std::string, double> cpu_before = CpuSecondsByThread();
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
    // Engine mode: EngineStats sampled (about 20 times unless
    // o.sample_every_s), and the
    // --checkpoint-at checkpoint.
    std::thread sampler, checkpointer;
    if (run->engine != nullptr) {
      sampler = std::thread([&] {
        const double every = o.sample_every_s > 0 ? o.sample_every_s : std::max(0.5, o.seconds / 20);
        for (int i = 0; SleepUntilOrStop(traffic.start + i * every, traffic.stop); ++i) {
          const EngineStats st = run->engine->GetStats();
          report->samples.push_back({NowSeconds() - traffic.start,
                                     st.users ? double(st.memory_bytes) / st.users : 0,
                                     st.log_bytes, st.unfolded_updates, ResidentBytes(),
                                     st.live.merge_bytes, st.unmerged_bytes, st.live.pooled_bytes});
        }
      });
      if (o.checkpoint_at >= 0) {
        checkpointer = std::thread([&] {
          if (!SleepUntilOrStop(traffic.start + o.checkpoint_at, traffic.stop)) return;
          const double c0 = NowSeconds();
          absl::Status st = run->engine->Checkpoint();
          report->checkpoint_s.push_back(NowSeconds() - c0);
          if (!st.ok()) {
            absl::MutexLock lock(&traffic.error_mu);
            traffic.error = st;
          }
        });
      }
    }
    alert_status = IssueAlertsAtRate(o, o.seconds, run, loaded);
    // The rate sustained over the loaded phase: updates applied by its end
    // over its length, read at one instant (not after joining the update
    // threads, which may be asleep until their next batch is due). The pacer
    // applies each batch when it falls due, the first at once, so a client
    // that keeps up has applied at least rate x elapsed.
    const uint64_t applied_in_phase = traffic.applied.load();
    const double load_seconds = NowSeconds() - traffic.start;
    // The CPU the phase took, read at the same instant: by thread name
    // (threads that began in the phase count from zero; those that ended
    // in it are only in the process's total).
    for (const auto& [name, seconds] : CpuSecondsByThread()) {
      auto it = cpu_before.find(name);
      const double used = seconds - (it == cpu_before.end() ? 0 : it->second);
      if (name.empty()) {
        report->loaded_cpu_s = used;
      } else if (used > 0) {
        report->loaded_cpu_s_by_thread.push_back({name, used});
      }
    }
    report->cpu_us_per_update = applied_in_phase ? report->loaded_cpu_s * 1e6 / applied_in_phase : 0;
    traffic.stop = true;
    for (auto& t : updaters) t.join();
    reporter.join();
    if (sampler.joinable()) sampler.join();
    if (checkpointer.joinable()) checkpointer.join();
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

// The checker's findings over the recorded alerts and `final_state`, into
// the report; an error only when it did not see every applied update.
absl::Status CheckAgainst(const LoadTestOptions& o, LoadTestRun* run, const LiveView& final_state,
                          LoadTestReport* report) {
  const double t0 = NowSeconds();
  ConsistencyChecker::Report check = run->checker->Check(final_state, o.show_progress);
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

// Phase 3: the checker replays the history against every recorded alert and
// the final state. Its findings go in the report; an error only when it did
// not see every applied update.
absl::Status CheckConsistency(const LoadTestOptions& o, LoadTestRun* run,
                              LoadTestReport* report) {
  return CheckAgainst(o, run, run->live->View(), report);
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

// Percentile p of values each weighted by a count (nearest rank); 0 when empty.
double WeightedPercentile(std::vector<std::pair<double, uint64_t>> v, double p) {
  uint64_t total = 0;
  for (const auto& x : v) total += x.second;
  if (total == 0) return 0;
  std::sort(v.begin(), v.end());
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p * total)));
  uint64_t seen = 0;
  for (const auto& x : v) {
    seen += x.second;
    if (seen >= rank) return x.first;
  }
  return v.back().first;
}

// Engine mode: the engine's figures at the end of the loaded phase.
void ReportEngineStats(const LoadTestOptions& o, LoadTestRun* run, LoadTestReport* report) {
  const EngineStats st = run->engine->GetStats();
  report->engine = true;
  report->sync = o.sync == SyncPolicy::kBatch ? "batch" : o.sync == SyncPolicy::kGroup ? "group" : "none";
  report->checked = o.check;
  report->bytes_per_user = st.users ? double(st.memory_bytes) / st.users : 0;
  report->merges = st.live.merges;
  report->freezes = st.live.freezes;
  report->compactions = st.live.compactions;
  report->merge_locked_ms_max = st.live.merge_locked_ms_max;
  report->merge_s = st.live.merge_seconds;
  report->syncs = st.syncs;
  report->backlog_waits = st.backlog_waits;
  report->backlog_refusals = st.backlog_refusals;
  report->checkpoints = st.checkpoints;
  report->last_checkpoint_s = st.last_checkpoint_s;
  report->engine_log_bytes = st.log_bytes;
  report->apply_ms_p50 = Percentile(run->apply_ms, 0.5);
  report->apply_ms_p99 = Percentile(run->apply_ms, 0.99);
  report->apply_ms_max = Percentile(run->apply_ms, 1);
  report->update_cpu_us = report->updates_applied
                              ? run->update_cpu_ns.load() * 1e-3 / report->updates_applied
                              : 0;
  report->standing_alerts = o.standing_alerts;
  report->standing_delivered_users = st.standing_delivered_users;
  report->standing_bytes_per_delivered =
      st.standing_delivered_users ? double(st.standing_delivered_bytes) / st.standing_delivered_users
                                  : 0;
}

// Engine mode: each late delivery's latency from the return (and the call)
// of the Apply that carried the update, per user.
void ReportLateLatencies(LoadTestRun* run, LoadTestReport* report) {
  std::vector<LoadTestRun::BatchTiming>& t = run->timings;
  std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.last_seq < b.last_seq; });
  std::vector<std::pair<double, uint64_t>> from_return, from_call;
  for (const auto& sink : run->standing_sinks) {
    std::lock_guard<std::mutex> lock(sink->mu);
    for (const LoadStandingSink::Arrival& a : sink->arrivals) {
      report->late_deliveries += a.users;
      auto it = std::lower_bound(t.begin(), t.end(), a.seq,
                                 [](const auto& b, uint64_t seq) { return b.last_seq < seq; });
      if (it == t.end()) continue;  // cannot happen: every loaded batch is recorded
      const int64_t after_return = a.ns - it->return_ns;
      if (after_return <= 0) report->late_before_return += a.users;
      from_return.push_back({std::max<int64_t>(0, after_return) * 1e-6, a.users});
      from_call.push_back({(a.ns - it->call_ns) * 1e-6, a.users});
    }
  }
  report->late_p50 = WeightedPercentile(from_return, 0.5);
  report->late_p99 = WeightedPercentile(from_return, 0.99);
  report->late_max = WeightedPercentile(from_return, 1);
  report->late_from_call_p50 = WeightedPercentile(from_call, 0.5);
  report->late_from_call_p99 = WeightedPercentile(from_call, 0.99);
}

// Engine mode, after the run: closes the engine, times a reopen of the
// folder, and (with the checker) gives it the recovered state.
absl::Status ReopenAndCheck(const LoadTestOptions& o, LoadTestRun* run, LoadTestReport* report) {
  const uint64_t last = run->engine->GetStats().last_seq;
  run->engine.reset();
  const double t0 = NowSeconds();
  ASSIGN_OR_RETURN(std::unique_ptr<Engine> reopened, Engine::Open(o.engine_dir, run->engine_options));
  report->open_s = NowSeconds() - t0;
  const EngineStats st = reopened->GetStats();
  report->open_updates_replayed = st.open.updates_replayed;
  reopened.reset();
  if (st.last_seq != last) {
    return absl::InternalError(absl::StrCat("the reopened engine is at update ", st.last_seq,
                                            ", the run acknowledged ", last));
  }
  if (run->checker == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(EngineDirectoryState state, ReadEngineDirectory(o.engine_dir, true));
  ASSIGN_OR_RETURN(auto final_state, LiveIndex::Create(std::move(state.index), {}, state.last_seq));
  return CheckAgainst(o, run, final_state->View(), report);
}

// Engine mode with standing alerts and the checker: replays the history
// through the brute-force model and compares, per alert, everyone handed
// (initial and late, with the update that brought them) user for user.
void CheckStandingAgainstModel(const LoadTestOptions& o, LoadTestRun* run,
                               LoadTestReport* report) {
  const double t0 = NowSeconds();
  Progress progress("standing alerts checked against the model", 0, "", o.show_progress);
  StandingModel model;
  for (const UserRecord& r : run->home) model.Upsert(r.user_id, 0, r.lat_e7, r.lng_e7);
  std::vector<std::pair<std::string, const AlertArea*>> alerts;
  for (size_t k = 0; k < run->standing_ids.size(); ++k) {
    alerts.push_back({run->standing_ids[k], run->standing_areas[k].get()});
  }
  bool issued = false;
  run->checker->ForEachUpdate([&](uint64_t seq, const LocationUpdate& u) {
    if (!issued && seq > run->standing_seq) model.IssueMany(alerts, run->standing_seq), issued = true;
    if (u.kind == LocationUpdate::Kind::kUpsert) {
      model.Upsert(u.user_id(), seq, u.location.lat_e7, u.location.lng_e7);
    } else {
      model.Remove(u.user_id());
    }
  });
  if (!issued) model.IssueMany(alerts, run->standing_seq);
  int64_t violations = 0;
  auto note = [&](std::string what) {
    if (report->problems.size() < 20) report->problems.push_back(std::move(what));
  };
  for (size_t k = 0; k < run->standing_ids.size(); ++k) {
    const std::string& id = run->standing_ids[k];
    LoadStandingSink& sink = *run->standing_sinks[k];
    std::lock_guard<std::mutex> lock(sink.mu);
    std::vector<std::pair<uint64_t, uint64_t>> got;  // user, seq (| kInitial)
    for (uint64_t u : sink.initial) got.push_back({u, run->standing_seq | StandingModel::kInitial});
    for (const LateUser& l : sink.late) got.push_back({l.user_id, l.seq});
    std::sort(got.begin(), got.end());
    const auto& want = model.handed(id);
    uint64_t matched = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const auto [user, seq] = got[i];
      if (i > 0 && got[i - 1].first == user) {
        ++violations;
        note(absl::StrCat(id, ": user ", user, " handed twice"));
        continue;
      }
      auto it = want.find(user);
      if (it == want.end()) {
        ++violations;
        note(absl::StrCat(id, ": user ", user, " handed (at ", seq & ~StandingModel::kInitial,
                          ") but never inside while it was active"));
      } else if (it->second != seq) {
        ++violations, ++matched;
        note(absl::StrCat(id, ": user ", user, " handed with update ", seq, ", the model says ",
                          it->second));
      } else {
        ++matched;
      }
    }
    if (matched < want.size()) {
      violations += want.size() - matched;
      note(absl::StrCat(id, ": ", want.size() - matched, " users entered and were never handed it"));
    }
  }
  report->standing_violations = violations;
  report->standing_check_s = NowSeconds() - t0;
}

}  // namespace

absl::StatusOr<LoadTestReport> RunLoadTest(const LoadTestOptions& o) {
  RETURN_IF_ERROR(ValidateLoadTestOptions(o));
  LoadTestReport report;
  report.users = o.users;
  LoadTestRun run;
  RETURN_IF_ERROR(GeneratePopulationAndAlerts(o, &run));
  RETURN_IF_ERROR(BuildInitialIndexAndChecker(o, &run, &report));
  if (!o.engine_dir.empty()) {
    RETURN_IF_ERROR(StartEngine(o, &run, &report));
    AlertLoop idle, loaded;
    RETURN_IF_ERROR(MeasureIdleAlerts(o, &run, &idle));
    RETURN_IF_ERROR(IssueStandingAlerts(o, &run, &report));
    PrepareClientState(o, &run, &report);
    RETURN_IF_ERROR(RunLoadedPhase(o, &run, &loaded, &report));
    ReportEngineStats(o, &run, &report);
    ReportLateLatencies(&run, &report);
    ReportAlertLatencies(run.areas, idle, loaded, &report);
    RETURN_IF_ERROR(ReopenAndCheck(o, &run, &report));
    if (run.checker != nullptr && o.standing_alerts > 0) {
      CheckStandingAgainstModel(o, &run, &report);
    }
    return report;
  }
  RETURN_IF_ERROR(StartLiveIndex(o, &run, &report));

  AlertLoop idle, loaded;
  RETURN_IF_ERROR(MeasureIdleAlerts(o, &run, &idle));
  PrepareClientState(o, &run, &report);
  RETURN_IF_ERROR(RunLoadedPhase(o, &run, &loaded, &report));
  ReportLiveIndexStats(*run.live, &report);
  ReportAlertLatencies(run.areas, idle, loaded, &report);

  RETURN_IF_ERROR(CheckConsistency(o, &run, &report));
  if (run.log != nullptr) RETURN_IF_ERROR(ReplayLogIntoFreshIndex(o, &run, &report));
  return report;
}

}  // namespace fanout
