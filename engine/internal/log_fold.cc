// Copyright 2026 The fan-out engine authors.

#include "engine/internal/log_fold.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/huge_pages.h"
#include "base/status_macros.h"
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

// Mix64 of a salted id, for Newest's table: not correlated with the shard
// hash, nor with the slot table's, whose top bits picked the bucket.
uint64_t Hash(uint64_t user) { return Mix64(user ^ 0x3c6ef372fe94f82bULL); }

// An index entry: ordered by (cell, user), the index's order.
struct Key {
  uint64_t cell, user;
  unsigned __int128 Wide() const { return (static_cast<unsigned __int128>(cell) << 64) | user; }
  bool operator<(const Key& o) const { return Wide() < o.Wide(); }  // no branch
};

// An upsert kept, with its user's slot: ordered by (cell, user). Packed
// (20 bytes): two arrays of them are the biggest scratch of the fold.
struct __attribute__((packed)) Upsert {
  uint64_t cell, user;
  uint32_t slot;
  Key key() const { return Key{cell, user}; }
  bool operator<(const Upsert& o) const { return key() < o.key(); }
};
static_assert(sizeof(Upsert) == 20, "packed");

// Sorts [first, first + n) by (cell, user), in cache (a part's upserts):
// an LSD radix sort by the bytes of the cell that are not the same in all
// of them (a part spans a narrow range of cells: their top bytes agree),
// 8-bit digits, stable; then each run of one cell (two users in one leaf
// cell: rare) by user. A comparison sort of 20-byte keys makes ~14 passes of
// branchy compares over a part of 16K; this, about five counting passes.
void SortUpserts(Upsert* first, size_t n, std::vector<Upsert>* scratch) {
  if (n < 64) {
    std::sort(first, first + n);
    return;
  }
  uint64_t differ = 0;
  const uint64_t cell0 = first[0].cell;
  for (size_t i = 1; i < n; ++i) differ |= first[i].cell ^ cell0;
  scratch->resize(n);
  Upsert* from = first;
  Upsert* to = scratch->data();
  for (int shift = 0; shift < 64; shift += 8) {
    if (((differ >> shift) & 0xff) == 0) continue;
    size_t at[256] = {};
    for (size_t i = 0; i < n; ++i) ++at[(from[i].cell >> shift) & 0xff];
    for (size_t d = 0, sum = 0; d < 256; ++d) {
      const size_t count = at[d];
      at[d] = sum;
      sum += count;
    }
    for (size_t i = 0; i < n; ++i) to[at[(from[i].cell >> shift) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != first) std::copy(from, from + n, first);
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && first[j].cell == first[i].cell) ++j;
    if (j - i > 1) std::sort(first + i, first + j);
    i = j;
  }
}

// What becomes of base entry i (keep[i]): kept; dropped, its user moved
// (its upsert carries slot i); dropped, its user removed (slot i gets no
// place).
constexpr uint8_t kMovedUser = 0, kKept = 1, kRemovedUser = 2;

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

LogFold::LogFold(HugePagePool* pool) : pool_(pool), buckets_(kBuckets) {
  if (pool_ == nullptr) {
    own_pool_ = std::make_unique<HugePagePool>();
    pool_ = own_pool_.get();
  }
}

LogFold::~LogFold() {
  for (Bucket& b : buckets_) Shrink(&b, 0);
}

LogFold::Pending& LogFold::Bucket::at(size_t i) {
  if (i < kFirstChunk) return first[i];
  i -= kFirstChunk;
  return chunks[i / kChunk][i % kChunk];
}

void LogFold::Shrink(Bucket* b, size_t n) {
  const size_t chunks = n <= kFirstChunk ? 0 : (n - kFirstChunk + kChunk - 1) / kChunk;
  while (b->chunks.size() > chunks) {
    pool_->Give(b->chunks.back(), kChunk * sizeof(Pending));
    b->chunks.pop_back();
  }
  if (n == 0) b->first.reset();
  b->size = std::min(b->size, n);
}

void LogFold::Add(absl::Span<const LocationUpdate> updates) {
  for (const LocationUpdate& u : updates) {
    Bucket& b = buckets_[LiveSlotTable::UserHash(u.user_id()) >> (64 - kBucketBits)];
    // Not zeroed: written before read.
    if (b.first == nullptr) {
      b.first.reset(new Pending[kFirstChunk]);
    } else if (b.size >= kFirstChunk && (b.size - kFirstChunk) % kChunk == 0) {
      // Written and read in order: small pages (Take).
      b.chunks.push_back(
          static_cast<Pending*>(pool_->Take(kChunk * sizeof(Pending), /*huge=*/false)));
    }
    Pending& p = b.at(b.size++);
    p.user = u.user_id();
    p.value = u.kind == LocationUpdate::Kind::kRemove ? kRemoved : Pack(u.location);
  }
  size_ += updates.size();
}

