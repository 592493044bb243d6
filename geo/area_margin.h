// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_AREA_MARGIN_H_
#define FANOUT_GEO_AREA_MARGIN_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "geo/alert_area.h"
#include "s2/s2point.h"
#include "s2/s2polygon.h"

namespace fanout {

// DESIGN §3: a margin above 10 km is refused (alert rules allow 161 m of
// overshoot; anything wider is a mistake, not a margin).
inline constexpr double kMaxMarginMeters = 10000.0;

// The area grown by `margin_m` metres (`--margin-m`). Promise, for every
// point p: if p is within margin_m of the area (or inside it), the result
// contains p; if the result contains p, p is within margin_m + 1 m of the
// area. Caps grow their radius exactly. Polygons go through
// S2BufferOperation with a radius slightly above margin_m and an error
// fraction small enough that its worst inward error still reaches margin_m
// and its worst outward error stays under margin_m + 1 m (see the .cc).
// margin_m == 0 returns a copy. kInvalidArgument when margin_m is negative,
// not finite or above kMaxMarginMeters; kInternal if S2 fails to buffer.
absl::StatusOr<std::unique_ptr<AlertArea>> ApplyMargin(const AlertArea& area, double margin_m);

// The points within `margin_m` metres of the line through `path` (of the
// point, when every point of `path` is the same), with ApplyMargin's
// promise: a part of no extent (a polygon collapsed to a line or a point)
// grown by the margin. REQUIRES: `path` is not empty. kInvalidArgument
// when margin_m is not in (0, kMaxMarginMeters]; kInternal if S2 fails.
absl::StatusOr<std::unique_ptr<S2Polygon>> BufferPath(const std::vector<S2Point>& path,
                                                      double margin_m);

}  // namespace fanout

#endif  // FANOUT_GEO_AREA_MARGIN_H_
