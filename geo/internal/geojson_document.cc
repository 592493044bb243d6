// Copyright 2026 The fan-out engine authors.

#include "geo/internal/geojson_document.h"

#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fanout {
namespace internal {
namespace {

using Json = nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

CoordValue Number(double x) {
  CoordValue v;
  v.kind = CoordValue::Kind::kNumber;
  v.x = x;
  return v;
}

CoordValue Numbers(uint8_t count, double x, double y) {
  CoordValue v;
  v.kind = CoordValue::Kind::kNumbers;
  v.count = count;
  v.x = x;
  v.y = y;
  return v;
}

// What the value after a key (or an array element, or the root) is kept as.
enum class Slot : uint8_t {
  kDrop,          // not stored at all
  kKeep,          // stored whole
  kScalarOrStub,  // "type", "id": a scalar whole, a container as an empty one
  kStructural,    // an object whose members are filtered; an array as []
  kList,          // "features", "geometries": an array of kStructural; {} as {}
  kProperties,    // an object keeping only the members the alert reader reads
  kCoordinates,   // compacted into GeoJsonDocument::coordinates
};

// What an open (kept) container holds.
enum class Role : uint8_t { kStructural, kList, kProperties, kKeep };

Slot StructuralMember(const std::string& key) {
  if (key == "type" || key == "id") return Slot::kScalarOrStub;
  if (key == "features" || key == "geometries") return Slot::kList;
  if (key == "geometry") return Slot::kStructural;
  if (key == "coordinates") return Slot::kCoordinates;
  if (key == "properties") return Slot::kProperties;
  return Slot::kDrop;
}

// The members of "properties" that geojson_alert.cc reads.
Slot PropertiesMember(const std::string& key) {
  static constexpr const char* kKept[] = {"id",         "identifier", "sender",     "sent",
                                          "messageType", "msgType",    "status",     "references",
                                          "areaDesc",    "geocode"};
  for (const char* k : kKept) {
    if (key == k) return Slot::kKeep;
  }
  return Slot::kDrop;
}

// nlohmann SAX handler building a GeoJsonDocument (see the header).
// Containers that are dropped or stubbed are skipped by counting their
// nesting; inside "coordinates" a stack of Frames builds CoordValues.
class LeanBuilder {
 public:
  explicit LeanBuilder(GeoJsonDocument* doc) : doc_(doc) {}

  const absl::Status& error() const { return error_; }

  bool null() { return Scalar(Json(nullptr), CoordValue()); }
  bool boolean(bool b) { return Scalar(Json(b), CoordValue()); }
  bool number_integer(Json::number_integer_t n) {
    return Scalar(Json(n), Number(static_cast<double>(n)));
  }
  bool number_unsigned(Json::number_unsigned_t n) {
    return Scalar(Json(n), Number(static_cast<double>(n)));
  }
  bool number_float(Json::number_float_t n, const std::string& /*text*/) {
    return Scalar(Json(n), Number(n));
  }
  bool string(std::string& s) {
    if (skip_depth_ > 0 || in_coordinates_) return Scalar(Json(), CoordValue());
    return Scalar(Json(std::move(s)), CoordValue());
  }
  bool binary(Json::binary_t& /*b*/) { return true; }  // never produced by JSON text

  bool start_object(size_t /*elements*/) { return StartContainer(/*is_object=*/true); }
  bool start_array(size_t /*elements*/) { return StartContainer(/*is_object=*/false); }
  bool end_object() { return EndContainer(); }
  bool end_array() { return EndContainer(); }

  bool key(std::string& key) {
    if (skip_depth_ > 0) return true;
    const Open& top = open_.back();
    switch (top.role) {
      case Role::kStructural:
        pending_ = StructuralMember(key);
        break;
      case Role::kProperties:
        pending_ = PropertiesMember(key);
        break;
      default:
        pending_ = Slot::kKeep;
        break;
    }
    // Like nlohmann's own DOM parser, a repeated key keeps its last value.
    if (pending_ != Slot::kDrop) slot_ = &(*top.value)[key];
    return true;
  }

  bool parse_error(size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) {
    // e.what() names the byte offset and what was expected there; numbers
    // beyond the range of a double are reported here too (out_of_range).
    error_ = absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", e.what()));
    return false;
  }

