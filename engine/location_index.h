// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_LOCATION_INDEX_H_
#define FANOUT_ENGINE_LOCATION_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/user_record.h"

namespace fanout {

// A run of index entries held as two parallel columns, sorted by (leaf cell
// id, user id). Entry i says: user users[i] was last seen in leaf cell
// cells[i]. Every S2 cell covers one contiguous range of leaf cell ids, so
// the users in any cell are one contiguous slice of a run, found by two
// binary searches. This is the unit the query path scans.
struct SortedRun {
  absl::Span<const uint64_t> cells;
  absl::Span<const uint64_t> users;
  // Optional third column: mix_low[i] == Mix64(users[i]) & 0xff, the low
  // byte of the user's shard hash (shard_policy.h). For the default policy
  // on a power-of-two fleet of up to 256 shards the shard is that byte
  // masked, so the scatter reads one byte instead of hashing an 8-byte id,
  // and its counting pass never reads the ids. Empty when the run keeps no
  // such column (then the scatter hashes).
  absl::Span<const uint8_t> mix_low;
  // Optional, with mix_low: for each whole block of kMixBlock entries
  // (block k: entries [k * kMixBlock, (k + 1) * kMixBlock)), 256 counts, of
  // its entries by low hash byte. The scatter's counting pass adds these up
  // for the whole blocks of a range it takes without tests, instead of
  // counting entry by entry. 0.125 bytes per entry.
  static constexpr size_t kMixBlock = 4096;
  absl::Span<const uint16_t> mix_low_blocks;

  size_t size() const { return cells.size(); }
  // [begin, end) of the entries whose cell lies in [min_leaf, max_leaf],
  // searching only inside [lo, hi).
  std::pair<size_t, size_t> EqualRange(uint64_t min_leaf, uint64_t max_leaf, size_t lo,
                                       size_t hi) const;
  // The first entry in [lo, hi) whose cell is at least `leaf` (hi if none).
  size_t LowerBound(uint64_t leaf, size_t lo, size_t hi) const;
};

// The in-memory location index: the last known location of every user,
// about 17.1 bytes per user (an 8-byte leaf cell id and an 8-byte user id,
// in two columns sorted by cell id, and the low byte of each user's shard
// hash with counts of those bytes per block of 4096 entries, computed from
// the ids whenever an index is made: see SortedRun).
// Each user appears once.
//
// The columns either belong to the index (Build, FromColumns) or live in
// memory someone else keeps alive, such as a mapped snapshot file
// (FromBorrowedColumns, used by engine/snapshot.h): the query path only
// ever sees the two spans, so a reloaded snapshot is queried straight from
// the page cache without a copy.
//
// Live updates (DESIGN §3) build on this class without changing how a query
// reads it: LiveIndex (live_index.h) keeps one as its immutable base run,
// beside per-entry "moved at" markers and sorted delta runs, and the query
// executor scans all of them as SortedRuns with a visibility filter.
//
// Thread-safety: immutable after construction; const methods are safe from
// any number of threads.
//
// Typical usage:
//   LocationIndex::BuildStats stats;
//   ASSIGN_OR_RETURN(std::unique_ptr<LocationIndex> index,
//                    LocationIndex::Build(records, {}, &stats));
//   SortedRun run = index->run();
class LocationIndex {
 public:
  struct BuildOptions {
    // Show progress on the terminal. DEFAULT: false.
    bool show_progress = false;
  };
  struct BuildStats {
    uint64_t input_rows = 0;
    // Rows whose user id appeared again later in the input: the later row
    // (the newest location) wins and these are dropped.
    uint64_t duplicate_rows = 0;
    double seconds = 0;
    // Of which: validating and computing leaf cells, and the two sorts.
    double cell_seconds = 0;
    double sort_seconds = 0;
  };

  // Builds from bulk input, in parallel: leaf cells computed in input order,
  // then two stable radix sorts (by user id to find each user's last row,
  // then by cell id). Peak memory is about 32 bytes per input row besides
  // the input (two columns and the sort's scratch copy). kInvalidArgument when a
  // record's coordinates are out of range (naming its 0-based position).
  static absl::StatusOr<std::unique_ptr<LocationIndex>> Build(absl::Span<const UserRecord> rows,
                                                              const BuildOptions& options,
                                                              BuildStats* stats = nullptr);

