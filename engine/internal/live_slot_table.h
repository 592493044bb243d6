// Copyright 2026 The fan-out engine authors.
//
// The live index's map from user id to dense slot (live_index_impl.h),
// without the keys: 4 bytes of slot and 1 tag byte per entry, in groups of
// twelve that fill one cache line, about 6.7 bytes per user at the load it
// is kept at (against 17 per entry, 27-35 per user, for a hash map that
// keeps the 8-byte key).
//
// A slot found by its tag is confirmed by the caller, which knows each
// slot's user another way (the live index: the slot's base entry or its
// current update record). A slot the caller can no longer name (a removed
// user whose records are merged away) is simply never confirmed again: its
// entry stays as dead weight until the table is rebuilt, which drops it.
//
// Layout: bucketised linear probing. A user's home group is picked from
// its hash; an entry goes in the first free place of its home group or of
// the groups after it (wrapping). Nothing is ever erased, so a lookup stops
// at the first free place.
//
// Growth (past a load of 0.9, by half) rebuilds the table, reading each
// slot's user from the caller at random: the live index does it under its
// writer lock, a stall of a second or more per 10M users, once per half
// again as many users as the index was made with (a table made for the
// base's users never grows while the users stay about as many).
//
// Thread-safety: none; the live index guards it with its writer lock
// (FillFrom and AddSlots run in parallel inside). Const methods may run
// concurrently while nothing changes the table (Open's fold looks users up
// from all cores).

#ifndef FANOUT_ENGINE_INTERNAL_LIVE_SLOT_TABLE_H_
#define FANOUT_ENGINE_INTERNAL_LIVE_SLOT_TABLE_H_

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "base/huge_pages.h"

namespace fanout {
namespace internal {

// Faults in the pages of [p, p + bytes) for writing, in parallel slices
// (MADV_POPULATE_WRITE; advisory: a kernel without it leaves the pages to
// fault on first touch). For big fresh arrays about to be written in full
// on one thread (a value-initialising resize or assign): the kernel zeroes
// each fresh page as it maps it, and that, not the writing, is most of the
// time; here the cores share it.
inline void PopulateInParallel(void* p, size_t bytes) {
  constexpr size_t kSlice = size_t{64} << 20;
  constexpr uintptr_t kPage = 4096;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kPage - 1);
  if (end <= begin + kSlice) return;
  const size_t slices = (end - begin + kSlice - 1) / kSlice;
  tbb::parallel_for(size_t{0}, slices, [&](size_t i) {
    const uintptr_t b = begin + i * kSlice;
    const uintptr_t e = std::min<uintptr_t>(end, b + kSlice);
    ::madvise(reinterpret_cast<void*>(b), e - b, MADV_POPULATE_WRITE);
  });
}

class LiveSlotTable {
 public:
  static constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();
  static constexpr size_t kGroup = 12;

  // Room for `users` at a load of 0.8.
  explicit LiveSlotTable(size_t users = 0) { Reset(users); }

  size_t size() const { return size_; }

  // The hash the table places `user` by. Its home group is monotone in
  // it: users taken in the order of its top bits (LogFold's buckets) touch
  // the table range by range, each range in cache.
  static uint64_t UserHash(uint64_t user) { return Hash(user); }
  size_t MemoryBytes() const { return groups_.capacity() * sizeof(Group); }

  // The user's home group and the next (where about a fifth of the
  // entries of a table at its usual load go, their home being full).
  void Prefetch(uint64_t user) const {
    const size_t g = Home(Hash(user));
    __builtin_prefetch(&groups_[g]);
    __builtin_prefetch(&groups_[g + 1 == groups_.size() ? 0 : g + 1]);
  }

  // The first slot of `user`'s probe sequence whose tag matches, without
  // confirming it (for prefetching what confirming it reads); kNoSlot when
  // none before a free place.
  uint32_t FirstCandidate(uint64_t user) const {
    uint32_t found = kNoSlot;
    Probe(Hash(user), [&](uint32_t slot) {
      found = slot;
      return true;
    });
    return found;
  }

  // The slot of `user`, confirmed by is_user(slot) (which is true for this
  // user's slot and false for every other occupied one), or kNoSlot.
  template <typename IsUser>
  uint32_t Find(uint64_t user, IsUser is_user) const {
    uint32_t found = kNoSlot;
    Probe(Hash(user), [&](uint32_t slot) {
      if (!is_user(slot)) return false;
      found = slot;
      return true;
    });
    return found;
  }

  // Adds `user` -> `slot`. REQUIRES: `user` is not in the table. Grows (by
  // half) past a load of 0.9, rebuilding from user_of(slot, &user), which
  // names the user of each slot or returns false for one it no longer
  // can (dropped).
  template <typename UserOf>
  void Insert(uint64_t user, uint32_t slot, UserOf user_of) {
    if ((size_ + 1) * 10 > Capacity() * 9) Grow(user_of);
    Place(Hash(user), slot);
  }

