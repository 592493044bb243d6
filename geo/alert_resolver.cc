// Copyright 2026 The fan-out engine authors.

#include "geo/alert_resolver.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "geo/area_margin.h"
#include "geo/geocode.h"
#include "geo/lat_lng_text.h"
#include "geo/lenient_text.h"
#include "geo/planar_edges.h"
#include "geo/polygon_builder.h"
#include "s2/s2builder.h"
#include "s2/s2builderutil_s2polygon_layer.h"
#include "s2/s2error.h"

namespace fanout {
namespace {

absl::Status At(absl::string_view where, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(where, ": ", status.message()));
}

// `text` in quotes, cut after 60 characters.
std::string Quoted(const std::string& text) {
  return absl::StrCat("\"", text.size() > 60 ? text.substr(0, 60) + "..." : text, "\"");
}

std::string Plural(size_t n, absl::string_view what) {
  return absl::StrCat(n, " ", what, n == 1 ? "" : "s");
}

// Replaces each vertex that repeats the previous one across the
// antimeridian (same latitude, longitude 180 vs -180) by nothing.
LatLngRing MergeAntimeridianSteps(const LatLngRing& ring) {
  LatLngRing out;
  for (const S2LatLng& v : ring) {
    if (!out.empty() && out.back().lat() == v.lat() &&
        std::abs(out.back().lng().degrees()) == 180 && std::abs(v.lng().degrees()) == 180) {
      continue;
    }
    out.push_back(v);
  }
  // The ring stays closed: its closing vertex may have been dropped, or
  // only differ from the first across the antimeridian.
  if (out.size() > 1 && out.front() != out.back() && ring.front() == ring.back()) {
    const S2LatLng& a = out.front();
    const S2LatLng& b = out.back();
    if (a.lat() == b.lat() && std::abs(a.lng().degrees()) == 180 &&
        std::abs(b.lng().degrees()) == 180) {
      out.back() = a;
    } else {
      out.push_back(a);
    }
  }
  return out;
}

class Resolver {
 public:
  Resolver(const ResolveOptions& options, ResolvedAlert* out) : options_(options), out_(out) {}

  absl::StatusOr<const BoundaryCatalogue*> Catalogue() {
    if (options_.catalogue != nullptr) return options_.catalogue;
    if (owned_catalogue_ == nullptr) {
      ASSIGN_OR_RETURN(owned_catalogue_, BoundaryCatalogue::OpenDefault());
    }
    return owned_catalogue_.get();
  }

  // Adds the polygon of `text` to `region`; a polygon of no extent (its
  // pairs on a line or all one point) is refused, or with a margin appended
  // to `lines` as the path its edges trace, to be grown by the margin.
  absl::Status AddPolygonText(const std::string& text, const std::string& where,
                              AlertArea* region, std::vector<std::vector<S2Point>>* lines) {
    LatLngRing ring;
    if (options_.lenient) {
      std::vector<std::string> repairs;
      auto parsed = ParsePolygonTextLenient(text, &repairs);
      if (!parsed.ok()) return At(where, parsed.status());
      for (const std::string& r : repairs) out_->repairs.push_back(absl::StrCat(where, ": ", r));
      ring = *std::move(parsed);
    } else {
      auto parsed = ParsePolygonText(text);
      if (!parsed.ok()) return At(where, parsed.status());
      ring = *std::move(parsed);
    }
    // DESIGN §4b: a pair repeated consecutively is valid CAP; it is dropped
    // (it adds no edge) and counted, in both modes.
    out_->dropped_repeated_pairs += DropRepeatedPairs(&ring);
    // A CAP ring may step from 180 to -180 (or back) at one latitude: the
    // same point on the sphere, written twice. planar_edges.h reads such a
    // step as the whole parallel (GeoJSON's way around a pole), so the
    // same-point reading is tried first and the polar reading kept only
    // when the ring is degenerate without it.
    absl::StatusOr<std::unique_ptr<S2Polygon>> polygon =
        absl::InvalidArgumentError("no antimeridian step");
    LatLngRing merged = MergeAntimeridianSteps(ring);
    if (merged.size() != ring.size()) polygon = BuildPolygon({merged}, options_.edges);
    if (!polygon.ok()) polygon = BuildPolygon({ring}, options_.edges);
    if (!polygon.ok() && IsNoExtentError(polygon.status())) {
      // DESIGN §3: an area of zero extent is refused unless a margin makes
      // it the points within the margin of it ("30,-95 30,-95 30,-95
      // 30,-95" is a point).
      if (options_.margin_m <= 0) {
        return At(where, absl::InvalidArgumentError(absl::StrCat(
                             "polygon ", Quoted(text),
                             " has no extent (its pairs lie on one line or are one point); "
                             "give a margin to alert the points within that distance of it")));
      }
      lines->push_back(RingPath(ring, options_.edges == EdgeModel::kPlanar));
      return absl::OkStatus();
    }
    if (!polygon.ok() && options_.lenient && IsNotSimpleRingError(polygon.status())) {
      polygon = BuildSelfIntersectingRing(ring, options_.edges);
      if (polygon.ok()) {
        out_->repairs.push_back(
            absl::StrCat(where, ": resolved self-intersecting ring with S2Builder (odd-even)"));
      }
    }
    if (!polygon.ok()) {
      return At(where, absl::InvalidArgumentError(
                           absl::StrCat(polygon.status().message(), " (text ", Quoted(text), ")")));
    }
    region->AddPolygon(*std::move(polygon));
    return absl::OkStatus();
  }

