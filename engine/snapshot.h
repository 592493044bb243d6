// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_SNAPSHOT_H_
#define FANOUT_ENGINE_SNAPSHOT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/location_index.h"
#include "engine/user_attributes.h"
#include "engine/user_record.h"

namespace fanout {

// The snapshot file (DESIGN §4): a built LocationIndex on disk, written by
// `fanout build` and mapped by `fanout alert --index` / `fanout inspect`.
// The columns are stored exactly as the index holds them, 64-byte aligned,
// so a loaded snapshot is queried straight from the mapping (no copy, no
// sort): reload time is the time to read and checksum the file.
//
// Layout, version 1, all integers little-endian:
//
//   offset  size  field
//   --- file header (64 bytes) -------------------------------------------
//   0       8     magic "FOSNAP\0\0"
//   8       4     format version (1). Stays at this offset in every version.
//   12      4     header size (64)
//   16      8     file size in bytes (the whole file; more or less is refused)
//   24      8     user count N
//   32      4     section count S (3 in version 1, 4 in version 2)
//   36      4     checksum block size B in bytes (4 MiB when written; a
//                 reader accepts a power of two in [4 KiB, 1 GiB])
//   40      8     checksum of the section table (see below)
//   48      8     reserved, 0
//   56      8     XXH3-64 of header bytes [0, 56)
//   --- section table (S entries of 64 bytes, at offset 64) --------------
//   +0      16    name, NUL-padded: "meta", "cells", "users" (and "attrs"
//                 in version 2), in this order
//   +16     8     offset of the section (a multiple of 64)
//   +24     8     size of the section in bytes
//   +32     8     checksum of the section's bytes
//   +40     24    reserved, 0
//   --- sections, in table order, each 64-byte aligned; the gaps are zero -
//   meta    64 bytes: u64 input rows, u64 duplicate rows dropped,
//                     i32 min lat e7, i32 max lat e7, i32 min lng e7,
//                     i32 max lng e7 (bounding rectangle of the users),
//                     f64 build seconds, i64 creation time (unix s),
//                     u64 flags (bit 0: bounds valid), 8 bytes reserved
//   cells   8*N bytes: u64 leaf S2 cell ids, ascending
//   users   8*N bytes: u64 user ids; users[i] was last seen in cells[i];
//                      entries strictly ascending by (cell, user); every
//                      user at most once
//
// Version 2 is version 1 with a fourth section, written only for an index
// with attributes (engine/user_attributes.h; a snapshot without them is
// version 1, byte for byte, and loads into no more memory than before):
//   (header: version 2, section count 4)
//   attrs   the attributes of the entries (user_attributes.h), parallel
//           to cells and users. Offsets from the section's start (64-byte
//           aligned), little-endian:
//             0   u32 kinds: bit 0 a lang column, bit 1 an updated_at column
//             4   u32 language count D (<= 255)
//             8   u64 dictionary bytes L
//             16  u64 offset of the lang column (a multiple of 64; 0 if none)
//             24  u64 offset of the updated_at column (a multiple of 64; 0 if none)
//             32  32 bytes reserved, 0
//             64  the D tags, normalised, joined by '\n' (code k + 1 is tag k),
//                 then zeros to the next column
//             lang        N bytes, u8 codes (0: none), when bit 0
//             updated_at  4*N bytes, u32 Unix seconds (0: unknown), when bit 1
//           The section ends with its last column (or the dictionary).
// A version 1 reader refuses a version 2 file by its version (it never
// misreads it).
//
// Checksum of a byte range (section table and each section): the range is
// cut into blocks of B bytes (the last may be shorter), each block is hashed
// with XXH3-64, and the checksum is XXH3-64 of the array of block hashes (as
// little-endian u64s). Blocks hash in parallel, so verifying a snapshot of
// hundreds of millions of users is bounded by memory or disk bandwidth, not by one core. An
// empty range's checksum is XXH3-64 of zero bytes.
//
// Every byte is verified on load: the header by its own checksum, the table
// and sections by theirs, the gaps by being zero; then the cells column is
// checked to be valid leaf cells strictly ordered by (cell, user). Anything
// wrong is kDataLoss with a message that names the section ("header",
// "section table", "meta", "cells", "users"); a file is never half-trusted.
// What loading trusts without checking: that each user id appears once.
// The format promises it and WriteSnapshot guarantees it, but proving it
// costs a sort of every id, so a hand-made file with valid checksums that
// names one user in two cells would deliver that user twice. `fanout
// inspect` runs that deep check (engine/index_check.h) and refuses such a
// file.
//
// Writing goes to a temporary file beside the target, fsynced and renamed
// over it (base/atomic_file.h): a crash or SIGKILL leaves the old file or
// the new one, never a torn one (a stray "NAME.tmp-PID-XXXX" may remain).
inline constexpr char kSnapshotMagic[8] = {'F', 'O', 'S', 'N', 'A', 'P', '\0', '\0'};
inline constexpr uint32_t kSnapshotVersion = 1;
inline constexpr uint32_t kSnapshotVersionWithAttributes = 2;
inline constexpr uint32_t kSnapshotHeaderSize = 64;
inline constexpr uint32_t kSnapshotBlockSize = 4u << 20;

// What a snapshot says about the index besides its columns.
struct SnapshotMetadata {
  uint64_t input_rows = 0;
  uint64_t duplicate_rows = 0;
  // Bounding rectangle of the users' locations, in 1e-7 degrees.
  bool has_bounds = false;
  int32_t min_lat_e7 = 0, max_lat_e7 = 0, min_lng_e7 = 0, max_lng_e7 = 0;
  double build_seconds = 0;
  int64_t created_unix_s = 0;
};

// Sets the bounds of `meta` to the bounding rectangle of `rows` (parallel).
void SetBoundsFromRecords(absl::Span<const UserRecord> rows, SnapshotMetadata* meta);

struct SnapshotSection {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t checksum = 0;
};

struct SnapshotWriteOptions {
  // Show progress on the terminal. DEFAULT: false.
  bool show_progress = false;
  // WriteSnapshotStreamed only: record the number of users written as the
  // metadata's input rows (a checkpoint's input is its users, counted
  // while it is written). DEFAULT: false.
  bool input_rows_are_users = false;
};

// Writes `index` to `path` atomically. When `meta.has_bounds` is false the
// bounds are computed from the index's cells. `attributes` (optional,
// parallel to index.run(): AlignAttributes) makes it a version 2 file with
// an attrs section; kInvalidArgument when its size is not the index's.
// kInternal on system errors (naming the path); `path` is then untouched.
absl::Status WriteSnapshot(const std::string& path, const LocationIndex& index,
                           const SnapshotMetadata& meta, const SnapshotWriteOptions& options = {},
                           const UserAttributes* attributes = nullptr);

// Columns produced part by part, in (cell, user) order across parts, for
// WriteSnapshotStreamed: a snapshot written without holding the columns
// (a live index's checkpoint merges its sorted runs straight into the
// file). Count and Produce are called from several threads at once, for
// different parts.
class SnapshotColumnSource {
 public:
  using Emit = absl::FunctionRef<void(const uint64_t* cells, const uint64_t* users, size_t n)>;
  virtual ~SnapshotColumnSource() = default;
  virtual size_t parts() const = 0;
  // The number of entries part p produces.
  virtual size_t Count(size_t p) const = 0;
  // Hands part p's entries to `emit`, in order, a piece at a time; exactly
  // Count(p) in all.
  virtual void Produce(size_t p, Emit emit) const = 0;
};

// WriteSnapshot of the columns `source` produces: the same bytes as
// WriteSnapshot of an index holding them (given the same creation time),
// written without holding them. The parts are counted, then produced and
// written at their offsets in parallel; the checksums are taken over what
// was written; then the header goes in, and the file is fsynced and renamed
// over `path` (atomic as WriteSnapshot). REQUIRES: the parts' entries,
// concatenated, are strictly sorted by (cell, user), valid leaf cells, each
// user once (not checked: the caller vouches for it, as for
// LocationIndex::FromTrustedColumns).
absl::Status WriteSnapshotStreamed(const std::string& path, const SnapshotColumnSource& source,
                                   const SnapshotMetadata& meta,
                                   const SnapshotWriteOptions& options = {});

struct SnapshotLoadOptions {
  // Verify every section's checksum. DEFAULT: true. Turning it off makes a
  // reload touch only the pages queries touch, but a damaged file may then
  // give wrong answers: only for benchmarks of the mapping itself.
  bool verify_checksums = true;
};

// A loaded snapshot. Thread-safety: immutable; safe from many threads.
// The index keeps the mapping alive, so it may outlive this struct.
//
// Typical usage:
//   ASSIGN_OR_RETURN(LoadedSnapshot snap, LoadSnapshot(path));
//   AlertExecutor executor(*snap.index, {});
struct LoadedSnapshot {
  std::unique_ptr<LocationIndex> index;
  // The entries' attributes (version 2), parallel to index->run(),
  // borrowed from the mapping; null for version 1.
  std::shared_ptr<const UserAttributes> attributes;
  SnapshotMetadata metadata;
  uint32_t version = 0;
  uint64_t file_size = 0;
  std::vector<SnapshotSection> sections;
  // Time spent mapping and checking the header, hashing, and checking the
  // column order.
  double map_ms = 0, checksum_ms = 0, order_ms = 0;
};

// Maps and validates `path` (see the layout above). kNotFound when missing;
// kInvalidArgument when it is not a regular file; kDataLoss naming the
// section when anything is wrong; kAborted when the file shrank while it was
// being checked. The index then queries the mapping itself: should another
// process shrink the file later, queries read zeros past its new end
// instead of crashing (base/mapped_file.h), so a caller checks
// MappedFile::CheckAllIntact() after its queries and before it trusts or
// writes their results.
absl::StatusOr<LoadedSnapshot> LoadSnapshot(const std::string& path,
                                            const SnapshotLoadOptions& options = {});

// The checksum of `bytes` as defined above (exposed for tests and tools).
uint64_t SnapshotChecksum(const char* bytes, size_t size, uint32_t block_size);

// How the users spread over S2 cells, from one pass over a sorted run.
// Every entry is a leaf cell (level 30), so the useful histogram is how many
// distinct cells of each level the users occupy: distinct_cells[L] for L in
// 0..30 (users per occupied cell = size / distinct_cells[L]), and how many
// users sit on each of the 6 cube faces.
struct CellLevelHistogram {
  std::array<uint64_t, 31> distinct_cells{};
  std::array<uint64_t, 6> per_face{};
};
CellLevelHistogram ComputeCellLevelHistogram(const SortedRun& run);

}  // namespace fanout

#endif  // FANOUT_ENGINE_SNAPSHOT_H_
