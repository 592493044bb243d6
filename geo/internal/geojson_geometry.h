// Copyright 2026 The fan-out engine authors.
//
// Internal to geo/: what ParseGeoJsonArea and ParseGeoJsonAlert share, so
// that GeoJSON geometry rules and the size limit live in one place.

#ifndef FANOUT_GEO_INTERNAL_GEOJSON_GEOMETRY_H_
#define FANOUT_GEO_INTERNAL_GEOJSON_GEOMETRY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "geo/alert_area.h"
#include "geo/geojson_area.h"
#include "geo/internal/geojson_document.h"
#include "nlohmann/json.hpp"

namespace fanout {
namespace internal {

// kInvalidArgument, naming the size and the limit, when `text` is larger
// than options.max_bytes (or max_bytes is 0). Checked before any parsing.
absl::Status CheckGeoJsonSize(absl::string_view text, const GeoJsonOptions& options);

// Adds the polygons of one GeoJSON geometry object of `doc` (null adds
// nothing) to `area`, with the rules of ParseGeoJsonArea. Errors and lenient
// repairs name JSON paths under `path`, the geometry's own path ("" for the
// root). Never throws. Does not Finalize() the area.
absl::Status AddGeoJsonGeometry(const GeoJsonDocument& doc, const nlohmann::json& geometry,
                                const std::string& path, const GeoJsonOptions& options,
                                AlertArea* area);

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_GEO_INTERNAL_GEOJSON_GEOMETRY_H_