// Each user's newest update of bucket `b`: an open-addressing table of the
// users seen, each with the index of its newest update so far (a bucket is
// 1/256 of the log: its table, a few MB at 60M updates, stays in cache).
// The newest updates then replace the bucket's contents, in place (through
// `kept`, a copy of them), and the chunks they no longer need go back to
// the pool.
void LogFold::Newest(size_t index, std::vector<uint64_t>* keys, std::vector<uint32_t>* latest,
                     std::vector<Pending>* kept) {
  Bucket& b = buckets_[index];
  size_t capacity = 16;
  while (capacity < 2 * b.size) capacity *= 2;
  const size_t mask = capacity - 1;
  keys->assign(capacity, 0);
  latest->resize(capacity);
  uint32_t zero_latest = 0;  // 1 + the index of user 0's newest update, if any
  size_t distinct = 0;
  for (size_t i = 0; i < b.size; ++i) {
    const uint64_t user = b.at(i).user;
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
  kept->clear();
  kept->reserve(distinct);
  if (zero_latest != 0) kept->push_back(b.at(zero_latest - 1));
  for (size_t k = 0; k < capacity; ++k) {
    if ((*keys)[k] != 0) kept->push_back(b.at((*latest)[k]));
  }
  b.upserts = 0;
  for (size_t i = 0; i < kept->size(); ++i) {
    b.at(i) = (*kept)[i];
    b.upserts += (*kept)[i].value != kRemoved;
  }
  Shrink(&b, kept->size());
}

absl::StatusOr<std::unique_ptr<LocationIndex>> LogFold::MergeInto(const SortedRun& base) {
  // The slot table and pos_of_slot, not wanted here, go back to the pool.
  HugePagePool::Scope scope(pool_);
  ASSIGN_OR_RETURN(FoldedBase folded, MergeWithSlots(base));
  return std::move(folded.index);
}

absl::StatusOr<LogFold::FoldedBase> LogFold::MergeWithSlots(const SortedRun& base,
                                                            const std::function<void()>& release_base,
                                                            LiveSlotTable* filled) {
  HugePagePool* const pool = pool_;
  // The slot table's groups, pos_of_slot and AddSlots' scratch come from
  // the pool too (HugePageAllocator).
  HugePagePool::Scope scope(pool);
  // 1. Each user's newest update, bucket by bucket (each in cache).
  {
    tbb::enumerable_thread_specific<
        std::tuple<std::vector<uint64_t>, std::vector<uint32_t>, std::vector<Pending>>>
        scratch;
    tbb::parallel_for(size_t{0}, size_t{kBuckets}, [&](size_t b) {
      auto& [keys, latest, kept] = scratch.local();
      Newest(b, &keys, &latest, &kept);
    });
  }
  size_ = 0;
  const Columns old{base.cells.data(), base.users.data(), base.size()};
  const size_t c = old.size;
  if (c >= LiveBase::kNoPos) {
    return absl::InvalidArgumentError(
        absl::StrCat("a live index holds fewer than 2^32 - 1 users, got ", c));
  }

  // 2. The slot table of the base's users: slot i is base entry i.
  FoldedBase out;
  if (filled != nullptr) {
    out.slot_of = std::move(*filled);
  } else {
    LiveSlotTable table(c);
    uint64_t duplicate = 0;
    if (!table.FillFrom(old.users, c, &duplicate)) {
      return absl::InvalidArgumentError(
          absl::StrCat("user ", duplicate, " appears twice in the base index"));
    }
    out.slot_of = std::move(table);
  }
  LiveSlotTable& table = out.slot_of;

  // 3. Each touched user's slot, looked up (bucket by bucket, in parallel;
  // in batches whose misses overlap) and confirmed by its base entry:
  // found, its base entry is dropped (keep[slot]: kMovedUser, and its
  // upsert takes the slot along, or kRemovedUser); not found, an upsert
  // gets a new slot (c + k, in bucket order), a removal nothing.
  std::vector<size_t> touched_at(kBuckets + 1, 0), up_at(kBuckets + 1, 0);
  for (size_t b = 0; b < kBuckets; ++b) {
    touched_at[b + 1] = touched_at[b] + buckets_[b].size;
    up_at[b + 1] = up_at[b] + buckets_[b].upserts;
  }
  const size_t m = up_at[kBuckets];
  HugePageArray<uint32_t> slot_of_touched(touched_at[kBuckets]);
  HugePageArray<uint8_t> keep(c);
  {
    const Chunks chunks(c);
    tbb::parallel_for(size_t{0}, chunks.count, [&](size_t k) {
      std::memset(keep.get() + chunks.begin(k), kKept, chunks.end(k) - chunks.begin(k));
    });
  }
  std::vector<size_t> fresh_at(kBuckets + 1, 0);
  tbb::parallel_for(size_t{0}, size_t{kBuckets}, [&](size_t b) {
    Bucket& bucket = buckets_[b];
    uint32_t* const slots = slot_of_touched.get() + touched_at[b];
    size_t fresh = 0;
    constexpr size_t kBatch = 32;
    for (size_t i = 0; i < bucket.size; i += kBatch) {
      const size_t e = std::min(bucket.size, i + kBatch);
      for (size_t j = i; j < e; ++j) {
        const uint32_t candidate = table.FirstCandidate(bucket.at(j).user);
        slots[j] = candidate;
        if (candidate != LiveSlotTable::kNoSlot) __builtin_prefetch(old.users + candidate);
      }
      for (size_t j = i; j < e; ++j) {
        const Pending& p = bucket.at(j);
        // Mostly the first candidate (a user of the base); else the probe
        // again, confirming each tag match.
        uint32_t slot = slots[j];
        if (slot == LiveSlotTable::kNoSlot || old.users[slot] != p.user) {
          slot = table.Find(p.user, [&](uint32_t s) { return old.users[s] == p.user; });
        }
        slots[j] = slot;
        if (slot != LiveSlotTable::kNoSlot) {
          // Distinct users: distinct slots, no race.
          keep[slot] = p.value == kRemoved ? kRemovedUser : kMovedUser;
        } else {
          fresh += p.value != kRemoved;
        }
      }
    }
    fresh_at[b + 1] = fresh;
  });
  for (size_t b = 0; b < kBuckets; ++b) fresh_at[b + 1] += fresh_at[b];
  const size_t fresh = fresh_at[kBuckets];
  if (c + fresh >= LiveBase::kNoPos) {
    return absl::InvalidArgumentError(
        absl::StrCat("a live index holds fewer than 2^32 - 1 users, got ", c + fresh, " slots"));
  }
  {
    HugePageArray<uint64_t> fresh_users(fresh);
    tbb::parallel_for(size_t{0}, size_t{kBuckets}, [&](size_t b) {
      Bucket& bucket = buckets_[b];
      uint32_t* const slots = slot_of_touched.get() + touched_at[b];
      size_t next = fresh_at[b];
      for (size_t i = 0; i < bucket.size; ++i) {
        const Pending& p = bucket.at(i);
        if (p.value == kRemoved || slots[i] != LiveSlotTable::kNoSlot) continue;
        slots[i] = static_cast<uint32_t>(c + next);
        fresh_users[next++] = p.user;
      }
    });
    auto user_at = [&](uint32_t slot) {
      return slot < c ? old.users[slot] : fresh_users[slot - c];
    };
    uint64_t duplicate = 0;
    bool added = true;
    if (table.HasRoomFor(fresh)) {
      added = table.AddSlots(c, fresh, user_at, &duplicate);
    } else {
      // Many new users (more than about an eighth of the base's): a table
      // made afresh for all of them, rather than grown by halves.
      LiveSlotTable bigger(c + fresh);
      added = bigger.AddSlots(0, c + fresh, user_at, &duplicate);
      table = std::move(bigger);
    }
    if (!added) {
      return absl::InternalError(absl::StrCat("user ", duplicate, " was given two slots"));
    }
  }

  // 4. The upserts' keys, with their slots.
  HugePageArray<Upsert> unsorted(m);
  tbb::parallel_for(size_t{0}, size_t{kBuckets}, [&](size_t b) {
    Bucket& bucket = buckets_[b];
    const uint32_t* const slots = slot_of_touched.get() + touched_at[b];
    size_t o = up_at[b];
    for (size_t i = 0; i < bucket.size; ++i) {
      const Pending& p = bucket.at(i);
      if (p.value != kRemoved) unsorted[o++] = Upsert{CellOf(p.user, p.value), p.user, slots[i]};
    }
    Shrink(&bucket, 0);
  });
  slot_of_touched.reset();

  // 5. Parts by key, each about as large, merged on their own: cut by the
  // keys of the base (or, when the upserts outnumber it, of a sample of
  // them). The upserts are spread over the parts (one pass, stable) and
  // each part's sorted in cache (SortUpserts).
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
    for (size_t i = 0; i < parts * kPerPart; ++i) {
      sample.push_back(unsorted[m * i / (parts * kPerPart)].key());
    }
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
  HugePageArray<uint32_t> part_of(m);
  const Chunks chunks(m);
  std::vector<std::vector<size_t>> count(chunks.count, std::vector<size_t>(parts, 0));
  tbb::parallel_for(size_t{0}, chunks.count, [&](size_t k) {
    for (size_t i = chunks.begin(k); i < chunks.end(k); ++i) {
      const Key key = unsorted[i].key();
      const size_t top = key.cell >> (64 - kTopBits);
      const uint32_t p = static_cast<uint32_t>(
          std::upper_bound(cut_keys.begin() + first_cut[top], cut_keys.begin() + first_cut[top + 1],
                           key) -
          cut_keys.begin());
      part_of[i] = p;
      ++count[k][p];
    }
  });
  std::vector<size_t> cut_up(parts + 1, 0);
  for (size_t p = 0, next = 0; p < parts; ++p) {
    cut_up[p] = next;
    for (size_t k = 0; k < chunks.count; ++k) {
      const size_t n = count[k][p];
      count[k][p] = next;
      next += n;
    }
  }
  cut_up[parts] = m;
  HugePageArray<Upsert> up(m);
  tbb::parallel_for(size_t{0}, chunks.count, [&](size_t k) {
    std::vector<size_t>& at = count[k];
    for (size_t i = chunks.begin(k); i < chunks.end(k); ++i) up[at[part_of[i]]++] = unsorted[i];
  });
  part_of.reset();
  unsorted.reset();
  {
    tbb::enumerable_thread_specific<std::vector<Upsert>> scratch;
    tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
      SortUpserts(up.get() + cut_up[p], cut_up[p + 1] - cut_up[p], &scratch.local());
    });
  }

  // 6. The base's entries kept, merged with the upserts, and pos_of_slot,
  // every slot written once as the entries are: a kept entry i at its
  // place (slot i), each upsert at its own, a removed user's slot at none
  // (a moved user's slot is its upsert's).
  std::vector<size_t> at(parts + 1, 0);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    size_t kept = 0;
    for (size_t i = cut_old[p], end = cut_old[p + 1]; i < end; ++i) kept += keep[i] == kKept;
    at[p + 1] = kept + (cut_up[p + 1] - cut_up[p]);
  });
  for (size_t p = 0; p < parts; ++p) at[p + 1] += at[p];
  const size_t total = at[parts];
  // Not zeroed: every entry is written below.
  // From the pool (this function's Scope); unmapped with the index, or
  // given to the pool of a Scope alive where it goes (BaseColumns).
  auto columns = std::make_shared<BaseColumns>(total);
  const BaseColumns& out_columns = *columns;
  auto& pos_of_slot = out.pos_of_slot;
  pos_of_slot.reserve(c + fresh);
  PopulateInParallel(pos_of_slot.data(), (c + fresh) * sizeof(uint32_t));
  pos_of_slot.resize(c + fresh);
  uint32_t* const pos = pos_of_slot.data();
  // The order is checked as the entries are written (each part's against
  // the one before it, and each part's first against the part before's
  // last, below), not in a second pass over the columns: a merge of two
  // sorted inputs is in order unless this code is wrong.
  std::atomic<size_t> first_bad{total};
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    size_t o = at[p];
    const Upsert* j = up.get() + cut_up[p];
    const Upsert* const j_end = up.get() + cut_up[p + 1];
    Key last{0, 0};
    bool in_order = true;
    auto write = [&](const Key& key, uint32_t slot) {
      in_order &= o == at[p] || last < key;
      last = key;
      out_columns.Set(o, key.cell, key.user);
      pos[slot] = static_cast<uint32_t>(o++);
    };
    for (size_t i = cut_old[p], end = cut_old[p + 1]; i < end; ++i) {
      if (keep[i] != kKept) {
        if (keep[i] == kRemovedUser) pos[i] = LiveBase::kNoPos;
        continue;
      }
      const Key entry{old.cells[i], old.users[i]};
      for (; j < j_end && j->key() < entry; ++j) write(j->key(), j->slot);
      write(entry, static_cast<uint32_t>(i));
    }
    for (; j < j_end; ++j) write(j->key(), j->slot);
    if (!in_order) {
      size_t seen = first_bad.load();
      while (at[p] < seen && !first_bad.compare_exchange_weak(seen, at[p])) {
      }
    }
  });
  const uint64_t* const cells = columns->cells();
  const uint64_t* const out_users = columns->users();
  for (size_t p = 1; p < parts; ++p) {
    const size_t o = at[p];  // the part's first entry, if it wrote any
    if (o == 0 || o == at[p + 1]) continue;
    if (!(Key{cells[o - 1], out_users[o - 1]} < Key{cells[o], out_users[o]})) {
      first_bad = std::min(first_bad.load(), o);
    }
  }
  // `base` is read no more: the caller may drop it (Open: the checkpoint's
  // mapping).
  if (release_base) release_base();
  up.reset();
  keep.reset();
  if (first_bad.load() < total) {
    return absl::InternalError(
        absl::StrCat("the merged base is not in order: part from entry ", first_bad.load()));
  }
  out.index = BaseColumns::TrustedIndex(std::move(columns));
  return out;
}

}  // namespace internal
}  // namespace fanout
