// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_PLANAR_EDGES_H_
#define FANOUT_GEO_PLANAR_EDGES_H_

#include <cstdint>
#include <vector>

#include "s2/s2latlng.h"
#include "s2/s2point.h"

namespace fanout {

// Default for DensifyPlanarRing: the pieces stay within 0.25 m of the planar
// edge, well inside the 1 m that DESIGN §3 promises, leaving room for the
// sampling of the check itself.
inline constexpr double kPlanarToleranceMeters = 0.25;

// Returns the vertices of a closed ring (without repeating the first vertex)
// whose geodesic edges follow the planar (longitude, latitude) edges of
// `ring` to within `tolerance_m` metres.
//
// `ring` is a sequence of vertices in degrees; a repeated closing vertex is
// allowed and ignored. A planar edge runs the short way around in longitude:
// an edge from 179 to -179 crosses the antimeridian (2 degrees wide), as CAP
// polygons that straddle it are written. The one exception is an edge from
// -180 to 180 (or back) at the same latitude, which is the whole parallel;
// this is how a GeoJSON ring around a pole is written. Consecutive vertices
// that coincide on the sphere (every vertex at a pole; longitudes -180 and
// 180 at one latitude) are merged, and spikes (A B A: out along a line and back, as a GeoJSON ring
// around a pole does up and down one meridian) are removed, so the result
// may have fewer than 3 vertices for a degenerate ring.
// It stops early once it has more than `max_points` points (a caller's
// budget: a few long edges near a pole can make millions).
std::vector<S2Point> DensifyPlanarRing(const std::vector<S2LatLng>& ring,
                                       double tolerance_m = kPlanarToleranceMeters,
                                       size_t max_points = SIZE_MAX);

// The same for geodesic edges: converts to points, drops the closing vertex,
// merges coincident consecutive vertices and removes spikes. An edge from
// -180 to 180 (or back) at one latitude joins a point to itself, so it has
// no geodesic; it is read as the whole parallel, as DensifyPlanarRing reads
// it, so that a ring around a pole means the same in both edge models.
std::vector<S2Point> GeodesicRing(const std::vector<S2LatLng>& ring);

// The points along the edges of `ring` in order, from its first vertex to
// its last (a closed ring ends where it began), dropping only consecutive
// repeats: the ring as a line, for a ring of no extent (its pairs on one
// line, or all one point) that a margin turns into the area around it.
// Edges are planar (as DensifyPlanarRing follows them) when `planar`, else
// geodesic (a whole parallel is followed as planar, as GeodesicRing does).
std::vector<S2Point> RingPath(const std::vector<S2LatLng>& ring, bool planar);

// The point at fraction `t` along the planar edge from `a` to `b` (degrees,
// same longitude convention as DensifyPlanarRing). Exposed for tests.
S2LatLng InterpolatePlanar(const S2LatLng& a, const S2LatLng& b, double t);

}  // namespace fanout

#endif  // FANOUT_GEO_PLANAR_EDGES_H_
