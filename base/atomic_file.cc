// Copyright 2026 The fan-out engine authors.

#include "base/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/file_io.h"
#include "base/mapped_file.h"

namespace fanout {
namespace {

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

const char* SpecialKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The target as it is now: OK when absent or a regular file.
absl::Status CheckExistingTarget(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  if (S_ISREG(st.st_mode)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot write ", path, ": it exists and is ", SpecialKind(st.st_mode),
      "; only a regular file is replaced",
      S_ISLNK(st.st_mode) ? " (give the path of the file the link points to)" : ""));
}

}  // namespace

absl::Status CheckOutputFile(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("output file name is empty");
  if (path.back() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write ", path, ": it names a folder, not a file"));
  }
  const std::string dir = ParentDir(path);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno;
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot write ", path, ": folder ", dir,
        err == ENOENT || err == ENOTDIR ? " does not exist" : absl::StrCat(": ", std::strerror(err))));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write ", path, ": ", dir, " is not a folder"));
  }
  return CheckExistingTarget(path);
}

std::string TempSuffix() {
  std::random_device rd;
  return absl::StrFormat("%d-%08x", ::getpid(), rd());
}

std::string TempPathFor(const std::string& path) {
  return absl::StrCat(path, ".tmp-", TempSuffix());
}

void RemoveStaleTemps(const std::string& dir, absl::string_view prefix) {
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
    const std::string full = dir + "/" + e->d_name;
    struct stat st;
    if (::lstat(full.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      std::error_code ec;  // remove_all does not follow symbolic links inside
      std::filesystem::remove_all(full, ec);
    } else {
      ::unlink(full.c_str());
    }
  }
  ::closedir(d);
}

void RemoveStaleTempFiles(const std::string& path) {
  const size_t slash = path.rfind('/');
  RemoveStaleTemps(ParentDir(path),
                   (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-");
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<absl::Status(const AppendFn&)>& fill) {
  if (absl::Status status = CheckOutputFile(path); !status.ok()) return status;
  RemoveStaleTempFiles(path);
  std::string tmp = TempPathFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  AppendFn append = [&](absl::string_view bytes) { return WriteFully(fd, bytes, tmp); };
  absl::Status status = fill(append);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError("cannot fsync", tmp);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError("cannot close", tmp);
  // The target may have changed while `fill` ran (it can take minutes).
  if (status.ok()) status = CheckExistingTarget(path);
  if (status.ok()) status = MappedFile::CheckAllIntact();
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
