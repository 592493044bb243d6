// Copyright 2026 The fan-out engine authors.

#include "engine/internal/log_fold.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "engine/internal/live_version.h"
#include "engine/shard_policy.h"
#include "engine/user_record.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
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

// Mix64 of a salted id: not correlated with the shard hash or the slot
// table's.
uint64_t Hash(uint64_t user) { return Mix64(user ^ 0x3c6ef372fe94f82bULL); }

// The users the updates touched (distinct ids), for the test of every base
// entry: open addressing with linear probing at a load of at most a half,
// in one region per bucket of LogFold (the top bits of Hash pick the
// region, the low bits the home place in it), so each region is filled on
// its own, in cache, in parallel; 0 marks a free place (user 0 is a flag of
// its own). Read-only once made.
class TouchedSet {
 public:
  static constexpr int kRegionBits = LogFold::kBucketBits;
  static constexpr size_t kRegions = size_t{1} << kRegionBits;

  // touched_of(r): the distinct users of region r (those whose Hash has r
  // in its top kRegionBits bits).
  template <typename TouchedOf>
  explicit TouchedSet(TouchedOf touched_of) {
    size_t total = 0;
    for (size_t r = 0; r < kRegions; ++r) {
      const size_t n = touched_of(r).size();
      size_t capacity = n == 0 ? 0 : 4;
      while (capacity < 2 * n) capacity *= 2;
      offset_[r] = total;
      mask_[r] = capacity - 1;
      capacity_[r] = capacity;
      total += capacity;
    }
    places_ = U64Column(total);
    std::vector<uint8_t> zero_in(kRegions, 0);
    tbb::parallel_for(size_t{0}, kRegions, [&](size_t r) {
      uint64_t* region = places_.data() + offset_[r];
      std::memset(region, 0, capacity_[r] * sizeof(uint64_t));
      for (uint64_t user : touched_of(r)) {
        if (user == 0) {
          zero_in[r] = 1;
          continue;
        }
        size_t k = Hash(user) & mask_[r];
        while (region[k] != 0) k = (k + 1) & mask_[r];
        region[k] = user;
      }
    });
    for (size_t r = 0; r < kRegions; ++r) has_zero_ |= zero_in[r] != 0;
    empty_ = total == 0;
  }

  bool empty() const { return empty_; }

  void Prefetch(uint64_t user) const {
    const uint64_t h = Hash(user);
    const size_t r = h >> (64 - kRegionBits);
    __builtin_prefetch(places_.data() + offset_[r] + (h & mask_[r]));
  }

  bool Contains(uint64_t user) const {
    if (user == 0) return has_zero_;
    const uint64_t h = Hash(user);
    const size_t r = h >> (64 - kRegionBits);
    if (capacity_[r] == 0) return false;
    const uint64_t* region = places_.data() + offset_[r];
    for (size_t k = h & mask_[r];; k = (k + 1) & mask_[r]) {
      if (region[k] == user) return true;
      if (region[k] == 0) return false;
    }
  }

 private:
  U64Column places_;
  size_t offset_[kRegions], mask_[kRegions], capacity_[kRegions];
  bool has_zero_ = false;
  bool empty_ = true;
};

