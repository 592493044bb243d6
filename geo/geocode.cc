// Copyright 2026 The fan-out engine authors.

#include "geo/geocode.h"

#include <utility>

#include "absl/status/status.h"
#include "base/file_io.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fanout {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}


BoundaryKey Key(BoundaryKey::Kind kind, std::string fips) {
  BoundaryKey key;
  key.kind = kind;
  key.fips = std::move(fips);
  return key;
}

// USPS abbreviations of the states, DC and the territories us-atlas carries.
struct PostalFips {
  const char* postal;
  const char* fips;
};
constexpr PostalFips kPostal[] = {
    {"AL", "01"}, {"AK", "02"}, {"AZ", "04"}, {"AR", "05"}, {"CA", "06"}, {"CO", "08"},
    {"CT", "09"}, {"DE", "10"}, {"DC", "11"}, {"FL", "12"}, {"GA", "13"}, {"HI", "15"},
    {"ID", "16"}, {"IL", "17"}, {"IN", "18"}, {"IA", "19"}, {"KS", "20"}, {"KY", "21"},
    {"LA", "22"}, {"ME", "23"}, {"MD", "24"}, {"MA", "25"}, {"MI", "26"}, {"MN", "27"},
    {"MS", "28"}, {"MO", "29"}, {"MT", "30"}, {"NE", "31"}, {"NV", "32"}, {"NH", "33"},
    {"NJ", "34"}, {"NM", "35"}, {"NY", "36"}, {"NC", "37"}, {"ND", "38"}, {"OH", "39"},
    {"OK", "40"}, {"OR", "41"}, {"PA", "42"}, {"RI", "44"}, {"SC", "45"}, {"SD", "46"},
    {"TN", "47"}, {"TX", "48"}, {"UT", "49"}, {"VT", "50"}, {"VA", "51"}, {"WA", "53"},
    {"WV", "54"}, {"WI", "55"}, {"WY", "56"}, {"AS", "60"}, {"GU", "66"}, {"MP", "69"},
    {"PR", "72"}, {"VI", "78"},
};

}  // namespace

std::string StateFipsFromPostal(absl::string_view postal) {
  for (const PostalFips& p : kPostal) {
    if (postal == p.postal) return p.fips;
  }
  return "";
}

absl::StatusOr<BoundaryKey> ParseSameCode(absl::string_view code) {
  if (code.size() != 6 || !AllDigits(code)) {
    return absl::InvalidArgumentError(
        absl::StrCat("SAME code ", QuoteForMessage(code), ": expected 6 digits PSSCCC"));
  }
  if (code == "000000") return Key(BoundaryKey::Kind::kNation, "");
  std::string state(code.substr(1, 2));
  if (code.substr(3) == "000") return Key(BoundaryKey::Kind::kState, state);
  return Key(BoundaryKey::Kind::kCounty, std::string(code.substr(1, 5)));
}

absl::StatusOr<BoundaryKey> ParseFipsCode(absl::string_view code) {
  if (AllDigits(code) && code.size() == 2) return Key(BoundaryKey::Kind::kState, std::string(code));
  if (AllDigits(code) && code.size() == 5) {
    if (code.substr(2) == "000")
      return Key(BoundaryKey::Kind::kState, std::string(code.substr(0, 2)));
    return Key(BoundaryKey::Kind::kCounty, std::string(code));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("FIPS code ", QuoteForMessage(code), ": expected 5 digits SSCCC or 2 digits SS"));
}

absl::StatusOr<GeocodeMeaning> InterpretGeocode(absl::string_view value_name,
                                                absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  GeocodeMeaning meaning;
  if (absl::EqualsIgnoreCase(value_name, "SAME") || absl::EqualsIgnoreCase(value_name, "FIPS6")) {
    auto key = ParseSameCode(value);
    if (!key.ok()) return key.status();
    meaning.resolvable = true;
    meaning.key = *std::move(key);
    return meaning;
  }
  if (absl::EqualsIgnoreCase(value_name, "FIPS")) {
    auto key = ParseFipsCode(value);
    if (!key.ok()) return key.status();
    meaning.resolvable = true;
    meaning.key = *std::move(key);
    return meaning;
  }
  if (absl::EqualsIgnoreCase(value_name, "UGC")) {
    if (value.size() != 6 || !absl::ascii_isalpha(static_cast<unsigned char>(value[0])) ||
        !absl::ascii_isalpha(static_cast<unsigned char>(value[1])) || !AllDigits(value.substr(3))) {
      return absl::InvalidArgumentError(
          absl::StrCat("UGC code ", QuoteForMessage(value), ": expected SSC### or SSZ### (e.g. TXC201)"));
    }
    char type = absl::ascii_toupper(static_cast<unsigned char>(value[2]));
    if (type == 'Z') {
      meaning.why =
          absl::StrCat("UGC zone ", value, " (NWS zones are not in the boundary catalogue)");
      return meaning;
    }
    if (type != 'C') {
      return absl::InvalidArgumentError(absl::StrCat(
          "UGC code ", QuoteForMessage(value), ": third letter must be C (county) or Z (zone)"));
    }
    std::string state = StateFipsFromPostal(absl::AsciiStrToUpper(value.substr(0, 2)));
    if (state.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("UGC code ", QuoteForMessage(value), ": unknown state abbreviation"));
    }
    meaning.resolvable = true;
    meaning.key = Key(BoundaryKey::Kind::kCounty, absl::StrCat(state, value.substr(3)));
    return meaning;
  }
  meaning.why = absl::StrCat("geocode ", QuoteForMessage(value_name), " = ", QuoteForMessage(value),
                             " (scheme not resolved by this product)");
  return meaning;
}

}  // namespace fanout