  // Fills an empty table sized for n (the constructor's `users`) with
  // users[i] -> slot i, in parallel by ranges of groups (an entry whose
  // probe leaves its range is placed afterwards, on one thread). Returns
  // false, with *duplicate set, when a user appears twice.
  bool FillFrom(const uint64_t* users, size_t n, uint64_t* duplicate) {
    return AddSlots(0, n, [users](uint32_t slot) { return users[slot]; }, duplicate);
  }

  // Whether `more` entries fit without the table passing the load at which
  // Insert grows it.
  bool HasRoomFor(size_t more) const { return (size_ + more) * 10 <= Capacity() * 9; }

  // Adds user_at(slot) -> slot for each slot of [first, first + n), as
  // FillFrom does (in parallel), to a table that may hold entries already.
  // user_at(slot) names the user of every slot the table holds or is
  // given: it is read in order (twice) to hash the users, and at random
  // only to confirm a tag match. Scratch: 8 bytes per slot added (on huge
  // pages, or from the HugePagePool in scope). Returns false, with
  // *duplicate set, when a user appears twice (then the table holds some
  // of them). REQUIRES: HasRoomFor(n); first + n <= kNoSlot.
  template <typename UserAt>
  bool AddSlots(size_t first, size_t n, UserAt user_at, uint64_t* duplicate);

 private:
  // One cache line (aligned as such in big tables, which come in 2 MiB
  // pages).
  struct Group {
    // Not zeroed when made (Reset zeroes a new table's groups in parallel).
    Group() {}  // NOLINT: deliberately leaves the members uninitialised
    uint8_t tags[kGroup];  // 0: free; else 0x80 | 7 bits of the hash
    uint32_t slots[kGroup];
    uint32_t unused;
  };
  static_assert(sizeof(Group) == 64, "a group is one cache line");

