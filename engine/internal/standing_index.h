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

// The coverings of every active area merged into one sorted vector of
// elementary cell-id intervals, each with the alerts whose covering holds
// it (and whether that alert's cell is interior or boundary), plus a coarse
// quarter-degree latitude/longitude grid of the areas' bounding rectangles that
// rejects most points before any S2 arithmetic.
//
// Memory: 8.25 bytes per interval break, 4 per (interval, alert), 128 KiB grid.
// A point lookup: a grid bit, a binary search, and exact tests only for
// the alerts whose boundary cell holds the point.
//
// Thread-safety: immutable once built; const methods are safe from any
// number of threads.
//
// Typical usage:
//   auto index = StandingIndex::Build(areas);
//   index->ForEach(lat_e7, lng_e7, [&](uint32_t i) { hit(index->area(i)); });
class StandingIndex {
 public:
  static std::shared_ptr<const StandingIndex> Build(
      std::vector<std::shared_ptr<const ActiveArea>> areas);

  size_t size() const { return areas_.size(); }
  const ActiveArea& area(uint32_t i) const { return *areas_[i]; }
  const std::vector<std::shared_ptr<const ActiveArea>>& areas() const { return areas_; }
  uint64_t memory_bytes() const;

  // False when no area's bounding rectangle reaches the point's grid cell.
  bool MayHit(int32_t lat_e7, int32_t lng_e7) const {
    const uint32_t bit = GridBit(lat_e7, lng_e7);
    return (grid_[bit >> 6] >> (bit & 63)) & 1;
  }

  // Calls fn(i) for each area i that contains the leaf cell (the point the
  // index stores for a user: AlertArea::Contains(leaf.ToPoint()), as the
  // alert executor judges it), in increasing i.
  template <typename F>
  void ForEachContaining(S2CellId leaf, F&& fn) const {
    const uint64_t id = leaf.id();
    // Two levels: every kBlock-th break (small, stays in cache), then
    // within one block of kBlock breaks (a few cache lines).
    auto top = std::upper_bound(top_.begin(), top_.end(), id);
    if (top == top_.begin()) return;
    const size_t block = static_cast<size_t>(top - top_.begin()) - 1;
    const auto first = starts_.begin() + block * kBlock;
    const auto last = starts_.begin() + std::min(starts_.size(), (block + 1) * kBlock);
    const size_t k = static_cast<size_t>(std::upper_bound(first, last, id) - starts_.begin()) - 1;
    bool have_point = false;
    S2Point p;
    for (uint32_t j = offsets_[k]; j < offsets_[k + 1]; ++j) {
      const uint32_t e = entries_[j];
      const uint32_t i = e >> 1;
      if (e & 1) {
        if (!have_point) p = leaf.ToPoint(), have_point = true;
        if (!areas_[i]->area->Contains(p)) continue;
      }
      fn(i);
    }
  }

  // The same from coordinates (1e-7 degree), with the grid first.
  template <typename F>
  void ForEachAt(int32_t lat_e7, int32_t lng_e7, F&& fn) const {
    if (!MayHit(lat_e7, lng_e7)) return;
    ForEachContaining(S2CellId(S2LatLng::FromE7(lat_e7, lng_e7)), fn);
  }

 private:
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

  std::vector<std::shared_ptr<const ActiveArea>> areas_;
  static constexpr size_t kBlock = 32;
  std::vector<uint64_t> starts_;    // interval k: [starts_[k], starts_[k+1])
  std::vector<uint64_t> top_;       // starts_[0], starts_[kBlock], starts_[2 * kBlock], ...
  std::vector<uint32_t> offsets_;   // entries of interval k: [offsets_[k], offsets_[k+1])
  std::vector<uint32_t> entries_;   // area << 1 | (1: boundary cell, test exactly)
  std::vector<uint64_t> grid_ = std::vector<uint64_t>((kGridRows * kGridCols + 63) / 64, 0);
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_STANDING_INDEX_H_