// An index entry: ordered by (cell, user), the index's order.
struct Key {
  uint64_t cell, user;
  unsigned __int128 Wide() const { return (static_cast<unsigned __int128>(cell) << 64) | user; }
  bool operator<(const Key& o) const { return Wide() < o.Wide(); }  // no branch
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

// The users one bucket's updates touched, as a region of the touched set,
// and that bucket's upserts with their cells. Made from the bucket's
// updates in log order, so the last one of a user wins.
struct LogFold::BucketResult {
  std::vector<uint64_t> touched;               // distinct users
  std::vector<uint64_t> up_users, up_values;  // the kept upserts
};

LogFold::LogFold() : buckets_(kBuckets) {}
LogFold::~LogFold() = default;

void LogFold::Add(absl::Span<const LocationUpdate> updates) {
  for (const LocationUpdate& u : updates) {
    Bucket& b = buckets_[Hash(u.user_id()) >> (64 - kBucketBits)];
    if (b.last_used == kChunk || b.chunks.empty()) {
      b.chunks.emplace_back(new Pending[kChunk]);  // not zeroed: written before read
      b.last_used = 0;
    }
    Pending& p = b.chunks.back()[b.last_used++];
    p.user = u.user_id();
    p.value = u.kind == LocationUpdate::Kind::kRemove ? kRemoved : Pack(u.location);
    ++b.size;
  }
  size_ += updates.size();
}

// Each user's newest update of bucket `b`: an open-addressing table of the
// users seen, each with the index of its newest update so far (a bucket is
// 1/256 of the log: its table, a few MB at 60M updates, stays in cache).
LogFold::BucketResult LogFold::Newest(size_t index, std::vector<uint64_t>* keys,
                                      std::vector<uint32_t>* latest) {
  Bucket& b = buckets_[index];
  BucketResult out;
  size_t capacity = 16;
  while (capacity < 2 * b.size) capacity *= 2;
  const size_t mask = capacity - 1;
  keys->assign(capacity, 0);
  latest->resize(capacity);
  uint32_t zero_latest = 0;  // 1 + the index of user 0's newest update, if any
  auto at = [&](size_t i) -> const Pending& { return b.chunks[i / kChunk][i % kChunk]; };
  size_t distinct = 0;
  for (size_t i = 0; i < b.size; ++i) {
    const uint64_t user = at(i).user;
    if (user == 0) {
      distinct += zero_latest == 0;
      zero_latest = static_cast<uint32_t>(i + 1);
      continue;
    }
    for (size_t k = Hash(user) & mask;; k = (k + 1) & mask) {
      if ((*keys)[k] == user) {
        (*latest)[k] = static_cast<uint32_t>(i);
        break;
      }
      if ((*keys)[k] == 0) {
        (*keys)[k] = user;
        (*latest)[k] = static_cast<uint32_t>(i);
        ++distinct;
        break;
      }
    }
  }
  out.touched.reserve(distinct);
  auto keep = [&](uint64_t user, const Pending& p) {
    out.touched.push_back(user);
    if (p.value == kRemoved) return;
    out.up_users.push_back(user);
    out.up_values.push_back(p.value);
  };
  if (zero_latest != 0) keep(0, at(zero_latest - 1));
  for (size_t k = 0; k < capacity; ++k) {
    if ((*keys)[k] != 0) keep((*keys)[k], at((*latest)[k]));
  }
  b = Bucket();  // its updates are spent
  return out;
}

std::unique_ptr<LocationIndex> LogFold::MergeInto(const SortedRun& base) {
  // 1. Each user's newest update, bucket by bucket (each in cache).
  std::vector<BucketResult> results(kBuckets);
  {
    tbb::enumerable_thread_specific<std::pair<std::vector<uint64_t>, std::vector<uint32_t>>>
        scratch;
    tbb::parallel_for(size_t{0}, size_t{kBuckets}, [&](size_t b) {
      auto& [keys, latest] = scratch.local();
      results[b] = Newest(b, &keys, &latest);
    });
  }
  size_ = 0;

  // 2. The touched set (a region per bucket) and the upserts' cells.
  std::vector<size_t> up_at(kBuckets + 1, 0);
  for (size_t b = 0; b < kBuckets; ++b) up_at[b + 1] = up_at[b] + results[b].up_users.size();
  const size_t m = up_at[kBuckets];
  const TouchedSet set(
      [&](size_t r) -> const std::vector<uint64_t>& { return results[r].touched; });
  std::unique_ptr<Key[]> unsorted(new Key[std::max<size_t>(m, 1)]);
  tbb::parallel_for(size_t{0}, size_t{kBuckets}, [&](size_t b) {
    BucketResult& r = results[b];
    for (size_t i = 0; i < r.up_users.size(); ++i) {
      unsorted[up_at[b] + i] = Key{CellOf(r.up_users[i], r.up_values[i]), r.up_users[i]};
    }
    r = BucketResult();
  });

  // 3. Parts by key, each about as large, merged on their own: cut by the
  // keys of the base (or, when the upserts outnumber it, of a sample of
  // them). The upserts are spread over the parts (one pass, stable) and
  // each part's sorted in cache.
  const Columns old{base.cells.data(), base.users.data(), base.size()};
  const size_t parts = std::clamp<size_t>((old.size + m) >> 16, 1, size_t{1} << 14);
  std::vector<Key> cut_keys;  // part p + 1 starts at cut_keys[p]
  if (old.size >= m) {
    for (size_t p = 1; p < parts; ++p) {
      const size_t k = old.size * p / parts;
      cut_keys.push_back(Key{old.cells[k], old.users[k]});
    }
  } else {
    constexpr size_t kPerPart = 32;
    std::vector<Key> sample;
    for (size_t i = 0; i < parts * kPerPart; ++i) sample.push_back(unsorted[m * i / (parts * kPerPart)]);
    std::sort(sample.begin(), sample.end());
    for (size_t p = 1; p < parts; ++p) cut_keys.push_back(sample[p * kPerPart]);
  }
  std::vector<size_t> cut_old(parts + 1, 0);
  cut_old[parts] = old.size;
  tbb::parallel_for(size_t{1}, parts, [&](size_t p) {
    cut_old[p] = old.LowerBound(cut_keys[p - 1].cell, cut_keys[p - 1].user);
  });
  // part_of[i]: the part of upsert i (how many cut keys are at or below
  // it), searched among the cut keys that share its cell's top bits
  // (first_cut[t]: the first cut key whose top bits are t or more).
  constexpr int kTopBits = 16;
  std::vector<uint32_t> first_cut((size_t{1} << kTopBits) + 1, 0);
  for (size_t t = 0, k = 0; t <= (size_t{1} << kTopBits); ++t) {
    while (k < cut_keys.size() && (cut_keys[k].cell >> (64 - kTopBits)) < t) ++k;
    first_cut[t] = static_cast<uint32_t>(k);
  }
  std::unique_ptr<uint32_t[]> part_of(new uint32_t[std::max<size_t>(m, 1)]);
  const Chunks chunks(m);
  std::vector<std::vector<size_t>> count(chunks.count, std::vector<size_t>(parts, 0));
  tbb::parallel_for(size_t{0}, chunks.count, [&](size_t c) {
    for (size_t i = chunks.begin(c); i < chunks.end(c); ++i) {
      const Key key = unsorted[i];
      const size_t top = key.cell >> (64 - kTopBits);
      const uint32_t p = static_cast<uint32_t>(
          std::upper_bound(cut_keys.begin() + first_cut[top], cut_keys.begin() + first_cut[top + 1],
                           key) -
          cut_keys.begin());
      part_of[i] = p;
      ++count[c][p];
    }
  });
  std::vector<size_t> cut_up(parts + 1, 0);
  for (size_t p = 0, next = 0; p < parts; ++p) {
    cut_up[p] = next;
    for (size_t c = 0; c < chunks.count; ++c) {
      const size_t n = count[c][p];
      count[c][p] = next;
      next += n;
    }
  }
  cut_up[parts] = m;
  std::unique_ptr<Key[]> up(new Key[std::max<size_t>(m, 1)]);
  tbb::parallel_for(size_t{0}, chunks.count, [&](size_t c) {
    std::vector<size_t>& at = count[c];
    for (size_t i = chunks.begin(c); i < chunks.end(c); ++i) up[at[part_of[i]]++] = unsorted[i];
  });
  part_of.reset();
  unsorted.reset();
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    std::sort(up.get() + cut_up[p], up.get() + cut_up[p + 1]);
  });

  // 4. The base's entries of users not touched, merged with the upserts.
  // keep[i]: base entry i stays (its user had no update).
  std::unique_ptr<uint8_t[]> keep(new uint8_t[std::max<size_t>(old.size, 1)]);
  std::vector<size_t> at(parts + 1, 0);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    size_t kept = 0;
    const size_t begin = cut_old[p], end = cut_old[p + 1];
    if (set.empty()) {
      std::memset(keep.get() + begin, 1, end - begin);
      kept = end - begin;
    } else {
      // In batches whose places are fetched together (independent misses).
      constexpr size_t kBatch = 16;
      for (size_t i = begin; i < end; i += kBatch) {
        const size_t e = std::min(end, i + kBatch);
        for (size_t j = i; j < e; ++j) set.Prefetch(old.users[j]);
        for (size_t j = i; j < e; ++j) {
          const bool stays = !set.Contains(old.users[j]);
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
    const Key* j = up.get() + cut_up[p];
    const Key* const j_end = up.get() + cut_up[p + 1];
    for (size_t i = cut_old[p], end = cut_old[p + 1]; i < end; ++i) {
      if (!keep[i]) continue;
      const Key entry{old.cells[i], old.users[i]};
      for (; j < j_end && *j < entry; ++j, ++o) {
        cells[o] = j->cell;
        out_users[o] = j->user;
      }
      cells[o] = entry.cell;
      out_users[o++] = entry.user;
    }
    for (; j < j_end; ++j, ++o) {
      cells[o] = j->cell;
      out_users[o] = j->user;
    }
  });
  return LocationIndex::FromTrustedColumns(std::move(cells), std::move(out_users));
}

}  // namespace internal
}  // namespace fanout
