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
//  - a ring that runs along a line and back again (the seam of a band
//    around a pole written as one ring: along one parallel, up the
//    antimeridian, back along the other parallel, down the antimeridian)
//    loses the seam: it bounds what its other edges bound.
// Errors (kInvalidArgument, naming the ring by its 0-based index): a vertex
// out of range, a ring whose edges cross each other, and a ring of no
// extent: fewer than 3 distinct vertices, or an area within rounding of
// zero (collinear vertices, a ring folded onto itself); it can never contain
// anyone. IsNoExtentError() tells the last kind apart, and
// IsNotSimpleRingError() a ring whose edges cross or touch (which the
// lenient mode resolves, alert_resolver.h).
//  - a ring of more than kMaxRingVertices vertices after planar edge
//    subdivision is refused naming the limit.
inline constexpr size_t kMaxRingVertices = 1000000;
absl::StatusOr<std::unique_ptr<S2Polygon>> BuildPolygon(const std::vector<LatLngRing>& rings,
                                                        EdgeModel edges);

// True when `status` is BuildPolygon's refusal of a ring of no extent (a
// point or a line), which a margin can still turn into an area.
bool IsNoExtentError(const absl::Status& status);

// True when `status` is BuildPolygon's refusal of a ring whose edges cross
// or touch each other (told by a payload, never by the message's text).
bool IsNotSimpleRingError(const absl::Status& status);

// The cap of points at most `radius_km` (geodesic, on the sphere of
// kEarthRadiusKm) from `center`. A radius of half the circumference or more
// is the whole sphere. REQUIRES: radius_km >= 0 and finite.
S2Cap MakeCircle(const S2LatLng& center, double radius_km);

// Checks one vertex: finite, lat in [-90, 90], lng in [-180, 180].
bool IsValidVertex(const S2LatLng& v);

}  // namespace fanout

#endif  // FANOUT_GEO_POLYGON_BUILDER_H_
