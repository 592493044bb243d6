// Copyright 2026 The fan-out engine authors.
//
// Internal to geo/: the lean form of a GeoJSON text that ParseGeoJsonArea and
// ParseGeoJsonAlert read. The text is parsed once with nlohmann's SAX
// interface, and only what those two readers use is kept:
//  - the objects that make the GeoJSON structure (the root, each Feature,
//    each geometry) as nlohmann::json objects holding only the members
//    "type", "id", "features", "geometry", "geometries", "coordinates" and
//    "properties"; any other member is dropped while parsing;
//  - of "properties", only the members ParseGeoJsonAlert reads (id,
//    identifier, sender, sent, messageType, msgType, status, references,
//    areaDesc, geocode), whole;
//  - every "coordinates" value compacted: an array of numbers (a position)
//    is its first two numbers and its length, and an array of positions (a
//    ring) is one vector of them (CoordArray). In the nlohmann object the
//    member holds a placeholder, a binary value (which JSON text can never
//    produce) whose subtype is the index of the value in
//    GeoJsonDocument::coordinates.
// A member kept with the wrong kind of value (an array for "type", an
// object for "features") is kept as an empty value of that kind, which the
// readers refuse exactly as they would the original.
//
// Nothing a reader can observe differs from a full parse: checks that see
// only the kind, the length, the first two numbers of a position or the
// first element of a bad array give the same answers, and the first error in
// document order is the same error with the same path.

#ifndef FANOUT_GEO_INTERNAL_GEOJSON_DOCUMENT_H_
#define FANOUT_GEO_INTERNAL_GEOJSON_DOCUMENT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace fanout {
namespace internal {

// JSON arrays and objects nested deeper than this are refused while
// parsing: GeoJSON needs about 10 levels (a MultiPolygon's positions inside
// a Feature inside a FeatureCollection), and the geometry reader recurses
// once per nested GeometryCollection.
inline constexpr int kMaxGeoJsonDepth = 256;

// One JSON value inside a "coordinates" member. 24 bytes.
struct CoordValue {
  enum class Kind : uint8_t {
    kOther,    // a string, true, false, null or an object
    kNumber,   // `x` is its value
    kNumbers,  // an array of numbers only (a position, or []): `count`
               // numbers, the first two in `x`, `y` (NaN when absent)
    kArray,    // any other array: GeoJsonDocument::arrays[array]
  };
  Kind kind = Kind::kOther;
  // Length of a kNumbers array, saturating at 255: readers only compare it
  // with 0, 2 and 4, and only ever read the first two numbers.
  uint8_t count = 0;
  uint32_t array = 0;
  double x = 0, y = 0;
};

// An array inside "coordinates" that is not an array of numbers. When every
// element is an array of numbers (a ring of positions, the common case) the
// elements are kept compactly in `positions` (16 bytes each, and 1 more
// each in `counts` when some position does not have exactly 2 numbers);
// otherwise each is a CoordValue in `elements`.
struct CoordArray {
  struct Position {
    double x, y;
  };
  bool is_positions = true;
  std::vector<Position> positions;
  std::vector<uint8_t> counts;  // empty: every position has 2 numbers
  std::vector<CoordValue> elements;

  size_t size() const { return is_positions ? positions.size() : elements.size(); }
  CoordValue at(size_t i) const;
};

struct GeoJsonDocument {
  // The structure (see the file comment). An object, unless the text's root
  // is not one.
  nlohmann::json root;
  // The value of each "coordinates" member, by placeholder subtype.
  std::vector<CoordValue> coordinates;
  std::vector<CoordArray> arrays;
};

// Parses `text` into its lean form. Errors are kInvalidArgument: "not valid
// JSON: " and nlohmann's message (naming the byte offset), or nesting deeper
// than kMaxGeoJsonDepth. Never throws.
absl::StatusOr<GeoJsonDocument> ParseGeoJsonDocument(absl::string_view text);

// Read access to a value inside "coordinates", with the accessors of
// nlohmann::json that the geometry reader uses. Holds a pointer to `doc`,
// which must outlive it.
class CoordView {
 public:
  CoordView(const GeoJsonDocument& doc, const CoordValue& value) : doc_(&doc), value_(value) {}

  bool is_array() const {
    return value_.kind == CoordValue::Kind::kNumbers || value_.kind == CoordValue::Kind::kArray;
  }
  bool is_number() const { return value_.kind == CoordValue::Kind::kNumber; }
  // 0 for a value that is not an array.
  size_t size() const;
  bool empty() const { return size() == 0; }
  // REQUIRES: is_array() and i < size().
  CoordView operator[](size_t i) const;
  // The value of a number. REQUIRES: is_number().
  double number() const { return value_.x; }
  // True when this is an array of at least two elements of which the first
  // two are numbers (a GeoJSON position); sets them.
  bool GetPosition(double* lng, double* lat) const;

 private:
  const GeoJsonDocument* doc_;
  CoordValue value_;
};

// The "coordinates" value that `member` stands for, or nullopt-like false
// when `member` is not a placeholder (cannot happen for a document made by
// ParseGeoJsonDocument, whose "coordinates" members are all placeholders).
bool GetCoordinates(const GeoJsonDocument& doc, const nlohmann::json& member, CoordValue* out);

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_GEO_INTERNAL_GEOJSON_DOCUMENT_H_
