// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_ALERT_AREA_H_
#define FANOUT_GEO_ALERT_AREA_H_

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "s2/mutable_s2shape_index.h"
#include "s2/s2cap.h"
#include "s2/s2cell.h"
#include "s2/s2latlng_rect.h"
#include "s2/s2point.h"
#include "s2/s2polygon.h"
#include "s2/s2region.h"

namespace fanout {

class PartLookup;  // geo/part_lookup.h (internal: not installed)

// A spherical cap as a bare dot-product test, for rejecting points before an
// exact test. (S2Cap::Contains is exact too, but Debian's libs2 is built
// with its debug checks on, which made them half the cost of a nation-wide
// scan.) Conservative: a point in the cap is never rejected.
struct PointBound {
  PointBound() = default;
  explicit PointBound(const S2Cap& cap)
      : center(cap.center()),
        // Cosine of the cap's angle, lowered slightly so that rounding can
        // only let more points through.
        min_dot(cap.is_full() ? -2.0 : std::cos(cap.GetRadius().radians()) - 1e-12),
        radius(cap.is_full() ? M_PI : cap.GetRadius().radians()) {}
  bool MayContain(const S2Point& p) const { return center.DotProd(p) >= min_dot; }

  S2Point center;
  double min_dot = -2.0;
  double radius = M_PI;  // the cap's angle, radians
};

// The area of an alert: the union of polygons (each already built from its
// rings with the odd-even rule and an edge model, see polygon_builder.h) and
// spherical caps (CAP circles). A point is in the area when any part
// contains it. The area is an S2Region, so S2RegionCoverer covers it
// directly; Contains(S2Cell) is conservative (true only when one part
// contains the whole cell), MayIntersect(S2Cell) likewise (false only when
// no part can touch the cell), which is what the covering needs.
//
// Polygons are immutable once added and shared, not copied: AddArea() and
// the copy constructor share the other area's polygons and the indexes
// Finalize() built for them (an alert's union and its per-area regions hold
// the same polygons once).
//
// Thread-safety: const methods are safe from many threads once the area is
// built (Finalize() forces S2's lazily built polygon indexes; a shared
// polygon is only ever read, and S2Polygon's const methods are thread-safe);
// non-const methods are not.
//
// Typical usage:
//   AlertArea area;
//   ASSIGN_OR_RETURN(auto polygon, BuildPolygon({ring}, EdgeModel::kPlanar));
//   area.AddPolygon(std::move(polygon));
//   area.AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 50.0));
//   area.Finalize();
//   bool inside = area.Contains(point);
class AlertArea final : public S2Region {
 public:
  AlertArea() = default;
  AlertArea(const AlertArea& other);
  AlertArea& operator=(const AlertArea&) = delete;
  ~AlertArea() override = default;

  // Adds a part. An empty polygon or cap adds nothing (but is harmless).
  void AddPolygon(std::unique_ptr<S2Polygon> polygon);
  // The same for a polygon that may be shared with other areas.
  void AddPolygon(std::shared_ptr<const S2Polygon> polygon);
  void AddCap(const S2Cap& cap);
  // Adds every part of `other`, sharing its polygons (and their test
  // indexes, when `other` was Finalize()d).
  void AddArea(const AlertArea& other);

  // Builds the polygons' internal indexes now, so that concurrent queries do
  // not contend on the lazy build, and the part lookup. Call after the last
  // Add (again after more Adds: only what is missing is built).
  void Finalize();

  // True when no part can contain any point.
  bool is_empty() const;
  int num_polygons() const { return static_cast<int>(polygons_.size()); }
  int num_caps() const { return static_cast<int>(caps_.size()); }
  const S2Polygon& polygon(int i) const { return *polygons_[i]; }
  const PointBound& polygon_bound(int i) const { return polygon_bounds_[i]; }
  // A finer shape index of polygon(i), for point tests (area_point_tester.h):
  // at most kTestIndexMaxEdgesPerCell edges per index cell instead of S2's
  // 10, so each exact test crosses fewer edges (BM_PointTest_Tester; the
  // readings are in bench/README.md, "Figures behind code comments"). Built
  // by Finalize() for polygons of at most kTestIndexMaxVertices; for the
  // nation's largest polygons building it costs more than it saves, so
  // larger polygons (and any area before Finalize) use S2's own index.
  const MutableS2ShapeIndex& test_index(int i) const {
    return test_indexes_[i] != nullptr ? *test_indexes_[i] : polygons_[i]->index();
  }
  static constexpr int kTestIndexMaxEdgesPerCell = 2;
  static constexpr int kTestIndexMaxVertices = 10000;
  const S2Cap& cap(int i) const { return caps_[i]; }
  // The parts that may reach a level-PartLookup::kLevel cell, polygons
  // numbered 0..num_polygons()-1 and then the caps (part_lookup.h). Built
  // by Finalize() when the area has more than kLookupMinParts parts in all;
  // null otherwise (or before Finalize, or after a later Add).
  const PartLookup* part_lookup() const { return part_lookup_.get(); }
  static constexpr int kLookupMinParts = 4;
  int num_vertices() const;
  // Area in steradians, counting overlaps between parts twice.
  double ApproxArea() const;

  // S2Region interface.
  AlertArea* Clone() const override;
  S2Cap GetCapBound() const override;
  S2LatLngRect GetRectBound() const override;
  bool Contains(const S2Cell& cell) const override;
  bool MayIntersect(const S2Cell& cell) const override;
  bool Contains(const S2Point& p) const override;

 private:
  std::vector<std::shared_ptr<const S2Polygon>> polygons_;
  // polygon_bounds_[i] contains polygons_[i]: a dot product rejects most
  // points of a many-polygon area (say, every state) before any edge test.
  std::vector<PointBound> polygon_bounds_;
  // test_indexes_[i] indexes polygons_[i] (null: not built); always as long
  // as polygons_. Its shape points into the polygon, which every area that
  // holds the index holds too.
  std::vector<std::shared_ptr<const MutableS2ShapeIndex>> test_indexes_;
  std::vector<S2Cap> caps_;
  std::shared_ptr<const PartLookup> part_lookup_;
};

}  // namespace fanout

#endif  // FANOUT_GEO_ALERT_AREA_H_
