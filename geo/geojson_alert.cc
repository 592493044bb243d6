// Copyright 2026 The fan-out engine authors.

#include "geo/geojson_alert.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "geo/alert_resolver.h"
#include "geo/internal/geojson_geometry.h"
#include "nlohmann/json.hpp"

namespace fanout {
namespace {

using Json = nlohmann::json;

std::string StringOf(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<long long>());
  if (j.is_number()) return j.dump();
  return "";
}

// Builds the area of one (already parsed) geometry with the rules of
// ParseGeoJsonArea, so GeoJSON geometry rules live in one place.
//
// The area is not Finalize()d: ResolveAlert adds its polygons (shared, not
// copied) to areas of its own, which it finalizes (with a margin, only the
// grown polygons are indexed).
// (AlertArea's const methods are correct and thread-safe either way.)
absl::StatusOr<std::shared_ptr<const AlertArea>> GeometryArea(const internal::GeoJsonDocument& doc,
                                                              const Json& geometry,
                                                              const std::string& path,
                                                              const GeoJsonOptions& options) {
  GeoJsonOptions geometry_options;
  geometry_options.edges = options.edges;
  geometry_options.lenient = options.lenient;
  geometry_options.repairs = options.repairs;
  auto area = std::make_unique<AlertArea>();
  RETURN_IF_ERROR(
      internal::AddGeoJsonGeometry(doc, geometry, path, geometry_options, area.get()));
  return std::shared_ptr<const AlertArea>(std::move(area));
}

void ReadMetadata(const Json& props, AlertDocument* alert) {
  if (!props.is_object() || !alert->identifier.empty()) return;
  auto get = [&](const char* key) {
    auto it = props.find(key);
    return it == props.end() ? std::string() : StringOf(*it);
  };
  alert->identifier = get("id");
  if (alert->identifier.empty()) alert->identifier = get("identifier");
  alert->sender = get("sender");
  alert->sent = get("sent");
  alert->msg_type = get("messageType");
  if (alert->msg_type.empty()) alert->msg_type = get("msgType");
  alert->status = get("status");
  auto refs = props.find("references");
  if (refs != props.end() && refs->is_array()) {
    for (const Json& r : *refs) {
      std::string id = r.is_object() ? StringOf(r.value("identifier", Json())) : StringOf(r);
      if (!id.empty())
        absl::StrAppend(&alert->references, alert->references.empty() ? "" : " ", id);
    }
  } else if (refs != props.end()) {
    alert->references = StringOf(*refs);
  }
}

absl::Status AddFeature(const internal::GeoJsonDocument& doc, const Json& f,
                        const std::string& path, const GeoJsonOptions& options, AlertDocument* alert) {
  if (!f.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a Feature"));
  AlertDocumentArea area;
  area.label = path;
  auto props = f.find("properties");
  if (props != f.end() && props->is_object()) {
    ReadMetadata(*props, alert);
    auto desc = props->find("areaDesc");
    if (desc != props->end()) area.area_desc = StringOf(*desc);
    auto geocode = props->find("geocode");
    if (geocode != props->end() && geocode->is_object()) {
      for (const auto& [name, values] : geocode->items()) {
        if (values.is_array()) {
          for (const Json& v : values) area.geocodes.push_back({name, StringOf(v)});
        } else {
          area.geocodes.push_back({name, StringOf(values)});
        }
      }
    }
  }
  auto geometry = f.find("geometry");
  if (geometry == f.end()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": Feature has no \"geometry\" member"));
  }
  if (!geometry->is_null()) {
    ASSIGN_OR_RETURN(area.geometry, GeometryArea(doc, *geometry, path + ".geometry", options));
  }
  alert->infos.front().areas.push_back(std::move(area));
  return absl::OkStatus();
}

std::string FeatureId(const Json& f) {
  auto id = f.find("id");
  return id == f.end() ? "" : StringOf(*id);
}

absl::Status ParseRoot(const internal::GeoJsonDocument& doc, const GeoJsonOptions& options,
                       AlertDocument* alert) {
  const Json& root = doc.root;
  if (!root.is_object()) return absl::InvalidArgumentError("(root): expected a GeoJSON object");
  auto type = root.find("type");
  if (type == root.end() || !type->is_string()) {
    return absl::InvalidArgumentError("(root): object has no \"type\"");
  }
  const std::string t = type->get<std::string>();
  int matched = 0;
  if (t == "FeatureCollection") {
    auto features = root.find("features");
    if (features == root.end() || !features->is_array()) {
      return absl::InvalidArgumentError("(root): FeatureCollection has no \"features\" array");
    }
    // Each kept Feature with a geometry is at least one part of the alert
    // (ResolveAlert counts it so): more than the resolver's budget is
    // refused before any geometry is built (a 15 MB collection of 100,000
    // tiny features would be built whole first).
    size_t with_geometry = 0;
    for (const Json& f : *features) {
      if (!f.is_object()) continue;
      if (!options.feature_id.empty() && FeatureId(f) != options.feature_id) continue;
      auto geometry = f.find("geometry");
      with_geometry += geometry != f.end() && !geometry->is_null();
    }
    if (with_geometry > kMaxAlertParts) {
      return absl::InvalidArgumentError(absl::StrCat(
          "(root): the FeatureCollection has ", with_geometry,
          " features with a geometry; an alert has at most ", kMaxAlertParts,
          " polygons, circles and geocodes"));
    }
    for (size_t i = 0; i < features->size(); ++i) {
      const Json& f = (*features)[i];
      if (!options.feature_id.empty() && (!f.is_object() || FeatureId(f) != options.feature_id)) {
        continue;
      }
      ++matched;
      RETURN_IF_ERROR(AddFeature(doc, f, absl::StrCat("features[", i, "]"), options, alert));
    }
  } else if (t == "Feature") {
    if (options.feature_id.empty() || FeatureId(root) == options.feature_id) {
      ++matched;
      RETURN_IF_ERROR(AddFeature(doc, root, "feature", options, alert));
    }
  } else {
    if (!options.feature_id.empty()) {
      return absl::InvalidArgumentError("(root): a feature id needs a Feature or FeatureCollection");
    }
    ++matched;
    AlertDocumentArea area;
    area.label = "geometry";
    ASSIGN_OR_RETURN(area.geometry, GeometryArea(doc, root, "", options));
    alert->infos.front().areas.push_back(std::move(area));
  }
  if (!options.feature_id.empty() && matched == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no feature with id \"", options.feature_id, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AlertDocument> ParseGeoJsonAlert(absl::string_view text, const GeoJsonOptions& options) {
  RETURN_IF_ERROR(internal::CheckGeoJsonSize(text, options));
  ASSIGN_OR_RETURN(internal::GeoJsonDocument doc, internal::ParseGeoJsonDocument(text));
  AlertDocument alert;
  alert.infos.emplace_back();
  try {
    RETURN_IF_ERROR(ParseRoot(doc, options, &alert));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed GeoJSON: ", e.what()));
  }
  return alert;
}

}  // namespace fanout
