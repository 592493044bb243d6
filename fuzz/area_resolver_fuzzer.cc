// Copyright 2026 The fan-out engine authors.
//
// Polygon and circle texts -> resolved area -> covering, without the XML
// around them, so that the fuzzer spends its time on the geometry (rings
// around poles, across the antimeridian, collapsed to lines or points,
// slivers, margins): must never crash, hang or grow without bound.
//
// Input: a first byte of options (bit 0: geodesic edges, bit 1: lenient,
// bits 2-3: margin 0, 1, 500 or 10000 m), then one part per line: "P "
// and CAP polygon text, or "C " and CAP circle text; each line is an
// <area> of its own <info>.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_targets.h"
#include "geo/alert_resolver.h"
#include "geo/area_covering.h"
#include "geo/cap_alert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  fanout::AlertDocument alert;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() < 2 || line[1] != ' ' || (line[0] != 'P' && line[0] != 'C')) continue;
    fanout::AlertDocumentArea& area = alert.infos.emplace_back().areas.emplace_back();
    area.label = absl::StrCat("info[", alert.infos.size() - 1, "].area[0]");
    (line[0] == 'P' ? area.polygons : area.circles).emplace_back(line.substr(2));
  }
  if (alert.infos.empty()) return 0;
  fanout::ResolveOptions options;
  options.edges = flags & 1 ? fanout::EdgeModel::kGeodesic : fanout::EdgeModel::kPlanar;
  options.lenient = (flags & 2) != 0;
  const double margins[] = {0, 1, 500, 10000};
  options.margin_m = margins[(flags >> 2) & 3];
  auto resolved = fanout::ResolveAlert(alert, options);
  if (!resolved.ok()) return 0;
  (void)fanout::CoverArea(*resolved->area, {});
  return 0;
}