  absl::Status AddCircleText(const std::string& text, const std::string& where, AlertArea* region) {
    absl::StatusOr<CircleSpec> circle;
    if (options_.lenient) {
      std::vector<std::string> repairs;
      circle = ParseCircleTextLenient(text, &repairs);
      for (const std::string& r : repairs) out_->repairs.push_back(absl::StrCat(where, ": ", r));
    } else {
      circle = ParseCircleText(text);
    }
    if (!circle.ok()) return At(where, circle.status());
    if (circle->radius_km == 0 && options_.margin_m <= 0) {
      // With a margin, ApplyMargin grows the cap of radius 0 (its centre).
      return At(where, absl::InvalidArgumentError(
                           "circle of radius 0 has no extent; give a margin to alert the points "
                           "within that distance of it"));
    }
    region->AddCap(MakeCircle(circle->center, circle->radius_km));
    return absl::OkStatus();
  }

  // Adds the area's resolvable codes; returns the description of those used.
  absl::StatusOr<std::vector<std::string>> AddCodes(const AlertDocumentArea& area, AlertArea* region) {
    std::vector<std::string> used;
    for (size_t g = 0; g < area.geocodes.size(); ++g) {
      const AlertGeocode& code = area.geocodes[g];
      std::string where = absl::StrCat(area.label, ".geocode[", g, "]");
      auto meaning = InterpretGeocode(code.value_name, code.value);
      if (!meaning.ok()) return At(where, meaning.status());
      if (!meaning->resolvable) {
        out_->ignored.push_back(absl::StrCat(where, ": ", meaning->why));
        continue;
      }
      ASSIGN_OR_RETURN(const BoundaryCatalogue* catalogue, Catalogue());
      absl::Status s = catalogue->AddRegion(meaning->key, region);
      if (!s.ok()) {
        return At(where, absl::Status(s.code(), absl::StrCat(code.value_name, " ", code.value, ": ",
                                                             s.message())));
      }
      used.push_back(absl::StrCat(code.value_name, " ", code.value));
    }
    return used;
  }

