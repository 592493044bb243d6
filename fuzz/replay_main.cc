// Copyright 2026 The fan-out engine authors.
//
// Replays fuzz inputs without libFuzzer: each argument is a file or a
// directory of files, each run once through LLVMFuzzerTestOneInput. A crash
// or a sanitizer report is the failure; the exit code is 0 otherwise.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"

namespace {

void RunFile(const std::filesystem::path& path, size_t* runs) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ++*runs;
}

}  // namespace

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p)) {
        if (entry.is_regular_file()) RunFile(entry.path(), &runs);
      }
    } else {
      RunFile(p, &runs);
    }
  }
  std::printf("%s: replayed %zu inputs, no crash\n", argv[0], runs);
  return 0;
}
