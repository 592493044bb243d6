// Copyright 2026 The fan-out engine authors.
//
// fanout alert: one alert over an index, lists to a directory (DESIGN §5).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/directory_sink.h"
#include "engine/user_attributes.h"
#include "geo/alert_map.h"
#include "tools/alert_output.h"
#include "tools/area_flags.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/index_flags.h"

namespace fanout {
namespace {

void PrintSummary(const AlertSummary& s, const std::string& out_dir) {
  std::printf("matched %llu users of %llu in %u shards -> %s\n",
              static_cast<unsigned long long>(s.matched),
              static_cast<unsigned long long>(s.index_users), s.shards, out_dir.c_str());
  uint64_t lo = UINT64_MAX, hi = 0;
  for (uint64_t n : s.per_shard) {
    lo = std::min(lo, n);
    hi = std::max(hi, n);
  }
  std::printf("per shard: min %llu, max %llu;", static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi));
  for (size_t i = 0; i < s.per_shard.size() && i < 8; ++i) {
    std::printf(" [%zu]=%llu", i, static_cast<unsigned long long>(s.per_shard[i]));
  }
  std::printf("%s\n", s.per_shard.size() > 8 ? " ..." : "");
  const StageTimings& t = s.timings;
  std::printf("timings ms: parse %.3f, cover %.3f, plan %.3f, scan %.3f, emit %.3f, total %.3f\n",
              t.parse_ms, t.cover_ms, t.plan_ms, t.scan_ms, t.emit_ms, t.total_ms);
  std::printf("work: %llu interior + %llu boundary cells, %llu ranges, %llu users taken whole, "
              "%llu tested, %d threads\n",
              static_cast<unsigned long long>(s.covering_interior_cells),
              static_cast<unsigned long long>(s.covering_boundary_cells),
              static_cast<unsigned long long>(s.ranges),
              static_cast<unsigned long long>(s.interior_entries),
              static_cast<unsigned long long>(s.tested_entries), s.worker_threads);
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  return WriteFileAtomically(path, [&](const AppendFn& append) { return append(text); });
}

}  // namespace

