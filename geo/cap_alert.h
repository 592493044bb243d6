// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_CAP_ALERT_H_
#define FANOUT_GEO_CAP_ALERT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/alert_area.h"

namespace fanout {

struct CapGeocode {
  std::string value_name;
  std::string value;
};

// One CAP <area>, as written: polygon and circle texts are kept raw so that
// the resolver (alert_resolver.h) can apply the strict or the lenient rules
// and name the element in its messages.
struct CapArea {
  std::string area_desc;
  std::vector<std::string> polygons;
  std::vector<std::string> circles;
  std::vector<CapGeocode> geocodes;
  // An area whose geometry was given already built (a GeoJSON alert's
  // Feature geometry); null for CAP.
  std::shared_ptr<const AlertArea> geometry;
  // Where the area came from, for messages: "info[0].area[1]" or
  // "features[3]".
  std::string label;
};

struct CapInfo {
  std::string language;
  std::string event;
  std::vector<CapArea> areas;
};

// The parts of a CAP alert this product uses.
struct CapAlert {
  std::string version;  // "1.1" or "1.2"
  std::string identifier, sender, sent, status, msg_type, scope, references;
  std::vector<CapInfo> infos;
};

// An alert's header fields as written (CAP <alert> children, or the
// api.weather.gov properties of a GeoJSON alert); empty when absent.
struct AlertHeader {
  std::string cap_version;  // "1.1" or "1.2" for CAP, else empty
  std::string identifier, sender, sent, msg_type, status, references;
};
AlertHeader HeaderOf(const CapAlert& alert);

struct CapParseOptions {
  // Documents larger than this are refused before parsing; real CAP alerts
  // are a few kB (the largest seen are polygon-heavy at ~1 MB).
  // DEFAULT: 16 MiB. REQUIRES: > 0.
  size_t max_bytes = 16u << 20;
};

// Parses a CAP 1.1 or 1.2 alert with pugixml (DESIGN §4b):
//  - the root must be `alert` in the CAP 1.1 or 1.2 namespace, prefixed or
//    default; other namespaces (CAP 1.0, none) are refused;
//  - a DOCTYPE anywhere is refused, so no entity is ever declared,
//    expanded or fetched (pugixml itself never fetches anything and knows
//    only the five predefined entities);
//  - every <info> and every <area> is kept, in document order; elements of
//    other namespaces (signatures, extensions) are ignored.
// Errors are kInvalidArgument: the XML error with its byte offset, or what
// is wrong with the document. Thread-safe (no shared state).
absl::StatusOr<CapAlert> ParseCapAlert(absl::string_view xml, const CapParseOptions& options = {});

// True when `text` looks like XML (first non-blank character is '<'), for
// commands that accept either CAP or GeoJSON.
bool LooksLikeXml(absl::string_view text);

}  // namespace fanout

#endif  // FANOUT_GEO_CAP_ALERT_H_