  // Adopts columns that are already sorted by (cell, user) with unique
  // users; kInvalidArgument when they are not (checked in O(n)), or when a
  // cell id is not a valid leaf cell.
  static absl::StatusOr<std::unique_ptr<LocationIndex>> FromColumns(std::vector<uint64_t> cells,
                                                                    std::vector<uint64_t> users);

  // Adopts columns held elsewhere; `owner` keeps their memory alive for the
  // life of the index. Checks, in parallel, that the sizes match, that every
  // cell is a valid leaf cell and that entries are strictly sorted by (cell,
  // user) (kInvalidArgument naming the entry otherwise). Uniqueness of
  // users is NOT checked here (it needs a sort): the caller vouches for it,
  // as the snapshot loader does with checksums over columns that Build or
  // FromColumns produced.
  static absl::StatusOr<std::unique_ptr<LocationIndex>> FromBorrowedColumns(
      absl::Span<const uint64_t> cells, absl::Span<const uint64_t> users,
      std::shared_ptr<const void> owner);

  // Adopts columns the caller guarantees sorted by (cell, user) with unique
  // users and valid leaf cells, without checking: for code that produced
  // them by merging columns that were (the live index's merge).
  static std::unique_ptr<LocationIndex> FromTrustedColumns(std::vector<uint64_t> cells,
                                                           std::vector<uint64_t> users) {
    return Own(std::move(cells), std::move(users));
  }
  // The same for columns held elsewhere; `owner` keeps their memory alive
  // for the life of the index.
  static std::unique_ptr<LocationIndex> FromTrustedColumns(absl::Span<const uint64_t> cells,
                                                           absl::Span<const uint64_t> users,
                                                           std::shared_ptr<const void> owner);
  // The same with the hash column too: mix_low[i] == Mix64(users[i]) &
  // 0xff for every i (SortedRun; not checked), held by `owner` as well. For
  // code that writes the columns itself and hashes each user as it goes
  // (the live index's merge): the index then makes only the column's block
  // counts, instead of reading every user again and holding a column of its
  // own. REQUIRES: mix_low.size() == users.size().
  static std::unique_ptr<LocationIndex> FromTrustedColumns(absl::Span<const uint64_t> cells,
                                                           absl::Span<const uint64_t> users,
                                                           absl::Span<const uint8_t> mix_low,
                                                           std::shared_ptr<const void> owner);

  LocationIndex(const LocationIndex&) = delete;
  LocationIndex& operator=(const LocationIndex&) = delete;

  size_t size() const { return cells_.size(); }
  SortedRun run() const { return SortedRun{cells_, users_, mix_low_, mix_low_blocks_}; }

  // Bytes held by the queryable index (all three columns; for borrowed
  // columns, the mapped bytes they span and the hash column).
  size_t MemoryBytes() const { return memory_bytes_; }
  double BytesPerUser() const { return size() ? double(MemoryBytes()) / size() : 0; }

 private:
  // Computes the hash column (unless `mix_low` gives it) and its block
  // counts from `users`, in parallel, whenever an index is made (a fraction
  // of a snapshot's load time: bench/README.md, "Figures behind code
  // comments").
  LocationIndex(absl::Span<const uint64_t> cells, absl::Span<const uint64_t> users,
                std::shared_ptr<const void> owner, size_t memory_bytes,
                absl::Span<const uint8_t> mix_low = {});
  static std::unique_ptr<LocationIndex> Own(std::vector<uint64_t> cells,
                                            std::vector<uint64_t> users);

  absl::Span<const uint64_t> cells_;
  absl::Span<const uint64_t> users_;
  std::shared_ptr<const void> owner_;  // keeps cells_ and users_ (and a given mix_low_) alive
  std::unique_ptr<uint8_t[]> mix_low_column_;  // null when the maker gave it
  absl::Span<const uint8_t> mix_low_;
  std::vector<uint16_t> mix_low_blocks_;
  size_t memory_bytes_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_LOCATION_INDEX_H_
