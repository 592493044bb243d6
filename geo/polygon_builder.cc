// Copyright 2026 The fan-out engine authors.

#include "geo/polygon_builder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "geo/earth.h"
#include "geo/planar_edges.h"
#include "s2/s1chord_angle.h"
#include "s2/s2builder.h"
#include "s2/s2builderutil_s2polygon_layer.h"
#include "s2/s2error.h"
#include "s2/s2loop.h"
#include "s2/s2pointutil.h"

namespace fanout {

namespace {

constexpr absl::string_view kNoExtentPayload = "type.fanout/geo.no-extent";
constexpr absl::string_view kNotSimplePayload = "type.fanout/geo.not-simple-ring";

absl::Status NoExtentError(std::string message) {
  absl::Status status = absl::InvalidArgumentError(std::move(message));
  status.SetPayload(kNoExtentPayload, absl::Cord("1"));
  return status;
}

// A ring whose edges cross or touch, marked so that callers can tell it
// from other refusals (IsNotSimpleRingError) without reading the message.
absl::Status NotSimpleRingError(size_t r, absl::string_view why) {
  absl::Status status = absl::InvalidArgumentError(
      absl::StrCat("ring ", r, " is not a simple ring: ", why));
  status.SetPayload(kNotSimplePayload, absl::Cord("1"));
  return status;
}

absl::Status NotSimpleRingError(size_t r, const S2Error& error) {
  return NotSimpleRingError(r, error.text());
}

// Whether some edge of the closed ring `points` is also run the other way.
// Edges are sorted as 6 doubles compared inline: libs2's S2Point operator<
// is out of line, and a ring may have a million edges.
bool HasSiblingEdges(const std::vector<S2Point>& points) {
  struct Edge {
    std::array<double, 6> key;  // the lesser endpoint's coordinates first
    bool forward;               // whether the ring runs from key[0..2]
    bool operator<(const Edge& other) const {
      return key < other.key || (key == other.key && forward < other.forward);
    }
  };
  std::vector<Edge> edges;
  edges.reserve(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const S2Point& a = points[i];
    const S2Point& b = points[(i + 1) % points.size()];
    const bool forward = a < b;
    const S2Point& lo = forward ? a : b;
    const S2Point& hi = forward ? b : a;
    edges.push_back({{lo.x(), lo.y(), lo.z(), hi.x(), hi.y(), hi.z()}, forward});
  }
  std::sort(edges.begin(), edges.end());
  for (size_t i = 1; i < edges.size(); ++i) {
    if (edges[i].key == edges[i - 1].key && edges[i].forward != edges[i - 1].forward) return true;
  }
  return false;
}

// A ring that runs along some line and back: the seam of a band around a
// pole written as one ring (up the antimeridian, around, down it, around
// the other way). S2Builder drops the seam's sibling edges and assembles
// the rest as loops (the band's two parallels); the smaller of the two
// regions they bound is the ring's.
absl::StatusOr<std::unique_ptr<S2Polygon>> BuildSeamedRing(const std::vector<S2Point>& points,
                                                          size_t r) {
  S2Builder builder{S2Builder::Options()};
  auto polygon = std::make_unique<S2Polygon>();
  polygon->set_s2debug_override(S2Debug::DISABLE);
  s2builderutil::S2PolygonLayer::Options layer_options;
  layer_options.set_validate(true);
  builder.StartLayer(
      std::make_unique<s2builderutil::S2PolygonLayer>(polygon.get(), layer_options));
  for (size_t i = 0; i < points.size(); ++i) {
    builder.AddEdge(points[i], points[(i + 1) % points.size()]);
  }
  S2Error error;
  if (!builder.Build(&error)) {
    return NotSimpleRingError(r, error);
  }
  double max_error = 0;
  for (int k = 0; k < polygon->num_loops(); ++k) {
    max_error += polygon->loop(k)->GetCurvatureMaxError();
  }
  if (!polygon->is_empty() && polygon->GetArea() > 2 * M_PI) polygon->Invert();
  if (polygon->is_empty() || polygon->GetArea() <= max_error) {
    return NoExtentError(absl::StrCat("ring ", r, " encloses no area"));
  }
  return polygon;
}

}  // namespace

bool IsNoExtentError(const absl::Status& status) {
  return status.GetPayload(kNoExtentPayload).has_value();
}

bool IsNotSimpleRingError(const absl::Status& status) {
  return status.GetPayload(kNotSimplePayload).has_value();
}

bool IsValidVertex(const S2LatLng& v) {
  double lat = v.lat().degrees(), lng = v.lng().degrees();
  return std::isfinite(lat) && std::isfinite(lng) && lat >= -90 && lat <= 90 && lng >= -180 &&
         lng <= 180;
}

absl::StatusOr<std::unique_ptr<S2Polygon>> BuildPolygon(const std::vector<LatLngRing>& rings,
                                                        EdgeModel edges) {
  if (rings.empty()) return absl::InvalidArgumentError("polygon has no ring");
  std::unique_ptr<S2Polygon> result;
  for (size_t r = 0; r < rings.size(); ++r) {
    for (size_t v = 0; v < rings[r].size(); ++v) {
      if (!IsValidVertex(rings[r][v])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ring ", r, " vertex ", v, " (", rings[r][v].lat().degrees(), ",",
            rings[r][v].lng().degrees(), ") is out of range: lat must be in [-90, 90], "
                                         "lon in [-180, 180]"));
      }
    }
    std::vector<S2Point> points =
        edges == EdgeModel::kPlanar
            ? DensifyPlanarRing(rings[r], kPlanarToleranceMeters, kMaxRingVertices)
            : GeodesicRing(rings[r]);
    if (points.size() > kMaxRingVertices) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring ", r, " has more than ", kMaxRingVertices,
                       " vertices after edge subdivision (the limit per ring)"));
    }
    if (points.size() < 3) {
      return NoExtentError(absl::StrCat("ring ", r, " has fewer than 3 distinct vertices"));
    }
    std::unique_ptr<S2Polygon> ring_polygon;
    if (HasSiblingEdges(points)) {
      auto seamed = BuildSeamedRing(points, r);
      if (!seamed.ok()) return seamed.status();
      ring_polygon = *std::move(seamed);
    } else {
      auto loop = std::make_unique<S2Loop>(points, S2Debug::DISABLE);
      S2Error error;
      // S2Loop::FindValidationError would build an index of the loop alone
      // for its crossing search, kept for the polygon's lifetime (a third
      // index of every polygon, after S2's own and the test index). The
      // polygon's validation searches its own index, which the area keeps
      // and queries. First the checks that need no index (as the loop's
      // own): Normalize() reads the edges' turns, which need them.
      for (size_t i = 0; i < points.size(); ++i) {
        const S2Point& a = points[i];
        const S2Point& b = points[(i + 1) % points.size()];
        if (!S2::IsUnitLength(a)) {
          return NotSimpleRingError(r, absl::StrCat("Vertex ", i, " is not unit length"));
        }
        if (a == b || a == -b) {
          return NotSimpleRingError(
              r, a == b ? absl::StrCat("Edge ", i, " is degenerate (duplicate vertex)")
                        : absl::StrCat("Vertices ", i, " and ", (i + 1) % points.size(),
                                       " are antipodal"));
        }
      }
      loop->Normalize();  // The smaller of the two regions (at most a hemisphere).
      ring_polygon = std::make_unique<S2Polygon>(std::move(loop), S2Debug::DISABLE);
      if (ring_polygon->FindValidationError(&error)) {
        // The polygon's one loop is loop 0: "Loop 0: " says nothing.
        std::string text = error.text();
        if (absl::StartsWith(text, "Loop 0: ")) text = text.substr(8);
        return NotSimpleRingError(r, text);
      }
      // An area within the computation's own error of zero is no area: a
      // ring folded onto itself (up a line and back, 1e-17 apart) is a
      // valid loop whose area is a rounding error, and holds no cell.
      if (ring_polygon->loop(0)->GetArea() <= ring_polygon->loop(0)->GetCurvatureMaxError()) {
        return NoExtentError(absl::StrCat("ring ", r, " encloses no area"));
      }
    }
    if (result == nullptr) {
      result = std::move(ring_polygon);
    } else {
      // Odd-even rule: each further ring toggles membership.
      auto combined = std::make_unique<S2Polygon>();
      combined->InitToSymmetricDifference(*result, *ring_polygon);
      result = std::move(combined);
    }
  }
  return result;
}

S2Cap MakeCircle(const S2LatLng& center, double radius_km) {
  double radians = radius_km / kEarthRadiusKm;
  if (radians >= M_PI) return S2Cap::Full();
  return S2Cap(center.Normalized().ToPoint(), S1ChordAngle(S1Angle::Radians(radians)));
}

}  // namespace fanout
