// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_USERS_BINARY_H_
#define FANOUT_ENGINE_USERS_BINARY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/mapped_file.h"
#include "engine/user_attributes.h"
#include "engine/user_record.h"

namespace fanout {

// The binary users format (DESIGN §4), little-endian, written by
// `fanout generate --out FILE.bin` and read by mmap without a copy:
//
//   offset  size  field
//   0       8     magic "FOUSERS\0"
//   8       4     version (1)
//   12      4     record size in bytes (16)
//   16      8     record count N
//   24      8     XXH3-64 of the N records' bytes
//   32      16*N  records: u64 user_id, i32 lat_e7, i32 lng_e7
//                 (degrees * 1e7, rounded; see user_record.h)
//
// Version 1 ends there: its size is exactly 32 + 16*N. Version 2 (written
// only when the users have attributes, engine/user_attributes.h; a file
// without them is still version 1, byte for byte) appends an attribute
// section at A = 32 + 16*N:
//
//   A       4     kinds: bit 0 a lang column, bit 1 an updated_at column
//   A+4     4     language count D (<= 255)
//   A+8     8     dictionary bytes L
//   A+16    8     XXH3-64 of bytes [A+24, end of file)
//   A+24    L     the D tags, normalised (NormalizeLanguageTag), joined by
//                 '\n'; tag k (0-based) is lang code k + 1
//           ...   zeros up to a multiple of 4 (from the file's start)
//           N     lang codes, u8 (0: none; else <= D), when bit 0
//           ...   zeros up to a multiple of 4
//           4*N   updated_at, u32 Unix seconds (0: unknown), when bit 1
//
// and ends there. The header's checksum covers the records only, in both
// versions. Readers refuse (kDataLoss) a wrong magic, an unknown version,
// a size that does not match the count (and, in version 2, the attribute
// section), a checksum mismatch, or a bad dictionary or code, and
// (kInvalidArgument) a record whose location is out of range, naming the
// file and what is wrong (for a record: its index, byte offset and user
// id).
inline constexpr char kUsersMagic[8] = {'F', 'O', 'U', 'S', 'E', 'R', 'S', '\0'};
inline constexpr uint32_t kUsersVersion = 1;
inline constexpr uint32_t kUsersVersionWithAttributes = 2;
inline constexpr size_t kUsersHeaderSize = 32;

// What a users file's header says, once checked.
struct UsersBinaryHeader {
  uint32_t version = 0;
  uint64_t count = 0;     // records
  uint64_t checksum = 0;  // XXH3-64 of the records' bytes, not verified here
  uint64_t records_end = 0;  // 32 + 16 * count: where the attributes begin (version 2)
};

// Checks the header of a mapped users file (magic, version, record size,
// and a file size of exactly 32 + 16 * count, or in version 2 at least
// that plus the attribute section's 24 fixed bytes) without reading the
// records, for readers of a part of the file; errors as above. Thread-safe.
absl::StatusOr<UsersBinaryHeader> ReadUsersBinaryHeader(const MappedFile& file);

// For readers of a part of a version 2 file (`header` as
// ReadUsersBinaryHeader returned it): the attributes of records
// [first, first + n), copied out of the mapping, with the file's whole
// dictionary. The section is checked as UsersBinaryFile::Open checks it
// (kDataLoss naming the file), except for its checksum, which
// VerifyUsersBinaryAttributes reads the whole section for.
// kInvalidArgument for a version 1 file; kOutOfRange when the records are
// not all in the file. Thread-safe.
absl::StatusOr<std::shared_ptr<const UserAttributes>> ReadUsersBinaryAttributes(
    const MappedFile& file, const UsersBinaryHeader& header, uint64_t first, uint64_t n);

// Hashes a version 2 file's attribute section against the checksum in its
// own header: kDataLoss naming the file on a mismatch or a damaged section.
// OK for a version 1 file (it has no section). Thread-safe.
absl::Status VerifyUsersBinaryAttributes(const MappedFile& file, const UsersBinaryHeader& header);

// A mapped users file. records() points into the mapping for the life of
// the object; if another process shrinks the file meanwhile, records past
// its new end read as zeros (base/mapped_file.h), so a reader calls
// CheckIntact() after it has read them and before it trusts the result.
// Open() has already done so for its own pass.
//
// Thread-safety: immutable; safe from many threads.
class UsersBinaryFile {
 public:
  // Maps `path` and checks it (see the format above); every record's range
  // is checked. `verify_checksum` also hashes every record (one pass over the
  // file at memory speed). kAborted when the file shrank while it was being checked.
  static absl::StatusOr<std::unique_ptr<UsersBinaryFile>> Open(const std::string& path,
                                                         bool verify_checksum = true);
  absl::Span<const UserRecord> records() const { return records_; }
  // The attributes of the records, parallel to records(), borrowed from
  // the mapping (they keep it alive); null for a version 1 file.
  std::shared_ptr<const UserAttributes> attributes() const { return attributes_; }

  // MappedFile::CheckIntact of the file: kAborted naming it when it shrank.
  absl::Status CheckIntact() const;

 private:
  UsersBinaryFile(std::shared_ptr<MappedFile> file, absl::Span<const UserRecord> records,
                  std::shared_ptr<const UserAttributes> attributes)
      : file_(std::move(file)), records_(records), attributes_(std::move(attributes)) {}
  std::shared_ptr<MappedFile> file_;
  absl::Span<const UserRecord> records_;
  std::shared_ptr<const UserAttributes> attributes_;
};

// Streams records into a new users file: written to a temporary name,
// header completed, fsynced and renamed on Finish(). The target is checked
// with CheckOutputFile (base/atomic_file.h) by Create() and again before the
// rename: only an absent path or a regular file is written. Abandoning the writer
// (destroying it without Finish) removes the temporary file.
//
// Thread-safety: not thread-safe; call from one thread.
class UsersBinaryWriter {
 public:
  // `kinds`: the attribute columns the file will have; none (the default)
  // writes version 1, any writes version 2.
  static absl::StatusOr<std::unique_ptr<UsersBinaryWriter>> Create(
      const std::string& path, UserAttributes::Kinds kinds = {});
  ~UsersBinaryWriter();

  // Records without attributes (in version 2: no language, unknown time).
  absl::Status Append(absl::Span<const UserRecord> records);
  // Records and their attributes (parallel to them; its own dictionary,
  // mapped to the file's). kInvalidArgument past UserAttributes::
  // kMaxLanguages distinct tags in the file. The attribute columns are
  // kept in memory (5 bytes a record) until Finish.
  absl::Status Append(absl::Span<const UserRecord> records, const UserAttributes& attributes);
  absl::Status Finish();

 private:
  UsersBinaryWriter(std::string path, std::string tmp, int fd, UserAttributes::Kinds kinds);
  std::string path_;
  std::string tmp_;
  int fd_;
  uint64_t count_ = 0;
  UserAttributes::Kinds kinds_;
  LanguageDictionary dictionary_;
  std::vector<uint8_t> lang_;
  std::vector<uint32_t> updated_at_;
  struct HashState;
  std::unique_ptr<HashState> hash_;
};

// True when `path` ends in ".bin" (the binary format) rather than ".csv".
bool IsBinaryUsersPath(const std::string& path);

}  // namespace fanout

#endif  // FANOUT_ENGINE_USERS_BINARY_H_