absl::Status RunAlert(int argc, char** argv) {
  std::set<std::string> valued = AreaValuedFlags(), switches = AreaSwitchFlags();
  for (const auto& f : IndexValuedFlags()) valued.insert(f);
  for (const auto& f : IndexSwitchFlags()) switches.insert(f);
  valued.insert({"shards", "out", "format", "order", "map", "covering-geojson", "max-age", "now"});
  switches.insert({"force", "verify", "by-info"});
  CliFlags flags(valued, switches);
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(std::string out_dir, flags.Require("out"));
  if (!flags.Has("shards")) return absl::InvalidArgumentError("--shards is required");
  ASSIGN_OR_RETURN(uint64_t shards,
                   flags.GetUintInRange("shards", 0, 1, ShardPolicy::kMaxShards));
  DirectorySink::Options sink_options;
  ASSIGN_OR_RETURN(sink_options.format, ParseListFormat(flags.Get("format").value_or("csv")));
  sink_options.overwrite = flags.Has("force");
  DirectorySink sink(out_dir, sink_options);
  // Refuse before any heavy work; the library names its option, the
  // command line its flag.
  if (absl::Status target = sink.CheckTarget(); !target.ok()) {
    std::error_code ec;
    if (!sink_options.overwrite && std::filesystem::is_directory(out_dir, ec)) {
      return absl::Status(target.code(),
                          absl::StrCat(out_dir, " already exists (use --force to replace it)"));
    }
    return target;
  }
  RETURN_IF_ERROR(DirectorySink::CheckShardCount(shards));
  const std::string order = flags.Get("order").value_or("index");
  if (order != "index" && order != "nearest") {
    return absl::InvalidArgumentError(
        absl::StrCat("--order must be index or nearest, got \"", order, "\""));
  }
  ASSIGN_OR_RETURN(const AgeFlags age, ParseAgeFlags(flags));
  const int64_t max_age_s = age.max_age_s;
  const bool by_info = flags.Has("by-info");
  const std::optional<std::string> map_path = flags.Get("map");
  const std::optional<std::string> covering_path = flags.Get("covering-geojson");
  for (const auto* path : {&map_path, &covering_path}) {
    if (path->has_value()) RETURN_IF_ERROR(CheckOutputFile(**path));
  }

  AlertSummary summary;
  int64_t parse_start = absl::GetCurrentTimeNanos();
  std::vector<std::unique_ptr<AlertArea>> per_area;  // for the per-area counts of summary.json
  std::vector<std::string> info_languages;
  ASSIGN_OR_RETURN(std::unique_ptr<AlertArea> area,
                   LoadAreaFromFlags(flags, &summary, &per_area, nullptr, &info_languages));
  summary.timings.parse_ms = MillisSince(parse_start);

  // Load or build the index (not part of the alert's timings).
  std::shared_ptr<const UserAttributes> attributes;
  ASSIGN_OR_RETURN(std::unique_ptr<LocationIndex> index,
                   LoadIndexFromFlags(flags, &summary, &attributes));

  AlertExecutor::Options options;
  options.shards = static_cast<uint32_t>(shards);
  options.order = order == "nearest" ? DeliveryOrder::kNearest : DeliveryOrder::kIndex;
  // The per-area counts (CountUsersPerArea) use the same executor: they
  // count the area's users before any attribute filter.
  AlertExecutor executor(*index, options);
  AlertExecutor::Options delivery_options = options;
  delivery_options.attributes = attributes;
  if (max_age_s > 0) {
    ASSIGN_OR_RETURN(delivery_options.as_of_unix_s, AlertTime(AlertSent(summary), age.now));
    delivery_options.max_age_s = max_age_s;
    if (attributes == nullptr || !attributes->has_updated_at()) {
      std::fprintf(stderr, "--max-age: the users have no updated_at; everyone is kept\n");
    }
  }
  if (by_info) {
    delivery_options.info_languages = info_languages;
    if (attributes == nullptr || !attributes->has_lang()) {
      std::fprintf(stderr, "--by-info: the users have no lang; everyone gets info block 0\n");
    }
  }
  AlertExecutor delivery(*index, delivery_options);
  // The map and the covering cost nothing unless asked for.
  AreaCovering covering;
  std::vector<UserIdList> cells;
  AlertExecutor::Extras extras;
  if (map_path || covering_path) extras.covering = &covering;
  if (map_path) extras.cells = &cells;
  std::vector<DeliveryLists> info_lists;
  if (by_info) extras.by_info = &info_lists;
  DeliveryLists lists;
  RETURN_IF_ERROR(delivery.Execute(*area, &lists, &summary, extras));
  if (flags.Has("verify") && (max_age_s > 0)) {
    std::fprintf(stderr, "--verify compares the area's users before --max-age; skipped\n");
  } else if (flags.Has("verify")) {
    ASSIGN_OR_RETURN(ShardPolicy policy, ShardPolicy::Create(options.shards));
    std::string why;
    if (!SameListsAsSets(lists, BruteForceScan(*index, *area, policy), &why)) {
      return absl::InternalError(absl::StrCat("verification failed: ", why));
    }
    std::fprintf(stderr, "verified: identical to a brute-force scan of all %zu users\n",
                 index->size());
  }
  RETURN_IF_ERROR(CountUsersPerArea(executor, per_area, &summary));
  // A snapshot is queried straight from its mapping: had the file shrunk
  // meanwhile, the lists above were built from zeros and must not be sent.
  RETURN_IF_ERROR(MappedFile::CheckAllIntact());
  int64_t emit_start = absl::GetCurrentTimeNanos();
  if (by_info) {
    RETURN_IF_ERROR(sink.DeliverByInfo(lists, info_lists, summary));
  } else {
    RETURN_IF_ERROR(sink.Deliver(lists, summary));
  }
  summary.timings.emit_ms = MillisSince(emit_start);
  const StageTimings& t = summary.timings;
  summary.timings.total_ms = t.parse_ms + t.cover_ms + t.plan_ms + t.scan_ms + t.emit_ms;
  PrintSummary(summary, out_dir);
  if (summary.order == DeliveryOrder::kNearest) {
    std::printf("order: nearest (%.6f,%.6f) first, sorted in %.3f ms\n", summary.origin_lat_deg,
                summary.origin_lng_deg, summary.order_ms);
  }
  PrintAttributeDelivery(summary, out_dir);
  if (covering_path) {
    int64_t covering_start = absl::GetCurrentTimeNanos();
    RETURN_IF_ERROR(WriteText(*covering_path, CoveringToGeoJson(covering)));
    std::printf("covering: %d interior + %d boundary cells -> %s (%.1f ms)\n",
                covering.interior.num_cells(), covering.boundary.num_cells(),
                covering_path->c_str(), MillisSince(covering_start));
  }
  if (map_path) {
    int64_t map_start = absl::GetCurrentTimeNanos();
    std::vector<absl::Span<const uint64_t>> spans;
    for (const UserIdList& list : cells) spans.emplace_back(list.data(), list.size());
    ASSIGN_OR_RETURN(std::string svg, RenderOperatorMap(*area, covering, spans, summary));
    RETURN_IF_ERROR(WriteText(*map_path, svg));
    std::printf("map: %s (%.1f ms)\n", map_path->c_str(), MillisSince(map_start));
  }
  return absl::OkStatus();
}

}  // namespace fanout
