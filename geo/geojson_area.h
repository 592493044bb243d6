// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_GEOJSON_AREA_H_
#define FANOUT_GEO_GEOJSON_AREA_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/alert_area.h"
#include "geo/edge_model.h"

namespace fanout {

struct GeoJsonOptions {
  // DEFAULT: planar, as RFC 7946 defines GeoJSON edges.
  EdgeModel edges = EdgeModel::kPlanar;
  // When set, only the Feature whose "id" (string or number) equals this is
  // used; no such feature is an error. DEFAULT: empty, every feature.
  std::string feature_id;
  // Lenient mode: a ring that crosses or touches itself is resolved with
  // S2Builder (odd-even) instead of refused, and the repair is appended to
  // `repairs` (when not null) with its JSON path. DEFAULT: false (strict).
  bool lenient = false;
  std::vector<std::string>* repairs = nullptr;
  // Documents larger than this are refused before parsing, as CAP documents
  // are (CapParseOptions::max_bytes); real GeoJSON alerts are a few kB to a
  // few MB. DEFAULT: 16 MiB. REQUIRES: > 0.
  size_t max_bytes = 16u << 20;
};

// Builds an alert area from a GeoJSON text (RFC 7946): a Polygon,
// MultiPolygon or GeometryCollection of them, a Feature or a
// FeatureCollection. Positions are [longitude, latitude]; a Polygon's first
// ring is its outline and further rings are holes (odd-even rule, see
// polygon_builder.h); everything else is a union. Features with a null
// geometry contribute nothing here.
//
// Errors are kInvalidArgument and name the JSON path of the problem, e.g.
// `features[2].geometry.coordinates[0][5]: expected [lon, lat]`. Point and
// LineString geometries are refused: an alert area must have an inside. A
// text over options.max_bytes, not valid JSON (including invalid UTF-8 in
// a string) or with arrays and objects nested more than 256 deep is
// refused. Never throws.
//
// Memory: the text is parsed once as a stream (nlohmann's SAX interface);
// only the GeoJSON structure, the properties ParseGeoJsonAlert reads and the
// coordinates are kept, each position as two doubles (16 bytes, 17 when it
// has a third number such as an altitude, up to twice that while its ring
// is still growing), never as JSON values. Peak memory is therefore
// O(geometry): the text, 16 to 34 bytes per position, and the polygons being
// built (S2Polygon and its indexes, which are the area's own cost).
absl::StatusOr<std::unique_ptr<AlertArea>> ParseGeoJsonArea(absl::string_view text,
                                                            const GeoJsonOptions& options);

}  // namespace fanout

#endif  // FANOUT_GEO_GEOJSON_AREA_H_
