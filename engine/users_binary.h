// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_USERS_BINARY_H_
#define FANOUT_ENGINE_USERS_BINARY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/mapped_file.h"
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
// The file size is exactly 32 + 16*N. Readers refuse (kDataLoss) a wrong
// magic, an unknown version, a size that does not match the count, or a
// checksum mismatch, and (kInvalidArgument) a record whose location is out
// of range, naming the file and what is wrong (for a record: its index,
// byte offset and user id).
inline constexpr char kUsersMagic[8] = {'F', 'O', 'U', 'S', 'E', 'R', 'S', '\0'};
inline constexpr uint32_t kUsersVersion = 1;
inline constexpr size_t kUsersHeaderSize = 32;

// What a users file's header says, once checked.
struct UsersBinaryHeader {
  uint64_t count = 0;     // records
  uint64_t checksum = 0;  // XXH3-64 of the records' bytes, not verified here
};

// Checks the header of a mapped users file (magic, version, record size,
// and a file size of exactly 32 + 16 * count) without reading the records,
// for readers of a part of the file; errors as above. Thread-safe.
absl::StatusOr<UsersBinaryHeader> ReadUsersBinaryHeader(const MappedFile& file);

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

  // MappedFile::CheckIntact of the file: kAborted naming it when it shrank.
  absl::Status CheckIntact() const;

 private:
  UsersBinaryFile(std::unique_ptr<MappedFile> file, absl::Span<const UserRecord> records)
      : file_(std::move(file)), records_(records) {}
  std::unique_ptr<MappedFile> file_;
  absl::Span<const UserRecord> records_;
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
  static absl::StatusOr<std::unique_ptr<UsersBinaryWriter>> Create(const std::string& path);
  ~UsersBinaryWriter();

  absl::Status Append(absl::Span<const UserRecord> records);
  absl::Status Finish();

 private:
  UsersBinaryWriter(std::string path, std::string tmp, int fd);
  std::string path_;
  std::string tmp_;
  int fd_;
  uint64_t count_ = 0;
  struct HashState;
  std::unique_ptr<HashState> hash_;
};

// True when `path` ends in ".bin" (the binary format) rather than ".csv".
bool IsBinaryUsersPath(const std::string& path);

}  // namespace fanout

#endif  // FANOUT_ENGINE_USERS_BINARY_H_
