// Copyright 2026 The fan-out engine authors.

#include "base/atomic_file.h"

#include "base/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_format.h"

namespace fanout {
namespace {

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string TempPathFor(const std::string& path) {
  std::random_device rd;
  return absl::StrFormat("%s.tmp-%d-%08x", path, ::getpid(), rd());
}

void RemoveStaleTempFiles(const std::string& path) {
  const std::string dir = ParentDir(path);
  const size_t slash = path.rfind('/');
  const std::string prefix =
      (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = ::readdir(d)) {
    absl::string_view name(e->d_name);
    if (!absl::ConsumePrefix(&name, prefix)) continue;
    // <pid>-<8 hex digits>, nothing else.
    size_t dash = name.find('-');
    int pid = 0;
    if (dash == absl::string_view::npos || name.size() - dash - 1 != 8 ||
        !absl::SimpleAtoi(name.substr(0, dash), &pid) || pid <= 0) {
      continue;
    }
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    ::unlink((dir + "/" + e->d_name).c_str());
  }
  ::closedir(d);
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<absl::Status(const AppendFn&)>& fill) {
  RemoveStaleTempFiles(path);
  std::string tmp = TempPathFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  AppendFn append = [&](absl::string_view bytes) { return WriteFully(fd, bytes, tmp); };
  absl::Status status = fill(append);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError("cannot fsync", tmp);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError("cannot close", tmp);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("cannot rename to", path);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  // The file is complete either way; a failed folder sync only weakens
  // durability of the rename, so it is not an error of this write.
  SyncDirectory(ParentDir(path)).IgnoreError();
  return absl::OkStatus();
}

}  // namespace fanout
