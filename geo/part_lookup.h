// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_PART_LOOKUP_H_
#define FANOUT_GEO_PART_LOOKUP_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "s2/s2cap.h"
#include "s2/s2cell_id.h"
#include "s2/s2point.h"

namespace fanout {

// Which parts of an area (polygons, caps) may hold a point of a given
// level-kLevel S2 cell, found without looking at every part: an area of
// 20,000 circles or polygons asks this once per block of points it tests
// (area_point_tester.h), so a scan over every part would make the cost per
// block grow with the number of parts.
//
// Each part is given by a cap that contains it. The cap's
// S2Cap::GetCellUnionBound (at most 6 cells, all at one level) is lifted to
// level kLevel when finer, and the cells are kept sorted. A point of the
// part lies in one of its cells, and each of them is either an ancestor of
// (or equal to) the point's level-kLevel cell or disjoint from it, so
// Find(block) looks up the block's kLevel + 1 ancestors and keeps the parts
// whose cap reaches within the block's diagonal of the block's centre.
// Conservative: never leaves out a part that holds a point of the block;
// may keep a few that do not.
//
// Memory: per part, at most 6 entries of 16 bytes and 32 bytes more.
//
// Thread-safety: immutable once built; const methods are safe from many
// threads.
//
// Typical usage:
//   PartLookup lookup({polygon.GetCapBound(), circle});
//   std::vector<int> parts;
//   lookup.Find(S2CellId(point).parent(PartLookup::kLevel), &parts);
class PartLookup {
 public:
  static constexpr int kLevel = 10;

  PartLookup() = default;
  explicit PartLookup(const std::vector<S2Cap>& bounds);

  int num_parts() const { return static_cast<int>(min_dot_.size()); }

  // Replaces `parts` by the parts (indexes into the constructor's
  // `bounds`, in increasing order) that may hold a point of `block`.
  // REQUIRES: block.level() == kLevel.
  void Find(S2CellId block, std::vector<int>* parts) const;

 private:
  // (cell id, part), sorted.
  std::vector<std::pair<uint64_t, int>> entries_;
  // Per part: its cap's centre, and the least dot product between that
  // centre and the centre of a level-kLevel cell holding a point of the cap.
  std::vector<S2Point> centre_;
  std::vector<double> min_dot_;
};

}  // namespace fanout

#endif  // FANOUT_GEO_PART_LOOKUP_H_
