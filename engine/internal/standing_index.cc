// Copyright 2026 The fan-out engine authors.

#include "engine/internal/standing_index.h"

#include <cmath>
#include <utility>

#include "s2/s2latlng_rect.h"

namespace fanout {
namespace internal {

std::shared_ptr<const StandingIndex> StandingIndex::Build(
    std::vector<std::shared_ptr<const ActiveArea>> areas) {
  auto index = std::make_shared<StandingIndex>();
  index->areas_ = std::move(areas);
  // (position, +1 start / -1 end, entry): a sweep over cell ids.
  struct Event {
    uint64_t pos;
    int delta;
    uint32_t entry;
  };
  std::vector<Event> events;
  for (uint32_t i = 0; i < index->areas_.size(); ++i) {
    const ActiveArea& a = *index->areas_[i];
    auto add = [&](const S2CellUnion& cells, uint32_t boundary) {
      for (S2CellId c : cells) {
        events.push_back({c.range_min().id(), +1, i << 1 | boundary});
        events.push_back({c.range_max().id() + 1, -1, i << 1 | boundary});
      }
    };
    add(a.covering.interior, 0);
    add(a.covering.boundary, 1);
    // The grid: every one-degree cell the area's bounding rectangle reaches
    // (a cell counts when the rectangle touches its edge, so the bound is
    // conservative for points on grid lines).
    const S2LatLngRect rect = a.area->GetRectBound();
    if (rect.is_empty()) continue;
    // The grid cell of a point is floor((deg + offset) / kGridDegrees), so
    // the cells from floor(lo) to floor(hi) hold every point of [lo, hi];
    // one more on each side absorbs rounding of the E7 coordinates.
    const double g = kGridDegrees;
    const int lat_lo = std::max(0, static_cast<int>(std::floor((rect.lat_lo().degrees() + 90) / g)) - 1);
    const int lat_hi = std::min(kGridRows - 1, static_cast<int>(std::floor((rect.lat_hi().degrees() + 90) / g)) + 1);
    std::vector<std::pair<int, int>> lng_ranges;
    if (rect.lng().is_full() || rect.lng().is_inverted()) {
      lng_ranges.push_back({0, kGridCols - 1});  // full, or across the antimeridian
    } else {
      lng_ranges.push_back(
          {std::max(0, static_cast<int>(std::floor((rect.lng_lo().degrees() + 180) / g)) - 1),
           std::min(kGridCols - 1, static_cast<int>(std::floor((rect.lng_hi().degrees() + 180) / g)) + 1)});
    }
    for (int lat = lat_lo; lat <= lat_hi; ++lat) {
      for (const auto& r : lng_ranges) {
        for (int lng = r.first; lng <= r.second; ++lng) {
          const uint32_t bit = static_cast<uint32_t>(lat * kGridCols + lng);
          index->grid_[bit >> 6] |= uint64_t{1} << (bit & 63);
        }
      }
    }
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.pos < b.pos; });
  std::vector<uint32_t> active;
  index->offsets_.push_back(0);
  for (size_t k = 0; k < events.size();) {
    const uint64_t pos = events[k].pos;
    for (; k < events.size() && events[k].pos == pos; ++k) {
      if (events[k].delta > 0) {
        active.push_back(events[k].entry);
      } else {
        active.erase(std::find(active.begin(), active.end(), events[k].entry));
      }
    }
    std::sort(active.begin(), active.end());
    index->starts_.push_back(pos);
    index->entries_.insert(index->entries_.end(), active.begin(), active.end());
    index->offsets_.push_back(static_cast<uint32_t>(index->entries_.size()));
  }
  for (size_t k = 0; k < index->starts_.size(); k += kBlock) index->top_.push_back(index->starts_[k]);
  return index;
}

uint64_t StandingIndex::memory_bytes() const {
  return sizeof(*this) + starts_.capacity() * 8 + top_.capacity() * 8 + offsets_.capacity() * 4 +
         entries_.capacity() * 4 + grid_.capacity() * 8 + areas_.capacity() * 16;
}

}  // namespace internal
}  // namespace fanout
