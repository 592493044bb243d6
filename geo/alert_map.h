// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_ALERT_MAP_H_
#define FANOUT_GEO_ALERT_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "geo/alert_area.h"
#include "geo/area_covering.h"
#include "s2/s2latlng.h"

namespace fanout {

// The operator map of an alert (issue 18): what an operator looks at before
// sending, to see where the alert will land. Drawn as one self-contained
// SVG document, layered bottom to top:
//   - a graticule with labelled parallels and meridians;
//   - outlines (the US states of data/, LoadStateOutlines);
//   - the covering: interior cells (every user in them is inside, no test)
//     and boundary cells (users tested exactly), in different colours;
//   - the density of matched users, binned on a square pixel grid and
//     shaded on a logarithmic scale;
//   - the alert area's outline (polygons and circles, holes kept), and the
//     incident point when given (nearest-first delivery);
//   - a legend: the counts (matched users, interior and boundary cells),
//     the density scale and a scale bar.
// Projection: equirectangular, centred on the area's bounding box grown by
// a margin, longitudes scaled by the cosine of the centre's latitude so
// that shapes are not stretched; everything is clipped to the plot. An
// area across the antimeridian is drawn in one piece (longitudes are
// unwrapped around the centre, never cut at +-180), and a ring around a
// pole is closed along the pole's edge of the map.
//
// The root <svg> carries the counts as attributes (data-matched,
// data-interior-cells, data-boundary-cells), and each layer is a <g> with
// an id (graticule, outlines, covering-interior, covering-boundary,
// density, area, legend) holding one <path> per cell or outline, so the
// document can be checked by a program as well as looked at.
//
// Cost: linear in the area's vertices, the covering's cells and the
// matched users (one cell-to-lat/lng conversion each); nothing of it runs
// unless a caller asks for a map.
//
// Thread-safety: plain functions over const inputs, safe from many threads.
//
// Typical usage:
//   ASSIGN_OR_RETURN(std::vector<MapOutline> states, LoadStateOutlines());
//   AlertMapInput in;
//   in.area = &area;
//   in.covering = &covering;           // AlertExecutor, AlertExtras
//   in.matched_cells = {cells.begin(), cells.end()};
//   in.outlines = &states;
//   ASSIGN_OR_RETURN(std::string svg, RenderAlertMapSvg(in));

// An outline drawn under the alert (a state): rings of lat/lng.
struct MapOutline {
  std::string name;
  std::vector<std::vector<S2LatLng>> rings;
};

// The 56 US states and territories of data/boundaries/us-states.geojson
// (data/README.md), found with FindDataFile. kNotFound when the file is
// missing, kDataLoss when it does not parse.
absl::StatusOr<std::vector<MapOutline>> LoadStateOutlines();

struct AlertMapInput {
  // REQUIRES: not null, not empty.
  const AlertArea* area = nullptr;
  // DEFAULT: null: no covering layer (the legend says so).
  const AreaCovering* covering = nullptr;
  // The leaf S2 cell ids of the matched users, in any number of spans (one
  // per shard, say). DEFAULT: none: an empty density layer.
  std::vector<absl::Span<const uint64_t>> matched_cells;
  // DEFAULT: null: no outlines.
  const std::vector<MapOutline>* outlines = nullptr;
  // One line at the top of the legend (an event or a headline); escaped.
  std::string title;
  // Further legend lines ("source cap alert.xml", ...); escaped.
  std::vector<std::string> notes;
  // The index's size, shown next to the matched count when non-zero.
  uint64_t index_users = 0;
  // The point nearest-first delivery measured from (DeliveryOrder::kNearest),
  // drawn as a marker. DEFAULT: unset: no marker.
  std::optional<S2LatLng> incident;
};

struct AlertMapOptions {
  // Width of the plot in pixels (the legend adds kLegendWidth to the
  // right). DEFAULT: 900. REQUIRES: 200..8000.
  int plot_width = 900;
  // The plot's height follows the area's shape within these bounds.
  // DEFAULT: 360..720. REQUIRES: 100 <= min_plot_height <= max_plot_height <= 8000.
  int min_plot_height = 360;
  int max_plot_height = 720;
  // Side of a density bin in pixels. DEFAULT: 6. REQUIRES: 2..64.
  int density_bin_px = 6;
  // Room around the area's bounding box, as a fraction of its size on each
  // side (at least 0.05 degrees). DEFAULT: 0.2. REQUIRES: 0..10.
  double margin_fraction = 0.2;

  static constexpr int kLegendWidth = 280;
  absl::Status Validate() const;
};

// Renders the map (see above). kInvalidArgument for a missing or empty
// area or bad options.
absl::StatusOr<std::string> RenderAlertMapSvg(const AlertMapInput& input,
                                              const AlertMapOptions& options = {});

// The covering as a GeoJSON (RFC 7946) FeatureCollection, one Polygon
// Feature per cell, interior cells first, each in cell order, with
// properties {"token": S2 cell token, "level": 0..30, "kind": "interior" or
// "boundary"}. Rings are counter-clockwise [lng, lat] positions, cell edges
// subdivided where cells are large (an S2 cell's edges are great-circle
// arcs); a cell across the antimeridian is a MultiPolygon split there, as
// RFC 7946 asks.
std::string CoveringToGeoJson(const AreaCovering& covering);

}  // namespace fanout

#endif  // FANOUT_GEO_ALERT_MAP_H_
