// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_ALERT_RESOLVER_H_
#define FANOUT_GEO_ALERT_RESOLVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "geo/alert_area.h"
#include "geo/boundary_catalogue.h"
#include "geo/cap_alert.h"
#include "geo/edge_model.h"
#include "geo/polygon_builder.h"

namespace fanout {

struct ResolveOptions {
  // DEFAULT: planar (DESIGN §3: CAP polygons are map-drawn).
  EdgeModel edges = EdgeModel::kPlanar;
  // DEFAULT: false (strict, DESIGN §4b): any malformed polygon or circle is
  // refused. When true, repairs with one obvious reading are applied and
  // listed in ResolvedAlert::repairs (see lenient_text.h), and
  // self-intersecting rings are resolved with S2Builder (odd-even).
  bool lenient = false;
  // DEFAULT: false: an area's geocodes count only when it has no polygon
  // or circle. When true they are added to it.
  bool geocodes_union = false;
  // Grows every area by this many metres (area_margin.h). DEFAULT: 0.
  // REQUIRES: 0..kMaxMarginMeters.
  double margin_m = 0;
  // Where codes resolve. DEFAULT: null, the default catalogue is opened
  // when a code is needed (BoundaryCatalogue::OpenDefault). Not owned.
  const BoundaryCatalogue* catalogue = nullptr;

  absl::Status Validate() const;
};

// One <area> (or GeoJSON Feature) as resolved.
struct ResolvedArea {
  std::string label;                  // "info[0].area[1]"
  std::string area_desc;              // as written
  std::string defined_by;             // "2 polygons", "1 circle", "codes SAME 048201, ..."
  std::unique_ptr<AlertArea> area;    // this area alone; never empty
};

struct ResolvedAlert {
  // The union of every area (margin included), finalized, never empty.
  std::unique_ptr<AlertArea> area;
  std::vector<ResolvedArea> areas;
  // Each lenient repair, prefixed by where it was made.
  std::vector<std::string> repairs;
  // What was present but not used (empty elements, zone codes, geocodes of
  // areas defined by a geometry, ...), for the summary.
  std::vector<std::string> ignored;
  // Pairs that repeated the one before them, dropped (DESIGN §4b: valid
  // CAP, dropped in both modes and counted, never a repair).
  size_t dropped_repeated_pairs = 0;
  // The alert's identifier, sender, sent, ... as given (empty for a bare
  // polygon, circle or code).
  AlertHeader header;
  // The <language> of each info block, in document order, "en-US" where
  // none is given (CAP 1.2 default); one "en-US" for a GeoJSON alert or a
  // bare polygon, circle or code (one block). For delivery by language
  // (AlertExecutor::Options::info_languages).
  std::vector<std::string> info_languages;
};

// Applies DESIGN §3 to a parsed alert: an area's polygons and circles define
// it; its codes only when it has neither (or with geocodes_union); the
// alert is the union over areas and info blocks. Areas that resolve to
// nothing contribute nothing; an alert whose areas all resolve to nothing is
// kInvalidArgument. Errors name the element ("info[0].area[1].polygon[0]:
// pair 3 ...") and quote the text. Thread-safe.
//
// Budgets (DESIGN §4b: the work of hostile input is bounded, and about
// linear in its size within them): an alert has at most kMaxAlertParts
// polygons, circles and geocodes in all, each ring at most kMaxRingVertices
// vertices after planar edge subdivision (polygon_builder.h), and its
// resolved area at most kMaxAlertVertices vertices in all (geocode
// boundaries and margins included). Beyond one, kInvalidArgument names the
// limit.
inline constexpr size_t kMaxAlertParts = 20000;
inline constexpr size_t kMaxAlertVertices = 4000000;
absl::StatusOr<ResolvedAlert> ResolveAlert(const AlertDocument& alert, const ResolveOptions& options);

// Builds the polygon of one ring that crosses itself: S2Builder splits the
// crossing edges and the odd-even rule decides the inside (the "bow tie"
// becomes two triangles). Used by the lenient mode; exposed for tests.
// Rings longer than this (after planar subdivision) are not repaired.
inline constexpr size_t kMaxRepairVertices = 2000;
absl::StatusOr<std::unique_ptr<S2Polygon>> BuildSelfIntersectingRing(
    const LatLngRing& ring, EdgeModel edges, size_t max_vertices = kMaxRepairVertices);

// BuildPolygon, except that a ring which crosses or touches itself is
// resolved by BuildSelfIntersectingRing (when it has at most `max_vertices`)
// instead of refused; the rings then combine by the odd-even rule. Each
// repair is appended to `repairs` (when not null) as "ring R: ...". Used by
// the lenient GeoJSON path and by the boundary catalogue.
absl::StatusOr<std::unique_ptr<S2Polygon>> BuildPolygonRepairingRings(
    const std::vector<LatLngRing>& rings, EdgeModel edges, size_t max_vertices,
    std::vector<std::string>* repairs);

}  // namespace fanout

#endif  // FANOUT_GEO_ALERT_RESOLVER_H_
