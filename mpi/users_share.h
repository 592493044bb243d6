// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_USERS_SHARE_H_
#define FANOUT_MPI_USERS_SHARE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/mapped_file.h"
#include "engine/user_attributes.h"
#include "engine/user_record.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"

namespace fanout {

// Rank r's share of a users file (DESIGN §4 formats), for building over K
// ranks without any rank reading the whole file: the file is mapped (no
// read), and share r is the r-th K-th of its bytes after the header, cut
// at record boundaries (binary, `.bin`) or line boundaries (CSV: a share
// starts at the first line starting at or after its nominal offset, so
// each line is in exactly one share; a rank reads past its nominal end
// only to finish its last line). Shares are in file order: share r's rows
// all come before share r+1's.
//
// What is checked where: a binary file's header and size by every rank
// (a few bytes), each record's range by the rank reading it, and the
// checksum of all records only by VerifyChecksum (one pass over the whole
// file, done by one rank). A CSV's header by every rank, each row by the
// rank reading it, named by its line in the whole file.
//
// Thread-safety: immutable after Open; Read and VerifyChecksum are const.
//
// Typical usage:
//   ASSIGN_OR_RETURN(UsersShare share, UsersShare::Open(path, rank, ranks));
//   ... first_line = 2 + the lines() of every lower rank's share ...
//   ASSIGN_OR_RETURN(std::vector<UserRecord> rows, share.Read(first_line, options, &stats));
class UsersShare {
 public:
  // Maps `path` and finds share `rank` of `ranks`. Errors as the whole-file
  // readers give them (kDataLoss for a damaged binary header, ...).
  static absl::StatusOr<UsersShare> Open(const std::string& path, int rank, int ranks);

  bool binary() const { return binary_; }
  // CSV: newlines in this share (so the next share's first line is this
  // share's first line plus lines()). Binary: 0.
  uint64_t lines() const { return lines_; }

  // This share's rows, in file order. CSV rows are parsed (ParseUsersCsv),
  // errors naming the 1-based line of the whole file, given that this
  // share starts at line `first_line`; binary records are range-checked,
  // errors naming the record's index and byte offset in the whole file.
  // `attributes` (optional) receives the rows' attributes, parallel to
  // the result, or null when the file has none: a CSV share's with a
  // dictionary of its own (the share's tags in the order they first
  // appear in it), a version 2 binary share's with the file's dictionary.
  absl::StatusOr<std::vector<UserRecord>> Read(
      uint64_t first_line, const UsersCsvOptions& options, UsersCsvStats* stats,
      std::shared_ptr<const UserAttributes>* attributes = nullptr) const;

  // Binary only: the XXH3 of every record against the header's, and in a
  // version 2 file the attribute section's against its own (kDataLoss on
  // mismatch). Reads the whole file once.
  absl::Status VerifyChecksum() const;

 private:
  UsersShare() = default;
  std::string path_;
  std::shared_ptr<MappedFile> file_;
  bool binary_ = false;
  uint64_t begin_ = 0, end_ = 0;  // byte range of this share
  uint64_t header_end_ = 0;       // bytes of the header (binary) or header line (CSV)
  uint64_t lines_ = 0;
  UsersBinaryHeader binary_header_;  // binary: the file's header, checked
};

}  // namespace fanout

#endif  // FANOUT_MPI_USERS_SHARE_H_
