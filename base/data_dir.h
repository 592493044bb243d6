// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_DATA_DIR_H_
#define FANOUT_BASE_DATA_DIR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fanout {

// Finds a file of the project's data/ folder (cities, boundaries, sample
// alerts). Looks in $FANOUT_DATA_DIR, then the source tree the binary was
// built from, then the installed share/fanout; kNotFound names every place
// tried.
absl::StatusOr<std::string> FindDataFile(absl::string_view relative_path);

}  // namespace fanout

#endif  // FANOUT_BASE_DATA_DIR_H_