  absl::Status ResolveArea(const AlertDocumentArea& area) {
    ResolvedArea resolved;
    resolved.label = area.label;
    resolved.area_desc = area.area_desc;
    resolved.area = std::make_unique<AlertArea>();
    AlertArea* region = resolved.area.get();
    std::vector<std::string> parts;
    size_t polygons = 0, circles = 0;
    std::vector<std::vector<S2Point>> lines;  // polygons of no extent (margin > 0)
    for (size_t p = 0; p < area.polygons.size(); ++p) {
      std::string where = absl::StrCat(area.label, ".polygon[", p, "]");
      if (area.polygons[p].empty()) {
        out_->ignored.push_back(absl::StrCat(where, ": empty <polygon>"));
        continue;
      }
      RETURN_IF_ERROR(AddPolygonText(area.polygons[p], where, region, &lines));
      ++polygons;
    }
    for (size_t c = 0; c < area.circles.size(); ++c) {
      std::string where = absl::StrCat(area.label, ".circle[", c, "]");
      if (area.circles[c].empty()) {
        out_->ignored.push_back(absl::StrCat(where, ": empty <circle>"));
        continue;
      }
      RETURN_IF_ERROR(AddCircleText(area.circles[c], where, region));
      ++circles;
    }
    if (polygons > 0) parts.push_back(Plural(polygons, "polygon"));
    if (circles > 0) parts.push_back(Plural(circles, "circle"));
    if (area.geometry != nullptr) {
      region->AddArea(*area.geometry);
      parts.push_back("geometry");
    }
    bool has_geometry = !parts.empty();
    if (!has_geometry || options_.geocodes_union) {
      ASSIGN_OR_RETURN(std::vector<std::string> used, AddCodes(area, region));
      if (!used.empty()) parts.push_back(absl::StrCat("codes ", absl::StrJoin(used, ", ")));
      if (!has_geometry && used.empty() && !area.geocodes.empty()) {
        out_->ignored.push_back(absl::StrCat(area.label, ": no resolvable geocode"));
      }
    } else if (!area.geocodes.empty()) {
      out_->ignored.push_back(absl::StrCat(area.label, ": ",
                                           Plural(area.geocodes.size(), "geocode"),
                                           " (the area's geometry defines it)"));
    }
    // The region is finalized once, as it will be used: the polygons (and
    // the indexes Finalize() builds for them) are shared with the alert's
    // union, not copied (alert_area.h). With a margin, the region as
    // written is only an input to ApplyMargin, which reads its polygons'
    // edges and finalizes the grown region.
    if (options_.margin_m > 0) {
      ASSIGN_OR_RETURN(resolved.area, ApplyMargin(*region, options_.margin_m));
      for (const std::vector<S2Point>& line : lines) {
        ASSIGN_OR_RETURN(std::unique_ptr<S2Polygon> grown, BufferPath(line, options_.margin_m));
        resolved.area->AddPolygon(std::move(grown));
      }
      if (!lines.empty()) resolved.area->Finalize();
      parts.push_back(absl::StrCat("margin ", FormatDecimal(options_.margin_m), " m"));
    } else {
      region->Finalize();
    }
    if (resolved.area->is_empty()) {
      out_->ignored.push_back(absl::StrCat(area.label, ": resolves to no region"));
      return absl::OkStatus();
    }
    resolved.defined_by = absl::StrJoin(parts, "; ");
    out_->areas.push_back(std::move(resolved));
    return absl::OkStatus();
  }

 private:
  const ResolveOptions& options_;
  ResolvedAlert* out_;
  std::unique_ptr<BoundaryCatalogue> owned_catalogue_;
};

}  // namespace

