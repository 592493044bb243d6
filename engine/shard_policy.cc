// Copyright 2026 The fan-out engine authors.

#include "engine/shard_policy.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fanout {

ShardPolicy::ShardPolicy(uint32_t shards, Kind kind)
    : shards_(shards),
      kind_(kind),
      magic_(UINT64_C(0xFFFFFFFFFFFFFFFF) / shards + 1),
      two32_mod_(static_cast<uint32_t>((uint64_t{1} << 32) % shards)),
      pow2_mask_(shards > 1 && (shards & (shards - 1)) == 0 ? shards - 1 : 0) {}

absl::StatusOr<ShardPolicy> ShardPolicy::Create(uint32_t shards, Kind kind) {
  if (shards < 1 || shards > kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("shards must be in 1..", kMaxShards, ", got ", shards));
  }
  return ShardPolicy(shards, kind);
}

}  // namespace fanout
