// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_DELIVERY_MERGE_H_
#define FANOUT_MPI_DELIVERY_MERGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/delivery.h"
#include "engine/user_attributes.h"
#include "s2/s2point.h"

namespace fanout {

// What travels beside a partitioned alert's lists (mpi/mpi_alert.cc) and
// how rank 0 puts it back into `fanout alert`'s output: the nearest-first
// keys and their k-way merge, the info block of each listed user and the
// split by block, and the per-language counts. No MPI here: the callers
// gather; these functions only make and consume what is gathered, so
// tests/mpi checks them without mpirun.
//
// Thread-safety: plain functions; each runs its shards in parallel with
// oneTBB and touches only its own arguments.

// --by-info: this rank's AlertSummary::by_info read back into one count
// per language code of `attrs`' dictionary (index 0: no language;
// UserAttributes::kMaxLanguages + 1 entries). Every rank's parts must
// share one dictionary (DictionaryDigest) for the counts to add up code
// by code.
std::vector<uint64_t> CountsByLanguageCode(const AlertSummary& s, const UserAttributes* attrs);

// AlertSummary::by_info from the whole job's counts per language code, as
// the executor makes it (alert_executor.cc, SplitByInfo): blocks in order,
// each block's languages in code order, codes without users left out.
std::vector<AlertSummary::InfoCount> InfoCountsFromCodes(
    const std::vector<uint64_t>& counts, const UserAttributes* attrs,
    const std::vector<std::string>& info_languages);

// A digest of `attrs`' language dictionary (0 without a lang column),
// equal on every rank whose part comes from one input.
uint64_t DictionaryDigest(const UserAttributes* attrs);

// The nearest-first key of every listed user, list by list, exactly as the
// executor sorts by it (alert_executor.cc, SortNearest): the bit pattern
// of the squared chord from `origin` to CellCenter of the user's cell
// (`cells`, parallel to the lists: AlertExecutor::Extras::cells). The
// same expression as the executor's, built with the same flags; a build
// that lets the compiler fuse multiply-adds (FANOUT_NATIVE on an FMA
// machine) could round the two differently, and the merge then would no
// longer reproduce the single process's order exactly.
DeliveryLists NearestKeys(const S2Point& origin, const std::vector<UserIdList>& cells);

// The info block (0-based) of every listed user, list by list, from the
// executor's split (Extras::by_info: each block's list is the plain
// list's users of that block, in the plain list's order).
DeliveryLists BlockTags(const DeliveryLists& lists, const std::vector<DeliveryLists>& by_info);

// Rank 0, --order nearest: shard s of `lists` (and of `keys`, and of
// `tags` when not null) is the ranks' runs one after another,
// `run_sizes[r * shards + s]` entries of rank r, each run sorted by (key,
// index position). Merges each shard's runs by (key, rank), carrying
// `tags` along. Rank r's entries all precede rank r+1's in index order, so
// the result is the sort by (key, global index position): the single
// process's order, ties included.
void MergeNearestRuns(const std::vector<uint64_t>& run_sizes, int ranks, const DeliveryLists& keys,
                      DeliveryLists* lists, DeliveryLists* tags);

// Rank 0, --by-info: `lists` split by the block in `tags` (parallel to
// them) of each user, each block's lists in the order of `lists`.
// REQUIRES: every tag < blocks.
std::vector<DeliveryLists> SplitByTags(const DeliveryLists& lists, const DeliveryLists& tags,
                                       size_t blocks);

}  // namespace fanout

#endif  // FANOUT_MPI_DELIVERY_MERGE_H_
