// Copyright 2026 The fan-out engine authors.

#include "geo/planar_edges.h"

#include <algorithm>
#include <cmath>

#include "geo/earth.h"
#include "s2/s1angle.h"
#include "s2/s2edge_distances.h"

namespace fanout {
namespace {

bool IsWholeParallel(const S2LatLng& a, const S2LatLng& b);

// Longitude step of the planar edge from a to b, in degrees (see header).
double LngDelta(const S2LatLng& a, const S2LatLng& b) {
  double d = b.lng().degrees() - a.lng().degrees();
  if (IsWholeParallel(a, b)) return d;
  if (d > 180.0) d -= 360.0;
  if (d < -180.0) d += 360.0;
  return d;
}

// Largest planar edge piece, in degrees of latitude or longitude, that is
// ever turned into one geodesic edge: keeps every piece far shorter than a
// half circle (where geodesics stop being unique) before the tolerance test.
constexpr double kMaxPieceDegrees = 5.0;
constexpr int kMaxDepth = 40;

// The point of a vertex. Every longitude at latitude +-90 is the same pole
// (S2LatLng::ToPoint would leave cos(90 degrees) ~ 6e-17 of each longitude
// in x and y, and a ring "at the pole" would keep distinct vertices there),
// and longitude -180 is the point of longitude 180: sin(-pi) and sin(pi)
// round to +-1.2e-16, so the two would be distinct points 1e-17 apart, and
// a ring that climbs the antimeridian at 180 and comes down at -180 (a CAP
// or GeoJSON ring around a pole) would keep a sliver of zero area instead
// of a spike that CloseAndRemoveSpikes removes.
S2Point ToPoint(const S2LatLng& ll) {
  S2LatLng n = ll.Normalized();
  double lat = n.lat().degrees();
  if (lat >= 90.0) return S2Point(0, 0, 1);
  if (lat <= -90.0) return S2Point(0, 0, -1);
  if (n.lng().degrees() == -180.0) n = S2LatLng(n.lat(), -n.lng());
  return n.ToPoint();
}

// Whether the edge from a to b is a whole parallel: -180 to 180 (or back)
// at one latitude (see the header).
bool IsWholeParallel(const S2LatLng& a, const S2LatLng& b) {
  return a.lat() == b.lat() && std::fabs(b.lng().degrees() - a.lng().degrees()) == 360.0;
}

// The planar edge from a to b. Its points are computed from the same end
// whichever way the edge runs (the lesser in (lat, lng) order), so an edge
// and its reverse are subdivided into the very same points: a ring that runs
// along a line and back (the seam of a band around a pole, up one side of
// the antimeridian and down the other) then has exact sibling edges, which
// BuildPolygon removes, not a sliver between two rounding paths.
struct PlanarEdge {
  PlanarEdge(const S2LatLng& a, const S2LatLng& b) {
    const bool forward = a.lat() < b.lat() || (a.lat() == b.lat() && a.lng() <= b.lng());
    const S2LatLng& from = forward ? a : b;
    const S2LatLng& to = forward ? b : a;
    reversed = !forward;
    lat0 = from.lat().degrees();
    lng0 = from.lng().degrees();
    dlat = to.lat().degrees() - lat0;
    dlng = LngDelta(from, to);
  }
  S2Point At(double t) const {
    const double s = reversed ? 1.0 - t : t;  // exact for the dyadic t used
    return ToPoint(S2LatLng::FromDegrees(lat0 + s * dlat, lng0 + s * dlng));
  }
  double lat0, lng0, dlat, dlng;  // degrees, from the lesser end
  bool reversed;
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
  const double dlat = b.lat().degrees() - a.lat().degrees();
  return S2LatLng::FromDegrees(a.lat().degrees() + t * dlat, a.lng().degrees() + t * LngDelta(a, b))
      .Normalized();
}

std::vector<S2Point> DensifyPlanarRing(const std::vector<S2LatLng>& ring, double tolerance_m,
                                       size_t max_points) {
  std::vector<S2LatLng> open = OpenRing(ring);
  std::vector<S2Point> out;
  if (open.empty()) return out;
  S1Angle tolerance = S1Angle::Radians(tolerance_m / kEarthRadiusMeters);
  out.reserve(open.size());
  AppendIfNew(&out, ToPoint(open[0]));
  for (size_t i = 0; i < open.size(); ++i) {
    const S2LatLng& a = open[i];
    const S2LatLng& b = open[(i + 1) % open.size()];
    PlanarEdge e(a, b);
    // The endpoints are the input vertices exactly (not a + 1 * (b - a),
    // which can differ in the last bit and leave a sliver edge).
    S2Point p0 = ToPoint(a), p1 = ToPoint(b);
    Subdivide(e, 0.0, p0, 1.0, p1, tolerance, 0, &out);
    if (out.size() > max_points) return out;
  }
  CloseAndRemoveSpikes(&out);
  return out;
}

std::vector<S2Point> RingPath(const std::vector<S2LatLng>& ring, bool planar) {
  std::vector<S2Point> out;
  if (ring.empty()) return out;
  const S1Angle tolerance = S1Angle::Radians(kPlanarToleranceMeters / kEarthRadiusMeters);
  AppendIfNew(&out, ToPoint(ring[0]));
  for (size_t i = 0; i + 1 < ring.size(); ++i) {
    const S2LatLng& a = ring[i];
    const S2LatLng& b = ring[i + 1];
    if (planar || IsWholeParallel(a, b)) {
      Subdivide(PlanarEdge(a, b), 0.0, ToPoint(a), 1.0, ToPoint(b), tolerance, 0, &out);
    } else {
      AppendIfNew(&out, ToPoint(b));
    }
  }
  return out;
}

std::vector<S2Point> GeodesicRing(const std::vector<S2LatLng>& ring) {
  std::vector<S2LatLng> open = OpenRing(ring);
  std::vector<S2Point> out;
  const S1Angle tolerance = S1Angle::Radians(kPlanarToleranceMeters / kEarthRadiusMeters);
  for (size_t i = 0; i < open.size(); ++i) {
    const S2LatLng& a = open[i];
    const S2LatLng& b = open[(i + 1) % open.size()];
    AppendIfNew(&out, ToPoint(a));
    if (IsWholeParallel(a, b)) {
      // The geodesic from a point to itself has no length; the only edge
      // such a step can mean is the parallel, followed as a planar edge.
      PlanarEdge e(a, b);
      Subdivide(e, 0.0, ToPoint(a), 1.0, ToPoint(b), tolerance, 0, &out);
    }
  }
  CloseAndRemoveSpikes(&out);
  return out;
}

}  // namespace fanout
