// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_GEOJSON_ALERT_H_
#define FANOUT_GEO_GEOJSON_ALERT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/cap_alert.h"
#include "geo/geojson_area.h"

namespace fanout {

// Reads a GeoJSON alert into the same structure as a CAP alert, so that the
// same area rules apply (alert_resolver.h):
//  - a plain geometry is one area;
//  - each Feature (of a FeatureCollection, or alone) is one area, labelled
//    "features[i]" (or "feature"): its geometry when not null, and its
//    `properties.geocode` (api.weather.gov: {"SAME": ["048201"], "UGC":
//    ["TXC201", "TXZ213"]}) as the area's geocodes, used when the geometry
//    is null;
//  - the alert identifier, sender, sent, messageType and references of
//    api.weather.gov are taken from the (first) Feature's properties.
// `options.feature_id` keeps only the Feature with that id. A
// FeatureCollection that keeps more than kMaxAlertParts Features with a
// geometry is refused before any geometry is built (alert_resolver.h would
// refuse it after). Geometry errors,
// the size and nesting limits and the memory cost are ParseGeoJsonArea's,
// errors prefixed with the Feature's path. The areas' geometries are not
// Finalize()d (ResolveAlert shares their polygons with areas it finalizes). Never
// throws. Thread-safe.
absl::StatusOr<AlertDocument> ParseGeoJsonAlert(absl::string_view text, const GeoJsonOptions& options);

}  // namespace fanout

#endif  // FANOUT_GEO_GEOJSON_ALERT_H_
