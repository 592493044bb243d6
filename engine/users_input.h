// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_USERS_INPUT_H_
#define FANOUT_ENGINE_USERS_INPUT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/user_record.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"

namespace fanout {

// Users read from a file of either format, by extension: `.bin` is mapped
// (no copy), anything else is parsed as CSV (into memory; the file is not
// kept). Either way the optional attribute columns are read when present
// (attributes()), and Load() checks every record (names the file and the
// record or line of the first bad one).
//
// For a `.bin` file, records() points into the mapping: a reader calls
// CheckIntact() after reading them (say, after building an index from
// them) and before trusting what it read, since a file shrunk by another
// process reads as zeros past its new end (base/mapped_file.h).
//
// Thread-safety: immutable after Load; safe from many threads.
class UsersInput {
 public:
  static absl::StatusOr<std::unique_ptr<UsersInput>> Load(const std::string& path,
                                                          const UsersCsvOptions& csv_options,
                                                          UsersCsvStats* csv_stats = nullptr);
  absl::Span<const UserRecord> records() const {
    return mapped_ ? mapped_->records() : absl::Span<const UserRecord>(parsed_);
  }
  // The records' attributes (`lang`, `updated_at`: user_attributes.h),
  // parallel to records(); null when the file has none.
  std::shared_ptr<const UserAttributes> attributes() const {
    return mapped_ ? mapped_->attributes() : parsed_attributes_;
  }

  // OK unless the users come from a mapped file that has shrunk since it
  // was mapped (kAborted naming it; see above). Always OK for CSV input.
  absl::Status CheckIntact() const {
    return mapped_ ? mapped_->CheckIntact() : absl::OkStatus();
  }

 private:
  UsersInput() = default;
  std::unique_ptr<UsersBinaryFile> mapped_;
  std::vector<UserRecord> parsed_;
  std::shared_ptr<const UserAttributes> parsed_attributes_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_USERS_INPUT_H_
