// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_POLYGON_BUILDER_H_
#define FANOUT_GEO_POLYGON_BUILDER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "geo/edge_model.h"
#include "s2/s2cap.h"
#include "s2/s2latlng.h"
#include "s2/s2polygon.h"

namespace fanout {

// One ring of vertices in degrees, as written in the input (closed or not).
using LatLngRing = std::vector<S2LatLng>;

// Builds the region of one polygon from its rings (DESIGN §3):
//  - each ring bounds the smaller of the two regions it divides the sphere
//    into (ring orientation is not trusted);
//  - the rings combine by the odd-even rule (a point is inside when an odd
//    number of ring regions contain it), so rings after the first are holes
//    when they lie inside it;
//  - edges follow `edges` (planar edges are subdivided, see planar_edges.h).
// Errors (kInvalidArgument, naming the ring by its 0-based index): a ring
// with fewer than 3 distinct vertices, a vertex out of range, or a ring whose
// edges cross each other. A ring of zero area after all (e.g. collinear
// vertices) is also refused, since it can never contain anyone.
absl::StatusOr<std::unique_ptr<S2Polygon>> BuildPolygon(const std::vector<LatLngRing>& rings,
                                                        EdgeModel edges);

// The cap of points at most `radius_km` (geodesic, on the sphere of
// kEarthRadiusKm) from `center`. A radius of half the circumference or more
// is the whole sphere. REQUIRES: radius_km >= 0 and finite.
S2Cap MakeCircle(const S2LatLng& center, double radius_km);

// Checks one vertex: finite, lat in [-90, 90], lng in [-180, 180].
bool IsValidVertex(const S2LatLng& v);

}  // namespace fanout

#endif  // FANOUT_GEO_POLYGON_BUILDER_H_
