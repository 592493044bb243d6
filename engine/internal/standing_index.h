// Copyright 2026 The fan-out engine authors.
//
// The index of active standing-alert areas (DESIGN §8): what the update
// path and the feed-time lookups ask "which active alerts hold this
// point?". Internal to Engine; not a stable API.

#ifndef FANOUT_ENGINE_INTERNAL_STANDING_INDEX_H_
#define FANOUT_ENGINE_INTERNAL_STANDING_INDEX_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/location_update.h"
#include "geo/alert_area.h"
#include "geo/area_covering.h"
#include "s2/s2cell_id.h"

namespace fanout {
namespace internal {

// One active area, immutable: shared by every StandingIndex that holds it.
struct ActiveArea {
  std::string id;
  std::shared_ptr<const AlertArea> area;  // finalized
  AreaCovering covering;                  // interior: no test; boundary: exact test
  absl::Time expires = absl::InfiniteFuture();
};

// Refines the boundary cells of `covering` (interior: no test; boundary:
// exact test) for point lookups: boundary cells coarser than `max_level`
// are split, coarsest first, and each child classified (CellClassifier:
// inside joins the interior, outside is dropped, the rest stay boundary),
// while the boundary holds at most `max_boundary_cells`. The result is
// still a covering (every point of the area in one of the two unions, the
// interior wholly inside): only fewer points are left to the exact test.
void RefineForPoints(const AlertArea& area, int max_level, size_t max_boundary_cells,
                     AreaCovering* covering);

// The coverings of every active area merged into one sorted vector of
// elementary cell-id intervals, each with the alerts whose covering holds
// it (and whether that alert's cell is interior or boundary), plus a coarse
// quarter-degree latitude/longitude grid of the areas' bounding rectangles that
// rejects most points before any S2 arithmetic.
//
// Memory: 8.25 bytes per interval break, 4 per (interval, alert), 128 KiB
// grid, 32-64 bytes per cell of the coarse table (level kCoarseLevel cells
// of the coverings).
// A point lookup: a grid bit (ForEachAt), one probe of the coarse table, a
// branch-free search of the intervals of that coarse cell (none inside an
// area's interior away from other areas), and exact tests only for the
// alerts whose boundary cell holds the point. CollectHits skips the grid:
// its leaf cells are given, and the table's probe rejects as well.
//
// Thread-safety: immutable once built; const methods are safe from any
// number of threads.
//
// Typical usage:
//   auto index = StandingIndex::Build(areas);
//   index->ForEachAt(lat_e7, lng_e7, [&](uint32_t i) { hit(index->area(i)); });
class StandingIndex {
 public:
  // An (area, update) pair whose point the area holds.
  struct Hit {
    uint32_t slot;  // the area's index in this StandingIndex
    uint32_t k;     // the update's position in its batch
    // The elementary interval (of this index) holding the update's cell
    // when the area's cell there is interior; kBoundaryHit when it is a
    // boundary cell (the point passed the exact test).
    uint32_t interior_run;
  };
  static constexpr uint32_t kBoundaryHit = ~uint32_t{0};

  // True when `cell` (a leaf cell id; 0: none) lies in the same elementary
  // interval as the hit's point and the hit's area is interior there: then
  // `cell` lies in the interior of the hit's area too, with no exact test
  // (every cell of an interval is in the same areas' coverings, the same
  // way). False for a boundary hit, whatever `cell` is: a boundary cell
  // holds points on both sides. One comparison pair, on two words the hit's
  // search has just read.
  bool SameInteriorRun(const Hit& hit, uint64_t cell) const {
    return hit.interior_run != kBoundaryHit && cell >= starts_[hit.interior_run] &&
           cell < starts_[hit.interior_run + 1];
  }

