// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_SHARD_POLICY_H_
#define FANOUT_ENGINE_SHARD_POLICY_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace fanout {

// The SplitMix64 finalizer (DESIGN §3). A bijection on 64-bit integers.
inline constexpr uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Maps a user id to its delivery shard. The default policy is DESIGN §3's
// `Mix64(user_id) % shards`; `kModulo` is `user_id % shards` for fleets that
// shard by raw id. The remainder is computed without a hardware division
// (Lemire's fastmod on 32-bit halves, up to 65,536 shards), which matters in the scan loop; tests
// check it against `%` on random ids.
//
// Thread-safety: immutable; safe from many threads.
//
// Typical usage:
//   ASSIGN_OR_RETURN(ShardPolicy policy, ShardPolicy::Create(256));
//   uint32_t shard = policy.ShardOf(user_id);
class ShardPolicy {
 public:
  enum class Kind { kMix64Modulo, kModulo };

  // REQUIRES: 1 <= shards <= kMaxShards, else kInvalidArgument.
  static absl::StatusOr<ShardPolicy> Create(uint32_t shards, Kind kind = Kind::kMix64Modulo);
  static constexpr uint32_t kMaxShards = 1u << 20;

  uint32_t shards() const { return shards_; }
  Kind kind() const { return kind_; }

  // True when ShardOf(id) == (Mix64(id) & 0xff) & mix_low_mask(): the
  // default policy on a power-of-two fleet of up to 256 shards. Then a run's
  // column of low hash bytes (SortedRun::mix_low) gives every entry's shard.
  bool UsesMixLowByte() const {
    return kind_ == Kind::kMix64Modulo && shards_ <= 256 && (shards_ & (shards_ - 1)) == 0;
  }
  uint32_t mix_low_mask() const { return shards_ - 1; }

  uint32_t ShardOf(uint64_t user_id) const {
    uint64_t h = kind_ == Kind::kMix64Modulo ? Mix64(user_id) : user_id;
    // A power of two (the usual fleet size): the remainder is a mask.
    if (pow2_mask_ != 0) return static_cast<uint32_t>(h & pow2_mask_);
    if (shards_ > kFastModMaxShards) return static_cast<uint32_t>(h % shards_);
    // h % n == ((hi % n) * (2^32 % n) + lo % n) % n. With n <= 2^16 the
    // product is < 2^32, so each step stays in 32 bits.
    uint32_t hi = Mod32(static_cast<uint32_t>(h >> 32));
    uint32_t lo = Mod32(static_cast<uint32_t>(h));
    uint32_t r = Mod32(hi * two32_mod_) + lo;
    return r >= shards_ ? r - shards_ : r;
  }

 private:
  static constexpr uint32_t kFastModMaxShards = 1u << 16;

  ShardPolicy(uint32_t shards, Kind kind);

  // a % shards_ without a division (Lemire, Kaser, Kurz 2019: "Faster
  // remainder by direct computation").
  uint32_t Mod32(uint32_t a) const {
    uint64_t low = magic_ * a;
    return static_cast<uint32_t>((static_cast<unsigned __int128>(low) * shards_) >> 64);
  }

  uint32_t shards_;
  Kind kind_;
  uint64_t magic_;      // ceil(2^64 / shards_)
  uint32_t two32_mod_;  // 2^32 % shards_
  uint64_t pow2_mask_;  // shards_ - 1 when shards_ is a power of two > 1, else 0
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_SHARD_POLICY_H_
