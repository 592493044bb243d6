// Copyright 2026 The fan-out engine authors.

#include "geo/area_margin.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "geo/earth.h"
#include "geo/lat_lng_text.h"
#include "s2/s1chord_angle.h"
#include "s2/s2buffer_operation.h"
#include "s2/s2builderutil_s2polygon_layer.h"
#include "s2/s2error.h"

namespace fanout {
namespace {

S1Angle MetersToAngle(double m) { return S1Angle::Radians(m / kEarthRadiusMeters); }

absl::Status CheckMargin(double margin_m) {
  if (!std::isfinite(margin_m) || margin_m < 0 || margin_m > kMaxMarginMeters) {
    return absl::InvalidArgumentError(absl::StrCat("margin ", FormatDecimal(margin_m),
                                                   " m is out of range: it must be in [0, ",
                                                   FormatDecimal(kMaxMarginMeters), "] m"));
  }
  return absl::OkStatus();
}

// S2BufferOperation promises a distance in [(1-f) r - C, (1+f) r + C]
// (f = error fraction, C = kAbsError, ~10 nm). Asking for
// r = (M + slack) / (1 - f) makes the inner bound at least M; the outer
// bound is then about M + 2fM + slack, so f = 0.4 / M keeps it under
// M + 1 m (f is capped at S2's 1% default for small margins).
S2BufferOperation::Options BufferOptions(double margin_m) {
  const double f =
      std::max(S2BufferOperation::Options::kMinErrorFraction, std::min(0.01, 0.4 / margin_m));
  const double slack_m = 0.05;
  S2BufferOperation::Options options(MetersToAngle((margin_m + slack_m) / (1 - f)));
  options.set_error_fraction(f);
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<S2Polygon>> BufferPath(const std::vector<S2Point>& path,
                                                      double margin_m) {
  RETURN_IF_ERROR(CheckMargin(margin_m));
  if (margin_m == 0 || path.empty()) {
    return absl::InvalidArgumentError("a line or a point needs a margin > 0 to have an area");
  }
  auto grown = std::make_unique<S2Polygon>();
  grown->set_s2debug_override(S2Debug::DISABLE);
  S2BufferOperation op(std::make_unique<s2builderutil::S2PolygonLayer>(grown.get()),
                       BufferOptions(margin_m));
  bool one_point = true;
  for (const S2Point& p : path) one_point &= p == path.front();
  if (one_point) {
    op.AddPoint(path.front());
  } else {
    op.AddPolyline(path);
  }
  S2Error error;
  if (!op.Build(&error)) {
    return absl::InternalError(absl::StrCat("margin: buffering a line failed: ", error.text()));
  }
  return grown;
}

absl::StatusOr<std::unique_ptr<AlertArea>> ApplyMargin(const AlertArea& area, double margin_m) {
  RETURN_IF_ERROR(CheckMargin(margin_m));
  auto out = std::make_unique<AlertArea>();
  if (margin_m == 0) {
    out->AddArea(area);
    out->Finalize();
    return out;
  }
  for (int i = 0; i < area.num_caps(); ++i) {
    const S2Cap& cap = area.cap(i);
    if (cap.is_empty() || cap.is_full()) {
      out->AddCap(cap);
      continue;
    }
    S1Angle radius = cap.GetRadius() + MetersToAngle(margin_m);
    out->AddCap(radius.radians() >= M_PI ? S2Cap::Full()
                                         : S2Cap(cap.center(), S1ChordAngle(radius)));
  }
  const S2BufferOperation::Options options = BufferOptions(margin_m);
  for (int i = 0; i < area.num_polygons(); ++i) {
    const S2Polygon& polygon = area.polygon(i);
    if (polygon.is_empty()) continue;
    auto grown = std::make_unique<S2Polygon>();
    grown->set_s2debug_override(S2Debug::DISABLE);
    S2BufferOperation op(std::make_unique<s2builderutil::S2PolygonLayer>(grown.get()), options);
    S2Polygon::Shape shape(&polygon);
    op.AddShape(shape);
    S2Error error;
    if (!op.Build(&error)) {
      return absl::InternalError(
          absl::StrCat("margin: buffering polygon ", i, " failed: ", error.text()));
    }
    out->AddPolygon(std::move(grown));
  }
  out->Finalize();
  return out;
}

}  // namespace fanout
