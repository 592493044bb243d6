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

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/huge_pages.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/radix_sort.h"

namespace fanout {
namespace internal {

// Collects the updates of a log in sequence order, then merges each
// user's newest one into a base run in one pass:
//  - as they are added, the updates are spread over 256 buckets by a hash
//    of the user id (each keeps its updates in log order); each bucket
//    then finds its users' newest updates on its own, in parallel, with a
//    hash table that stays in cache: an upsert places the user, a remove
//    drops it (a remove of a user the base does not hold drops nothing);
//  - the leaf cells of the kept upserts are computed in parallel;
//  - the work is cut into parts by key, about equal (cut at the base's
//    keys, or at a sample of the upserts' when they outnumber the base);
//    the upserts are spread over the parts in one pass and each part's
//    sorted by (cell, user) in cache;
//  - in each part, in parallel, the base's entries whose user any update
//    touched are dropped from their old place (a hash set of the touched
//    users, made bucket by bucket) and the rest merged with the part's
//    upserts straight into the new columns (the base is read once, from
//    wherever it lies: a checkpoint's mapping needs no copy first).
// The result is exactly the state the updates, applied in order one by one
// to the base, would leave (tests/engine/log_fold_test.cc checks it
// against such a model and against the writer path).
//
// Why buckets and parts rather than two radix sorts (RadixSortPairs by
// user id to find the newest updates, then by cell): a radix sort of 64-bit
// keys makes eight passes over its data in memory, where the buckets make
// one as the updates are added and the rest in cache, and the parts one
// to spread the upserts and the rest in cache (bench/README.md, "Reopening
// with the bulk replay", has the figures of both).
//
// Memory: 16 bytes per update added (the newest updates then take the
// first 16 bytes per user touched of their bucket's own chunks, and the
// rest goes back to the pool); while MergeInto runs, 36 per upsert kept
// (its key twice, unsorted and spread, and its part), 16-32 per user
// touched (the hash set), one byte per base entry and the new columns (16
// bytes per entry). Every buffer but the first 64 KiB of each bucket comes
// from the pool, and the scratch goes back to it as soon as it is spent.
//
// Thread-safety: none (one thread adds; MergeInto runs its work in the
// calling thread's TBB arena).
//
// Typical usage:
//   HugePagePool pool;
//   LogFold fold(&pool);
//   for (each batch of the log, in order) fold.Add(batch);
//   ASSIGN_OR_RETURN(std::unique_ptr<LocationIndex> first_base, fold.MergeInto(checkpoint->run()));
class LogFold {
 public:
  static constexpr int kBucketBits = 8;
  static constexpr size_t kBuckets = size_t{1} << kBucketBits;

  // Its big buffers (the updates added, the scratch of MergeInto, the
  // result's columns) come from `pool`, which must outlive it (a private
  // pool when null), and the scratch goes back to it: the caller can hand
  // the pool on to what it makes next (Open: the live index's arrays), so
  // those pages are not faulted in afresh.
  explicit LogFold(HugePagePool* pool = nullptr);
  ~LogFold();
  LogFold(const LogFold&) = delete;
  LogFold& operator=(const LogFold&) = delete;

  // Appends updates that follow every update added so far. REQUIRES: each
  // upsert's coordinates are valid (the log verified them) and kinds are
  // kUpsert or kRemove.
  void Add(absl::Span<const LocationUpdate> updates);
  size_t updates() const { return size_; }

  // The base with every update added folded in: sorted by (cell, user),
  // no user twice when `base` has none. REQUIRES: `base` is sorted by
  // (cell, user). Consumes the updates (updates() is 0 afterwards).
  // The result's columns are its own (unmapped with it, not given back).
  // kInternal if the merged columns are out of order (checked in passing;
  // a bug, not bad input).
  absl::StatusOr<std::unique_ptr<LocationIndex>> MergeInto(const SortedRun& base);

 private:
  struct Pending {
    uint64_t user;
    uint64_t value;  // the coordinates, packed, or a removal mark
  };
  // A bucket's updates in log order: the first kFirstChunk in a small
  // block of its own (a short log stays small), the rest in 2 MiB chunks
  // from the pool. After Newest: its users' newest updates, one each.
  static constexpr size_t kFirstChunk = size_t{1} << 12;
  static constexpr size_t kChunk = kHugePageBytes / sizeof(Pending);
  struct Bucket {
    std::unique_ptr<Pending[]> first;
    std::vector<Pending*> chunks;
    size_t size = 0;
    size_t upserts = 0;  // after Newest
    Pending& at(size_t i);
  };
  // Keeps the first n entries of *b (at most), giving the chunks it no
  // longer needs back to the pool.
  void Shrink(Bucket* b, size_t n);
  void Newest(size_t bucket, std::vector<uint64_t>* keys, std::vector<uint32_t>* latest,
              std::vector<Pending>* kept);

  std::unique_ptr<HugePagePool> own_pool_;  // when none was given
  HugePagePool* pool_;
  std::vector<Bucket> buckets_;
  size_t size_ = 0;
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LOG_FOLD_H_
