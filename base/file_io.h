// Copyright 2026 The fan-out engine authors.
//
// The few POSIX file helpers every writer in the project shares.

#ifndef FANOUT_BASE_FILE_IO_H_
#define FANOUT_BASE_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fanout {

// kInternal "<what> <path>: <strerror(errno)>", from the current errno.
absl::Status ErrnoError(absl::string_view what, const std::string& path);

// Writes all of `bytes` to `fd`, retrying short writes and EINTR; errors
// name `path`.
absl::Status WriteFully(int fd, absl::string_view bytes, const std::string& path);

// fsyncs a folder, so that a rename inside it is durable.
absl::Status SyncDirectory(const std::string& dir);

// `text` in double quotes for an error message, cut to `max_chars` (with
// "...") so that a hostile megabyte never ends up in a log line.
std::string QuoteForMessage(absl::string_view text, size_t max_chars = 60);

}  // namespace fanout

#endif  // FANOUT_BASE_FILE_IO_H_
