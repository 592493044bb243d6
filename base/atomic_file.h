// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_ATOMIC_FILE_H_
#define FANOUT_BASE_ATOMIC_FILE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fanout {

// Appends bytes to the file being written; returns the write error, if any.
using AppendFn = std::function<absl::Status(absl::string_view)>;

// Writes `path` so that it is either absent, its old content, or complete:
// `fill` appends the content to a temporary file beside `path`, which is
// then fsynced and renamed over `path` (and the folder fsynced). On any
// error, from `fill` or the system, the temporary file is removed and `path`
// is untouched. Stale temporary files of `path` from dead writers are
// removed first (RemoveStaleTempFiles).
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<absl::Status(const AppendFn&)>& fill);

// The temporary name used for `path` by this process:
// `<path>.tmp-<pid>-<random hex>`.
std::string TempPathFor(const std::string& path);

// Removes temporary files of `path` left by writers that died (a crash or
// SIGKILL mid-write): files named `<path>.tmp-<pid>-<hex>` whose pid is no
// longer a running process. Files of live writers are left alone. Errors
// are ignored: this is housekeeping.
void RemoveStaleTempFiles(const std::string& path);

}  // namespace fanout

#endif  // FANOUT_BASE_ATOMIC_FILE_H_
