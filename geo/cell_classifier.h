// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_CELL_CLASSIFIER_H_
#define FANOUT_GEO_CELL_CLASSIFIER_H_

#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "geo/alert_area.h"
#include "geo/index_cell_edges.h"
#include "s2/mutable_s2shape_index.h"
#include "s2/r2.h"
#include "s2/r2rect.h"
#include "s2/s2cap.h"
#include "s2/s2cell.h"
#include "s2/s2cell_id.h"

namespace fanout {
namespace internal {

// An edge of an index cell clipped to the cell's face, in (u,v)
// coordinates padded as S2::ClipToPaddedFace does (`on_face` is false when
// the edge misses the padded face), with what S2::IntersectsRect computes
// from the edge alone for every rectangle it is tested against: its
// bounding box and its normal. A descent tests the same few edges against
// many cells, one after another.
//
// Thread-safety: a plain value; MeetsRect() is safe from any thread.
struct UvEdge {
  R2Point a, b;
  bool on_face = false;
  double u_lo = 0, u_hi = 0, v_lo = 0, v_hi = 0;  // R2Rect::FromPointPair(a, b)
  R2Point normal;                                 // (b - a).Ortho()

  UvEdge() = default;
  UvEdge(const R2Point& a, const R2Point& b, bool on_face);

  // S2::IntersectsRect(a, b, rect): the same arithmetic in the same order,
  // so the same answer (a test compares them on 2M inputs), but inline;
  // libs2's is out of line and calls R2Rect::Intersects and a vector index
  // out of line too. (A FANOUT_NATIVE build may fuse a multiply-add here
  // and round differently; the cell's padding by kIntersectsRectErrorUVDist
  // covers that, as it covers libs2's own rounding.) REQUIRES: `rect` is
  // not empty.
  bool MeetsRect(const R2Rect& rect) const {
    // The bounding boxes, as R1Interval::Intersects for non-empty ones.
    if (!(rect.x().lo() <= u_hi && u_lo <= rect.x().hi())) return false;
    if (!(rect.y().lo() <= v_hi && v_lo <= rect.y().hi())) return false;
    // Then AB meets the rectangle iff its corners furthest along the
    // normal and against it lie on both sides of (or on) the line AB.
    const double u_far = normal.x() >= 0 ? rect.x().hi() : rect.x().lo();
    const double v_far = normal.y() >= 0 ? rect.y().hi() : rect.y().lo();
    const double u_near = normal.x() >= 0 ? rect.x().lo() : rect.x().hi();
    const double v_near = normal.y() >= 0 ? rect.y().lo() : rect.y().hi();
    const double most = normal.x() * (u_far - a.x()) + normal.y() * (v_far - a.y());
    const double least = normal.x() * (u_near - a.x()) + normal.y() * (v_near - a.y());
    return most >= 0 && least <= 0;
  }
};

}  // namespace internal

// Classifies S2 cells against an area as inside, outside or across its
// boundary, for the range planner's refinement of boundary cells, which
// walks from a covering cell down to its children, grandchildren and so on,
// and for the coverer (area_covering.cc).
//
// The answer is the one AlertArea::Contains(S2Cell) and MayIntersect(S2Cell)
// give together (kInside: some part contains the whole cell; kOutside: no
// part can touch it; otherwise kBoundary), decided the way S2's
// S2ShapeIndexRegion decides them: locate the cell in each polygon's shape
// index; a cell inside one index cell is on the boundary when one of that
// index cell's few edges may cross it (with S2's error padding), else inside
// or outside as its centre is. Both are conservative: kInside and kOutside
// are certain, kBoundary may be neither (its points are then tested exactly).
//
// What it saves: AlertArea's two calls locate the cell twice in each
// polygon's index (a B-tree search each). Here a cell is located once, and
// a child is not located at all when its parent lay inside one index cell
// (the child does too) or outside every index cell (so is the child): the
// parent's `Trail` carries that down, and keeps only the polygons that may
// still reach the cell. On the nation-wide alert (250 polygons, 24k
// vertices) this and copying each index cell's edges out and clipping them
// once (IndexCellEdges) cut the plan stage by an order of magnitude
// (`fanout bench`, plan stage; bench/README.md).
//
// Thread-safety: not thread-safe (it keeps index iterators); use one per
// worker. The area must outlive it and be Finalize()d.
//
// Typical usage:
//   CellClassifier classifier(area);
//   CellClassifier::Trail trail = classifier.Root();
//   auto relation = classifier.Classify(S2Cell(id), &trail);
//   // For a child of id: copy `trail` and classify the child with the copy.
class CellClassifier {
 public:
  enum class Relation : uint8_t { kOutside, kInside, kBoundary };

