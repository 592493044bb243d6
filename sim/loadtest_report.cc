// Copyright 2026 The fan-out engine authors.

#include "sim/loadtest_report.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace fanout {

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
  j["client_bytes_per_user"] = client_bytes_per_user;
  j["merges"] = merges;
  j["freezes"] = freezes;
  j["compactions"] = compactions;
  j["merge_locked_ms_max"] = merge_locked_ms_max;
  j["merge_s"] = merge_s;
  j["cpu_us_per_update"] = cpu_us_per_update;
  j["loaded_cpu_s"] = loaded_cpu_s;
  for (const auto& [name, seconds] : loaded_cpu_s_by_thread) j["loaded_cpu_s_by_thread"][name] = seconds;
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
  if (engine) {
    nlohmann::ordered_json e;
    e["sync"] = sync;
    e["checked"] = checked;
    e["syncs"] = syncs;
    e["backlog_waits"] = backlog_waits;
    e["backlog_refusals"] = backlog_refusals;
    e["apply_ms"] = {{"p50", apply_ms_p50}, {"p99", apply_ms_p99}, {"max", apply_ms_max}};
    e["update_cpu_us"] = update_cpu_us;
    e["checkpoint_s"] = checkpoint_s;
    e["checkpoints"] = checkpoints;
    e["last_checkpoint_s"] = last_checkpoint_s;
    e["log_bytes"] = engine_log_bytes;
    for (const Sample& x : samples) {
      e["samples"].push_back({{"at_s", x.at_s},
                              {"bytes_per_user", x.bytes_per_user},
                              {"log_bytes", x.log_bytes},
                              {"unfolded_updates", x.unfolded_updates},
                              {"rss_bytes", x.rss_bytes},
                              {"merge_bytes", x.merge_bytes},
                              {"unmerged_bytes", x.unmerged_bytes},
                              {"pooled_bytes", x.pooled_bytes}});
    }
    e["open_s"] = open_s;
    e["open_updates_replayed"] = open_updates_replayed;
    j["engine"] = e;
    j["open_s"] = open_s;
    j["standing_alerts"] = standing_alerts;
    j["late_deliveries"] = late_deliveries;
    j["late_delivery_ms"] = {{"p50", late_p50}, {"p99", late_p99}, {"max", late_max}};
    j["late_before_return"] = late_before_return;
    j["late_from_call_ms"] = {{"p50", late_from_call_p50}, {"p99", late_from_call_p99}};
    if (standing_violations >= 0) {
      j["standing_violations"] = standing_violations;
    } else {
      j["standing_violations"] = nullptr;  // not checked (--check none)
    }
    j["standing"] = {{"issue_s", standing_issue_s},
                     {"initial", standing_initial},
                     {"delivered_users", standing_delivered_users},
                     {"record_bytes_per_delivered", standing_bytes_per_delivered},
                     {"check_s", standing_check_s}};
  }
  j["problems"] = problems;
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string LoadTestReport::ToText() const {
  std::string s = absl::StrFormat(
      "users %d, live index %.1f bytes/user at the end, load client %.1f bytes/user\n"
      "updates applied %d: %.0f per second\n"
      "alerts %d under load: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n"
      "alerts %d idle:       p50 %.2f ms, p99 %.2f ms (loaded p99 / idle p99 = %.2f)\n"
      "merges %d (%.1f s in all, longest writer stall %.1f ms), freezes %d, compactions %d\n"
      "consistency violations %d, lost updates %d (checked in %.1f s)\n",
      users, bytes_per_user, client_bytes_per_user, updates_applied, updates_per_s, alerts, alert_p50, alert_p99,
      alert_p999, idle_alerts, idle_p50, idle_p99, idle_p99 > 0 ? alert_p99 / idle_p99 : 0,
      merges, merge_s, merge_locked_ms_max, freezes, compactions, consistency_violations, lost_updates,
      check_s);
  if (loaded_cpu_s > 0) {
    absl::StrAppendFormat(&s, "CPU over the loaded phase: %.3f us/update (process), %.1f s:", cpu_us_per_update,
                          loaded_cpu_s);
    for (const auto& [name, seconds] : loaded_cpu_s_by_thread) absl::StrAppendFormat(&s, " %s %.1f", name, seconds);
    s += "\n";
  }
  if (log_bytes > 0) {
    absl::StrAppendFormat(&s, "update log %.1f MB, replayed in %.2f s (%.0f updates/s)\n",
                          log_bytes / 1e6, log_replay_s,
                          log_replay_s > 0 ? updates_applied / log_replay_s : 0);
  }
  if (engine) {
    absl::StrAppendFormat(&s,
                          "engine: sync %s, %d fsyncs, update threads %.3f us CPU/update, Apply p50 %.2f ms p99 %.2f ms max %.2f ms, "
                          "%d checkpoints (last %.2f s), log %.1f MB, reopened in %.2f s%s\n",
                          sync, syncs, update_cpu_us, apply_ms_p50, apply_ms_p99, apply_ms_max, checkpoints,
                          last_checkpoint_s, engine_log_bytes / 1e6, open_s,
                          checked ? "" : " (NOT checked: --check none)");
    if (backlog_waits > 0) {
      absl::StrAppendFormat(&s, "  backpressure: %d Apply calls waited, %d refused (retried)\n",
                            backlog_waits, backlog_refusals);
    }
    for (double c : checkpoint_s) absl::StrAppendFormat(&s, "  --checkpoint-at: %.2f s\n", c);
    if (standing_alerts > 0) {
      absl::StrAppendFormat(
          &s,
          "standing alerts %d (issued in %.2f s, %d initial): %d late deliveries, from Apply's "
          "return p50 %.2f ms p99 %.2f ms (%d before it returned), from its call p50 %.2f ms p99 "
          "%.2f ms; violations %s\n",
          standing_alerts, standing_issue_s, standing_initial, late_deliveries, late_p50, late_p99,
          late_before_return, late_from_call_p50, late_from_call_p99,
          standing_violations >= 0 ? absl::StrCat(standing_violations) : "not checked");
    }
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
