// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_SCAN_SOURCE_H_
#define FANOUT_ENGINE_SCAN_SOURCE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/location_index.h"

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
// while a reader's snapshot is older than the superseding update is larger
// than that snapshot.
//
// Once the update is in a delta run, alerts read a copy of `superseded`
// kept next to the entry in the run (DeltaRun marks: sequential reads, not a
// random access per entry). `mark_a` points at that copy; while a
// compaction moves the entry to a new run, `mark_b` points at the old run's
// copy. The writer stores `superseded`, then each copy it finds; the
// compaction points `mark_a` at the new copy, then re-reads `superseded`
// (all sequentially consistent), so a copy never misses a store (see
// live_index.cc, SetMarks).
struct UpdateRecord {
  uint64_t cell = 0;             // leaf cell id; 0 for a removal
  uint64_t user = 0;
  uint64_t prev_seq = kNoSeq;    // the entry this update replaced, if any
  uint32_t slot = 0;             // the user's dense slot (live_index.cc)
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

// One sorted run an alert scans, and which of its entries this alert's
// snapshot (sequence number `seq`) sees:
//  - kAll: every entry (a static LocationIndex, or a run built for one
//    alert from visible entries only);
//  - kBase: the base run of a live index; entry i is visible unless its
//    user moved at or before the snapshot: moved_at[i] holds that update's
//    sequence number minus the base's, UINT32_MAX when the user has not
//    moved since the base was built;
//  - kDelta: a sorted run of updates (all at or before any snapshot that
//    sees the run); entry i is visible unless it was superseded at or
//    before seq: marks[i], the run's copy of its record's `superseded`.
// Visibility only ever changes for updates newer than the snapshot, so an
// entry is judged the same way however often a scan looks at it.
// Thread-safety: a plain value; Visible() is safe from any thread.
struct ScanSource {
  enum class Filter : uint8_t { kAll, kBase, kDelta };

  SortedRun run;
  Filter filter = Filter::kAll;
  const std::atomic<uint32_t>* moved_at = nullptr;  // kBase
  uint32_t moved_limit = 0;                         // kBase: visible iff moved_at[i] > limit
  const std::atomic<uint64_t>* marks = nullptr;     // kDelta
  uint64_t seq = 0;                                 // kDelta: the snapshot

  bool Visible(size_t i) const {
    switch (filter) {
      case Filter::kAll:
        return true;
      case Filter::kBase:
        return moved_at[i].load(std::memory_order_relaxed) > moved_limit;
      case Filter::kDelta:
        return marks[i].load(std::memory_order_relaxed) > seq;
    }
    return false;
  }
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_SCAN_SOURCE_H_
