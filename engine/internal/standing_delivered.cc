// Copyright 2026 The fan-out engine authors.

#include "engine/internal/standing_delivered.h"

#include <algorithm>

namespace fanout {
namespace internal {
namespace {

// The inverse of multiplication by odd `a` modulo 2^64 (Newton's iteration:
// each step doubles the correct low bits; 3 bits are right from the start).
constexpr uint64_t InverseOf(uint64_t a) {
  uint64_t x = a;
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}

// The inverse of z ^= z >> s.
constexpr uint64_t UnXorShift(uint64_t z, int s) {
  uint64_t x = z;
  for (int i = 0; i < 64 / s + 1; ++i) x = z ^ (x >> s);
  return x;
}

constexpr uint64_t kInv1 = InverseOf(0xbf58476d1ce4e5b9ULL);
constexpr uint64_t kInv2 = InverseOf(0x94d049bb133111ebULL);
static_assert(kInv1 * 0xbf58476d1ce4e5b9ULL == 1 && kInv2 * 0x94d049bb133111ebULL == 1);

// Keys folded in only once recent holds this many or an eighth of the rest.
constexpr size_t kMinRecent = 64;

}  // namespace

uint64_t DeliveredSet::UnMix64(uint64_t z) {
  z = UnXorShift(z, 31);
  z *= kInv2;
  z = UnXorShift(z, 27);
  z *= kInv1;
  return UnXorShift(z, 30);
}

bool DeliveredSet::Contains(uint64_t id) const {
  // The frozen part first: most lookups on the update path are of users
  // handed long ago.
  if (!directory_.empty()) {
    const uint64_t key = Mix64(id);
    const uint64_t bucket = Bucket(key);
    const uint64_t low = key & low_mask_;
    for (uint32_t i = directory_[bucket]; i < directory_[bucket + 1]; ++i) {
      if (Entry(i) == low) return true;
    }
  }
  return !recent_.empty() && recent_.contains(id);
}

bool DeliveredSet::Insert(uint64_t id) {
  if (Contains(id)) return false;
  recent_.insert(id);
  if (recent_.size() >= std::max(kMinRecent, frozen_size_ / 8)) Freeze();
  return true;
}

void DeliveredSet::Freeze() {
  // The frozen keys come out sorted (by bucket, and sorted within one):
  // merge the sorted recent ones in, in linear time.
  std::vector<uint64_t> keys;
  keys.reserve(size());
  const int shift = 64 - bits_;
  for (uint64_t bucket = 0; bucket + 1 < directory_.size(); ++bucket) {
    const uint64_t high = bits_ == 0 ? 0 : bucket << shift;
    for (uint32_t i = directory_[bucket]; i < directory_[bucket + 1]; ++i) {
      keys.push_back(high | Entry(i));
    }
  }
  const size_t frozen = keys.size();
  for (uint64_t id : recent_) keys.push_back(Mix64(id));
  std::sort(keys.begin() + frozen, keys.end());
  std::inplace_merge(keys.begin(), keys.begin() + frozen, keys.end());
  BuildFrozen(keys);
  absl::flat_hash_set<uint64_t>().swap(recent_);
}

size_t DeliveredSet::EraseAll(const std::vector<uint64_t>& ids) {
  absl::flat_hash_set<uint64_t> frozen_keys;  // Mix64 of the ids in the frozen part
  size_t erased = 0;
  for (uint64_t id : ids) {
    if (recent_.erase(id) > 0) {
      ++erased;
    } else if (Contains(id) && frozen_keys.insert(Mix64(id)).second) {
      ++erased;
    }
  }
  if (frozen_keys.empty()) return erased;
  std::vector<uint64_t> keys;
  keys.reserve(frozen_size_ - frozen_keys.size());
  const int shift = 64 - bits_;
  for (uint64_t bucket = 0; bucket + 1 < directory_.size(); ++bucket) {
    const uint64_t high = bits_ == 0 ? 0 : bucket << shift;
    for (uint32_t i = directory_[bucket]; i < directory_[bucket + 1]; ++i) {
      const uint64_t key = high | Entry(i);
      if (!frozen_keys.contains(key)) keys.push_back(key);
    }
  }
  BuildFrozen(keys);  // still sorted
  return erased;
}

void DeliveredSet::BuildFrozen(const std::vector<uint64_t>& keys) {
  const size_t n = keys.size();
  int bits = 0;
  while ((uint64_t{8} << bits) <= n && bits < 32) ++bits;  // 2^b in (n/16, n/8]: 8-16 keys a bucket
  bits_ = bits;
  width_ = (64 - bits + 7) / 8;
  low_mask_ = bits == 0 ? ~uint64_t{0} : (uint64_t{1} << (64 - bits)) - 1;
  directory_.assign((size_t{1} << bits) + 1, 0);
  keys_.assign(n * width_ + 8, 0);
  size_t i = 0;
  for (uint64_t bucket = 0; bucket + 1 < directory_.size(); ++bucket) {
    directory_[bucket] = static_cast<uint32_t>(i);
    for (; i < n && Bucket(keys[i]) == bucket; ++i) {
      const uint64_t low = keys[i] & low_mask_;
      std::memcpy(keys_.data() + i * width_, &low, width_);
    }
  }
  directory_.back() = static_cast<uint32_t>(n);
  frozen_size_ = n;
  directory_.shrink_to_fit();
  keys_.shrink_to_fit();
}

uint64_t DeliveredSet::memory_bytes() const {
  return sizeof(*this) + directory_.capacity() * 4 + keys_.capacity() +
         recent_.capacity() * (sizeof(uint64_t) + 1);
}

}  // namespace internal
}  // namespace fanout
