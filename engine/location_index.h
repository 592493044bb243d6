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

  size_t size() const { return cells.size(); }
  // [begin, end) of the entries whose cell lies in [min_leaf, max_leaf],
  // searching only inside [lo, hi).
  std::pair<size_t, size_t> EqualRange(uint64_t min_leaf, uint64_t max_leaf, size_t lo,
                                       size_t hi) const;
};

// The in-memory location index: the last known location of every user,
// 16 bytes per user (an 8-byte leaf cell id and an 8-byte user id, in two
// columns sorted by cell id). Each user appears once.
//
// Live updates (DESIGN §3) will not change how a query reads the index: the
// query executor scans a list of SortedRuns and is told which entries are
// superseded. The plan is an immutable base run (this class) plus small
// sorted delta runs of recent updates and a per-base-entry "moved away" bit
// versioned by epoch; an alert pins one epoch (one consistent state) and a
// background merge folds deltas into a new base. See README "Live updates".
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
  };

  // Builds from bulk input, in parallel. kInvalidArgument when a record's
  // coordinates are out of range (naming its 0-based position).
  static absl::StatusOr<std::unique_ptr<LocationIndex>> Build(absl::Span<const UserRecord> rows,
                                                              const BuildOptions& options,
                                                              BuildStats* stats = nullptr);

  // Adopts columns that are already sorted by (cell, user) with unique
  // users; kInvalidArgument when they are not (checked in O(n)), or when a
  // cell id is not a valid leaf cell.
  static absl::StatusOr<std::unique_ptr<LocationIndex>> FromColumns(std::vector<uint64_t> cells,
                                                                    std::vector<uint64_t> users);

  LocationIndex(const LocationIndex&) = delete;
  LocationIndex& operator=(const LocationIndex&) = delete;

  size_t size() const { return cells_.size(); }
  SortedRun run() const { return SortedRun{cells_, users_}; }

  // Bytes held by the queryable index (both columns).
  size_t MemoryBytes() const;
  double BytesPerUser() const { return size() ? double(MemoryBytes()) / size() : 0; }

 private:
  LocationIndex(std::vector<uint64_t> cells, std::vector<uint64_t> users)
      : cells_(std::move(cells)), users_(std::move(users)) {}

  std::vector<uint64_t> cells_;
  std::vector<uint64_t> users_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_LOCATION_INDEX_H_
