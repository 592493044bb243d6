// Copyright 2026 The fan-out engine authors.
//
// CAP polygon and circle text, strict and lenient, then polygon building
// with both edge models and the self-intersection repair.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_targets.h"
#include "geo/alert_resolver.h"
#include "geo/lat_lng_text.h"
#include "geo/lenient_text.h"
#include "geo/polygon_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> repairs;
  (void)fanout::ParseCircleText(text);
  (void)fanout::ParseCircleTextLenient(text, &repairs);
  for (bool lenient : {false, true}) {
    auto ring =
        lenient ? fanout::ParsePolygonTextLenient(text, &repairs) : fanout::ParsePolygonText(text);
    if (!ring.ok() || ring->size() > 64) continue;  // bound the geometry work per input
    for (auto edges : {fanout::EdgeModel::kPlanar, fanout::EdgeModel::kGeodesic}) {
      auto polygon = fanout::BuildPolygon({*ring}, edges);
      if (!polygon.ok()) (void)fanout::BuildSelfIntersectingRing(*ring, edges);
    }
  }
  return 0;
}
