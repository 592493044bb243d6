// Copyright 2026 The fan-out engine authors.

#include "geo/planar_edges.h"

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

struct PlanarEdge {
  double lat0, lng0, dlat, dlng;  // degrees
  S2Point At(double t) const {
    return S2LatLng::FromDegrees(lat0 + t * dlat, lng0 + t * dlng).Normalized().ToPoint();
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

void DropClosingDuplicates(std::vector<S2Point>* points) {
  while (points->size() >= 2 && points->front() == points->back()) points->pop_back();
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
  AppendIfNew(&out, open[0].Normalized().ToPoint());
  for (size_t i = 0; i < open.size(); ++i) {
    const S2LatLng& a = open[i];
    const S2LatLng& b = open[(i + 1) % open.size()];
    PlanarEdge e{a.lat().degrees(), a.lng().degrees(), b.lat().degrees() - a.lat().degrees(),
                 LngDelta(a, b)};
    // The endpoints are the input vertices exactly (not a + 1 * (b - a),
    // which can differ in the last bit and leave a sliver edge).
    S2Point p0 = a.Normalized().ToPoint(), p1 = b.Normalized().ToPoint();
    Subdivide(e, 0.0, p0, 1.0, p1, tolerance, 0, &out);
  }
  DropClosingDuplicates(&out);
  return out;
}

std::vector<S2Point> GeodesicRing(const std::vector<S2LatLng>& ring) {
  std::vector<S2Point> out;
  for (const S2LatLng& v : OpenRing(ring)) AppendIfNew(&out, v.Normalized().ToPoint());
  DropClosingDuplicates(&out);
  return out;
}

}  // namespace fanout
