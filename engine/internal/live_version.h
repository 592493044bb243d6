// Copyright 2026 The fan-out engine authors.
//
// The pieces of a live index's state (live_index_impl.h): the update
// records, the base run, the delta runs and the version that pins them. Not
// installed: a service sees only LiveIndex and LiveView.

#ifndef FANOUT_ENGINE_INTERNAL_LIVE_VERSION_H_
#define FANOUT_ENGINE_INTERNAL_LIVE_VERSION_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <tuple>
#include <vector>

#include "base/huge_pages.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"

namespace fanout {
namespace internal {

// Sequence numbers order the updates of a live index (live_index.h): the
// first update is 1, the entries of the index it started from are "seq 0".
inline constexpr uint64_t kNeverSuperseded = ~uint64_t{0};
inline constexpr uint64_t kNoSeq = ~uint64_t{0};

// One applied update, kept until a merge folds it into a new base. Written
// once by the writer before the update's sequence number is published, and
// read only after (release/acquire on the published number), except
// `superseded`, which the writer sets, once, when the user's next update
// replaces this one: readers load it relaxed, since any value it can hold
// while a reader's view is older than the superseding update is larger
// than that view.
//
// Once the update is in a delta run, alerts read a copy of `superseded`
// kept next to the entry in the run (DeltaRun marks: sequential reads, not a
// random access per entry). `mark_a` points at that copy; while a
// compaction moves the entry to a new run, `mark_b` points at the old run's
// copy. The writer stores `superseded`, then each copy it finds; the
// compaction points `mark_a` at the new copy, then re-reads `superseded`
// (all sequentially consistent), so a copy never misses a store (see
// live_delta_runs.cc, RunFromSortedEntries).
struct UpdateRecord {
  uint64_t cell = 0;             // leaf cell id; 0 for a removal
  uint64_t user = 0;
  uint64_t prev_seq = kNoSeq;    // the entry this update replaced, if any
  uint32_t slot = 0;             // the user's dense slot (live_index_impl.h)
  uint32_t removed = 0;          // 1: a removal (a tombstone, never scanned)
  std::atomic<uint64_t> superseded{kNeverSuperseded};
  std::atomic<std::atomic<uint64_t>*> mark_a{nullptr};
  std::atomic<std::atomic<uint64_t>*> mark_b{nullptr};
};

// The update records by sequence number, in chunks that never move. The
// table itself is immutable: adding a chunk makes a new table sharing the
// old chunks, so an alert's pinned table stays valid while writers go on.
// Thread-safety: const methods from any thread; the records' own rules are
// above.
class RecordTable {
 public:
  static constexpr int kChunkBits = 16;
  static constexpr uint64_t kChunkSize = uint64_t{1} << kChunkBits;
  explicit RecordTable(uint64_t first_seq) : first_seq_(first_seq) {}

  // REQUIRES: first_seq() <= seq < end_seq().
  UpdateRecord& at(uint64_t seq) const {
    uint64_t k = seq - first_seq_;
    return chunks_[k >> kChunkBits][k & (kChunkSize - 1)];
  }
  uint64_t first_seq() const { return first_seq_; }
  uint64_t end_seq() const { return first_seq_ + chunks_.size() * kChunkSize; }
  size_t chunks() const { return chunks_.size(); }

  // A table with one more (empty) chunk.
  std::shared_ptr<RecordTable> WithNewChunk() const;
  // A table without the chunks that hold only records below `seq`.
  std::shared_ptr<RecordTable> TrimmedBelow(uint64_t seq) const;

 private:
  uint64_t first_seq_;
  std::vector<std::shared_ptr<UpdateRecord[]>> chunks_;
};

// The bottom level: an immutable LocationIndex and, per entry, when its user
// moved away (relative to base_seq; kNotMoved when it has not).
struct LiveBase {
  static constexpr uint32_t kNotMoved = std::numeric_limits<uint32_t>::max();
  static constexpr uint32_t kNoPos = std::numeric_limits<uint32_t>::max();
  using MovedAt = std::vector<std::atomic<uint32_t>, HugePageAllocator<std::atomic<uint32_t>>>;

  std::unique_ptr<LocationIndex> index;
  uint64_t base_seq = 0;  // the last update the base includes
  MovedAt moved_at;
  // Per slot, its entry (kNoPos: none). Immutable once the base is in use;
  // a merge inverts it for the slot of each entry.
  std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot;

