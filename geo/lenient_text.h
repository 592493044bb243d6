// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_LENIENT_TEXT_H_
#define FANOUT_GEO_LENIENT_TEXT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/lat_lng_text.h"

namespace fanout {

// The lenient readings of CAP polygon and circle text (DESIGN §4b,
// ResolveOptions::lenient): only what has one obvious reading is repaired,
// and each repair is appended to `repairs` as a sentence quoting the text:
//  - a '+' before a number is dropped;
//  - a trailing comma after a pair ("29.1,-95.2,") is dropped, and a pair
//    split after its comma ("29.1, -95.2") is joined;
//  - an open ring is closed by repeating its first pair;
//  - when some latitude is outside [-90, 90] and swapping every pair makes
//    them all valid, the pairs are read as "lon,lat" and swapped;
//  - a longitude past -180 or 180 by at most kMaxLongitudeWrapDegrees
//    (a global disaster feed writes -180.005) is brought back into range by
//    360 degrees: -180.005 is 179.995, the same meridian. Planar edges run
//    the short way in longitude (planar_edges.h), so the ring keeps its
//    shape across the antimeridian.
// A pair repeating the one before it is no repair: it is valid CAP, kept
// here, and dropped and counted by the resolver in both modes
// (DropRepeatedPairs). Anything else (a pair that is not two numbers, a
// longitude further out) is still refused, with the same messages as the
// strict parsers. A ring of fewer than 3 distinct pairs (one point
// repeated, a line out and back) is returned as it is, closed when it has 2
// or more: like strict mode's, it is an area of no extent
// (polygon_builder.h), refused unless a margin makes it the points near it.
inline constexpr double kMaxLongitudeWrapDegrees = 1.0;
absl::StatusOr<LatLngRing> ParsePolygonTextLenient(absl::string_view text,
                                                   std::vector<std::string>* repairs);
absl::StatusOr<CircleSpec> ParseCircleTextLenient(absl::string_view text,
                                                  std::vector<std::string>* repairs);

}  // namespace fanout

#endif  // FANOUT_GEO_LENIENT_TEXT_H_