  // `coarse_level`: the level of the coarse table's cells (IntervalOf);
  // coarser when the areas' coverings would need more than
  // kMaxCoarseCells of them. kCoarseLevel is the engine's (bench_standing's
  // BM_Standing_CollectHits sweeps it).
  static constexpr int kCoarseLevel = 10;
  static constexpr size_t kMaxCoarseCells = size_t{1} << 20;
  static std::shared_ptr<const StandingIndex> Build(
      std::vector<std::shared_ptr<const ActiveArea>> areas, int coarse_level = kCoarseLevel);
  int coarse_level() const { return coarse_level_; }
  size_t coarse_cells() const { return coarse_size_; }

  size_t size() const { return areas_.size(); }
  const ActiveArea& area(uint32_t i) const { return *areas_[i]; }
  const std::vector<std::shared_ptr<const ActiveArea>>& areas() const { return areas_; }
  uint64_t memory_bytes() const;
  size_t intervals() const { return breaks_; }

  // False when no area's bounding rectangle reaches the point's grid cell.
  bool MayHit(int32_t lat_e7, int32_t lng_e7) const {
    const uint32_t bit = GridBit(lat_e7, lng_e7);
    return (grid_[bit >> 6] >> (bit & 63)) & 1;
  }

  // Every (area, update) pair of the batch whose area holds the update's
  // point (AlertArea::Contains(leaf.ToPoint()) for an upsert's leaf cell, as
  // the alert executor judges it), in update order and, per update, in
  // increasing area; removes hit nothing. `cells[k]` is update k's leaf
  // cell id (LocationUpdate's ToCellId; anything for a remove); empty:
  // computed here. Replaces *hits.
  void CollectHits(absl::Span<const LocationUpdate> updates, absl::Span<const uint64_t> cells,
                   std::vector<Hit>* hits) const;

  // Calls fn(i) for each area i that contains the leaf cell, in increasing i.
  template <typename F>
  void ForEachContaining(S2CellId leaf, F&& fn) const {
    const size_t k = IntervalOf(leaf.id());
    if (k != kNone) ForEachInInterval(k, leaf, [&](uint32_t i, bool) { fn(i); });
  }

  // The same from coordinates (1e-7 degree), with the grid first.
  template <typename F>
  void ForEachAt(int32_t lat_e7, int32_t lng_e7, F&& fn) const {
    if (!MayHit(lat_e7, lng_e7)) return;
    ForEachContaining(S2CellId(S2LatLng::FromE7(lat_e7, lng_e7)), fn);
  }

 private:
  static constexpr size_t kNone = ~size_t{0};
  void BuildCoarse(int level);
  // fn(i, boundary) for each area i of interval k that contains `leaf` (in
  // it); boundary: the area's cell there is a boundary cell.
  template <typename F>
  void ForEachInInterval(size_t k, S2CellId leaf, F&& fn) const {
    bool have_point = false;
    S2Point p;
    for (uint32_t j = offsets_[k]; j < offsets_[k + 1]; ++j) {
      const uint32_t e = entries_[j];
      const uint32_t i = e >> 1;
      if (e & 1) {
        if (!have_point) p = leaf.ToPoint(), have_point = true;
        if (!areas_[i]->area->Contains(p)) continue;
      }
      fn(i, (e & 1) != 0);
    }
  }
  // The elementary interval holding leaf id `id` whose areas are not
  // none, or kNone (no area's covering holds it; also when the interval
  // holding it has no areas, sometimes). One probe of the coarse table
  // (below), then a branch-free search of the few intervals that overlap
  // the coarse cell (none when one interval covers it all).
  size_t IntervalOf(uint64_t id) const {
    const Coarse* c = FindCoarse(CoarseKey(id));
    return c == nullptr ? kNone : SearchCoarse(*c, id);
  }
  // The elementary interval holding `id`, by the two-level search of every
  // break (Build uses it to fill the coarse table); kNone before the first
  // break. Each level without branches (the comparisons are
  // unpredictable): every kBlock-th break, then one block of kBlock breaks.
  size_t IntervalOfBySearch(uint64_t id) const {
    const size_t t = UpperBound(top_.data(), top_.size(), id);
    if (t == 0) return kNone;
    const size_t first = (t - 1) * kBlock;
    return first + UpperBound(starts_.data() + first, kBlock, id) - 1;
  }