 private:
  struct Open {
    Json* value;
    Role role;
  };
  // An array being read inside "coordinates".
  struct Frame {
    enum class Mode : uint8_t { kEmpty, kNumbers, kPositions, kGeneric };
    Mode mode = Mode::kEmpty;
    uint8_t count = 0;  // kNumbers
    double x = kNaN, y = kNaN;
    CoordArray array;  // kPositions, kGeneric
  };

  // The slot of the next value: after a key, in an array, or the root.
  Slot NextSlot() const {
    if (open_.empty()) return Slot::kStructural;
    switch (open_.back().role) {
      case Role::kList:
        return Slot::kStructural;
      case Role::kKeep:
        return Slot::kKeep;
      default:
        return pending_;
    }
  }

  // Stores a kept value where it belongs and returns it.
  Json* Place(Json&& value) {
    if (open_.empty()) {
      doc_->root = std::move(value);
      return &doc_->root;
    }
    Json* top = open_.back().value;
    if (top->is_array()) {
      top->push_back(std::move(value));
      return &top->back();
    }
    *slot_ = std::move(value);
    return slot_;
  }

  bool Scalar(Json&& value, const CoordValue& coord) {
    if (skip_depth_ > 0) return true;
    if (in_coordinates_) {
      AddCoord(coord);
      return true;
    }
    Slot slot = NextSlot();
    if (slot == Slot::kDrop) return true;
    if (slot == Slot::kCoordinates) {
      coordinates_slot_ = slot_;
      FinishCoordinates(coord);
      return true;
    }
    Place(std::move(value));
    return true;
  }

  bool StartContainer(bool is_object) {
    if (++depth_ > kMaxGeoJsonDepth) {
      error_ = absl::InvalidArgumentError(absl::StrCat(
          "not valid GeoJSON: arrays and objects nested deeper than ", kMaxGeoJsonDepth,
          " levels"));
      return false;
    }
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (!in_coordinates_) {
      Slot slot = NextSlot();
      if (slot == Slot::kDrop) {
        Skip(/*coordinate=*/false);
        return true;
      }
      if (slot == Slot::kCoordinates) {
        in_coordinates_ = true;
        coordinates_slot_ = slot_;
      } else {
        Role role;
        bool stub = false;
        switch (slot) {
          case Slot::kKeep:
            role = Role::kKeep;
            break;
          case Slot::kList:
            role = Role::kList;
            stub = is_object;
            break;
          case Slot::kProperties:
            role = Role::kProperties;
            stub = !is_object;
            break;
          case Slot::kStructural:
            role = Role::kStructural;
            stub = !is_object;
            break;
          default:  // kScalarOrStub
            role = Role::kKeep;
            stub = true;
            break;
        }
        Json* placed = Place(is_object ? Json::object() : Json::array());
        if (stub) {
          Skip(/*coordinate=*/false);
        } else {
          open_.push_back({placed, role});
        }
        return true;
      }
    }
    // Inside "coordinates" (or starting it).
    if (is_object) {
      Skip(/*coordinate=*/true);
    } else {
      frames_.emplace_back();
    }
    return true;
  }

  bool EndContainer() {
    --depth_;
    if (skip_depth_ > 0) {
      if (--skip_depth_ == 0 && skip_is_coordinate_) AddCoord(CoordValue());
      return true;
    }
    if (in_coordinates_) {
      Frame frame = std::move(frames_.back());
      frames_.pop_back();
      CoordValue v;
      switch (frame.mode) {
        case Frame::Mode::kEmpty:
          v = Numbers(0, kNaN, kNaN);
          break;
        case Frame::Mode::kNumbers:
          v = Numbers(frame.count, frame.x, frame.y);
          break;
        default:
          v.kind = CoordValue::Kind::kArray;
          v.array = static_cast<uint32_t>(doc_->arrays.size());
          doc_->arrays.push_back(std::move(frame.array));
          break;
      }
      AddCoord(v);
      return true;
    }
    open_.pop_back();
    return true;
  }

  void Skip(bool coordinate) {
    skip_depth_ = 1;
    skip_is_coordinate_ = coordinate;
  }

