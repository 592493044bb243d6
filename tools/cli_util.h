// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_CLI_UTIL_H_
#define FANOUT_TOOLS_CLI_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fanout {

// Bad input and bad usage are exit 2 (DESIGN §5); the rest is exit 1.
int ExitCode(const absl::Status& status);

double MillisSince(int64_t start_ns);

// Reads a whole (small) text file named on the command line. A file larger
// than `max_bytes` is refused (kInvalidArgument naming its size and the
// limit) before a byte of it is copied.
absl::StatusOr<std::string> ReadText(const std::string& path, size_t max_bytes);

}  // namespace fanout

#endif  // FANOUT_TOOLS_CLI_UTIL_H_
