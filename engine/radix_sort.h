// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_RADIX_SORT_H_
#define FANOUT_ENGINE_RADIX_SORT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace fanout {

// A stable, TBB-parallel LSD radix sort of 64-bit keys carrying a 64-bit
// value each, held as two parallel columns (keys[i] goes with values[i]).
// Stability is what the index build relies on: rows sorted by user id and
// then stably by cell id come out ordered by (cell, user), and rows of one
// user keep their input order.
//
// Why a radix sort: the bulk build sorts 170M entries twice; a comparison
// sort does ~28 passes of branchy work over the data, an LSD radix sort 8
// passes of 8-bit digits (fewer: digits that are equal in every key, such
// as the top bits of user ids in a small id space, are detected up front
// and skipped). 8-bit digits beat 11-bit ones (6 passes) here: 256 buckets
// keep the scatter's 512 write streams in cache (bench/README.md, "Figures
// behind engine comments"). Each pass is parallel: the input is cut into one chunk per
// worker slot, each chunk counts its digits, and a prefix sum over (digit,
// chunk) gives every chunk its own output positions, which keeps the sort
// stable without any locking.
//
// Memory: one scratch copy of both columns (16 bytes per entry) while the
// sort runs; it is released before returning.
//
// Thread-safety: sorts the given vectors; callers must not touch them
// concurrently. Runs in the calling thread's TBB arena.
//
// Typical usage:
//   std::vector<uint64_t> cells = ..., users = ...;
//   RadixSortPairs(&cells, &users);   // now ordered by cell, stable
// An uninitialised array of u64 for GB-sized columns. Unlike std::vector it
// does not zero the memory in one thread first (at 170M entries that alone
// is seconds), and it asks for transparent huge pages (madvise), which cuts
// the page faults of first touch by 512x.
//
// Thread-safety: a plain buffer; callers synchronise access.
class U64Column {
 public:
  U64Column() = default;
  explicit U64Column(size_t n);
  ~U64Column();
  U64Column(U64Column&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  U64Column& operator=(U64Column&& o) noexcept;
  U64Column(const U64Column&) = delete;
  U64Column& operator=(const U64Column&) = delete;

  uint64_t* data() { return data_; }
  const uint64_t* data() const { return data_; }
  size_t size() const { return size_; }
  uint64_t& operator[](size_t i) { return data_[i]; }
  absl::Span<uint64_t> span() { return absl::MakeSpan(data_, size_); }

 private:
  uint64_t* data_ = nullptr;
  size_t size_ = 0;
};

struct RadixSortOptions {
  // Called with a number of entries after each pass's work on them, from
  // worker threads (may be called concurrently). DEFAULT: none.
  void (*progress)(void* context, uint64_t entries) = nullptr;
  void* progress_context = nullptr;
};

// Sorts `keys` ascending, permuting `values` alongside, stably. REQUIRES:
// keys->size() == values->size(). Returns the number of digit passes run
// (for tests and reports).
int RadixSortPairs(std::vector<uint64_t>* keys, std::vector<uint64_t>* values,
                   const RadixSortOptions& options = {});

// The same with caller-provided scratch columns (for builds that sort twice
// and reuse them). REQUIRES: all four spans have the same size. When the
// number of passes is odd the sorted data ends in the scratch columns:
// then *result_in_scratch is set to true (the caller swaps roles), or, when
// result_in_scratch is null, the data is copied back.
int RadixSortPairs(absl::Span<uint64_t> keys, absl::Span<uint64_t> values,
                   absl::Span<uint64_t> scratch_keys, absl::Span<uint64_t> scratch_values,
                   bool* result_in_scratch, const RadixSortOptions& options = {});

}  // namespace fanout

#endif  // FANOUT_ENGINE_RADIX_SORT_H_
