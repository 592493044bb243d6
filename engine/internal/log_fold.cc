// Copyright 2026 The fan-out engine authors.

#include "engine/internal/log_fold.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "engine/internal/live_version.h"
#include "engine/user_record.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace internal {
namespace {

// An update's coordinates packed in 64 bits: lat_e7 high, lng_e7 low. A
// removal is lat_e7 = INT32_MIN, which no valid location has.
constexpr uint64_t kRemoved = uint64_t{0x80000000} << 32;

uint64_t Pack(const UserRecord& r) {
  return (uint64_t{static_cast<uint32_t>(r.lat_e7)} << 32) | static_cast<uint32_t>(r.lng_e7);
}

uint64_t CellOf(uint64_t user, uint64_t packed) {
  const UserRecord r{user, static_cast<int32_t>(static_cast<uint32_t>(packed >> 32)),
                     static_cast<int32_t>(static_cast<uint32_t>(packed))};
  return r.ToCellId().id();
}

// [0, n) in `count` nearly equal, ordered chunks, a few per worker.
struct Chunks {
  size_t n, count;
  explicit Chunks(size_t size)
      : n(size), count(std::clamp<size_t>(size / (size_t{1} << 16), 1, 256)) {}
  size_t begin(size_t c) const { return n * c / count; }
  size_t end(size_t c) const { return n * (c + 1) / count; }
};

// The users some update touched (distinct ids), for the test of every base
// entry: open addressing, linear probing, at a load of at most a half, on
// huge pages; 0 marks a free place (user 0 is a flag of its own). Built in
// parallel (compare-and-swap into free places), then read-only.
class TouchedSet {
 public:
  // REQUIRES: users[0..n) sorted and distinct.
  TouchedSet(const uint64_t* users, size_t n) {
    size_t capacity = 16;
    while (capacity < 2 * n) capacity *= 2;
    mask_ = capacity - 1;
    places_ = U64Column(capacity);
    uint64_t* places = places_.data();
    tbb::parallel_for(tbb::blocked_range<size_t>(0, capacity, size_t{1} << 18),
                      [&](const auto& r) {
                        std::memset(places + r.begin(), 0, r.size() * sizeof(uint64_t));
                      });
    has_zero_ = n > 0 && users[0] == 0;  // sorted: user 0, if any, is first
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, size_t{1} << 14), [&](const auto& r) {
      for (size_t i = r.begin(); i < r.end(); ++i) {
        const uint64_t user = users[i];
        if (user == 0) continue;
        for (size_t at = Hash(user) & mask_;; at = (at + 1) & mask_) {
          uint64_t expected = 0;
          if (__atomic_compare_exchange_n(&places[at], &expected, user, /*weak=*/false,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            break;
          }
        }
      }
    });
  }

  void Prefetch(uint64_t user) const { __builtin_prefetch(&places_.data()[Hash(user) & mask_]); }

  bool Contains(uint64_t user) const {
    if (user == 0) return has_zero_;
    const uint64_t* places = places_.data();
    for (size_t at = Hash(user) & mask_;; at = (at + 1) & mask_) {
      const uint64_t v = places[at];
      if (v == user) return true;
      if (v == 0) return false;
    }
  }

