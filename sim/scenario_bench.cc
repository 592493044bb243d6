// Copyright 2026 The fan-out engine authors.

#include "sim/scenario_bench.h"

#include "sim/standard_alerts.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/data_dir.h"
#include "base/mapped_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "geo/geojson_area.h"
#include "geo/polygon_builder.h"
#include "nlohmann/json.hpp"
#include "oneapi/tbb/parallel_for.h"
#include "s2/s2point_index.h"
#include "s2/s2region_coverer.h"
#include "sim/population_generator.h"

namespace fanout {
namespace {

double Now() { return absl::GetCurrentTimeNanos() * 1e-6; }  // ms

// memcpy bandwidth with every core, best of several runs, in GB/s.
double MeasureMemcpyGbps() {
  const size_t bytes = size_t{512} << 20;
  std::vector<char> a(bytes, 1), b(bytes, 2);
  const size_t pieces = 64;
  double best = 1e18;
  for (int run = 0; run < 5; ++run) {
    double t = Now();
    tbb::parallel_for(size_t{0}, pieces, [&](size_t i) {
      std::memcpy(b.data() + i * (bytes / pieces), a.data() + i * (bytes / pieces), bytes / pieces);
    });
    best = std::min(best, Now() - t);
  }
  return bytes / (best * 1e-3) / 1e9;
}

// The memory limit of DESIGN §6, the matched ids copied once, at the best
// memcpy bandwidth the run measured (measured once more here, after the
// last alert).
ScenarioBenchReport WithMemoryLimits(ScenarioBenchReport report) {
  report.memcpy_gbps_runs.push_back(MeasureMemcpyGbps());
  report.memcpy_gbps = *std::max_element(report.memcpy_gbps_runs.begin(),
                                         report.memcpy_gbps_runs.end());
  for (QueryFigures& q : report.queries) {
    q.limit_ms = q.matched * 8.0 / (report.memcpy_gbps * 1e9) * 1e3;
  }
  return report;
}

// The S2PointIndex baseline over the first `n` users of the index.
class S2PointIndexBaseline {
 public:
  S2PointIndexBaseline(const LocationIndex& index, uint64_t n) {
    SortedRun run = index.run();
    n_ = std::min<uint64_t>(n, run.size());
    // Every (1/stride)th entry keeps the sample spread over the whole map.
    uint64_t stride = std::max<uint64_t>(1, run.size() / std::max<uint64_t>(1, n_));
    for (uint64_t i = 0, taken = 0; i < run.size() && taken < n_; i += stride, ++taken) {
      index_.Add(S2CellId(run.cells[i]).ToPoint(), run.users[i]);
    }
  }
  uint64_t size() const { return n_; }

  // The obvious query: cover, walk each cell's points, test, scatter.
  uint64_t Query(const AlertArea& area, const ShardPolicy& policy) const {
    S2RegionCoverer coverer;  // S2 defaults: 8 cells
    S2CellUnion covering = coverer.GetCovering(area);
    std::vector<std::vector<uint64_t>> shards(policy.shards());
    uint64_t matched = 0;
    S2PointIndex<uint64_t>::Iterator it(&index_);
    for (S2CellId cell : covering) {
      for (it.Seek(cell.range_min()); !it.done() && it.id() <= cell.range_max(); it.Next()) {
        if (area.Contains(it.point())) {
          shards[policy.ShardOf(it.data())].push_back(it.data());
          ++matched;
        }
      }
    }
    return matched;
  }

