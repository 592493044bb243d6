// Copyright 2026 The fan-out engine authors.

#include "geo/edge_model.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fanout {

absl::StatusOr<EdgeModel> ParseEdgeModel(absl::string_view text) {
  if (text == "planar") return EdgeModel::kPlanar;
  if (text == "geodesic") return EdgeModel::kGeodesic;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown edge model '", text, "' (expected planar or geodesic)"));
}

absl::string_view EdgeModelName(EdgeModel model) {
  return model == EdgeModel::kPlanar ? "planar" : "geodesic";
}

}  // namespace fanout
