// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_SUMMARY_JSON_H_
#define FANOUT_ENGINE_SUMMARY_JSON_H_

#include <string>

#include "engine/delivery.h"

namespace fanout {

// summary.json (DESIGN §4): {"matched", "shards", "per_shard", "timings_ms":
// {"parse", "cover", "plan", "scan", "emit", "total"}, "alert": {...},
// "delivery": {"order": "index"|"nearest", and for nearest "origin":
// [lat, lng] and "sort_ms"; with a maximum age "max_age_s", "as_of",
// "stale_skipped" and "unknown_age_kept"; by info block "by_info": [{"info":
// k, "language", "users", "user_languages": {tag or "none": n}}]},
// "work": {...}}. "total" is the sum of the stages when the caller left
// total_ms at 0.
std::string SummaryToJson(const AlertSummary& summary);

}  // namespace fanout

#endif  // FANOUT_ENGINE_SUMMARY_JSON_H_
