// Copyright 2026 The fan-out engine authors.

#include "engine/internal/standing_index.h"

#include <cmath>
#include <queue>
#include <utility>

#include "geo/cell_classifier.h"
#include "s2/s2cell.h"
#include "s2/s2latlng_rect.h"

namespace fanout {
namespace internal {

void RefineForPoints(const AlertArea& area, int max_level, size_t max_boundary_cells,
                     AreaCovering* covering) {
  struct Pending {
    S2CellId id;
    CellClassifier::Trail trail;
  };
  // Coarsest first: a budget that runs out leaves the boundary uniformly
  // fine rather than fine in one corner.
  auto coarser = [](const Pending& a, const Pending& b) { return a.id.level() > b.id.level(); };
  std::priority_queue<Pending, std::vector<Pending>, decltype(coarser)> queue(coarser);
  CellClassifier classifier(area);
  std::vector<S2CellId> interior(covering->interior.cell_ids().begin(),
                                 covering->interior.cell_ids().end());
  std::vector<S2CellId> boundary;
  for (S2CellId id : covering->boundary) {
    CellClassifier::Trail trail = classifier.Root();
    switch (classifier.Classify(S2Cell(id), &trail)) {
      case CellClassifier::Relation::kInside: interior.push_back(id); break;
      case CellClassifier::Relation::kOutside: break;
      case CellClassifier::Relation::kBoundary: queue.push({id, std::move(trail)}); break;
    }
  }
  // Splitting a cell replaces one boundary cell with at most four.
  while (!queue.empty() && queue.top().id.level() < max_level &&
         queue.size() + boundary.size() + 3 <= max_boundary_cells) {
    Pending parent = queue.top();
    queue.pop();
    for (S2CellId child = parent.id.child_begin(); child != parent.id.child_end();
         child = child.next()) {
      CellClassifier::Trail trail = parent.trail;
      switch (classifier.Classify(S2Cell(child), &trail)) {
        case CellClassifier::Relation::kInside: interior.push_back(child); break;
        case CellClassifier::Relation::kOutside: break;
        case CellClassifier::Relation::kBoundary:
          if (child.level() >= max_level) {
            boundary.push_back(child);
          } else {
            queue.push({child, std::move(trail)});
          }
          break;
      }
    }
  }
  for (; !queue.empty(); queue.pop()) boundary.push_back(queue.top().id);
  covering->interior = S2CellUnion(std::move(interior));
  covering->boundary = S2CellUnion(std::move(boundary));
}

void StandingIndex::CollectHits(absl::Span<const LocationUpdate> updates,
                                absl::Span<const uint64_t> cells, std::vector<Hit>* hits) const {
  hits->clear();
  if (coarse_.empty()) return;
  // In groups: each update's coarse-table slot is prefetched for the whole
  // group before the first probe, so that the probes' misses overlap.
  constexpr size_t kGroup = 16;
  uint32_t at[kGroup];
  uint64_t id[kGroup], key[kGroup];
  size_t interval[kGroup];
  for (size_t k = 0; k < updates.size();) {
    size_t g = 0;
    for (; k < updates.size() && g < kGroup; ++k) {
      const LocationUpdate& u = updates[k];
      if (u.kind != LocationUpdate::Kind::kUpsert) continue;
      id[g] = cells.empty() ? u.location.ToCellId().id() : cells[k];
      key[g] = CoarseKey(id[g]);
      __builtin_prefetch(&coarse_[CoarseSlot(key[g])]);
      at[g++] = static_cast<uint32_t>(k);
    }
    size_t n = 0;  // the group's updates in a coarse cell, compacted
    for (size_t j = 0; j < g; ++j) {
      const Coarse* c = FindCoarse(key[j]);
      if (c == nullptr) continue;
      interval[n] = SearchCoarse(*c, id[j]);
      __builtin_prefetch(&offsets_[interval[n]]);
      id[n] = id[j], at[n] = at[j], ++n;
    }
    for (size_t j = 0; j < n; ++j) {
      const uint32_t run = static_cast<uint32_t>(interval[j]);
      ForEachInInterval(interval[j], S2CellId(id[j]), [&](uint32_t i, bool boundary) {
        hits->push_back({i, at[j], boundary ? kBoundaryHit : run});
      });
    }
  }
}

std::shared_ptr<const StandingIndex> StandingIndex::Build(
    std::vector<std::shared_ptr<const ActiveArea>> areas, int coarse_level) {
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
        // Leaf ids are odd: the cell ends at the next leaf id (+2), so that
        // a cell and the next one in id order meet without a gap.
        events.push_back({c.range_max().id() + 2, -1, i << 1 | boundary});
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
  // A first interval of no area from leaf id 0, so that every leaf id is in
  // some interval (the coarse table's ranges rely on it).
  index->starts_.push_back(0);
  index->offsets_.push_back(0);
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
    // Where one cell ends and the next (of the same areas) begins, nothing
    // changes: no break (adjacent cells are common in coverings, and the
    // fewer the breaks, the smaller the index and the shorter the search).
    if (!index->starts_.empty()) {
      const size_t n = index->offsets_.size();
      const auto prev = index->entries_.begin() + index->offsets_[n - 2];
      if (std::equal(active.begin(), active.end(), prev, index->entries_.end())) continue;
    }
    index->starts_.push_back(pos);
    index->entries_.insert(index->entries_.end(), active.begin(), active.end());
    index->offsets_.push_back(static_cast<uint32_t>(index->entries_.size()));
  }
  for (size_t k = 0; k < index->starts_.size(); k += kBlock) index->top_.push_back(index->starts_[k]);
  // Padding to whole blocks, past every leaf id: the searches of a block
  // then all take the same steps.
  index->breaks_ = index->starts_.size();
  index->starts_.resize((index->starts_.size() + kBlock - 1) / kBlock * kBlock, ~uint64_t{0});
  index->BuildCoarse(coarse_level);
  return index;
}

void StandingIndex::BuildCoarse(int level) {
  // The finest level (up to `level`) whose cells of the coverings number
  // at most kMaxCoarseCells (a covering cell coarser than the level counts
  // every descendant at it).
  for (;; --level) {
    uint64_t count = 0;
    for (const auto& a : areas_) {
      for (const S2CellUnion* u : {&a->covering.interior, &a->covering.boundary}) {
        for (S2CellId c : *u) {
          count += c.level() >= level ? 1 : uint64_t{1} << (2 * (level - c.level()));
        }
      }
    }
    if (count <= kMaxCoarseCells || level == 0) break;
  }
  std::vector<uint64_t> cells;
  for (const auto& a : areas_) {
    for (const S2CellUnion* u : {&a->covering.interior, &a->covering.boundary}) {
      for (S2CellId c : *u) {
        if (c.level() >= level) {
          cells.push_back(c.parent(level).id());
        } else {
          for (S2CellId d = c.child_begin(level); d != c.child_end(level); d = d.next()) {
            cells.push_back(d.id());
          }
        }
      }
    }
  }
  std::sort(cells.begin(), cells.end());
  cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
  coarse_level_ = level;
  coarse_lsb_ = S2CellId::lsb_for_level(level);
  coarse_clear_ = ~(2 * coarse_lsb_ - 1);  // keeps the bits above the level's lsb
  coarse_size_ = cells.size();
  if (cells.empty()) return;
  size_t slots = 16;
  while (slots < 2 * cells.size()) slots *= 2;  // at most half full
  coarse_.assign(slots, Coarse{0, 0, 0});
  coarse_mask_ = slots - 1;
  coarse_shift_ = 64 - __builtin_ctzll(slots);
  for (uint64_t cell : cells) {
    const S2CellId c(cell);
    Coarse e{cell, static_cast<uint32_t>(IntervalOfBySearch(c.range_min().id())),
             static_cast<uint32_t>(IntervalOfBySearch(c.range_max().id()) + 1)};
    size_t s = CoarseSlot(cell);
    while (coarse_[s].cell != 0) s = (s + 1) & coarse_mask_;
    coarse_[s] = e;
  }
}

uint64_t StandingIndex::memory_bytes() const {
  return sizeof(*this) + starts_.capacity() * 8 + top_.capacity() * 8 + offsets_.capacity() * 4 +
         entries_.capacity() * 4 + grid_.capacity() * 8 + areas_.capacity() * 16 +
         coarse_.capacity() * sizeof(Coarse);
}

}  // namespace internal
}  // namespace fanout