  // Adds a finished value inside "coordinates" to the array being read, or
  // finishes the "coordinates" value itself.
  void AddCoord(const CoordValue& v) {
    if (frames_.empty()) {
      FinishCoordinates(v);
      return;
    }
    Frame& f = frames_.back();
    using Mode = Frame::Mode;
    if (v.kind == CoordValue::Kind::kNumber && (f.mode == Mode::kEmpty || f.mode == Mode::kNumbers)) {
      f.mode = Mode::kNumbers;
      if (f.count == 0) f.x = v.x;
      if (f.count == 1) f.y = v.x;
      if (f.count < 255) ++f.count;
      return;
    }
    if (v.kind == CoordValue::Kind::kNumbers &&
        (f.mode == Mode::kEmpty || f.mode == Mode::kPositions)) {
      f.mode = Mode::kPositions;
      CoordArray& a = f.array;
      if (v.count != 2 || !a.counts.empty()) {
        if (a.counts.empty()) a.counts.assign(a.positions.size(), 2);
        a.counts.push_back(v.count);
      }
      a.positions.push_back({v.x, v.y});
      return;
    }
    MakeGeneric(&f);
    f.array.elements.push_back(v);
  }

  static void MakeGeneric(Frame* f) {
    CoordArray& a = f->array;
    if (f->mode == Frame::Mode::kNumbers) {
      // Only the first two numbers are ever read (see CoordValue::count).
      for (int i = 0; i < f->count; ++i) a.elements.push_back(Number(i == 0 ? f->x : i == 1 ? f->y : kNaN));
    } else if (f->mode == Frame::Mode::kPositions) {
      for (size_t i = 0; i < a.positions.size(); ++i) a.elements.push_back(a.at(i));
      a.positions = {};
      a.counts = {};
    }
    a.is_positions = false;
    f->mode = Frame::Mode::kGeneric;
  }

  void FinishCoordinates(const CoordValue& v) {
    in_coordinates_ = false;
    *coordinates_slot_ = Json::binary({}, doc_->coordinates.size());
    doc_->coordinates.push_back(v);
  }

  GeoJsonDocument* doc_;
  absl::Status error_;
  int depth_ = 0;
  std::vector<Open> open_;
  Slot pending_ = Slot::kDrop;  // of the value after the last key
  Json* slot_ = nullptr;        // where that value goes
  int skip_depth_ = 0;          // > 0: inside a container not kept
  bool skip_is_coordinate_ = false;
  bool in_coordinates_ = false;
  Json* coordinates_slot_ = nullptr;
  std::vector<Frame> frames_;
};

}  // namespace

CoordValue CoordArray::at(size_t i) const {
  if (!is_positions) return elements[i];
  return Numbers(counts.empty() ? 2 : counts[i], positions[i].x, positions[i].y);
}

absl::StatusOr<GeoJsonDocument> ParseGeoJsonDocument(absl::string_view text) {
  GeoJsonDocument doc;
  LeanBuilder builder(&doc);
  try {
    if (!Json::sax_parse(text.begin(), text.end(), &builder)) {
      if (!builder.error().ok()) return builder.error();
      return absl::InvalidArgumentError("not valid JSON");
    }
  } catch (const std::exception& e) {
    // The handler and nlohmann report errors through parse_error; this is a
    // last line of defence (e.g. std::bad_alloc) so that nothing escapes.
    return absl::InvalidArgumentError(absl::StrCat("malformed GeoJSON: ", e.what()));
  }
  return doc;
}

size_t CoordView::size() const {
  switch (value_.kind) {
    case CoordValue::Kind::kNumbers:
      return value_.count;
    case CoordValue::Kind::kArray:
      return doc_->arrays[value_.array].size();
    default:
      return 0;
  }
}

CoordView CoordView::operator[](size_t i) const {
  if (value_.kind == CoordValue::Kind::kNumbers) {
    return CoordView(*doc_, Number(i == 0 ? value_.x : i == 1 ? value_.y : kNaN));
  }
  return CoordView(*doc_, doc_->arrays[value_.array].at(i));
}

bool CoordView::GetPosition(double* lng, double* lat) const {
  if (value_.kind == CoordValue::Kind::kNumbers) {
    if (value_.count < 2) return false;
    *lng = value_.x;
    *lat = value_.y;
    return true;
  }
  if (value_.kind != CoordValue::Kind::kArray || size() < 2) return false;
  CoordView a = (*this)[0], b = (*this)[1];
  if (!a.is_number() || !b.is_number()) return false;
  *lng = a.number();
  *lat = b.number();
  return true;
}

bool GetCoordinates(const GeoJsonDocument& doc, const nlohmann::json& member, CoordValue* out) {
  if (!member.is_binary() || member.get_binary().subtype() >= doc.coordinates.size()) return false;
  *out = doc.coordinates[member.get_binary().subtype()];
  return true;
}

}  // namespace internal
}  // namespace fanout