  // The coarse table: for every cell of level coarse_level_ that some
  // interval with areas overlaps, the intervals [lo, hi) that overlap it
  // (an open-addressing hash table, linear probing, cell 0 = empty slot).
  // Cells of no area are absent, so most points away from every area are
  // rejected by one probe; a cell inside one interval (most of an area's
  // interior) needs no search at all; near a boundary, a search of the few
  // intervals of the cell rather than of all of them.
  struct Coarse {
    uint64_t cell;
    uint32_t lo, hi;
  };
  uint64_t CoarseKey(uint64_t leaf) const {  // S2CellId::parent(coarse_level_)
    return (leaf & coarse_clear_) | coarse_lsb_;
  }
  size_t CoarseSlot(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> coarse_shift_);
  }
  const Coarse* FindCoarse(uint64_t key) const {
    if (coarse_.empty()) return nullptr;
    for (size_t s = CoarseSlot(key);; s = (s + 1) & coarse_mask_) {
      const Coarse& c = coarse_[s];
      if (c.cell == key) return &c;
      if (c.cell == 0) return nullptr;
    }
  }
  size_t SearchCoarse(const Coarse& c, uint64_t id) const {
    // starts_[c.lo] <= the cell's first leaf <= id, so the answer is in
    // [lo, hi), found among the breaks after lo.
    return c.lo + UpperBound(starts_.data() + c.lo + 1, c.hi - c.lo - 1, id);
  }
  // The number of a[0..n) that are <= x (a sorted).
  static size_t UpperBound(const uint64_t* a, size_t n, uint64_t x) {
    if (n == 0) return 0;
    const uint64_t* base = a;
    while (n > 1) {
      const size_t half = n / 2;
      base = base[half] <= x ? base + half : base;
      n -= half;
    }
    return static_cast<size_t>(base - a) + (*base <= x);
  }

  // Grid cells of a quarter degree: 128 KiB of bits, in cache.
  static constexpr int64_t kGridE7 = 2500000;
  static constexpr int kGridRows = 720, kGridCols = 1440;
  static constexpr double kGridDegrees = 0.25;

 public:
  static uint32_t GridBit(int32_t lat_e7, int32_t lng_e7) {
    int lat = static_cast<int>((static_cast<int64_t>(lat_e7) + 900000000) / kGridE7);
    int lng = static_cast<int>((static_cast<int64_t>(lng_e7) + 1800000000) / kGridE7);
    lat = std::min(lat, kGridRows - 1);
    lng = std::min(lng, kGridCols - 1);
    return static_cast<uint32_t>(lat * kGridCols + lng);
  }

 private:
  std::vector<std::shared_ptr<const ActiveArea>> areas_;
  static constexpr size_t kBlock = 32;
  size_t breaks_ = 0;
  // Interval k: [starts_[k], starts_[k+1]) for k < breaks_; padded with
  // ~0 to a multiple of kBlock.
  std::vector<uint64_t> starts_;
  std::vector<uint64_t> top_;       // starts_[0], starts_[kBlock], starts_[2 * kBlock], ...
  std::vector<uint32_t> offsets_;   // entries of interval k: [offsets_[k], offsets_[k+1])
  std::vector<uint32_t> entries_;   // area << 1 | (1: boundary cell, test exactly)
  // The coarse table (IntervalOf), and the level's bit arithmetic.
  std::vector<Coarse> coarse_;
  size_t coarse_mask_ = 0;
  int coarse_shift_ = 64;
  int coarse_level_ = 0;
  size_t coarse_size_ = 0;
  uint64_t coarse_lsb_ = 0, coarse_clear_ = 0;
  std::vector<uint64_t> grid_ = std::vector<uint64_t>((kGridRows * kGridCols + 63) / 64, 0);
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_STANDING_INDEX_H_
