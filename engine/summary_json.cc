// Copyright 2026 The fan-out engine authors.

#include "engine/summary_json.h"

#include <cmath>

#include "nlohmann/json.hpp"

namespace fanout {
namespace {

// Timings with microsecond resolution keep the file readable.
double Round3(double ms) { return std::round(ms * 1000.0) / 1000.0; }

}  // namespace

std::string SummaryToJson(const AlertSummary& summary) {
  using Json = nlohmann::ordered_json;
  const StageTimings& t = summary.timings;
  double total = t.total_ms > 0 ? t.total_ms
                                : t.parse_ms + t.cover_ms + t.plan_ms + t.scan_ms + t.emit_ms;
  Json j;
  j["matched"] = summary.matched;
  j["shards"] = summary.shards;
  j["per_shard"] = summary.per_shard;
  j["timings_ms"] = {{"parse", Round3(t.parse_ms)}, {"cover", Round3(t.cover_ms)},
                     {"plan", Round3(t.plan_ms)},   {"scan", Round3(t.scan_ms)},
                     {"emit", Round3(t.emit_ms)},   {"total", Round3(total)}};
  Json alert = Json::object();
  for (const auto& [key, value] : summary.alert_info) alert[key] = value;
  j["alert"] = alert;
  Json areas = Json::array();
  for (const auto& a : summary.areas) {
    Json area = {{"area", a.label}, {"desc", a.desc}, {"defined_by", a.defined_by}};
    if (a.counted) area["users"] = a.users;
    areas.push_back(area);
  }
  if (!summary.areas.empty()) j["areas"] = areas;
  j["repairs"] = summary.repairs;
  j["dropped_repeated_pairs"] = summary.dropped_repeated_pairs;
  // How the lists are ordered (DeliveryOrder); nearest first says from
  // where and what the sort cost.
  Json delivery = {{"order", summary.order == DeliveryOrder::kNearest ? "nearest" : "index"}};
  if (summary.order == DeliveryOrder::kNearest) {
    delivery["origin"] = {summary.origin_lat_deg, summary.origin_lng_deg};
    delivery["sort_ms"] = Round3(summary.order_ms);
  }
  if (summary.max_age_applied) {
    delivery["max_age_s"] = summary.max_age_s;
    delivery["as_of"] = summary.as_of_unix_s;
    delivery["stale_skipped"] = summary.stale_skipped;
    delivery["unknown_age_kept"] = summary.unknown_age_kept;
  }
  if (!summary.by_info.empty()) {
    Json blocks = Json::array();
    for (size_t k = 0; k < summary.by_info.size(); ++k) {
      const AlertSummary::InfoCount& b = summary.by_info[k];
      Json langs = Json::object();
      for (const auto& [tag, n] : b.by_user_language) langs[tag.empty() ? "none" : tag] = n;
      blocks.push_back({{"info", k}, {"language", b.language}, {"users", b.users},
                        {"user_languages", langs}});
    }
    delivery["by_info"] = blocks;
  }
  j["delivery"] = delivery;
  j["work"] = {{"index_users", summary.index_users},
               {"covering_interior_cells", summary.covering_interior_cells},
               {"covering_interior_cut_short", summary.covering_interior_cut_short},
               {"covering_boundary_cells", summary.covering_boundary_cells},
               {"ranges", summary.ranges},
               {"interior_entries", summary.interior_entries},
               {"tested_entries", summary.tested_entries},
               {"worker_threads", summary.worker_threads}};
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace fanout
