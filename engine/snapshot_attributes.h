// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_SNAPSHOT_ATTRIBUTES_H_
#define FANOUT_ENGINE_SNAPSHOT_ATTRIBUTES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/user_attributes.h"

namespace fanout {

// The optional "attrs" section of a version 2 snapshot (snapshot.h): the
// attributes of the index's entries, parallel to its cells and users
// columns (entry i of each). Offsets are from the section's start (itself
// 64-byte aligned), little-endian:
//
//   offset  size  field
//   0       4     kinds: bit 0 a lang column, bit 1 an updated_at column
//   4       4     language count D (<= 255)
//   8       8     dictionary bytes L
//   16      8     offset of the lang column (a multiple of 64; 0 if none)
//   24      8     offset of the updated_at column (a multiple of 64; 0 if none)
//   32      32    reserved, 0
//   64      L     the D tags, normalised, joined by '\n' (code k + 1 is tag k)
//   ...           zeros to the next column
//   lang          N bytes, u8 codes (0: none), when bit 0
//   updated_at    4*N bytes, u32 Unix seconds (0: unknown), when bit 1
//
// The section ends with its last column (or the dictionary). Its checksum
// is the table's, as for every section.

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