 private:
  static uint64_t Hash(uint64_t user) {
    // SplitMix64's finalizer of a salted id (not correlated with the shard
    // hash or the slot table's).
    uint64_t z = user ^ 0x3c6ef372fe94f82bULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  U64Column places_;
  size_t mask_ = 0;
  bool has_zero_ = false;
};

// Two parallel columns sorted by (cell, user).
struct Columns {
  const uint64_t* cells;
  const uint64_t* users;
  size_t size;
  bool Less(size_t i, uint64_t cell, uint64_t user) const {
    return cells[i] < cell || (cells[i] == cell && users[i] < user);
  }
  // The first entry at or after (cell, user).
  size_t LowerBound(uint64_t cell, uint64_t user) const {
    size_t lo = 0, hi = size;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (Less(mid, cell, user)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
};

}  // namespace

LogFold::LogFold(size_t expected_updates) {
  if (expected_updates > 0) {
    users_ = U64Column(expected_updates);
    values_ = U64Column(expected_updates);
  }
}

void LogFold::Grow(size_t at_least) {
  const size_t capacity = std::max({at_least, 2 * users_.size(), size_t{1} << 16});
  U64Column users(capacity), values(capacity);
  if (size_ > 0) {
    std::memcpy(users.data(), users_.data(), size_ * sizeof(uint64_t));
    std::memcpy(values.data(), values_.data(), size_ * sizeof(uint64_t));
  }
  users_ = std::move(users);
  values_ = std::move(values);
}

void LogFold::Add(absl::Span<const LocationUpdate> updates) {
  if (size_ + updates.size() > users_.size()) Grow(size_ + updates.size());
  uint64_t* users = users_.data() + size_;
  uint64_t* values = values_.data() + size_;
  for (size_t i = 0; i < updates.size(); ++i) {
    const LocationUpdate& u = updates[i];
    users[i] = u.user_id();
    values[i] = u.kind == LocationUpdate::Kind::kRemove ? kRemoved : Pack(u.location);
  }
  size_ += updates.size();
}

std::unique_ptr<LocationIndex> LogFold::MergeInto(const SortedRun& base) {
  const size_t n = size_;
  // 1. The updates by user, stably: of one user's, the newest is last.
  U64Column scratch_users(n), scratch_values(n);
  bool in_scratch = false;
  RadixSortPairs(absl::MakeSpan(users_.data(), n), absl::MakeSpan(values_.data(), n),
                 scratch_users.span(), scratch_values.span(), &in_scratch);
  const uint64_t* users = in_scratch ? scratch_users.data() : users_.data();
  const uint64_t* values = in_scratch ? scratch_values.data() : values_.data();
  // The other pair is free: it takes the kept upserts (cell, user).
  uint64_t* up_cells = in_scratch ? users_.data() : scratch_users.data();
  uint64_t* up_users = in_scratch ? values_.data() : scratch_values.data();

  // 2. Each user's newest update: the users touched (sorted, distinct), and
  // the upserts among them with their cells.
  const Chunks chunks(n);
  std::vector<size_t> touched_at(chunks.count + 1, 0), upsert_at(chunks.count + 1, 0);
  auto newest = [&](size_t i) { return i + 1 == n || users[i + 1] != users[i]; };
  tbb::parallel_for(size_t{0}, chunks.count, [&](size_t c) {
    size_t t = 0, u = 0;
    for (size_t i = chunks.begin(c); i < chunks.end(c); ++i) {
      if (!newest(i)) continue;
      ++t;
      u += values[i] != kRemoved;
    }
    touched_at[c + 1] = t;
    upsert_at[c + 1] = u;
  });
  for (size_t c = 0; c < chunks.count; ++c) {
    touched_at[c + 1] += touched_at[c];
    upsert_at[c + 1] += upsert_at[c];
  }
  const size_t touched_count = touched_at[chunks.count], m = upsert_at[chunks.count];
  U64Column touched(touched_count);
  tbb::parallel_for(size_t{0}, chunks.count, [&](size_t c) {
    size_t t = touched_at[c], u = upsert_at[c];
    for (size_t i = chunks.begin(c); i < chunks.end(c); ++i) {
      if (!newest(i)) continue;
      touched[t++] = users[i];
      if (values[i] == kRemoved) continue;
      up_cells[u] = CellOf(users[i], values[i]);
      up_users[u++] = users[i];
    }
  });
  // 3. The upserts by (cell, user): stable by cell over ascending users.
  // The sorted updates are spent: their columns are the scratch.
  uint64_t* spare_cells = const_cast<uint64_t*>(users);
  uint64_t* spare_users = const_cast<uint64_t*>(values);
  bool up_in_spare = false;
  RadixSortPairs(absl::MakeSpan(up_cells, m), absl::MakeSpan(up_users, m),
                 absl::MakeSpan(spare_cells, m), absl::MakeSpan(spare_users, m), &up_in_spare);
  const Columns up{up_in_spare ? spare_cells : up_cells, up_in_spare ? spare_users : up_users, m};

  // 4. The base's entries of users not touched, merged with the upserts, in
  // parts cut by the keys of the larger of the two.
  const Columns old{base.cells.data(), base.users.data(), base.size()};
  std::unique_ptr<TouchedSet> set;
  if (touched_count > 0) set = std::make_unique<TouchedSet>(touched.data(), touched_count);
  touched = U64Column();
  const bool old_larger = old.size >= up.size;
  const Columns& big = old_larger ? old : up;
  const Columns& small = old_larger ? up : old;
  const size_t parts = std::clamp<size_t>(big.size >> 16, 1, size_t{1} << 14);
  std::vector<size_t> cut_big(parts + 1, 0), cut_small(parts + 1, 0);
  cut_big[parts] = big.size;
  cut_small[parts] = small.size;
  tbb::parallel_for(size_t{1}, parts, [&](size_t p) {
    const size_t k = big.size * p / parts;
    cut_big[p] = k;
    cut_small[p] = small.LowerBound(big.cells[k], big.users[k]);
  });
  const std::vector<size_t>& cut_old = old_larger ? cut_big : cut_small;
  const std::vector<size_t>& cut_up = old_larger ? cut_small : cut_big;
  // keep[i]: base entry i stays (its user had no update).
  std::unique_ptr<uint8_t[]> keep(new uint8_t[std::max<size_t>(old.size, 1)]);
  std::vector<size_t> at(parts + 1, 0);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    size_t kept = 0;
    const size_t begin = cut_old[p], end = cut_old[p + 1];
    if (set == nullptr) {
      std::memset(keep.get() + begin, 1, end - begin);
      kept = end - begin;
    } else {
      // In batches whose places are fetched together (independent misses).
      constexpr size_t kBatch = 16;
      for (size_t i = begin; i < end; i += kBatch) {
        const size_t e = std::min(end, i + kBatch);
        for (size_t j = i; j < e; ++j) set->Prefetch(old.users[j]);
        for (size_t j = i; j < e; ++j) {
          const bool stays = !set->Contains(old.users[j]);
          keep[j] = stays;
          kept += stays;
        }
      }
    }
    at[p + 1] = kept + (cut_up[p + 1] - cut_up[p]);
  });
  for (size_t p = 0; p < parts; ++p) at[p + 1] += at[p];
  const size_t total = at[parts];
  std::vector<uint64_t> cells = HugeColumn(total), out_users = HugeColumn(total);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    size_t o = at[p];
    size_t j = cut_up[p];
    const size_t j_end = cut_up[p + 1];
    for (size_t i = cut_old[p], end = cut_old[p + 1]; i < end; ++i) {
      if (!keep[i]) continue;
      const uint64_t cell = old.cells[i], user = old.users[i];
      for (; j < j_end && up.Less(j, cell, user); ++j, ++o) {
        cells[o] = up.cells[j];
        out_users[o] = up.users[j];
      }
      cells[o] = cell;
      out_users[o++] = user;
    }
    for (; j < j_end; ++j, ++o) {
      cells[o] = up.cells[j];
      out_users[o] = up.users[j];
    }
  });
  users_ = U64Column();
  values_ = U64Column();
  size_ = 0;
  return LocationIndex::FromTrustedColumns(std::move(cells), std::move(out_users));
}

}  // namespace internal
}  // namespace fanout
