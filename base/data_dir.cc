// Copyright 2026 The fan-out engine authors.

#include "base/data_dir.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fanout {

absl::StatusOr<std::string> FindDataFile(absl::string_view relative_path) {
  std::vector<std::string> roots;
  if (const char* env = std::getenv("FANOUT_DATA_DIR"); env != nullptr && *env != '\0') {
    roots.push_back(env);
  }
  roots.push_back(FANOUT_SOURCE_DATA_DIR);
  roots.push_back(FANOUT_INSTALLED_DATA_DIR);
  std::vector<std::string> tried;
  for (const std::string& root : roots) {
    std::string path = absl::StrCat(root, "/", relative_path);
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
    tried.push_back(path);
  }
  return absl::NotFoundError(absl::StrCat("data file ", relative_path, " not found; tried ",
                                          absl::StrJoin(tried, ", "),
                                          " (set FANOUT_DATA_DIR to the data/ folder)"));
}

}  // namespace fanout
