// Copyright 2026 The fan-out engine authors.

#include "geo/geojson_area.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "geo/alert_resolver.h"
#include "geo/internal/geojson_document.h"
#include "geo/internal/geojson_geometry.h"
#include "geo/polygon_builder.h"
#include "nlohmann/json.hpp"

namespace fanout {
namespace {

using Json = nlohmann::json;

absl::Status Error(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "(root)" : path, ": ", what));
}

absl::Status ParsePosition(const internal::CoordView& j, const std::string& path, S2LatLng* out) {
  double lng, lat;
  if (!j.GetPosition(&lng, &lat)) return Error(path, "expected a position [lon, lat]");
  *out = S2LatLng::FromDegrees(lat, lng);
  if (!IsValidVertex(*out)) {
    return Error(path, absl::StrCat("position [", lng, ", ", lat,
                                    "] is out of range (lon in [-180, 180], lat in [-90, 90])"));
  }
  return absl::OkStatus();
}

absl::Status ParsePolygonCoordinates(const internal::CoordView& j, const std::string& path,
                                     const GeoJsonOptions& options, AlertArea* area) {
  if (!j.is_array() || j.empty()) return Error(path, "expected an array of rings");
  std::vector<LatLngRing> rings(j.size());
  for (size_t r = 0; r < j.size(); ++r) {
    std::string ring_path = absl::StrCat(path, "[", r, "]");
    const internal::CoordView ring = j[r];
    if (!ring.is_array() || ring.size() < 4) {
      return Error(ring_path, "a linear ring needs at least 4 positions");
    }
    rings[r].resize(ring.size());
    for (size_t v = 0; v < ring.size(); ++v) {
      const internal::CoordView position = ring[v];
      double lng, lat;
      if (position.GetPosition(&lng, &lat)) {
        rings[r][v] = S2LatLng::FromDegrees(lat, lng);
        if (IsValidVertex(rings[r][v])) continue;
      }
      // The path is built only for the error: a ring may have millions of
      // positions.
      return ParsePosition(position, absl::StrCat(ring_path, "[", v, "]"), &rings[r][v]);
    }
    if (rings[r].front() != rings[r].back()) {
      return Error(ring_path, "linear ring is not closed (first and last positions differ)");
    }
  }
  auto polygon = BuildPolygon(rings, options.edges);
  if (!polygon.ok() && options.lenient) {
    std::vector<std::string> repairs;
    auto repaired =
        BuildPolygonRepairingRings(rings, options.edges, kMaxRepairVertices, &repairs);
    if (repaired.ok()) {
      polygon = std::move(repaired);
      for (const std::string& r : repairs) {
        if (options.repairs != nullptr) options.repairs->push_back(absl::StrCat(path, ": ", r));
      }
    }
  }
  if (!polygon.ok()) return Error(path, polygon.status().message());
  area->AddPolygon(*std::move(polygon));
  return absl::OkStatus();
}

absl::Status ParseGeometry(const internal::GeoJsonDocument& doc, const Json& j,
                           const std::string& path, const GeoJsonOptions& options,
                           AlertArea* area) {
  if (j.is_null()) return absl::OkStatus();
  if (!j.is_object()) return Error(path, "expected a geometry object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return Error(path, "geometry has no \"type\"");
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "GeometryCollection") {
    auto geometries = j.find("geometries");
    if (geometries == j.end() || !geometries->is_array()) {
      return Error(path, "GeometryCollection has no \"geometries\" array");
    }
    for (size_t i = 0; i < geometries->size(); ++i) {
      RETURN_IF_ERROR(ParseGeometry(doc, (*geometries)[i],
                                    absl::StrCat(path, ".geometries[", i, "]"), options, area));
    }
    return absl::OkStatus();
  }
  auto member = j.find("coordinates");
  internal::CoordValue value;
  bool has_coords = member != j.end() && internal::GetCoordinates(doc, *member, &value);
  const internal::CoordView coords(doc, value);
  std::string coords_path = absl::StrCat(path, path.empty() ? "" : ".", "coordinates");
  if (t == "Polygon") {
    if (!has_coords) return Error(path, "Polygon has no \"coordinates\"");
    return ParsePolygonCoordinates(coords, coords_path, options, area);
  }
  if (t == "MultiPolygon") {
    if (!has_coords || !coords.is_array()) {
      return Error(path, "MultiPolygon has no \"coordinates\" array");
    }
    for (size_t i = 0; i < coords.size(); ++i) {
      RETURN_IF_ERROR(ParsePolygonCoordinates(coords[i], absl::StrCat(coords_path, "[", i, "]"),
                                              options, area));
    }
    return absl::OkStatus();
  }
  if (t == "Point" || t == "MultiPoint" || t == "LineString" || t == "MultiLineString") {
    return Error(path, absl::StrCat("geometry type ", t,
                                    " has no inside; an alert area must be a Polygon or "
                                    "MultiPolygon"));
  }
  return Error(path, absl::StrCat("unknown geometry type \"", t, "\""));
}

