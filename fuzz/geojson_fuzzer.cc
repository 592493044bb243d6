// Copyright 2026 The fan-out engine authors.
//
// GeoJSON alert and area parsing, then resolution: never a crash.

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_targets.h"
#include "geo/alert_resolver.h"
#include "geo/boundary_catalogue.h"
#include "geo/geojson_alert.h"
#include "geo/geojson_area.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fanout::BoundaryCatalogue* catalogue = [] {
    auto c = fanout::BoundaryCatalogue::OpenDefault();
    return c.ok() ? c->release() : nullptr;
  }();
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  fanout::GeoJsonOptions options;
  (void)fanout::ParseGeoJsonArea(text, options);
  auto alert = fanout::ParseGeoJsonAlert(text, options);
  if (alert.ok() && catalogue != nullptr) {
    fanout::ResolveOptions resolve;
    resolve.catalogue = catalogue;
    (void)fanout::ResolveAlert(*alert, resolve);
  }
  return 0;
}
