// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_SNAPSHOT_ATTRIBUTES_H_
#define FANOUT_ENGINE_SNAPSHOT_ATTRIBUTES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/user_attributes.h"

namespace fanout {

// Encoding and decoding of the optional "attrs" section of a version 2
// snapshot. Its layout is part of the snapshot format and is documented
// with it, in engine/snapshot.h; its checksum is the table's, as for every
// section.

// The section's bytes for `attributes` (its size() is the index's entries).
std::string EncodeAttributeSection(const UserAttributes& attributes);

// Reads a section of `size` bytes at `data` (64-byte aligned) for `n`
// entries, borrowing its columns; `owner` keeps `data` alive. The error
// (kDataLoss) says what is wrong, without the file and section names,
// which the caller adds.
absl::StatusOr<std::shared_ptr<const UserAttributes>> DecodeAttributeSection(
    const char* data, uint64_t size, uint64_t n, std::shared_ptr<const void> owner);

}  // namespace fanout

#endif  // FANOUT_ENGINE_SNAPSHOT_ATTRIBUTES_H_