std::string FeatureId(const Json& feature) {
  auto id = feature.find("id");
  if (id == feature.end()) return "";
  if (id->is_string()) return id->get<std::string>();
  if (id->is_number_integer()) return std::to_string(id->get<long long>());
  if (id->is_number()) return id->dump();
  return "";
}

absl::Status ParseFeature(const internal::GeoJsonDocument& doc, const Json& j,
                          const std::string& path, const GeoJsonOptions& options, AlertArea* area,
                          int* matched) {
  if (!options.feature_id.empty() && FeatureId(j) != options.feature_id) return absl::OkStatus();
  ++*matched;
  auto geometry = j.find("geometry");
  if (geometry == j.end()) return Error(path, "Feature has no \"geometry\" member");
  return ParseGeometry(doc, *geometry, absl::StrCat(path, path.empty() ? "" : ".", "geometry"),
                       options, area);
}

absl::Status ParseDocument(const internal::GeoJsonDocument& doc, const GeoJsonOptions& options,
                           AlertArea* area) {
  const Json& root = doc.root;
  if (!root.is_object()) return Error("", "expected a GeoJSON object");
  auto type = root.find("type");
  if (type == root.end() || !type->is_string()) return Error("", "object has no \"type\"");
  const std::string& t = type->get_ref<const std::string&>();
  int matched = 0;
  if (t == "FeatureCollection") {
    auto features = root.find("features");
    if (features == root.end() || !features->is_array()) {
      return Error("", "FeatureCollection has no \"features\" array");
    }
    for (size_t i = 0; i < features->size(); ++i) {
      const Json& f = (*features)[i];
      std::string path = absl::StrCat("features[", i, "]");
      if (!f.is_object()) return Error(path, "expected a Feature object");
      RETURN_IF_ERROR(ParseFeature(doc, f, path, options, area, &matched));
    }
  } else if (t == "Feature") {
    RETURN_IF_ERROR(ParseFeature(doc, root, "", options, area, &matched));
  } else {
    if (!options.feature_id.empty()) {
      return Error("", "a feature id needs a Feature or FeatureCollection");
    }
    ++matched;
    RETURN_IF_ERROR(ParseGeometry(doc, root, "", options, area));
  }
  if (!options.feature_id.empty() && matched == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no feature with id \"", options.feature_id, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

absl::Status CheckGeoJsonSize(absl::string_view text, const GeoJsonOptions& options) {
  if (options.max_bytes == 0) {
    return absl::InvalidArgumentError("GeoJsonOptions::max_bytes must be > 0");
  }
  if (text.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("GeoJSON document is ", text.size(),
                                                   " bytes; the limit is ", options.max_bytes));
  }
  return absl::OkStatus();
}

absl::Status AddGeoJsonGeometry(const GeoJsonDocument& doc, const nlohmann::json& geometry,
                                const std::string& path, const GeoJsonOptions& options,
                                AlertArea* area) {
  try {
    return ParseGeometry(doc, geometry, path, options, area);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed GeoJSON: ", e.what()));
  }
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<AlertArea>> ParseGeoJsonArea(absl::string_view text,
                                                            const GeoJsonOptions& options) {
  RETURN_IF_ERROR(internal::CheckGeoJsonSize(text, options));
  ASSIGN_OR_RETURN(internal::GeoJsonDocument doc, internal::ParseGeoJsonDocument(text));
  auto area = std::make_unique<AlertArea>();
  // Every access above is type-checked first; the catch is a last line of
  // defence so that no exception ever crosses this API.
  try {
    RETURN_IF_ERROR(ParseDocument(doc, options, area.get()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed GeoJSON: ", e.what()));
  }
  area->Finalize();
  return area;
}

}  // namespace fanout
