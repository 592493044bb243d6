// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_LAT_LNG_TEXT_H_
#define FANOUT_GEO_LAT_LNG_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/polygon_builder.h"
#include "s2/s2latlng.h"

namespace fanout {

// A CAP-style circle: centre and radius in kilometres.
struct CircleSpec {
  S2LatLng center;
  double radius_km = 0;
};

// Parses CAP polygon text: whitespace-separated "lat,lon" pairs (any run of
// spaces, tabs or newlines between pairs), at least 4 pairs, first equal to
// last (DESIGN §4b). Errors quote the offending pair and its 1-based
// position, e.g. `pair 3 "29.7;-95.1": expected "lat,lon"`. A pair equal to
// the one before it is valid CAP and kept here (DropRepeatedPairs).
absl::StatusOr<LatLngRing> ParsePolygonText(absl::string_view text);

// Removes each vertex equal to the one before it and returns how many were
// removed. CAP requires only 4 pairs and a closed ring, and national feeds
// do repeat pairs ("45.1,7.2 45.1,7.2"); a repeat adds no edge, so the
// ring means the same without it (DESIGN §4b: dropped in both modes and
// counted). The closing vertex stays; a ring of one repeated point becomes
// that point alone.
size_t DropRepeatedPairs(LatLngRing* ring);

// Parses CAP circle text "lat,lon radius_km" with radius >= 0.
absl::StatusOr<CircleSpec> ParseCircleText(absl::string_view text);

// Parses one decimal number (no leading '+', no trailing garbage, finite).
bool ParseDecimal(absl::string_view text, double* out);

// `value` as the shortest decimal text that reads back as the same double
// ("10000.001", "0.1", "1e-07"), for messages that quote a number the user
// gave (absl::StrCat keeps 6 significant digits: 10000.001 would read
// "10000", and a refusal would seem to refuse a valid value).
std::string FormatDecimal(double value);

}  // namespace fanout

#endif  // FANOUT_GEO_LAT_LNG_TEXT_H_
