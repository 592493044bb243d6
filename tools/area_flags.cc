// Copyright 2026 The fan-out engine authors.

#include "tools/area_flags.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "geo/geojson_area.h"
#include "geo/lat_lng_text.h"
#include "geo/polygon_builder.h"
#include "tools/cli_util.h"

namespace fanout {

std::set<std::string> AreaValuedFlags() {
  return {"geojson", "feature", "polygon", "circle", "edges"};
}
std::set<std::string> AreaSwitchFlags() { return {}; }

absl::StatusOr<std::unique_ptr<AlertArea>> LoadAreaFromFlags(const CliFlags& flags,
                                                             AlertSummary* summary) {
  int sources = flags.Has("geojson") + flags.Has("polygon") + flags.Has("circle");
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one area: --geojson FILE, --polygon \"lat,lon ...\" or --circle \"lat,lon km\"");
  }
  if (flags.Has("feature") && !flags.Has("geojson")) {
    return absl::InvalidArgumentError("--feature goes with --geojson");
  }
  ASSIGN_OR_RETURN(EdgeModel edges, ParseEdgeModel(flags.Get("edges").value_or("planar")));
  summary->alert_info.emplace_back("edges", std::string(EdgeModelName(edges)));
  auto area = std::make_unique<AlertArea>();
  if (auto path = flags.Get("geojson")) {
    GeoJsonOptions options;
    options.edges = edges;
    options.feature_id = flags.Get("feature").value_or("");
    ASSIGN_OR_RETURN(std::string text, ReadText(*path));
    auto parsed = ParseGeoJsonArea(text, options);
    if (!parsed.ok()) {
      return absl::Status(parsed.status().code(), absl::StrCat(*path, ": ", parsed.status().message()));
    }
    area = *std::move(parsed);
    summary->alert_info.emplace_back("source", absl::StrCat("geojson ", *path));
    if (!options.feature_id.empty()) summary->alert_info.emplace_back("feature", options.feature_id);
  } else if (auto text = flags.Get("polygon")) {
    auto ring = ParsePolygonText(*text);
    if (!ring.ok()) return absl::InvalidArgumentError(absl::StrCat("--polygon: ", ring.status().message()));
    auto polygon = BuildPolygon({*ring}, edges);
    if (!polygon.ok()) return absl::InvalidArgumentError(absl::StrCat("--polygon: ", polygon.status().message()));
    area->AddPolygon(*std::move(polygon));
    summary->alert_info.emplace_back("source", "polygon");
  } else if (auto text = flags.Get("circle")) {
    auto circle = ParseCircleText(*text);
    if (!circle.ok()) return absl::InvalidArgumentError(absl::StrCat("--circle: ", circle.status().message()));
    area->AddCap(MakeCircle(circle->center, circle->radius_km));
    summary->alert_info.emplace_back("source", absl::StrCat("circle ", *text));
  }
  area->Finalize();
  if (area->is_empty()) {
    return absl::InvalidArgumentError(
        "the alert area is empty (it resolves to no region); refusing to deliver to nobody");
  }
  return area;
}

}  // namespace fanout
