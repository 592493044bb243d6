// Copyright 2026 The fan-out engine authors.
//
// Who one standing alert has been handed to (DESIGN §8): the per-alert
// delivered record of StandingTracker. Internal to Engine; not a stable API.

#ifndef FANOUT_ENGINE_INTERNAL_STANDING_DELIVERED_H_
#define FANOUT_ENGINE_INTERNAL_STANDING_DELIVERED_H_

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/shard_policy.h"

namespace fanout {
namespace internal {

// A prefetch of the cache line that holds `p` (any address: a prefetch
// never faults). Not __builtin_prefetch: GCC 12 at -O2 drops that one when
// the address is computed through Mix64 (DeliveredSet's bucket), and the
// object code of StandingTracker::OnApplied had no prefetch at all; an asm
// statement is kept.
inline void PrefetchLine(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

// An exact set of user ids, compact and with a constant-time membership
// test, for sets of millions that the update path probes for every user
// inside an active area.
//
// Layout. Users are keyed by k = Mix64(id), a bijection (so the keys are
// uniform whatever the ids look like, and ids come back by inverting it).
// The frozen part has 2^b buckets by the top b bits of k (2^b between n/16
// and n/8 for n keys: 8-16 keys a bucket, one or two cache lines), a
// directory of 2^b + 1 uint32 entry offsets, and each key's low 64 - b bits in `width_` =
// ceil((64 - b) / 8) bytes. Keys added since the last freeze sit in a small
// hash set (recent) and are folded into the frozen part once they reach an
// eighth of it, so an insert costs O(1) amortised.
//
// Memory: width_ + 4 * 2^b / n + (recent) bytes a key: 6-7.5 bytes a
// user from a few thousand users up (64-bit random ids), against 10-20 for
// absl::flat_hash_set<uint64_t> (8-byte slots plus a control byte, at 7/16
// to 7/8 load).
//
// Thread-safety: none; the tracker's lock guards it.
class DeliveredSet {
 public:
  // True when `id` was absent (and is now present).
  bool Insert(uint64_t id);
  bool Contains(uint64_t id) const;
  // Removes the ids present among `ids` (any order, duplicates allowed);
  // returns how many were removed. Rebuilds the frozen part when one of
  // them is in it (O(size)): for undoing a hand-off that failed, not for
  // the update path.
  size_t EraseAll(const std::vector<uint64_t>& ids);
  size_t size() const { return frozen_size_ + recent_.size(); }
  uint64_t memory_bytes() const;
  // fn(id) for every id, in no particular order.
  template <typename F>
  void ForEach(F&& fn) const {
    const int shift = 64 - bits_;
    for (uint64_t bucket = 0; bucket + 1 < directory_.size(); ++bucket) {
      const uint64_t high = bits_ == 0 ? 0 : bucket << shift;
      for (uint32_t i = directory_[bucket]; i < directory_[bucket + 1]; ++i) {
        fn(UnMix64(high | Entry(i)));
      }
    }
    for (uint64_t id : recent_) fn(id);
  }
  // Hints for a lookup of `id` a few lookups ahead: first the directory
  // entry (and the recent set), later the keys it points at.
  void PrefetchDirectory(uint64_t id) const {
    recent_.prefetch(id);
    if (!directory_.empty()) PrefetchLine(&directory_[Bucket(Mix64(id))]);
  }
  void PrefetchKeys(uint64_t id) const {
    if (!directory_.empty()) {
      PrefetchLine(keys_.data() + size_t{directory_[Bucket(Mix64(id))]} * width_);
    }
  }

  // The inverse of Mix64.
  static uint64_t UnMix64(uint64_t z);

 private:
  uint64_t Bucket(uint64_t key) const { return bits_ == 0 ? 0 : key >> (64 - bits_); }
  uint64_t Entry(uint32_t i) const {
    uint64_t v;
    std::memcpy(&v, keys_.data() + size_t{i} * width_, 8);  // keys_ has 8 bytes of slack
    return width_ == 8 ? v : v & ((uint64_t{1} << (8 * width_)) - 1);
  }
  void Freeze();  // folds recent_ into the frozen part
  void BuildFrozen(const std::vector<uint64_t>& sorted_keys);  // replaces it

  int bits_ = 0;   // b
  int width_ = 8;  // bytes a key
  uint64_t low_mask_ = ~uint64_t{0};
  std::vector<uint32_t> directory_;  // empty, or 2^b + 1 offsets
  std::vector<uint8_t> keys_;
  size_t frozen_size_ = 0;
  absl::flat_hash_set<uint64_t> recent_;  // ids
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_STANDING_DELIVERED_H_
