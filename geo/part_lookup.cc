// Copyright 2026 The fan-out engine authors.

#include "geo/part_lookup.h"

#include <algorithm>
#include <cmath>

#include "geo/cell_center.h"
#include "s2/s2metrics.h"

namespace fanout {

PartLookup::PartLookup(const std::vector<S2Cap>& bounds) {
  // A point of a block lies within the block's longest diagonal of the
  // block's centre; a cap (centre c, radius r) holding the point has c
  // within r + diagonal of the block's centre (1% to spare for rounding).
  const double diagonal = 1.01 * S2::kMaxDiag.GetValue(kLevel);
  std::vector<S2CellId> cells;
  for (int part = 0; part < static_cast<int>(bounds.size()); ++part) {
    const S2Cap& cap = bounds[part];
    if (cap.is_empty()) {
      centre_.push_back(S2Point(1, 0, 0));
      min_dot_.push_back(3.0);  // never reached
      continue;
    }
    const double reach = (cap.is_full() ? M_PI : cap.GetRadius().radians()) + diagonal;
    centre_.push_back(cap.center());
    min_dot_.push_back(reach >= M_PI ? -2.0 : std::cos(reach) - 1e-12);
    cap.GetCellUnionBound(&cells);
    for (S2CellId& id : cells) {
      if (id.level() > kLevel) id = id.parent(kLevel);
    }
    // The cells share one level, so equal ids are the only overlaps.
    std::sort(cells.begin(), cells.end());
    cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
    for (S2CellId id : cells) entries_.emplace_back(id.id(), part);
  }
  std::sort(entries_.begin(), entries_.end());
}

void PartLookup::Find(S2CellId block, std::vector<int>* parts) const {
  parts->clear();
  const S2Point centre = CellCenter(block);
  for (int level = 0; level <= kLevel; ++level) {
    const uint64_t id = block.parent(level).id();
    auto it = std::lower_bound(entries_.begin(), entries_.end(), std::make_pair(id, 0));
    for (; it != entries_.end() && it->first == id; ++it) {
      // A part's cells share one level, so each part is found at most once.
      const int part = it->second;
      if (centre_[part].DotProd(centre) >= min_dot_[part]) parts->push_back(part);
    }
  }
  std::sort(parts->begin(), parts->end());
}

}  // namespace fanout
