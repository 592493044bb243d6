// Copyright 2026 The fan-out engine authors.
//
// Internal to geo/: lets the GeoJSON alert parser build the area of a
// geometry it has already parsed, without serialising it and parsing it
// again through ParseGeoJsonArea.

#ifndef FANOUT_GEO_INTERNAL_GEOJSON_GEOMETRY_H_
#define FANOUT_GEO_INTERNAL_GEOJSON_GEOMETRY_H_

#include <string>

#include "absl/status/status.h"
#include "geo/alert_area.h"
#include "geo/geojson_area.h"
#include "nlohmann/json.hpp"

namespace fanout {
namespace internal {

// Adds the polygons of one GeoJSON geometry object (null adds nothing) to
// `area`, with the rules of ParseGeoJsonArea. Errors and lenient repairs
// name JSON paths under `path`, the geometry's own path ("" for the root).
// Never throws. Does not Finalize() the area.
absl::Status AddGeoJsonGeometry(const nlohmann::json& geometry, const std::string& path,
                                const GeoJsonOptions& options, AlertArea* area);

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_GEO_INTERNAL_GEOJSON_GEOMETRY_H_
