// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_CELL_PARTITION_H_
#define FANOUT_MPI_CELL_PARTITION_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/location_index.h"

namespace fanout {

// How the users are split over K parts (MPI ranks, DESIGN §9): contiguous
// ranges of leaf S2 cell ids, in the index's own (Hilbert) order. Part k
// holds the cells in [lower(k), upper(k)), where lower(0) = 0, upper(K-1) =
// UINT64_MAX (no leaf cell id is either) and the K-1 splitters in between
// are ascending. A cell is never split between two parts, so a part is a
// contiguous slice of any sorted run, found by two binary searches, and an
// alert over a county touches the one or two parts whose ranges hold it.
//
// Splitters are chosen from a sample of cells (FromSamples): each rank
// samples the cells of its share of the users (SampleCells), the samples
// are gathered and the K-quantiles of their union become the splitters, so
// parts hold about N/K users each (within a few percent for thousands of
// samples per part; a cell holding more than N/K users makes parts
// unequal, never wrong). Equal splitters make empty parts, which are valid.
//
// Thread-safety: immutable after construction; safe from many threads.
//
// Typical usage:
//   std::vector<uint64_t> samples = CellPartition::SampleCells(cells, 4096);
//   ... gather the samples of every rank ...
//   CellPartition partition = CellPartition::FromSamples(std::move(all), ranks);
//   auto [begin, end] = partition.Slice(index->run(), my_rank);
class CellPartition {
 public:
  // Evenly spaced cells of `sorted_cells` (ascending), at most `count`.
  static std::vector<uint64_t> SampleCells(absl::Span<const uint64_t> sorted_cells, size_t count);

  // The partition into `parts` parts whose splitters are the quantiles of
  // `samples` (any order). No samples: every cell in part 0.
  // REQUIRES: parts >= 1.
  static CellPartition FromSamples(std::vector<uint64_t> samples, int parts);

  // The partition with these splitters; kInvalidArgument unless there are
  // parts - 1 of them, ascending (equal neighbours allowed).
  static absl::StatusOr<CellPartition> FromSplitters(std::vector<uint64_t> splitters, int parts);

  int parts() const { return static_cast<int>(splitters_.size()) + 1; }
  const std::vector<uint64_t>& splitters() const { return splitters_; }

  // Part k holds the cells in [lower(k), upper(k)).
  uint64_t lower(int k) const { return k == 0 ? 0 : splitters_[k - 1]; }
  uint64_t upper(int k) const {
    return k + 1 == parts() ? UINT64_MAX : splitters_[k];
  }
  // The part holding `cell`.
  int PartOf(uint64_t cell) const;
  // [begin, end) of the entries of `run` in part k.
  std::pair<size_t, size_t> Slice(const SortedRun& run, int k) const;

 private:
  explicit CellPartition(std::vector<uint64_t> splitters) : splitters_(std::move(splitters)) {}
  std::vector<uint64_t> splitters_;
};

}  // namespace fanout

#endif  // FANOUT_MPI_CELL_PARTITION_H_