  size_t MemoryBytes() const {
    return index->MemoryBytes() + index->size() * sizeof(uint32_t) +
           pos_of_slot.size() * sizeof(uint32_t);
  }
};

// A delta run's bytes per entry: cell, user, seq and the mark.
inline constexpr uint64_t kDeltaEntryBytes = 3 * sizeof(uint64_t) + sizeof(uint64_t);

// Updates frozen into a run sorted by (cell, user, seq).
struct DeltaRun {
  uint64_t min_seq = 0, max_seq = 0;  // the updates it was built from
  std::vector<uint64_t> cells;
  std::vector<uint64_t> users;
  std::vector<uint64_t> seqs;
  // Per entry, what alerts read: a copy of the record's `superseded`.
  std::unique_ptr<std::atomic<uint64_t>[]> marks;
  // Taken by a compaction step in flight. Guarded by the index's
  // maintenance_mu_ (a member of a const run, hence mutable).
  mutable bool claimed = false;
  size_t size() const { return cells.size(); }
};

// What a view pins. Replaced, never changed, under the index's version_mu_.
struct LiveVersion {
  std::shared_ptr<const LiveBase> base;
  std::vector<std::shared_ptr<const DeltaRun>> runs;  // oldest first
  std::shared_ptr<const RecordTable> records;
  uint64_t pending_first_seq = 1;  // updates from here on are in no run
};

// An entry being sorted into a run: by (cell, user, seq).
struct Entry {
  uint64_t cell;
  uint64_t user;
  uint64_t seq;  // or, while merging into a base, the slot
  bool operator<(const Entry& o) const {
    return std::tie(cell, user, seq) < std::tie(o.cell, o.user, o.seq);
  }
};

// Builds a run from sorted entries and points their records' marks at it
// (the protocol at UpdateRecord): mark_b keeps the old run's copy until the
// caller has published the run and called ReleaseOldMarks.
std::shared_ptr<const DeltaRun> RunFromSortedEntries(const std::vector<Entry>& entries,
                                                     uint64_t min_seq, uint64_t max_seq,
                                                     const RecordTable& records);

// After the version with `run` is published: the old copies are no longer
// read by new views; forget them. The caller then waits for writers (the
// index's mu_) before the old run may be freed.
void ReleaseOldMarks(const DeltaRun& run, const RecordTable& records);

// The columns of a base made in memory (by a merge, by the bulk replay of
// Open, or copied from a checkpoint's mapping): n cells, users and hash
// bytes (mix_low, SortedRun), not zeroed. Their maker writes every entry
// with Set, which hashes each user as it writes it: no second pass over
// the users, and the byte column's pages come from the pool with the
// others. Allocated and freed as HugePageArray: from the pool of the
// HugePagePool::Scope alive on the thread that makes them, and back to the
// one alive where the last reference goes (a merged base's deleter: its
// index's merge pool), else mapped fresh on huge pages and unmapped. Huge pages because the writer
// reads a base's user column at random to confirm slots
// (live_slot_table.h): with 4 KiB pages nearly every such read is a TLB
// miss as well. Read-only once written, by any thread.
class BaseColumns {
 public:
  explicit BaseColumns(size_t n);

  size_t size() const { return cells_.size(); }
  uint64_t* cells() const { return cells_.get(); }
  uint64_t* users() const { return users_.get(); }
  uint8_t* mix_low() const { return mix_low_.get(); }
  // Writes entry i (and its hash byte).
  void Set(size_t i, uint64_t cell, uint64_t user) const {
    cells_[i] = cell;
    users_[i] = user;
    mix_low_[i] = static_cast<uint8_t>(Mix64(user));
  }

  // An index over `columns` that keeps them alive, without checking their
  // order or hash bytes (LocationIndex::FromTrustedColumns).
  static std::unique_ptr<LocationIndex> TrustedIndex(std::shared_ptr<const BaseColumns> columns);

 private:
  HugePageArray<uint64_t> cells_;
  HugePageArray<uint64_t> users_;
  HugePageArray<uint8_t> mix_low_;
};

// Replaces *moved with n entries, all kNotMoved (in parallel).
void FillNotMoved(LiveBase::MovedAt* moved, size_t n);

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LIVE_VERSION_H_
