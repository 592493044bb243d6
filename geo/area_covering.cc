// Copyright 2026 The fan-out engine authors.

#include "geo/area_covering.h"

#include "absl/strings/str_cat.h"
#include "s2/s2region_coverer.h"

namespace fanout {

absl::Status CoveringOptions::Validate() const {
  if (max_cells < 8) {
    return absl::InvalidArgumentError(absl::StrCat("max_cells must be >= 8, got ", max_cells));
  }
  if (max_level < 0 || max_level > S2CellId::kMaxLevel) {
    return absl::InvalidArgumentError(absl::StrCat("max_level must be in 0..30, got ", max_level));
  }
  return absl::OkStatus();
}

AreaCovering CoverArea(const AlertArea& area, const CoveringOptions& options) {
  AreaCovering covering;
  if (area.is_empty()) return covering;
  S2RegionCoverer::Options coverer_options;
  coverer_options.set_max_cells(options.max_cells);
  coverer_options.set_max_level(options.max_level);
  S2RegionCoverer coverer(coverer_options);
  S2CellUnion exterior = coverer.GetCovering(area);
  covering.interior = coverer.GetInteriorCovering(area);
  covering.boundary = exterior.Difference(covering.interior);
  return covering;
}

}  // namespace fanout
