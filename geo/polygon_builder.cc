// Copyright 2026 The fan-out engine authors.

#include "geo/polygon_builder.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "geo/earth.h"
#include "geo/planar_edges.h"
#include "s2/s1chord_angle.h"
#include "s2/s2error.h"
#include "s2/s2loop.h"

namespace fanout {

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
        edges == EdgeModel::kPlanar ? DensifyPlanarRing(rings[r]) : GeodesicRing(rings[r]);
    if (points.size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring ", r, " has fewer than 3 distinct vertices"));
    }
    auto loop = std::make_unique<S2Loop>(points, S2Debug::DISABLE);
    S2Error error;
    if (loop->FindValidationError(&error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring ", r, " is not a simple ring: ", error.text()));
    }
    loop->Normalize();  // The smaller of the two regions (at most a hemisphere).
    if (loop->GetArea() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("ring ", r, " encloses no area"));
    }
    auto ring_polygon = std::make_unique<S2Polygon>(std::move(loop), S2Debug::DISABLE);
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
