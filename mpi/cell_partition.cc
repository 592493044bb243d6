// Copyright 2026 The fan-out engine authors.

#include "mpi/cell_partition.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace fanout {

std::vector<uint64_t> CellPartition::SampleCells(absl::Span<const uint64_t> sorted_cells,
                                                 size_t count) {
  std::vector<uint64_t> out;
  const size_t n = sorted_cells.size();
  if (n == 0 || count == 0) return out;
  count = std::min(count, n);
  out.reserve(count);
  // Entry (2i + 1) n / 2count: the middle of each of `count` equal slices.
  for (size_t i = 0; i < count; ++i) {
    out.push_back(sorted_cells[static_cast<size_t>(
        (static_cast<unsigned __int128>(2 * i + 1) * n) / (2 * count))]);
  }
  return out;
}

CellPartition CellPartition::FromSamples(std::vector<uint64_t> samples, int parts) {
  std::vector<uint64_t> splitters;
  if (parts <= 1) return CellPartition(std::move(splitters));
  std::sort(samples.begin(), samples.end());
  const size_t m = samples.size();
  for (int k = 1; k < parts; ++k) {
    // Part k starts at the k-th K-quantile of the samples; with no samples
    // every part after the first is empty.
    splitters.push_back(m == 0 ? UINT64_MAX : samples[(m * k) / parts]);
  }
  return CellPartition(std::move(splitters));
}

absl::StatusOr<CellPartition> CellPartition::FromSplitters(std::vector<uint64_t> splitters,
                                                           int parts) {
  if (parts < 1 || splitters.size() != static_cast<size_t>(parts - 1)) {
    return absl::InvalidArgumentError(absl::StrCat(splitters.size(), " splitters for ", parts,
                                                   " parts (want ", parts - 1, ")"));
  }
  for (size_t i = 1; i < splitters.size(); ++i) {
    if (splitters[i] < splitters[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("splitters are not ascending at splitter ", i));
    }
  }
  return CellPartition(std::move(splitters));
}

int CellPartition::PartOf(uint64_t cell) const {
  // The number of splitters <= cell.
  return static_cast<int>(std::upper_bound(splitters_.begin(), splitters_.end(), cell) -
                          splitters_.begin());
}

std::pair<size_t, size_t> CellPartition::Slice(const SortedRun& run, int k) const {
  const size_t begin = k == 0 ? 0 : run.LowerBound(lower(k), 0, run.size());
  const size_t end = k + 1 == parts() ? run.size() : run.LowerBound(upper(k), begin, run.size());
  return {begin, end};
}

}  // namespace fanout