  static uint64_t Hash(uint64_t user) {
    // SplitMix64's finalizer of a salted id (the shard hash is the unsalted
    // one: the two must not be correlated).
    uint64_t z = user ^ 0x6a09e667f3bcc909ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static uint8_t Tag(uint64_t h) { return static_cast<uint8_t>(0x80 | (h & 0x7f)); }
  size_t Home(uint64_t h) const {
    return static_cast<size_t>((absl::uint128(h) * groups_.size()) >> 64);
  }
  size_t Capacity() const { return groups_.size() * kGroup; }

  // Calls fn(slot) for each entry with the hash's tag, in probe order, until
  // fn returns true or a free place ends the sequence.
  template <typename Fn>
  void Probe(uint64_t h, Fn fn) const {
    const uint8_t tag = Tag(h);
    const size_t n = groups_.size();
    for (size_t g = Home(h), seen = 0; seen < n; ++seen, g = g + 1 == n ? 0 : g + 1) {
      const Group& group = groups_[g];
      for (size_t k = 0; k < kGroup; ++k) {
        if (group.tags[k] == 0) return;
        if (group.tags[k] == tag && fn(group.slots[k])) return;
      }
    }
  }

  void Place(uint64_t h, uint32_t slot) {
    const size_t n = groups_.size();
    for (size_t g = Home(h);; g = g + 1 == n ? 0 : g + 1) {
      Group& group = groups_[g];
      for (size_t k = 0; k < kGroup; ++k) {
        if (group.tags[k] != 0) continue;
        group.tags[k] = Tag(h);
        group.slots[k] = slot;
        ++size_;
        return;
      }
    }
  }

  void Reset(size_t users) {
    const size_t groups = std::max<size_t>(4, (users * 10 / 8 + kGroup - 1) / kGroup);
    Groups fresh(groups);  // not zeroed: see Group
    tbb::parallel_for(tbb::blocked_range<size_t>(0, groups, size_t{1} << 15),
                      [&](const tbb::blocked_range<size_t>& r) {
                        std::memset(static_cast<void*>(fresh.data() + r.begin()), 0,
                                    (r.end() - r.begin()) * sizeof(Group));
                      });
    groups_.swap(fresh);
    size_ = 0;
  }

  template <typename UserOf>
  void Grow(UserOf user_of) {
    Groups old;
    old.swap(groups_);
    std::vector<uint32_t> slots;
    slots.reserve(size_);
    for (const Group& group : old) {
      for (size_t k = 0; k < kGroup; ++k) {
        if (group.tags[k] != 0) slots.push_back(group.slots[k]);
      }
    }
    Groups().swap(old);
    Reset(slots.size() * 3 / 2 + 64);
    uint64_t user;
    for (uint32_t slot : slots) {
      if (user_of(slot, &user)) Place(Hash(user), slot);
    }
  }

  using Groups = std::vector<Group, HugePageAllocator<Group>>;
  Groups groups_;
  size_t size_ = 0;
};

template <typename UserAt>
bool LiveSlotTable::AddSlots(size_t first, size_t n, UserAt user_at, uint64_t* duplicate) {
  const size_t groups = groups_.size();
  const size_t ranges = std::max<size_t>(1, std::min<size_t>(256, groups / 64));
  auto range_of = [&](size_t g) { return g * ranges / groups; };
  auto range_begin = [&](size_t r) { return (r * groups + ranges - 1) / ranges; };
  // The slots by the range of their users' home group, in slot order, each
  // with what placing it needs (so the placement reads no user, but to
  // confirm a tag match): the slot (bits 0-31), its home group's offset in
  // its range (bits 32-56: a range holds fewer than 2^25 groups, the table
  // fewer than 2^32 slots) and the low 7 bits of its hash (57-63: its tag).
  auto packed = [&](uint32_t slot) {
    const uint64_t h = Hash(user_at(slot));
    const size_t g = Home(h);
    return std::make_pair(range_of(g), uint64_t{slot} |
                                           (uint64_t{g - range_begin(range_of(g))} << 32) |
                                           ((h & 0x7f) << 57));
  };
  const size_t blocks = std::max<size_t>(1, std::min<size_t>(64, n / 65536));
  std::vector<std::vector<uint32_t>> count(blocks, std::vector<uint32_t>(ranges + 1, 0));
  tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
    for (size_t i = n * b / blocks; i < n * (b + 1) / blocks; ++i) {
      ++count[b][range_of(Home(Hash(user_at(static_cast<uint32_t>(first + i)))))];
    }
  });
  std::vector<size_t> start(ranges + 1, 0);
  std::vector<std::vector<size_t>> at(blocks, std::vector<size_t>(ranges, 0));
  for (size_t r = 0, sum = 0; r < ranges; ++r) {
    start[r] = sum;
    for (size_t b = 0; b < blocks; ++b) {
      at[b][r] = sum;
      sum += count[b][r];
    }
    start[r + 1] = sum;
  }
  // Not zeroed: written in full below, in parallel.
  const HugePageArray<uint64_t> order(n);
  tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
    for (size_t i = n * b / blocks; i < n * (b + 1) / blocks; ++i) {
      const auto [r, entry] = packed(static_cast<uint32_t>(first + i));
      order[at[b][r]++] = entry;
    }
  });
  // Each range on its own; a probe that would leave the range is deferred.
  std::vector<std::vector<uint32_t>> deferred(ranges);
  std::vector<uint8_t> found_duplicate(ranges, 0);
  std::vector<uint64_t> duplicate_of(ranges, 0);
  std::vector<size_t> placed(ranges, 0);
  tbb::parallel_for(size_t{0}, ranges, [&](size_t r) {
    const size_t begin = range_begin(r);
    const size_t end = r + 1 == ranges ? groups : range_begin(r + 1);
    constexpr uint64_t kOffsetMask = (uint64_t{1} << 25) - 1;
    constexpr size_t kAhead = 8;
    for (size_t k = start[r]; k < start[r + 1]; ++k) {
      if (k + kAhead < start[r + 1]) {
        __builtin_prefetch(&groups_[begin + ((order[k + kAhead] >> 32) & kOffsetMask)]);
      }
      const uint64_t entry = order[k];
      const uint32_t slot = static_cast<uint32_t>(entry);
      const uint8_t tag = static_cast<uint8_t>(0x80 | (entry >> 57));
      bool done = false;
      for (size_t g = begin + ((entry >> 32) & kOffsetMask); g < end && !done; ++g) {
        Group& group = groups_[g];
        for (size_t e = 0; e < kGroup; ++e) {
          if (group.tags[e] == 0) {
            group.tags[e] = tag;
            group.slots[e] = slot;
            ++placed[r];
            done = true;
            break;
          }
          if (group.tags[e] == tag && user_at(group.slots[e]) == user_at(slot)) {
            found_duplicate[r] = 1;
            duplicate_of[r] = user_at(slot);
            done = true;
            break;
          }
        }
      }
      if (!done) deferred[r].push_back(slot);
    }
  });
  for (size_t r = 0; r < ranges; ++r) {
    size_ += placed[r];
    if (found_duplicate[r]) {
      *duplicate = duplicate_of[r];
      return false;
    }
  }
  for (const auto& list : deferred) {
    for (uint32_t slot : list) {
      const uint64_t user = user_at(slot);
      uint32_t dup = kNoSlot;
      Probe(Hash(user), [&](uint32_t other) {
        if (user_at(other) != user) return false;
        dup = other;
        return true;
      });
      if (dup != kNoSlot) {
        *duplicate = user;
        return false;
      }
      Place(Hash(user), slot);
    }
  }
  return true;
}

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LIVE_SLOT_TABLE_H_
