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
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/huge_pages.h"
#include "engine/internal/live_slot_table.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/radix_sort.h"

namespace fanout {
namespace internal {

// Collects the updates of a log in sequence order, then merges each
// user's newest one into a base run in one pass over the base, making the
// live index's slots as it goes:
//  - as they are added, the updates are spread over 256 buckets by the
//    top bits of the slot table's hash of the user id (LiveSlotTable::
//    UserHash; each keeps its updates in log order); each bucket
//    then finds its users' newest updates on its own, in parallel, with a
//    hash table that stays in cache: an upsert places the user, a remove
//    drops it (a remove of a user the base does not hold drops nothing);
//  - the leaf cells of the kept upserts are computed in parallel;
//  - the work is cut into parts by key, about equal (cut at the base's
//    keys, or at a sample of the upserts' when they outnumber the base);
//    the upserts are spread over the parts in one pass and each part's
//    sorted by (cell, user) in cache;
//  - before that, the live index's slot table is made from the base's
//    users (slot i: base entry i) and each user touched is looked up in it
//    (confirmed by the base's user column): the base entry of one found is
//    dropped from its old place, and its upsert, if any, takes its slot
//    along; an upsert of a user not found gets a new slot (the base's size
//    + k, in bucket order). Looking up the users touched replaces testing
//    every base entry against a set of them, and the table is the one the
//    live index needs anyway (MergeWithSlots). A bucket's users have their
//    home groups in one 1/256 of the table (the buckets are cut by its
//    hash), so its lookups stay in cache but for the confirming read of
//    the base's user column, prefetched in batches;
//  - in each part, in parallel, the base's entries kept are merged with the
//    part's upserts straight into the new columns (the base is read once,
//    from wherever it lies: a checkpoint's mapping needs no copy first),
//    each entry's user hashed into the hash column and its slot pointed at
//    its place as it is written (pos_of_slot; a removed user's slot at
//    none, as after a live index's merge); then the base is read no more
//    (its owner may drop it).
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
// rest goes back to the pool); while MergeWithSlots runs, 44 per upsert
// kept (its key and slot twice, unsorted and spread, and its part), 4 per
// user touched (its slot), one byte per base entry (what became of it),
// AddSlots' scratch while the table fills (8 per base entry; unless the
// caller made the table), and what it returns: the new columns (17 bytes
// per entry with the hash column), the slot table (about 6.7 bytes per
// slot) and pos_of_slot (4 per slot). Every buffer but the first 64
// KiB of each bucket comes from the pool, and the scratch goes back to it
// as soon as it is spent.
//
// Thread-safety: none (one thread adds; MergeWithSlots runs its work in the
// calling thread's TBB arena).
//
// Typical usage:
//   HugePagePool pool;
//   LogFold fold(&pool);
//   for (each batch of the log, in order) fold.Add(batch);
//   ASSIGN_OR_RETURN(LogFold::FoldedBase first, fold.MergeWithSlots(checkpoint->run()));
//   ASSIGN_OR_RETURN(auto live, LiveIndexImpl::CreateWithSlots(std::move(first.index),
//       std::move(first.slot_of), std::move(first.pos_of_slot), options, last_seq));
class LogFold {
 public:
  // A live index's first base with its slots (LiveIndexImpl::
  // CreateWithSlots): base entry i of the folded base's input keeps slot
  // i, a user new in the log has a slot from the input's size on, and
  // pos_of_slot[slot] is the slot's entry in `index` (LiveBase::kNoPos for
  // a removed user's). slot_of finds every user of `index`, confirmed
  // through index->run().users[pos_of_slot[slot]], and may hold removed
  // users' slots as dead entries (never confirmed).
  struct FoldedBase {
    std::unique_ptr<LocationIndex> index;
    LiveSlotTable slot_of;
    std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot;
  };

  static constexpr int kBucketBits = 8;
  static constexpr size_t kBuckets = size_t{1} << kBucketBits;

  // Its big buffers (the updates added, the scratch of MergeWithSlots, the
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
  // no user twice. REQUIRES: `base` is sorted by (cell, user). Consumes the
  // updates (updates() is 0 afterwards). The result's columns are its own
  // (unmapped with it, not given back); so are the slot table's and
  // pos_of_slot's blocks, unless a HugePagePool::Scope is alive when they
  // are freed. kInvalidArgument if `base` holds a user twice (named), or
  // would need 2^32 - 1 slots or more; kInternal if the merged columns are
  // out of order (checked in passing; a bug, not bad input).
  // `release_base` (may be empty) is called once the merge has read `base`
  // for the last time: Open drops the checkpoint's mapping there.
  // `filled`, when not null, is the slot table of base's users made
  // already (LiveSlotTable::FillFrom(base.users)), taken instead of made
  // here (Open makes it while it reads the log).
  absl::StatusOr<FoldedBase> MergeWithSlots(const SortedRun& base,
                                            const std::function<void()>& release_base = {},
                                            LiveSlotTable* filled = nullptr);
  // MergeWithSlots, the index alone (the slots' memory goes back to the
  // pool).
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
