// Copyright 2026 The fan-out engine authors.

#include "engine/users_input.h"

#include "base/status_macros.h"

namespace fanout {

absl::StatusOr<std::unique_ptr<UsersInput>> UsersInput::Load(const std::string& path,
                                                             const UsersCsvOptions& csv_options,
                                                             UsersCsvStats* csv_stats) {
  auto input = std::unique_ptr<UsersInput>(new UsersInput());
  if (IsBinaryUsersPath(path)) {
    ASSIGN_OR_RETURN(input->mapped_, UsersBinaryFile::Open(path));
  } else {
    ASSIGN_OR_RETURN(input->parsed_, ReadUsersCsv(path, csv_options, csv_stats,
                                                  &input->parsed_attributes_));
  }
  return input;
}

}  // namespace fanout
