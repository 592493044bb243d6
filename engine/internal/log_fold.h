// Copyright 2026 The fan-out engine authors.
//
// The bulk replay of Open (engine_directory.h, RecoverEngineDirectory):
// the updates of the log after a checkpoint, folded into the checkpoint's
// columns at once instead of one by one through the live index's writer.
// Internal to Engine; not a stable API.

#ifndef FANOUT_ENGINE_INTERNAL_LOG_FOLD_H_
#define FANOUT_ENGINE_INTERNAL_LOG_FOLD_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/types/span.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/radix_sort.h"

namespace fanout {
namespace internal {

// Collects the updates of a log in sequence order, then merges each
// user's newest one into a base run in one pass:
//  - the updates are sorted by user id (RadixSortPairs, stable, so of one
//    user's updates the last in the log comes last) and each user's
//    newest is kept: an upsert places the user, a remove drops it (a
//    remove of a user the base does not hold drops nothing);
//  - the leaf cells of the kept upserts are computed in parallel and the
//    upserts sorted by (cell, user);
//  - the base's entries whose user any update touched are dropped from
//    their old place (a hash set of the touched users, probed in parallel)
//    and the rest merged with the upserts, in parts cut by key, in
//    parallel, straight into the new columns (the base is read once, from
//    wherever it lies: a checkpoint's mapping needs no copy first).
// The result is exactly the state the updates, applied in order one by one
// to the base, would leave (tests/engine/log_fold_test.cc checks it
// against such a model and against the writer path).
//
// Memory: 16 bytes per update collected, and while MergeInto runs 16 more
// (the sort's scratch), 16 per user touched (the hash set at a load of at
// most a half), one byte per base entry and the new columns (16 bytes per
// entry).
//
// Thread-safety: none (one thread adds; MergeInto runs its work in the
// calling thread's TBB arena).
//
// Typical usage:
//   LogFold fold(expected_updates);
//   for (each batch of the log, in order) fold.Add(batch);
//   std::unique_ptr<LocationIndex> first_base = fold.MergeInto(checkpoint->run());
class LogFold {
 public:
  // `expected_updates`: room reserved up front (an upper bound avoids any
  // reallocation; more updates than it are fine).
  explicit LogFold(size_t expected_updates = 0);

  // Appends updates that follow every update added so far. REQUIRES: each
  // upsert's coordinates are valid (the log verified them) and kinds are
  // kUpsert or kRemove.
  void Add(absl::Span<const LocationUpdate> updates);
  size_t updates() const { return size_; }

  // The base with every update added folded in: sorted by (cell, user),
  // no user twice when `base` has none. REQUIRES: `base` is sorted by
  // (cell, user). Consumes the updates (updates() is 0 afterwards).
  std::unique_ptr<LocationIndex> MergeInto(const SortedRun& base);

 private:
  void Grow(size_t at_least);

  U64Column users_;   // user id of update i
  U64Column values_;  // its coordinates, packed (or kRemoved)
  size_t size_ = 0;
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LOG_FOLD_H_
