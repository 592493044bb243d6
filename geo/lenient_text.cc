// Copyright 2026 The fan-out engine authors.

#include "geo/lenient_text.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "base/file_io.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace fanout {
namespace {


// Reads one number, allowing a leading '+' (reported).
bool LenientNumber(absl::string_view s, double* out, bool* had_plus) {
  if (absl::ConsumePrefix(&s, "+")) *had_plus = true;
  return ParseDecimal(s, out);
}

bool OneNumberToken(absl::string_view s) {
  double unused;
  bool plus = false;
  return LenientNumber(s, &unused, &plus);
}

// Splits the text into "lat,lon" tokens, joining "lat," + "lon" and
// dropping a trailing comma.
std::vector<std::string> PairTokens(absl::string_view text, std::vector<std::string>* repairs) {
  std::vector<absl::string_view> raw =
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  std::vector<std::string> pairs;
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string token(raw[i]);
    if (absl::EndsWith(token, ",") && i + 1 < raw.size() &&
        OneNumberToken(token.substr(0, token.size() - 1)) && OneNumberToken(raw[i + 1])) {
      repairs->push_back(absl::StrCat("joined pair split after its comma: ", QuoteForMessage(token), " ",
                                      QuoteForMessage(raw[i + 1])));
      token += std::string(raw[++i]);
    }
    if (absl::EndsWith(token, ",") && std::count(token.begin(), token.end(), ',') == 2) {
      repairs->push_back(absl::StrCat("dropped trailing comma in ", QuoteForMessage(token)));
      token.pop_back();
    }
    pairs.push_back(std::move(token));
  }
  return pairs;
}

absl::Status ParseLenientPair(absl::string_view pair, size_t position, double* lat, double* lng,
                              std::vector<std::string>* repairs) {
  std::vector<absl::string_view> parts = absl::StrSplit(pair, ',');
  bool plus = false;
  if (parts.size() != 2 || !LenientNumber(parts[0], lat, &plus) ||
      !LenientNumber(parts[1], lng, &plus)) {
    return absl::InvalidArgumentError(absl::StrCat("pair ", position, " ", QuoteForMessage(pair),
                                                   ": expected \"lat,lon\" with decimal degrees"));
  }
  if (plus)
    repairs->push_back(absl::StrCat("dropped '+' sign in pair ", position, " ", QuoteForMessage(pair)));
  return absl::OkStatus();
}

bool InRange(double lat, double lng) { return std::abs(lat) <= 90 && std::abs(lng) <= 180; }

// Brings a longitude a little past -180 or 180 back by 360 degrees (the
// same meridian); false when it is in range already or further out.
bool WrapLongitude(double* lng) {
  if (std::abs(*lng) <= 180 || std::abs(*lng) > 180 + kMaxLongitudeWrapDegrees) return false;
  *lng += *lng > 0 ? -360 : 360;
  return true;
}

// Wraps the longitude of pair `position` (1-based; 0 for a circle centre)
// when that brings the pair into range, and reports it.
void WrapPair(const std::string& token, size_t position, double lat, double* lng,
              std::vector<std::string>* repairs) {
  if (std::abs(lat) > 90) return;
  const double before = *lng;
  if (!WrapLongitude(lng)) return;
  repairs->push_back(absl::StrCat("brought longitude ", FormatDecimal(before), " of ",
                                  position == 0 ? std::string("circle centre")
                                                : absl::StrCat("pair ", position),
                                  " ", QuoteForMessage(token), " back into range as ",
                                  FormatDecimal(*lng)));
}

}  // namespace

absl::StatusOr<LatLngRing> ParsePolygonTextLenient(absl::string_view text,
                                                   std::vector<std::string>* repairs) {
  std::vector<std::string> tokens = PairTokens(text, repairs);
  std::vector<std::pair<double, double>> pairs(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    absl::Status s = ParseLenientPair(tokens[i], i + 1, &pairs[i].first, &pairs[i].second, repairs);
    if (!s.ok()) return s;
  }
  bool all_valid = true, all_valid_swapped = true;
  for (const auto& [lat, lng] : pairs) {
    all_valid &= InRange(lat, lng);
    all_valid_swapped &= InRange(lng, lat);
  }
  if (!all_valid && all_valid_swapped) {
    repairs->push_back(
        "read pairs as \"lon,lat\" (some latitude was outside [-90, 90]) and "
        "swapped them");
    for (auto& p : pairs) std::swap(p.first, p.second);
  } else if (!all_valid) {
    for (size_t i = 0; i < pairs.size(); ++i) {
      WrapPair(tokens[i], i + 1, pairs[i].first, &pairs[i].second, repairs);
      if (!InRange(pairs[i].first, pairs[i].second)) {
        return absl::InvalidArgumentError(
            absl::StrCat("pair ", i + 1, " ", QuoteForMessage(tokens[i]),
                         ": out of range (lat must be in [-90, 90], lon in [-180, 180])"));
      }
    }
  }
  LatLngRing ring;
  for (size_t i = 0; i < pairs.size(); ++i) {
    ring.push_back(S2LatLng::FromDegrees(pairs[i].first, pairs[i].second));
  }
  if (ring.size() >= 2 && ring.front() != ring.back()) {
    repairs->push_back(
        absl::StrCat("closed open ring by repeating its first pair ", QuoteForMessage(tokens.front())));
    ring.push_back(ring.front());
  }
  // Fewer than 3 distinct pairs is a ring of no extent (a point, or a line
  // out and back), which BuildPolygon refuses as such and the resolver then
  // refuses, or grows by the margin when one is given, as in strict mode.
  if (ring.empty()) return absl::InvalidArgumentError("polygon has no pairs");
  return ring;
}

absl::StatusOr<CircleSpec> ParseCircleTextLenient(absl::string_view text,
                                                  std::vector<std::string>* repairs) {
  std::vector<std::string> tokens = PairTokens(text, repairs);
  if (tokens.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("circle ", QuoteForMessage(text), ": expected \"lat,lon radius_km\""));
  }
  CircleSpec circle;
  double lat, lng;
  absl::Status s = ParseLenientPair(tokens[0], 1, &lat, &lng, repairs);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("circle: ", s.message()));
  WrapPair(tokens[0], 0, lat, &lng, repairs);
  if (!InRange(lat, lng) && InRange(lng, lat)) {
    repairs->push_back(
        absl::StrCat("read circle centre ", QuoteForMessage(tokens[0]), " as \"lon,lat\" and swapped it"));
    std::swap(lat, lng);
  }
  if (!InRange(lat, lng)) {
    return absl::InvalidArgumentError(
        absl::StrCat("circle centre ", QuoteForMessage(tokens[0]), ": out of range"));
  }
  circle.center = S2LatLng::FromDegrees(lat, lng);
  bool plus = false;
  if (!LenientNumber(tokens[1], &circle.radius_km, &plus) || circle.radius_km < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("circle radius ", QuoteForMessage(tokens[1]), ": expected a number of km >= 0"));
  }
  if (plus)
    repairs->push_back(absl::StrCat("dropped '+' sign in circle radius ", QuoteForMessage(tokens[1])));
  return circle;
}

}  // namespace fanout
