// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_EDGE_MODEL_H_
#define FANOUT_GEO_EDGE_MODEL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fanout {

// How a polygon edge between two vertices is drawn (DESIGN §3).
enum class EdgeModel {
  // A straight line in (longitude, latitude), as RFC 7946 defines GeoJSON
  // edges and as map-drawn CAP polygons are meant. Built by subdividing the
  // edge until the geodesic pieces depart from the line by well under 1 m.
  kPlanar,
  // The shortest great-circle arc (S2's native edge).
  kGeodesic,
};

// Parses "planar" or "geodesic"; anything else is kInvalidArgument.
absl::StatusOr<EdgeModel> ParseEdgeModel(absl::string_view text);
absl::string_view EdgeModelName(EdgeModel model);

}  // namespace fanout

#endif  // FANOUT_GEO_EDGE_MODEL_H_
