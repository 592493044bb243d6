// Copyright 2026 The fan-out engine authors.

#include "geo/lat_lng_text.h"

#include "base/file_io.h"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fanout {
namespace {


absl::Status ParsePair(absl::string_view pair, size_t position, S2LatLng* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(pair, ',');
  double lat, lng;
  if (parts.size() != 2 || !ParseDecimal(parts[0], &lat) || !ParseDecimal(parts[1], &lng)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pair ", position, " ", QuoteForMessage(pair), ": expected \"lat,lon\" with decimal "
                     "degrees"));
  }
  if (lat < -90 || lat > 90 || lng < -180 || lng > 180) {
    return absl::InvalidArgumentError(
        absl::StrCat("pair ", position, " ", QuoteForMessage(pair),
                     ": out of range (lat must be in [-90, 90], lon in [-180, 180])"));
  }
  *out = S2LatLng::FromDegrees(lat, lng);
  return absl::OkStatus();
}

}  // namespace

bool ParseDecimal(absl::string_view text, double* out) {
  if (text.empty() || text.front() == '+') return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

std::string FormatDecimal(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return absl::StrCat(value);  // cannot happen: 64 > 24
  return std::string(buffer, end);
}

absl::StatusOr<LatLngRing> ParsePolygonText(absl::string_view text) {
  std::vector<absl::string_view> pairs =
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (pairs.size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "polygon has ", pairs.size(), " pairs; CAP requires at least 4 with the first "
        "repeated as the last"));
  }
  LatLngRing ring(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    absl::Status status = ParsePair(pairs[i], i + 1, &ring[i]);
    if (!status.ok()) return status;
  }
  if (ring.front() != ring.back()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "polygon is not closed: first pair ", QuoteForMessage(pairs.front()), " differs from last pair ",
        QuoteForMessage(pairs.back())));
  }
  return ring;
}

size_t DropRepeatedPairs(LatLngRing* ring) {
  if (ring->empty()) return 0;
  size_t kept = 1;
  for (size_t i = 1; i < ring->size(); ++i) {
    if ((*ring)[i] != (*ring)[kept - 1]) (*ring)[kept++] = (*ring)[i];
  }
  const size_t dropped = ring->size() - kept;
  ring->resize(kept);
  return dropped;
}

absl::StatusOr<CircleSpec> ParseCircleText(absl::string_view text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("circle ", QuoteForMessage(text), ": expected \"lat,lon radius_km\""));
  }
  CircleSpec circle;
  absl::Status status = ParsePair(parts[0], 1, &circle.center);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat("circle: ", status.message()));
  if (!ParseDecimal(parts[1], &circle.radius_km) || circle.radius_km < 0) {
    return absl::InvalidArgumentError(absl::StrCat("circle radius ", QuoteForMessage(parts[1]),
                                                   ": expected a number of km >= 0"));
  }
  return circle;
}

}  // namespace fanout