  // What is known of one part from a cell's ancestors. Parts are numbered
  // polygons first (0..num_polygons-1), then caps: `polygon` >=
  // num_polygons is cap polygon - num_polygons, whose state stays kUnknown.
  struct PolygonTrail {
    // kUnknown: locate the cell in the polygon's index. kInIndexCell: the
    // index cell `index_cell` contains the cell; `clipped` is the polygon's
    // part of it (null: none, the polygon misses that index cell).
    enum class State : uint8_t { kUnknown, kInIndexCell };
    int polygon = 0;
    State state = State::kUnknown;
    S2CellId index_cell;
    const S2ClippedShape* clipped = nullptr;
  };
  // The parts that may still reach a cell, with what is known of each: a
  // part found not to reach a cell is dropped from its trail, and so from
  // its descendants' (the nation is 250 polygons; a cell along a coast
  // meets one or two; an alert of 10,000 circles, a cell meets a few), so
  // the cost of a descent does not grow with the number of parts.
  using Trail = absl::InlinedVector<PolygonTrail, 4>;

  explicit CellClassifier(const AlertArea& area);

  // A trail that knows nothing (every part may reach the cell): for a
  // cell none of whose ancestors was classified.
  Trail Root() const;

  // Classifies `cell`. `trail` must be Root() or the trail its parent's
  // classification left; on return it holds what this classification
  // learned, for the cell's children.
  Relation Classify(const S2Cell& cell, Trail* trail);

 private:
  using UvEdge = internal::UvEdge;
  struct Cursor {
    const MutableS2ShapeIndex* index;
    MutableS2ShapeIndex::Iterator iter;  // locates cells in `index`
    // The polygon's part of the index cell whose clipped shape is
    // `part_of`, copied out once for all the cells classified inside it (a
    // descent classifies many cells in one index cell, one after another),
    // and its edges clipped to the cell's face.
    const S2ClippedShape* part_of = nullptr;
    IndexCellEdges part;
    std::vector<UvEdge> uv_edges;
  };
  // Whether polygon i's bound may meet the cap of centre `centre` and
  // radius `radius` (radians; `cos_r`, `sin_r` its cosine and sine). Never
  // false when they meet; a few dot products, not S2Cap::Intersects (whose
  // chord-angle sum, out of line in libs2, was a tenth of a nation-wide
  // alert's covering).
  struct Bound {
    S2Point centre;
    double radius, cos_r, sin_r;  // radians; radius < 0: empty
    explicit Bound(const S2Cap& cap);
  };
  static bool MayReach(const Bound& part, const S2Point& centre, double radius, double cos_r,
                       double sin_r);
  // The relation of one polygon alone to `cell`; kOutside also when it
  // cannot reach any descendant of `cell` (then it leaves the trail).
  Relation ClassifyPolygon(const S2Cell& cell, PolygonTrail* trail, bool* gone);
  // Loads cursor i's part of the index cell `index_cell`, whose clipped
  // shape is `clipped`, unless the cursor holds it already.
  void LoadPart(int i, S2CellId index_cell, const S2ClippedShape& clipped, int face);
  // Whether an edge of the cursor's part may cross `cell`, as
  // S2ShapeIndexRegion::AnyEdgeIntersects decides it.
  bool AnyEdgeIntersects(const Cursor& cursor, const S2Cell& cell) const;

  const AlertArea& area_;
  std::vector<Cursor> cursors_;
  std::vector<Bound> bounds_;  // of each part: polygons' bounds, then the caps
};

}  // namespace fanout

#endif  // FANOUT_GEO_CELL_CLASSIFIER_H_
