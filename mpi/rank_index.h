// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_RANK_INDEX_H_
#define FANOUT_MPI_RANK_INDEX_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/delivery.h"
#include "engine/location_index.h"
#include "engine/user_attributes.h"
#include "mpi/cell_partition.h"
#include "mpi/mpi_world.h"
#include "tools/cli_flags.h"

namespace fanout {

// The users one rank answers for: the entries of its cell range, as an
// index of their own, and the partition they come from.
struct RankIndex {
  std::unique_ptr<LocationIndex> index;
  // The entries' attributes (lang, updated_at), parallel to index->run(),
  // when the input has them; null otherwise. Every rank's attributes keep
  // the whole input's language dictionary (the same codes on every rank),
  // so per-language counts add up code by code and come out in the order
  // `fanout alert` lists them.
  std::shared_ptr<const UserAttributes> attributes;
  CellPartition partition = CellPartition::FromSamples({}, 1);
};

// Samples per part behind every partition chosen here and in fanout-mpi
// build: the K-quantiles of K * 4096 samples put each part within about 1%
// of N/K users (binomial spread of a quantile estimate). The positions
// sampled are CellPartition::SampleCells of each K-th slice of the sorted
// cells, whichever way the cells are held (mpi/share_index.h depends on it).
inline constexpr size_t kPartitionSamplesPerPart = 4096;

// The users every rank loads from a whole input and the partition it
// cuts it into: samples of each rank's share of the sorted cells are
// gathered to rank 0, which chooses the splitters (CellPartition) and
// broadcasts them. Collective. `full` may be null on a rank whose load
// failed only if the caller has already agreed on that failure.
CellPartition PartitionBySample(MpiWorld& world, const LocationIndex& full, int parts);
// The same from each rank's own share of the cells (sorted ascending; the
// shares together are every user's cell, in any split). Collective.
CellPartition PartitionByShareSample(MpiWorld& world, absl::Span<const uint64_t> sorted_share,
                                     int parts);

// Copies entries [begin, end) of `full` into an index of their own.
std::unique_ptr<LocationIndex> CopySlice(const LocationIndex& full, size_t begin, size_t end);
// Copies entries [begin, end) of `attributes` (parallel to an index's
// entries), keeping its whole dictionary; null for null.
std::shared_ptr<const UserAttributes> CopyAttributeSlice(const UserAttributes* attributes,
                                                         size_t begin, size_t end);

// Loads this rank's part, from the flags of `fanout alert` (tools/
// index_flags.h) plus one more form of --index:
//   --index PREFIX.manifest  each rank maps and verifies only its own part
//                            (`fanout-mpi build`; mpi/partition_manifest.h);
//   --users FILE             each rank reads only its share of the file
//                            and the rows are exchanged by owner
//                            (mpi/share_index.h): peak memory about 16
//                            bytes per row of a share and 48 per user of a
//                            part, never the whole file (8 bytes more per
//                            row and user when the file has attributes,
//                            which travel with the rows);
//   --index SNAPSHOT, --dir DIR
//                            every rank loads the whole input as `fanout
//                            alert` does, then keeps a copy of its cell
//                            range and drops the rest: a snapshot is
//                            mapped, so ranks on one host share its pages;
//                            an engine folder costs each rank the whole
//                            state at its peak, and 17 bytes per user of
//                            its part after. A snapshot's attributes are
//                            sliced with its entries.
// Collective; the status returned is agreed by every rank (MpiWorld::Agree).
absl::StatusOr<RankIndex> LoadRankIndex(MpiWorld& world, const CliFlags& flags,
                                        AlertSummary* summary);

}  // namespace fanout

#endif  // FANOUT_MPI_RANK_INDEX_H_