 private:
  S2PointIndex<uint64_t> index_;
  uint64_t n_ = 0;
};

}  // namespace

absl::StatusOr<ScenarioBenchReport> RunScenarioBench(const ScenarioBenchOptions& o) {
  if (o.users == 0) return absl::InvalidArgumentError("--users must be > 0");
  if (o.repetitions < 1 || o.baseline_repetitions < 1 || o.warmup < 0) {
    return absl::InvalidArgumentError("repetitions must be >= 1 and warmup >= 0");
  }
  ASSIGN_OR_RETURN(std::vector<NamedArea> standard, StandardAlerts(/*with_nation=*/true));
  bool run_warnings = o.alerts.empty();
  if (!o.alerts.empty()) {
    std::vector<NamedArea> chosen;
    for (const std::string& name : o.alerts) {
      if (name == "warnings") {
        run_warnings = true;
        continue;
      }
      auto it = std::find_if(standard.begin(), standard.end(),
                             [&](const NamedArea& a) { return a.name == name; });
      if (it == standard.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown alert \"", name, "\" (expected county, state, circle, nation, warnings)"));
      }
      chosen.push_back(std::move(*it));
      standard.erase(it);
    }
    standard = std::move(chosen);
  }
  ScenarioBenchReport report;
  report.users = o.users;
  ASSIGN_OR_RETURN(std::string cities_path, FindDataFile("cities.csv"));
  ASSIGN_OR_RETURN(std::vector<City> cities, LoadCities(cities_path));
  ASSIGN_OR_RETURN(auto generator, PopulationGenerator::Create(cities, Region::kUs, o.seed));
  double t = Now();
  std::vector<UserRecord> records = generator->GenerateAll(o.users, o.show_progress);
  report.generate_s = (Now() - t) / 1000;
  LocationIndex::BuildOptions build_options;
  build_options.show_progress = o.show_progress;
  t = Now();
  ASSIGN_OR_RETURN(auto index, LocationIndex::Build(records, build_options));
  report.build_s = (Now() - t) / 1000;
  report.bytes_per_user = index->BytesPerUser();
  // The memory limit's bandwidth: memcpy measured now and again after the
  // last alert, the better figure taken (the machine is shared: a single
  // reading taken while a neighbour ran would flatter every ratio to the
  // limit; readings between alerts slowed the alert after them).
  report.memcpy_gbps_runs.push_back(MeasureMemcpyGbps());

  // Warning centres: users' own locations, so warnings fall where people are.
  std::mt19937_64 rng(o.seed);
  std::vector<std::unique_ptr<AlertArea>> warnings;
  for (int i = 0; i < 100; ++i) {
    const UserRecord& r = records[rng() % records.size()];
    warnings.push_back(RandomWarning(rng, r.lat(), r.lng()));
  }
  std::vector<UserRecord>().swap(records);

  std::unique_ptr<S2PointIndexBaseline> s2index;
  if (!o.skip_baselines) {
    Progress progress("building S2PointIndex baseline", 0, "", o.show_progress);
    s2index = std::make_unique<S2PointIndexBaseline>(*index, o.s2pointindex_max_users);
  }

  AlertExecutor::Options exec_options;
  exec_options.shards = o.shards;
  AlertExecutor executor(*index, exec_options);
  ASSIGN_OR_RETURN(ShardPolicy policy, ShardPolicy::Create(o.shards));

  auto time_engine = [&](const AlertArea& area, int warmup, int reps,
                         QueryFigures* q) -> absl::StatusOr<std::vector<double>> {
    std::vector<double> samples, cover, plan, scan;
    AlertSummary summary;
    // One DeliveryLists for all runs, as a service keeps one per worker:
    // list memory is reused, not faulted in anew (alert_executor.h).
    DeliveryLists lists;
    for (int i = 0; i < warmup + reps; ++i) {
      double start = Now();
      absl::Status status = executor.Execute(area, &lists, &summary);
      double ms = Now() - start;
      RETURN_IF_ERROR(status);
      if (i >= warmup) {
        samples.push_back(ms);
        cover.push_back(summary.timings.cover_ms);
        plan.push_back(summary.timings.plan_ms);
        scan.push_back(summary.timings.scan_ms);
      }
    }
    q->matched = summary.matched;
    q->tested = summary.tested_entries;
    q->cover_ms = Percentile(cover, 0.5);
    q->plan_ms = Percentile(plan, 0.5);
    q->scan_ms = Percentile(scan, 0.5);
    return samples;
  };
  auto median_of = [&](int reps, auto fn) {
    std::vector<double> samples;
    for (int i = 0; i < reps; ++i) {
      double start = Now();
      fn();
      samples.push_back(Now() - start);
    }
    return Percentile(samples, 0.5);
  };

  for (const NamedArea& n : standard) {
    QueryFigures q;
    q.name = n.name;
    ASSIGN_OR_RETURN(std::vector<double> samples,
                     time_engine(*n.area, o.warmup, o.repetitions, &q));
    q.ms_p50 = Percentile(samples, 0.5);
    q.ms_p99 = Percentile(samples, 0.99);
    if (o.skip_baselines) {
      report.queries.push_back(q);
      continue;
    }
    uint64_t brute_matched = 0;
    q.bruteforce_ms = median_of(o.baseline_repetitions, [&] {
      brute_matched = BruteForceScan(*index, *n.area, policy).total();
    });
    if (brute_matched != q.matched) {
      return absl::InternalError(absl::StrCat(n.name, ": engine matched ", q.matched,
                                              " but brute force ", brute_matched));
    }
    uint64_t s2_matched = 0;
    q.s2pointindex_ms = median_of(o.baseline_repetitions,
                                  [&] { s2_matched = s2index->Query(*n.area, policy); });
    q.s2pointindex_users = s2index->size();
    if (s2index->size() == index->size() && s2_matched != q.matched) {
      return absl::InternalError(absl::StrCat(n.name, ": engine matched ", q.matched,
                                              " but S2PointIndex ", s2_matched));
    }
    report.queries.push_back(q);
  }
  if (!run_warnings) return WithMemoryLimits(std::move(report));

  // Warnings: each of the 100 is one alert; figures are over the 100.
  QueryFigures w;
  w.name = "warnings";
  std::vector<double> engine_ms, s2_ms, matched;
  for (const auto& area : warnings) {
    QueryFigures one;
    ASSIGN_OR_RETURN(std::vector<double> samples, time_engine(*area, 1, 1, &one));
    engine_ms.push_back(samples[0]);
    matched.push_back(static_cast<double>(one.matched));
    if (s2index) s2_ms.push_back(median_of(1, [&] { s2index->Query(*area, policy); }));
  }
  w.ms_p50 = Percentile(engine_ms, 0.5);
  w.ms_p99 = Percentile(engine_ms, 0.99);
  w.matched = static_cast<uint64_t>(Percentile(matched, 0.5));
  if (o.skip_baselines) {
    report.queries.push_back(w);
    return WithMemoryLimits(std::move(report));
  }
  w.s2pointindex_ms = Percentile(s2_ms, 0.5);
  w.s2pointindex_users = s2index->size();
  // A full scan costs the same for any small polygon: time three.
  w.bruteforce_ms = median_of(3, [&, i = 0]() mutable {
    BruteForceScan(*index, *warnings[i++], policy);
  });
  report.queries.push_back(w);
  return WithMemoryLimits(std::move(report));
}

