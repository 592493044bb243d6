// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_USERS_CSV_H_
#define FANOUT_ENGINE_USERS_CSV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/user_attributes.h"
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
// user; further columns are allowed. When `attributes` is given, the
// optional columns `lang` (a BCP-47 tag, NormalizeLanguageTag; empty: no
// language) and `updated_at` (Unix seconds in [0, 2^32); empty or 0:
// unknown), named by the header in any position after the first three,
// are read into *attributes (rows in the order of the result; null when
// the file has neither column), and a bad value is a bad row (naming its
// line and column: `users.csv:9: column 4 (lang): ...`); more than
// UserAttributes::kMaxLanguages distinct tags is an error naming the line
// of the first tag over the limit, even with skip_bad_rows. Other columns,
// and these two when `attributes` is null, are ignored. user_id is an
// unsigned 64-bit decimal, lat in [-90, 90], lng in [-180, 180]. CRLF line
// ends and a missing final newline are fine; blank lines are skipped.
//
// Errors are kInvalidArgument and name the file and the 1-based line, e.g.
// `users.csv:17: lat "95.2" is out of range [-90, 90]`. The file is parsed
// in parallel chunks; the error reported is always the first bad line.
// kAborted, naming the file, when it shrank while it was read. Only a
// regular file is read (kInvalidArgument for a FIFO, a device, ...).
absl::StatusOr<std::vector<UserRecord>> ReadUsersCsv(
    const std::string& path, const UsersCsvOptions& options, UsersCsvStats* stats = nullptr,
    std::shared_ptr<const UserAttributes>* attributes = nullptr);

// The same over text already in memory; `name` is used in messages.
absl::StatusOr<std::vector<UserRecord>> ParseUsersCsv(
    absl::string_view text, absl::string_view name, const UsersCsvOptions& options,
    UsersCsvStats* stats = nullptr, std::shared_ptr<const UserAttributes>* attributes = nullptr);

// Writes records as a users CSV (header `user_id,lat,lng`, 7 decimals, and
// `lang` and `updated_at` columns for those `attributes` has, parallel to
// `records`), via a temporary file renamed into place.
absl::Status WriteUsersCsv(const std::string& path, const std::vector<UserRecord>& records,
                          const UserAttributes* attributes = nullptr);

}  // namespace fanout

#endif  // FANOUT_ENGINE_USERS_CSV_H_
