// Copyright 2026 The fan-out engine authors.

#include "tools/cli_util.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"

namespace fanout {

int ExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kAlreadyExists:
      return 2;
    default:
      return 1;
  }
}

double MillisSince(int64_t start_ns) { return (absl::GetCurrentTimeNanos() - start_ns) * 1e-6; }

absl::StatusOr<std::string> ReadText(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  if (file->size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is ", file->size(),
                                                   " bytes; the limit is ", max_bytes));
  }
  std::string text(file->view());
  RETURN_IF_ERROR(file->CheckIntact());
  return text;
}

}  // namespace fanout
