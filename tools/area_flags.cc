// Copyright 2026 The fan-out engine authors.

#include "tools/area_flags.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "geo/alert_text.h"
#include "geo/edge_model.h"
#include "geo/lat_lng_text.h"
#include "tools/cli_util.h"

namespace fanout {
namespace {

absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

void AddInfo(AlertSummary* summary, const char* key, const std::string& value) {
  if (!value.empty()) summary->alert_info.emplace_back(key, value);
}

// The flags' translation into the library's request: which format, the
// text (read from the file for --cap and --geojson) and where errors are
// said to be (the file, or the flag).
struct AreaRequest {
  AlertFormat format;
  std::string text;
  std::string where;
  std::string source;  // summary.json "source"
};

absl::StatusOr<AreaRequest> RequestFromFlags(const CliFlags& flags, size_t max_bytes,
                                             const std::string* file_text) {
  AreaRequest r;
  if (auto path = flags.Get("cap")) {
    r.format = AlertFormat::kCap;
    r.where = *path;
    r.source = absl::StrCat("cap ", *path);
    if (file_text != nullptr) {
      r.text = *file_text;
    } else {
      ASSIGN_OR_RETURN(r.text, ReadText(*path, max_bytes));
    }
  } else if (auto path = flags.Get("geojson")) {
    r.format = AlertFormat::kGeoJson;
    r.where = *path;
    r.source = absl::StrCat("geojson ", *path);
    if (file_text != nullptr) {
      r.text = *file_text;
    } else {
      ASSIGN_OR_RETURN(r.text, ReadText(*path, max_bytes));
    }
  } else if (auto text = flags.Get("polygon")) {
    r = {AlertFormat::kPolygon, *text, "--polygon", "polygon"};
  } else if (auto text = flags.Get("circle")) {
    r = {AlertFormat::kCircle, *text, "--circle", absl::StrCat("circle ", *text)};
  } else {
    const bool same = flags.Has("same");
    const std::string code = *flags.Get(same ? "same" : "fips");
    r = {AlertFormat::kCode, absl::StrCat(same ? "SAME " : "FIPS ", code),
         same ? "--same" : "--fips", absl::StrCat(same ? "same " : "fips ", code)};
  }
  return r;
}

}  // namespace

std::set<std::string> AreaValuedFlags() {
  return {"cap",  "geojson", "feature", "polygon",  "circle",
          "same", "fips",    "edges",   "margin-m", "geocodes"};
}
std::set<std::string> AreaSwitchFlags() { return {"lenient"}; }

absl::StatusOr<std::unique_ptr<AlertArea>> LoadAreaFromFlags(
    const CliFlags& flags, AlertSummary* summary,
    std::vector<std::unique_ptr<AlertArea>>* per_area, const std::string* file_text,
    std::vector<std::string>* info_languages) {
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
  // Flags -> options.
  AlertTextOptions options;
  ASSIGN_OR_RETURN(options.resolve.edges,
                   ParseEdgeModel(flags.Get("edges").value_or("planar")));
  options.resolve.lenient = flags.Has("lenient");
  const std::string geocodes = flags.Get("geocodes").value_or("fallback");
  if (geocodes != "fallback" && geocodes != "union") {
    return absl::InvalidArgumentError(
        absl::StrCat("--geocodes must be fallback or union, got \"", geocodes, "\""));
  }
  options.resolve.geocodes_union = geocodes == "union";
  ASSIGN_OR_RETURN(options.resolve.margin_m, flags.GetDouble("margin-m", 0));
  // ResolveOptions::Validate checks only the margin: say which flag gave it.
  if (absl::Status valid = options.resolve.Validate(); !valid.ok()) {
    return Prefixed("--margin-m", valid);
  }
  options.feature_id = flags.Get("feature").value_or("");
  ASSIGN_OR_RETURN(AreaRequest request, RequestFromFlags(flags, options.max_bytes, file_text));

  // Options -> the library's entry point.
  auto resolved = ResolveAlertText(request.text, request.format, options);
  if (!resolved.ok()) return Prefixed(request.where, resolved.status());

  // Result -> summary.
  summary->alert_info.emplace_back("edges", std::string(EdgeModelName(options.resolve.edges)));
  summary->alert_info.emplace_back("source", request.source);
  AddInfo(summary, "cap_version", resolved->header.cap_version);
  AddInfo(summary, "feature", options.feature_id);
  AddInfo(summary, "identifier", resolved->header.identifier);
  AddInfo(summary, "sender", resolved->header.sender);
  AddInfo(summary, "sent", resolved->header.sent);
  AddInfo(summary, "msgType", resolved->header.msg_type);
  AddInfo(summary, "status", resolved->header.status);
  AddInfo(summary, "references", resolved->header.references);
  if (options.resolve.lenient) summary->alert_info.emplace_back("mode", "lenient");
  if (options.resolve.margin_m > 0) {
    summary->alert_info.emplace_back("margin_m", FormatDecimal(options.resolve.margin_m));
  }
  if (!resolved->ignored.empty()) {
    summary->alert_info.emplace_back("ignored", absl::StrJoin(resolved->ignored, "; "));
  }
  summary->repairs = resolved->repairs;
  summary->dropped_repeated_pairs = resolved->dropped_repeated_pairs;
  if (info_languages != nullptr) *info_languages = resolved->info_languages;
  for (ResolvedArea& a : resolved->areas) {
    summary->areas.push_back({a.label, a.area_desc, a.defined_by, 0});
    if (per_area != nullptr) per_area->push_back(std::move(a.area));
  }
  return std::move(resolved->area);
}

absl::StatusOr<std::string> ReadAreaFileFromFlags(const CliFlags& flags) {
  std::optional<std::string> path = flags.Get("cap");
  if (!path) path = flags.Get("geojson");
  if (!path) return std::string();
  return ReadText(*path, AlertTextOptions().max_bytes);
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