std::string ScenarioBenchReport::ToJson() const {
  nlohmann::ordered_json j;
  j["users"] = users;
  j["bytes_per_user"] = bytes_per_user;
  j["build_s"] = build_s;
  j["generate_s"] = generate_s;
  j["memcpy_gbps"] = memcpy_gbps;
  j["memcpy_gbps_runs"] = memcpy_gbps_runs;
  j["queries"] = nlohmann::ordered_json::array();
  for (const QueryFigures& q : queries) {
    nlohmann::ordered_json e;
    e["name"] = q.name;
    e["matched"] = q.matched;
    e["ms_p50"] = q.ms_p50;
    e["ms_p99"] = q.ms_p99;
    e["bruteforce_ms"] = q.bruteforce_ms;
    e["s2pointindex_ms"] = q.s2pointindex_ms;
    e["s2pointindex_users"] = q.s2pointindex_users;
    e["limit_ms"] = q.limit_ms;
    e["tested"] = q.tested;
    e["cover_ms"] = q.cover_ms;
    e["plan_ms"] = q.plan_ms;
    e["scan_ms"] = q.scan_ms;
    j["queries"].push_back(e);
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string ScenarioBenchReport::ToText() const {
  const double lowest = memcpy_gbps_runs.empty()
                            ? 0
                            : *std::min_element(memcpy_gbps_runs.begin(), memcpy_gbps_runs.end());
  std::string out = absl::StrFormat(
      "%d users, %.1f bytes/user, generated in %.2f s, index built in %.2f s, memcpy %.1f GB/s "
      "(best of %d readings; lowest %.1f)\n",
      users, bytes_per_user, generate_s, build_s, memcpy_gbps, memcpy_gbps_runs.size(), lowest);
  absl::StrAppendFormat(&out, "%-9s %10s %9s %9s %12s %14s %9s %8s %8s %8s\n", "alert",
                        "matched", "p50 ms", "p99 ms", "brute ms", "s2pointidx ms", "limit ms",
                        "x brute", "x s2idx", "x limit");
  for (const QueryFigures& q : queries) {
    absl::StrAppendFormat(&out, "%-9s %10d %9.2f %9.2f %12.1f %14.1f %9.2f %8.0f %8.0f %8.1f%s\n",
                          q.name, q.matched, q.ms_p50, q.ms_p99, q.bruteforce_ms,
                          q.s2pointindex_ms, q.limit_ms, q.bruteforce_ms / q.ms_p50,
                          q.s2pointindex_ms / q.ms_p50, q.ms_p50 / q.limit_ms,
                          q.s2pointindex_users < users
                              ? absl::StrFormat(" (S2PointIndex on %d users)", q.s2pointindex_users)
                              : "");
  }
  absl::StrAppendFormat(&out, "engine stages, medians: %-9s %9s %9s %9s\n", "alert", "cover ms",
                        "plan ms", "scan ms");
  for (const QueryFigures& q : queries) {
    if (q.name == "warnings") continue;  // one figure over 100 alerts, no stages
    absl::StrAppendFormat(&out, "                        %-9s %9.2f %9.2f %9.2f\n", q.name,
                          q.cover_ms, q.plan_ms, q.scan_ms);
  }
  return out;
}

}  // namespace fanout
