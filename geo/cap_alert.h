// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_CAP_ALERT_H_
#define FANOUT_GEO_CAP_ALERT_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/alert_document.h"

namespace fanout {

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
absl::StatusOr<AlertDocument> ParseCapAlert(absl::string_view xml, const CapParseOptions& options = {});

// True when `text` looks like XML (first non-blank character is '<'), for
// commands that accept either CAP or GeoJSON.
bool LooksLikeXml(absl::string_view text);

}  // namespace fanout

#endif  // FANOUT_GEO_CAP_ALERT_H_
