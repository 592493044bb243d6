// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_ALERT_TEXT_H_
#define FANOUT_GEO_ALERT_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/alert_resolver.h"

namespace fanout {

// What the text of an alert is (DESIGN §2).
enum class AlertFormat {
  kCap,      // a CAP 1.1 or 1.2 <alert> document (XML)
  kGeoJson,  // a GeoJSON geometry, Feature or FeatureCollection (RFC 7946)
  kPolygon,  // CAP polygon text: "lat,lon lat,lon ..." (closed, >= 4 pairs)
  kCircle,   // CAP circle text: "lat,lon radius_km"
  kCode,     // one geocode: "SAME 048201", "FIPS 48201", "UGC TXC201", or a
             // bare code read by its shape (6 digits SAME, 5 or 2 digits
             // FIPS, "TXC201" UGC)
};

// "cap", "geojson", "polygon", "circle", "code".
absl::string_view AlertFormatName(AlertFormat format);

// Everything that decides how alert text becomes an area: the resolve
// options (edges, margin, lenient, geocodes; see ResolveOptions) and, for
// GeoJSON, which Feature.
struct AlertTextOptions {
  // DEFAULT: planar edges, strict, geocodes as fallback, no margin, the
  // default boundary catalogue (ResolveOptions).
  ResolveOptions resolve;
  // kGeoJson only: keep just the Feature whose "id" (string or number) is
  // this; no such Feature is an error. DEFAULT: empty, every Feature.
  // REQUIRES: empty for the other formats.
  std::string feature_id;
  // Texts longer than this are refused before they are parsed (real CAP
  // alerts are a few kB, the largest ~1 MB). DEFAULT: 16 MiB. REQUIRES: > 0.
  size_t max_bytes = 16u << 20;

  absl::Status Validate(AlertFormat format) const;
};

// Turns the text of one alert into its resolved area: parses it as
// `format` (CAP: cap_alert.h; GeoJSON: geojson_alert.h; polygon and circle:
// lat_lng_text.h, or lenient_text.h when options.resolve.lenient), then
// applies DESIGN §3 and §4b (ResolveAlert, alert_resolver.h). The result
// holds the union area (never empty), each area's own region and
// description, every lenient repair, what was present but ignored, the
// count of repeated pairs dropped, and the alert's header fields
// (identifier, sender, sent, msgType, status, references; empty for a bare
// polygon, circle or code).
//
// A polygon, circle or code given alone is one area labelled "area", so
// errors read "area.polygon[0]: pair 3 ...". Errors are kInvalidArgument
// for bad text or options (naming the element and quoting the text, never
// a command-line flag), kNotFound when the boundary catalogue is missing.
// No exception escapes. Thread-safe: no shared state (a caller resolving
// many codes should set options.resolve.catalogue to one it keeps open).
//
// Typical usage:
//   AlertTextOptions options;
//   options.resolve.margin_m = 100;
//   ASSIGN_OR_RETURN(ResolvedAlert alert,
//                    ResolveAlertText(cap_xml, AlertFormat::kCap, options));
//   executor.Execute(*alert.area, sink, &summary);
absl::StatusOr<ResolvedAlert> ResolveAlertText(absl::string_view text, AlertFormat format,
                                               const AlertTextOptions& options = {});

}  // namespace fanout

#endif  // FANOUT_GEO_ALERT_TEXT_H_
