// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_SHARE_INDEX_H_
#define FANOUT_MPI_SHARE_INDEX_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "mpi/mpi_world.h"
#include "mpi/rank_index.h"

namespace fanout {

// What this rank read (its share of the file's rows, before resolving
// repeated ids, and the bad rows it skipped) and how many of the rows it
// resolved were dropped as repeated.
struct ShareBuildStats {
  uint64_t input_rows = 0;
  uint64_t bad_rows = 0;
  uint64_t duplicate_rows = 0;
};

// This rank's part of the users of `users_path` (binary `.bin` or CSV, as
// UsersInput reads them), without any rank reading the whole file:
//   1. each rank reads its share of the bytes (mpi/users_share.h; rank 0
//      also checks a binary file's checksum, one pass);
//   2. rows go to rank mix64(user id) % K, which keeps each user's last
//      row (shares and senders are in file order, so "last" is the file's
//      order, as `fanout build` resolves a repeated id);
//   3. the survivors, as (cell, user) entries, go to the ranks of a first
//      partition chosen from a sample of their cells, where each sorts
//      them: the ranks then hold the global (cell, user) order in
//      consecutive pieces;
//   4. the splitters are chosen from the cells at the very positions of
//      that order that the whole-file path samples (kPartitionSamplesPerPart
//      in each K-th slice), so the partition, and every part, is the one
//      PartitionBySample gives over the whole index (and `fanout-mpi build
//      --parts K` writes);
//   5. each rank sends every other the entries of its piece in the other's
//      final range (only near the first partition's borders: most stay).
// Every exchange sends from one buffer grouped by destination and
// receives into one, and the pages of the file a rank has read through
// are dropped from it, so a rank's peak memory grows with its share and
// its part (a few 16-byte copies of each row; a CSV share also holds its
// text while parsed), never with the whole file (bench/README.md, "Beyond
// one machine", has the readings). Collective; the status is agreed by every rank, and bad
// rows are named by their line (CSV) or record (binary) in the whole file.
absl::StatusOr<RankIndex> BuildRankIndexFromShares(MpiWorld& world,
                                                   const std::string& users_path,
                                                   bool skip_bad_rows, ShareBuildStats* stats);

}  // namespace fanout

#endif  // FANOUT_MPI_SHARE_INDEX_H_