absl::Status ResolveOptions::Validate() const {
  if (!std::isfinite(margin_m) || margin_m < 0 || margin_m > kMaxMarginMeters) {
    return absl::InvalidArgumentError(
        absl::StrCat("margin ", FormatDecimal(margin_m), " m must be in [0, ",
                     FormatDecimal(kMaxMarginMeters), "] metres"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<S2Polygon>> BuildSelfIntersectingRing(const LatLngRing& ring,
                                                                     EdgeModel edges,
                                                                     size_t max_vertices) {
  for (const S2LatLng& v : ring) {
    if (!IsValidVertex(v)) return absl::InvalidArgumentError("vertex out of range");
  }
  std::vector<S2Point> points =
      edges == EdgeModel::kPlanar ? DensifyPlanarRing(ring) : GeodesicRing(ring);
  if (points.size() < 3) {
    return absl::InvalidArgumentError("ring has fewer than 3 distinct vertices");
  }
  if (points.size() > max_vertices) {
    // S2Builder's crossing search is superlinear on rings that fold onto
    // themselves (a fuzzed 3-pair sliver densified to 8,000 vertices took
    // a second); real alert polygons are far below this.
    return absl::InvalidArgumentError(
        absl::StrCat("ring crosses itself and is too long to repair (", points.size(),
                     " vertices after edge subdivision; the limit is ", max_vertices, ")"));
  }
  S2Builder::Options builder_options;
  builder_options.set_split_crossing_edges(true);
  S2Builder builder(builder_options);
  auto polygon = std::make_unique<S2Polygon>();
  polygon->set_s2debug_override(S2Debug::DISABLE);
  builder.StartLayer(std::make_unique<s2builderutil::S2PolygonLayer>(
      polygon.get(), s2builderutil::S2PolygonLayer::Options(S2Builder::EdgeType::UNDIRECTED)));
  for (size_t i = 0; i < points.size(); ++i) {
    builder.AddEdge(points[i], points[(i + 1) % points.size()]);
  }
  S2Error error;
  if (!builder.Build(&error)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot repair ring: ", error.text()));
  }
  if (polygon->is_empty() || polygon->GetArea() <= 0) {
    return absl::InvalidArgumentError("ring encloses no area after repair");
  }
  return polygon;
}

absl::StatusOr<ResolvedAlert> ResolveAlert(const AlertDocument& alert, const ResolveOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  size_t parts = 0;
  for (const AlertDocumentInfo& info : alert.infos) {
    for (const AlertDocumentArea& area : info.areas) {
      parts += area.polygons.size() + area.circles.size() + area.geocodes.size() +
               (area.geometry != nullptr ? 1 : 0);
    }
  }
  if (parts > kMaxAlertParts) {
    return absl::InvalidArgumentError(
        absl::StrCat("the alert has ", parts, " polygons, circles and geocodes; the limit is ",
                     kMaxAlertParts));
  }
  ResolvedAlert out;
  out.header = HeaderOf(alert);
  // CAP 1.2: an <info> without <language> is in en-US.
  for (const AlertDocumentInfo& info : alert.infos) {
    out.info_languages.push_back(info.language.empty() ? "en-US" : info.language);
  }
  Resolver resolver(options, &out);
  size_t total_areas = 0, vertices = 0;
  for (const AlertDocumentInfo& info : alert.infos) {
    for (const AlertDocumentArea& area : info.areas) {
      ++total_areas;
      const size_t resolved = out.areas.size();
      RETURN_IF_ERROR(resolver.ResolveArea(area));
      if (out.areas.size() > resolved) vertices += out.areas.back().area->num_vertices();
      if (vertices > kMaxAlertVertices) {
        return absl::InvalidArgumentError(absl::StrCat(
            area.label, ": the alert's areas have more than ", kMaxAlertVertices,
            " vertices after edge subdivision (the limit)"));
      }
    }
  }
  // The union shares the areas' polygons and their indexes; Finalize()
  // only adds its part lookup.
  out.area = std::make_unique<AlertArea>();
  for (const ResolvedArea& a : out.areas) out.area->AddArea(*a.area);
  out.area->Finalize();
  if (out.area->is_empty()) {
    std::string detail =
        out.ignored.empty() ? "" : absl::StrCat(" (", absl::StrJoin(out.ignored, "; "), ")");
    return absl::InvalidArgumentError(absl::StrCat(
        "the alert's ", Plural(alert.infos.size(), "info block"), " and ",
        Plural(total_areas, "area"), " resolve to no region; refusing to deliver to nobody",
        detail.substr(0, 600)));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<S2Polygon>> BuildPolygonRepairingRings(
    const std::vector<LatLngRing>& rings, EdgeModel edges, size_t max_vertices,
    std::vector<std::string>* repairs) {
  std::unique_ptr<S2Polygon> result;
  for (size_t r = 0; r < rings.size(); ++r) {
    auto one = BuildPolygon({rings[r]}, edges);
    if (!one.ok()) {
      auto repaired = BuildSelfIntersectingRing(rings[r], edges, max_vertices);
      if (!repaired.ok()) return one.status();  // The original complaint says more.
      one = std::move(repaired);
      if (repairs != nullptr) {
        repairs->push_back(
            absl::StrCat("ring ", r, ": resolved self-intersecting ring with S2Builder (odd-even)"));
      }
    }
    if (result == nullptr) {
      result = *std::move(one);
    } else {
      auto combined = std::make_unique<S2Polygon>();
      combined->InitToSymmetricDifference(*result, **one);
      result = std::move(combined);
    }
  }
  if (result == nullptr) return absl::InvalidArgumentError("polygon has no ring");
  return result;
}

}  // namespace fanout
