// Copyright 2026 The fan-out engine authors.
//
// Replays fuzz inputs without libFuzzer: each argument is a file or a
// directory of files, each run once through LLVMFuzzerTestOneInput. A crash
// or a sanitizer report is the failure; the exit code is 0 otherwise.
//
// As under libFuzzer, a hang and a memory blow-up fail like a crash:
//   -timeout=S       an input that runs longer than S seconds stops the
//                    replay with exit 1, naming the input (DEFAULT: 0, none)
//   -rss_limit_mb=M  the address space is capped at M MiB (setrlimit), so
//                    an input that tries to use more dies on an allocation
//                    failure (DEFAULT: 0, none). The cap is on virtual
//                    memory, the only limit the kernel enforces by itself;
//                    it stands in for libFuzzer's resident-set watch.

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"

namespace {

// The input being run, for the timeout message (written before each run,
// read only by the signal handler).
char g_current[4096];

void OnTimeout(int) {
  static const char kPrefix[] = "replay: timeout: input ran past -timeout: ";
  (void)!::write(2, kPrefix, sizeof(kPrefix) - 1);
  (void)!::write(2, g_current, std::strlen(g_current));
  (void)!::write(2, "\n", 1);
  ::_exit(1);
}

void RunFile(const std::filesystem::path& path, unsigned timeout_s, size_t* runs) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::snprintf(g_current, sizeof(g_current), "%s", path.c_str());
  if (timeout_s > 0) ::alarm(timeout_s);
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (timeout_s > 0) ::alarm(0);
  ++*runs;
}

// The value of a libFuzzer-style flag "-name=value", or false.
bool FlagValue(const char* arg, const char* name, unsigned long* value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = std::strtoul(arg + n + 1, nullptr, 10);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long timeout_s = 0, rss_limit_mb = 0;
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (FlagValue(argv[i], "-timeout", &timeout_s) ||
        FlagValue(argv[i], "-rss_limit_mb", &rss_limit_mb)) {
      continue;
    }
    inputs.emplace_back(argv[i]);
  }
  if (rss_limit_mb > 0) {
    const rlim_t bytes = static_cast<rlim_t>(rss_limit_mb) << 20;
    const struct rlimit limit = {bytes, bytes};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) {
      std::perror("replay: setrlimit");
      return 1;
    }
  }
  if (timeout_s > 0) std::signal(SIGALRM, OnTimeout);
  size_t runs = 0;
  for (const std::filesystem::path& p : inputs) {
    if (std::filesystem::is_directory(p)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p)) {
        if (entry.is_regular_file()) RunFile(entry.path(), timeout_s, &runs);
      }
    } else {
      RunFile(p, timeout_s, &runs);
    }
  }
  std::printf("%s: replayed %zu inputs, no crash, hang or memory blow-up\n", argv[0], runs);
  return 0;
}
