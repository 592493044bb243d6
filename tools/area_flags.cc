// Copyright 2026 The fan-out engine authors.

#include "tools/area_flags.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "geo/alert_resolver.h"
#include "geo/cap_alert.h"
#include "geo/geojson_alert.h"
#include "geo/lat_lng_text.h"
#include "tools/cli_util.h"

namespace fanout {
namespace {

absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

CapAlert OneArea(const std::string& label, CapArea area) {
  CapAlert alert;
  alert.infos.emplace_back();
  area.label = label;
  alert.infos.front().areas.push_back(std::move(area));
  return alert;
}

void AddInfo(AlertSummary* summary, const char* key, const std::string& value) {
  if (!value.empty()) summary->alert_info.emplace_back(key, value);
}

}  // namespace

std::set<std::string> AreaValuedFlags() {
  return {"cap",  "geojson", "feature", "polygon",  "circle",
          "same", "fips",    "edges",   "margin-m", "geocodes"};
}
std::set<std::string> AreaSwitchFlags() { return {"lenient"}; }

absl::StatusOr<std::unique_ptr<AlertArea>> LoadAreaFromFlags(
    const CliFlags& flags, AlertSummary* summary,
    std::vector<std::unique_ptr<AlertArea>>* per_area) {
  int sources = flags.Has("cap") + flags.Has("geojson") + flags.Has("polygon") +
                flags.Has("circle") + flags.Has("same") + flags.Has("fips");
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one area: --cap FILE, --geojson FILE, --polygon \"lat,lon ...\", "
        "--circle \"lat,lon km\", --same CODE or --fips CODE");
  }
  if (flags.Has("feature") && !flags.Has("geojson")) {
    return absl::InvalidArgumentError("--feature goes with --geojson");
  }
  ResolveOptions options;
  ASSIGN_OR_RETURN(options.edges, ParseEdgeModel(flags.Get("edges").value_or("planar")));
  options.lenient = flags.Has("lenient");
  std::string geocodes = flags.Get("geocodes").value_or("fallback");
  if (geocodes != "fallback" && geocodes != "union") {
    return absl::InvalidArgumentError(
        absl::StrCat("--geocodes must be fallback or union, got \"", geocodes, "\""));
  }
  options.geocodes_union = geocodes == "union";
  ASSIGN_OR_RETURN(options.margin_m, flags.GetDouble("margin-m", 0));
  RETURN_IF_ERROR(options.Validate());
  summary->alert_info.emplace_back("edges", std::string(EdgeModelName(options.edges)));

  CapAlert alert;
  std::string where;  // prefix of error messages
  std::vector<std::string> geojson_repairs;  // --lenient repairs of GeoJSON rings
  if (auto path = flags.Get("cap")) {
    where = *path;
    const CapParseOptions cap_options;
    ASSIGN_OR_RETURN(std::string text, ReadText(*path, cap_options.max_bytes));
    auto parsed = ParseCapAlert(text, cap_options);
    if (!parsed.ok()) return Prefixed(*path, parsed.status());
    alert = *std::move(parsed);
    summary->alert_info.emplace_back("source", absl::StrCat("cap ", *path));
    summary->alert_info.emplace_back("cap_version", alert.version);
  } else if (auto path = flags.Get("geojson")) {
    where = *path;
    GeoJsonOptions geojson;
    geojson.edges = options.edges;
    geojson.feature_id = flags.Get("feature").value_or("");
    geojson.repair_rings = options.lenient;
    geojson.repairs = &geojson_repairs;
    ASSIGN_OR_RETURN(std::string text, ReadText(*path, geojson.max_bytes));
    auto parsed = ParseGeoJsonAlert(text, geojson);
    if (!parsed.ok()) return Prefixed(*path, parsed.status());
    alert = *std::move(parsed);
    summary->alert_info.emplace_back("source", absl::StrCat("geojson ", *path));
    if (!geojson.feature_id.empty())
      summary->alert_info.emplace_back("feature", geojson.feature_id);
  } else if (auto text = flags.Get("polygon")) {
    CapArea area;
    area.polygons.push_back(*text);
    alert = OneArea("--polygon", std::move(area));
    summary->alert_info.emplace_back("source", "polygon");
  } else if (auto text = flags.Get("circle")) {
    CapArea area;
    area.circles.push_back(*text);
    alert = OneArea("--circle", std::move(area));
    summary->alert_info.emplace_back("source", absl::StrCat("circle ", *text));
  } else {
    bool same = flags.Has("same");
    std::string code = *flags.Get(same ? "same" : "fips");
    CapArea area;
    area.geocodes.push_back({same ? "SAME" : "FIPS", code});
    alert = OneArea(same ? "--same" : "--fips", std::move(area));
    summary->alert_info.emplace_back("source", absl::StrCat(same ? "same " : "fips ", code));
  }
  AddInfo(summary, "identifier", alert.identifier);
  AddInfo(summary, "sender", alert.sender);
  AddInfo(summary, "sent", alert.sent);
  AddInfo(summary, "msgType", alert.msg_type);
  AddInfo(summary, "status", alert.status);
  AddInfo(summary, "references", alert.references);
  if (options.lenient) summary->alert_info.emplace_back("mode", "lenient");
  if (options.margin_m > 0) {
    summary->alert_info.emplace_back("margin_m", FormatDecimal(options.margin_m));
  }

  auto resolved = ResolveAlert(alert, options);
  if (!resolved.ok()) return where.empty() ? resolved.status() : Prefixed(where, resolved.status());
  if (!resolved->ignored.empty()) {
    summary->alert_info.emplace_back("ignored", absl::StrJoin(resolved->ignored, "; "));
  }
  summary->repairs = resolved->repairs;
  for (const std::string& r : geojson_repairs) summary->repairs.push_back(absl::StrCat(where, ": ", r));
  for (ResolvedArea& a : resolved->areas) {
    summary->areas.push_back({a.label, a.area_desc, a.defined_by, 0});
    if (per_area != nullptr) per_area->push_back(std::move(a.region));
  }
  return std::move(resolved->area);
}

absl::Status CountUsersPerArea(const AlertExecutor& executor,
                               const std::vector<std::unique_ptr<AlertArea>>& per_area,
                               AlertSummary* summary) {
  if (summary->areas.size() != per_area.size()) {
    return absl::FailedPreconditionError("per-area regions do not match the summary's areas");
  }
  if (per_area.size() == 1) {
    summary->areas[0].users = summary->matched;
    summary->areas[0].counted = true;
    return absl::OkStatus();
  }
  if (per_area.size() > kMaxCountedAreas) {
    summary->alert_info.emplace_back(
        "area_users",
        absl::StrCat("not counted: ", per_area.size(), " areas (limit ", kMaxCountedAreas, ")"));
    return absl::OkStatus();
  }
  for (size_t i = 0; i < per_area.size(); ++i) {
    ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(*per_area[i], nullptr));
    summary->areas[i].users = lists.total();
    summary->areas[i].counted = true;
  }
  return absl::OkStatus();
}

}  // namespace fanout
