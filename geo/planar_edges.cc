// Copyright 2026 The fan-out engine authors.

#include "geo/planar_edges.h"

#include <algorithm>
#include <cmath>

#include "geo/earth.h"
#include "s2/s1angle.h"
#include "s2/s2edge_distances.h"

namespace fanout {
namespace {

// Longitude step of the planar edge from a to b, in degrees (see header).
double LngDelta(const S2LatLng& a, const S2LatLng& b) {
  double d = b.lng().degrees() - a.lng().degrees();
  if (std::fabs(d) == 360.0 && a.lat() == b.lat()) return d;  // The whole parallel.
  if (d > 180.0) d -= 360.0;
  if (d < -180.0) d += 360.0;
  return d;
}

// Largest planar edge piece, in degrees of latitude or longitude, that is
// ever turned into one geodesic edge: keeps every piece far shorter than a
// half circle (where geodesics stop being unique) before the tolerance test.
constexpr double kMaxPieceDegrees = 5.0;
constexpr int kMaxDepth = 40;

// The point of a vertex; every longitude at latitude +-90 is the same pole
// (S2LatLng::ToPoint would leave cos(90 degrees) ~ 6e-17 of each longitude
// in x and y, and a ring "at the pole" would keep distinct vertices there).
S2Point ToPoint(const S2LatLng& ll) {
  S2LatLng n = ll.Normalized();
  double lat = n.lat().degrees();
  if (lat >= 90.0) return S2Point(0, 0, 1);
  if (lat <= -90.0) return S2Point(0, 0, -1);
  return n.ToPoint();
}

struct PlanarEdge {
  double lat0, lng0, dlat, dlng;  // degrees
  S2Point At(double t) const {
    return ToPoint(S2LatLng::FromDegrees(lat0 + t * dlat, lng0 + t * dlng));
  }
};

void AppendIfNew(std::vector<S2Point>* out, const S2Point& p) {
  if (out->empty() || out->back() != p) out->push_back(p);
}

// Appends the points strictly after t0 up to and including t1.
void Subdivide(const PlanarEdge& e, double t0, const S2Point& p0, double t1, const S2Point& p1,
               S1Angle tolerance, int depth, std::vector<S2Point>* out) {
  double span = t1 - t0;
  bool too_long = std::fabs(span * e.dlat) > kMaxPieceDegrees ||
                  std::fabs(span * e.dlng) > kMaxPieceDegrees;
  bool split = too_long;
  if (!split && depth < kMaxDepth && p0 != p1) {
    // The departure of a smooth curve from its chord peaks near the middle;
    // the quarter points guard against asymmetric cases near the poles.
    for (double f : {0.5, 0.25, 0.75}) {
      if (!S2::IsDistanceLess(e.At(t0 + f * span), p0, p1, S1ChordAngle(tolerance))) {
        split = true;
        break;
      }
    }
  }
  if (split && depth < kMaxDepth) {
    double tm = t0 + 0.5 * span;
    S2Point pm = e.At(tm);
    Subdivide(e, t0, p0, tm, pm, tolerance, depth + 1, out);
    Subdivide(e, tm, pm, t1, p1, tolerance, depth + 1, out);
    return;
  }
  AppendIfNew(out, p1);
}

std::vector<S2LatLng> OpenRing(const std::vector<S2LatLng>& ring) {
  std::vector<S2LatLng> open = ring;
  if (open.size() >= 2 && open.front() == open.back()) open.pop_back();
  return open;
}

// Drops the closing repeat of the first vertex and removes spikes: a vertex
// whose neighbours coincide (A B A) is an excursion along one line and back
// that encloses nothing, as when a GeoJSON ring around a pole climbs a
// meridian to the pole and comes down the same meridian.
void CloseAndRemoveSpikes(std::vector<S2Point>* points) {
  std::vector<S2Point>& v = *points;
  while (v.size() >= 2 && v.front() == v.back()) v.pop_back();
  bool changed = true;
  while (changed && v.size() >= 3) {
    changed = false;
    for (size_t i = 0; i < v.size() && v.size() >= 3; ++i) {
      size_t n = v.size();
      size_t prev = (i + n - 1) % n, next = (i + 1) % n;
      if (v[prev] == v[next]) {
        // Remove v[i] and one copy of its repeated neighbour.
        size_t hi = std::max(i, next), lo = std::min(i, next);
        v.erase(v.begin() + hi);
        v.erase(v.begin() + lo);
        changed = true;
        break;
      }
    }
  }
  // Removing spikes can leave neighbours equal.
  std::vector<S2Point> merged;
  for (const S2Point& p : v) {
    if (merged.empty() || merged.back() != p) merged.push_back(p);
  }
  while (merged.size() >= 2 && merged.front() == merged.back()) merged.pop_back();
  v.swap(merged);
}

}  // namespace

S2LatLng InterpolatePlanar(const S2LatLng& a, const S2LatLng& b, double t) {
  PlanarEdge e{a.lat().degrees(), a.lng().degrees(), b.lat().degrees() - a.lat().degrees(),
               LngDelta(a, b)};
  return S2LatLng::FromDegrees(e.lat0 + t * e.dlat, e.lng0 + t * e.dlng).Normalized();
}

std::vector<S2Point> DensifyPlanarRing(const std::vector<S2LatLng>& ring, double tolerance_m) {
  std::vector<S2LatLng> open = OpenRing(ring);
  std::vector<S2Point> out;
  if (open.empty()) return out;
  S1Angle tolerance = S1Angle::Radians(tolerance_m / kEarthRadiusMeters);
  out.reserve(open.size());
  AppendIfNew(&out, ToPoint(open[0]));
  for (size_t i = 0; i < open.size(); ++i) {
    const S2LatLng& a = open[i];
    const S2LatLng& b = open[(i + 1) % open.size()];
    PlanarEdge e{a.lat().degrees(), a.lng().degrees(), b.lat().degrees() - a.lat().degrees(),
                 LngDelta(a, b)};
    // The endpoints are the input vertices exactly (not a + 1 * (b - a),
    // which can differ in the last bit and leave a sliver edge).
    S2Point p0 = ToPoint(a), p1 = ToPoint(b);
    Subdivide(e, 0.0, p0, 1.0, p1, tolerance, 0, &out);
  }
  CloseAndRemoveSpikes(&out);
  return out;
}

std::vector<S2Point> GeodesicRing(const std::vector<S2LatLng>& ring) {
  std::vector<S2Point> out;
  for (const S2LatLng& v : OpenRing(ring)) AppendIfNew(&out, ToPoint(v));
  CloseAndRemoveSpikes(&out);
  return out;
}

}  // namespace fanout
