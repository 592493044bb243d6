// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_USERS_CSV_H_
#define FANOUT_ENGINE_USERS_CSV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/user_record.h"

namespace fanout {

struct UsersCsvOptions {
  // Skip rows that do not parse (counted in UsersCsvStats) instead of failing
  // the whole file. DEFAULT: false: the first bad row is an error.
  bool skip_bad_rows = false;
  // Show progress on the terminal. DEFAULT: false.
  bool show_progress = false;
};

struct UsersCsvStats {
  uint64_t rows = 0;          // data rows read (kept)
  uint64_t bad_rows = 0;      // rows skipped with skip_bad_rows
  uint64_t first_bad_line = 0;  // 1-based line of the first skipped row, 0 if none
  std::string first_bad_reason;
  std::vector<std::string> columns;  // the header, as named
};

// Reads the users CSV of DESIGN §4: a header line whose first three columns
// are `user_id,lat,lng` (`lon` is accepted for `lng`), then one row per
// user; further columns are allowed and ignored here. user_id is an
// unsigned 64-bit decimal, lat in [-90, 90], lng in [-180, 180]. CRLF line
// ends and a missing final newline are fine; blank lines are skipped.
//
// Errors are kInvalidArgument and name the file and the 1-based line, e.g.
// `users.csv:17: lat "95.2" is out of range [-90, 90]`. The file is parsed
// in parallel chunks; the error reported is always the first bad line.
// kAborted, naming the file, when it shrank while it was read. Only a
// regular file is read (kInvalidArgument for a FIFO, a device, ...).
absl::StatusOr<std::vector<UserRecord>> ReadUsersCsv(const std::string& path,
                                                     const UsersCsvOptions& options,
                                                     UsersCsvStats* stats = nullptr);

// The same over text already in memory; `name` is used in messages.
absl::StatusOr<std::vector<UserRecord>> ParseUsersCsv(absl::string_view text,
                                                      absl::string_view name,
                                                      const UsersCsvOptions& options,
                                                      UsersCsvStats* stats = nullptr);

// Writes records as a users CSV (header `user_id,lat,lng`, 7 decimals),
// via a temporary file renamed into place.
absl::Status WriteUsersCsv(const std::string& path, const std::vector<UserRecord>& records);

}  // namespace fanout

#endif  // FANOUT_ENGINE_USERS_CSV_H_
