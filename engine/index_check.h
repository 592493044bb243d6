// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INDEX_CHECK_H_
#define FANOUT_ENGINE_INDEX_CHECK_H_

#include <cstdint>
#include <vector>

#include "engine/location_index.h"

namespace fanout {

// The deep check of an index (`fanout inspect`): what loading a snapshot
// does not verify because it costs a sort of every user id. Loading checks
// the checksums, that every cell is a leaf and that entries are strictly
// ordered by (cell, user); a file that passes all of that but names one
// user in two cells (hand-made, or written by a faulty tool) would deliver
// that user twice in an alert covering both cells. This finds them.
struct DuplicateUser {
  uint64_t user_id = 0;
  std::vector<uint64_t> cells;  // leaf cell ids of its entries, ascending
};

struct IndexCheckReport {
  uint64_t entries = 0;
  // Users with more than one entry, and the entries beyond each one's first.
  uint64_t repeated_users = 0;
  uint64_t extra_entries = 0;
  // The first few repeated users, by id.
  std::vector<DuplicateUser> examples;
  double seconds = 0;
};

// Sorts a copy of the user column (with entry positions: 16 bytes per
// entry, twice, while it runs) and reports every user id found more than
// once. Parallel (TBB). Thread-safety: reads `run` only.
IndexCheckReport FindDuplicateUsers(const SortedRun& run, size_t max_examples = 5);

}  // namespace fanout

#endif  // FANOUT_ENGINE_INDEX_CHECK_H_
