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
// (no copy), anything else is parsed as CSV.
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

 private:
  UsersInput() = default;
  std::unique_ptr<UsersFile> mapped_;
  std::vector<UserRecord> parsed_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_USERS_INPUT_H_
