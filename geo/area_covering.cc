// Copyright 2026 The fan-out engine authors.

#include "geo/area_covering.h"

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "geo/cell_classifier.h"
#include "s2/s2region_coverer.h"

namespace fanout {
namespace {

// The area as the coverer sees it, answering its cell questions through a
// CellClassifier (the same answers as AlertArea's, cell_classifier.h) and
// remembering them: the coverer asks MayIntersect and then Contains of each
// candidate cell, and both coverings ask about the same cells, so each cell
// is classified once instead of four times, from its parent's trail.
// Single-threaded, like the coverer.
//
// The interior covering is only an optimisation (a cell left out of it is
// scanned as a boundary cell, whose points are all tested exactly), but
// S2RegionCoverer's search for it expands every candidate that may
// intersect the area and is not contained, down to max_level, until it has
// max_cells cells: around a part with no interior a cell can hold (a sliver,
// a ring folded onto itself) it would descend to level 30 without bound.
// So once the interior search has classified `interior_budget` new cells,
// every cell not classified yet is answered "outside" to it, which ends the
// search. The exterior covering never has a budget (an "outside" there
// would lose users); it is bounded by max_cells itself.
class ClassifiedArea final : public S2Region {
 public:
  explicit ClassifiedArea(const AlertArea& area) : area_(area), classifier_(area) {}

  // From now on, at most `budget` more cells are classified; later ones
  // are outside. REQUIRES: the exterior covering is done.
  void LimitTo(int64_t budget) { budget_ = budget; }
  int64_t cells_classified() const { return static_cast<int64_t>(seen_.size()); }
  // Whether a cell was answered "outside" for want of budget.
  bool budget_exhausted() const { return budget_exhausted_; }

  S2Region* Clone() const override { return new ClassifiedArea(area_); }
  S2Cap GetCapBound() const override { return area_.GetCapBound(); }
  S2LatLngRect GetRectBound() const override { return area_.GetRectBound(); }
  bool Contains(const S2Point& p) const override { return area_.Contains(p); }
  bool Contains(const S2Cell& cell) const override {
    return Classify(cell) == CellClassifier::Relation::kInside;
  }
  bool MayIntersect(const S2Cell& cell) const override {
    return Classify(cell) != CellClassifier::Relation::kOutside;
  }

 private:
  CellClassifier::Relation Classify(const S2Cell& cell) const {
    if (budget_ == 0) {
      auto it = seen_.find(cell.id());
      if (it != seen_.end()) return it->second;
      budget_exhausted_ = true;
      return CellClassifier::Relation::kOutside;
    }
    auto [it, inserted] = seen_.try_emplace(cell.id(), CellClassifier::Relation::kOutside);
    if (!inserted) return it->second;
    if (budget_ > 0) --budget_;
    // The coverer asks about a cell's children after the cell itself, so a
    // cell is classified from its parent's trail (the parts that may reach
    // it): the work per cell follows the parts near it, not all of them.
    CellClassifier::Trail trail;
    auto parent = many_parts_ && cell.level() > 0 ? trails_.find(cell.id().parent())
                                                  : trails_.end();
    if (parent != trails_.end()) {
      // Each cell is classified once, so after the fourth child the
      // parent's trail is not needed again: dropping it keeps only the
      // trails of the search's frontier (with thousands of parts, the trails
      // of every boundary cell ever classified grew to many times the area).
      if (--parent->second.children_left == 0) {
        trail = std::move(parent->second.trail);
        trails_.erase(parent);
      } else {
        trail = parent->second.trail;
      }
    } else {
      trail = classifier_.Root();
    }
    const CellClassifier::Relation relation = classifier_.Classify(cell, &trail);
    it->second = relation;  // `it` is still valid: trails_ is another map
    // Only a boundary cell's children are asked about.
    if (relation == CellClassifier::Relation::kBoundary && many_parts_) {
      trails_.emplace(cell.id(), PendingTrail{std::move(trail), 4});
    }
    return relation;
  }

  const AlertArea& area_;
  mutable CellClassifier classifier_;
  mutable absl::flat_hash_map<S2CellId, CellClassifier::Relation, S2CellIdHash> seen_;
  // The trails of boundary cells whose children are not all classified
  // yet, for those children (many parts only).
  struct PendingTrail {
    CellClassifier::Trail trail;
    int children_left;
  };
  // (Nodes, not slots: a trail is large, and most slots of a table stand
  // empty.)
  mutable absl::node_hash_map<S2CellId, PendingTrail, S2CellIdHash> trails_;
  // One part: nothing to prune, and a root trail costs no more than a copy.
  const bool many_parts_ = area_.num_polygons() + area_.num_caps() > 1;
  mutable int64_t budget_ = -1;  // cells still to classify; -1: no limit
  mutable bool budget_exhausted_ = false;
};

}  // namespace

absl::Status CoveringOptions::Validate() const {
  if (max_cells < 8) {
    return absl::InvalidArgumentError(absl::StrCat("max_cells must be >= 8, got ", max_cells));
  }
  if (interior_budget < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("interior_budget must be >= 0, got ", interior_budget));
  }
  if (max_level < 0 || max_level > S2CellId::kMaxLevel) {
    return absl::InvalidArgumentError(absl::StrCat("max_level must be in 0..30, got ", max_level));
  }
  return absl::OkStatus();
}

AreaCovering CoverArea(const AlertArea& area, const CoveringOptions& options) {
  AreaCovering covering;
  if (area.is_empty()) return covering;
  S2RegionCoverer::Options coverer_options;
  coverer_options.set_max_cells(options.max_cells);
  coverer_options.set_max_level(options.max_level);
  S2RegionCoverer coverer(coverer_options);
  ClassifiedArea region(area);
  S2CellUnion exterior = coverer.GetCovering(region);
  region.LimitTo(options.interior_budget);
  covering.interior = coverer.GetInteriorCovering(region);
  covering.boundary = exterior.Difference(covering.interior);
  covering.cells_classified = region.cells_classified();
  covering.interior_cut_short = region.budget_exhausted();
  return covering;
}

}  // namespace fanout
