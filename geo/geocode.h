// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_GEOCODE_H_
#define FANOUT_GEO_GEOCODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fanout {

// A region of the boundary catalogue: the nation, a state or a county, named
// by its FIPS code ("" for the nation, "48" for Texas, "48201" for Harris
// County TX).
struct BoundaryKey {
  enum class Kind { kNation, kState, kCounty };
  Kind kind = Kind::kNation;
  std::string fips;

  // The catalogue's id: "US", the 2-digit or the 5-digit FIPS code.
  std::string CatalogueId() const { return kind == Kind::kNation ? "US" : fips; }
  bool operator==(const BoundaryKey& o) const { return kind == o.kind && fips == o.fips; }
};

// What a CAP <geocode> means for the area (DESIGN §3).
struct GeocodeMeaning {
  // False for codes this product does not resolve (NWS zone codes such as
  // TXZ213, foreign or unknown schemes): DESIGN §3 ignores them when other
  // codes or a geometry define the area. `why` then says why.
  bool resolvable = false;
  BoundaryKey key;
  std::string why;
};

// Interprets one CAP geocode. `value_name` is matched case-insensitively:
//  - "SAME" and CAP 1.1 "FIPS6": 6 digits PSSCCC; 000000 is the nation,
//    CCC = 000 the whole state SS, otherwise county SSCCC (a non-zero P, a
//    part of the county, is widened to the whole county);
//  - "FIPS": 5 digits SSCCC or 2 digits SS;
//  - "UGC": NWS county codes such as TXC201 (= FIPS 48201); zone codes
//    (TXZ213, marine AMZ...) are not resolvable;
//  - any other value name is not resolvable.
// A malformed value of a known scheme (SAME "4820", UGC "TXC20") is
// kInvalidArgument quoting it. Whether the code exists is the catalogue's
// business (BoundaryCatalogue), not this function's.
absl::StatusOr<GeocodeMeaning> InterpretGeocode(absl::string_view value_name,
                                                absl::string_view value);

// The codes of the command line: --same PSSCCC, --fips SSCCC|SS.
absl::StatusOr<BoundaryKey> ParseSameCode(absl::string_view code);
absl::StatusOr<BoundaryKey> ParseFipsCode(absl::string_view code);

// The 2-digit state FIPS code of a USPS state/territory abbreviation ("TX"
// -> "48"), or "" when unknown.
std::string StateFipsFromPostal(absl::string_view postal);

}  // namespace fanout

#endif  // FANOUT_GEO_GEOCODE_H_
