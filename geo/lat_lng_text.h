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
// position, e.g. `pair 3 "29.7;-95.1": expected "lat,lon"`.
absl::StatusOr<LatLngRing> ParsePolygonText(absl::string_view text);

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
