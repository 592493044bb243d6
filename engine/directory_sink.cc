// Copyright 2026 The fan-out engine authors.

#include "engine/directory_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/types/span.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "base/file_io.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"
#include "engine/summary_json.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace fs = std::filesystem;
namespace {

// Writes `path` from `fill`, which appends bytes to a buffer and flushes it
// through `emit` as it grows, so memory stays bounded for huge shards.
template <typename Fill>
absl::Status WriteFile(const std::string& path, bool sync, Fill fill) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", path);
  absl::Cleanup closer = [fd] { ::close(fd); };
  absl::Status status = absl::OkStatus();
  auto emit = [&](const char* data, size_t size) {
    if (status.ok()) status = WriteFully(fd, absl::string_view(data, size), path);
  };
  fill(emit);
  RETURN_IF_ERROR(status);
  if (sync && ::fsync(fd) != 0) return ErrnoError("cannot fsync", path);
  return absl::OkStatus();
}

absl::Status WriteShard(const std::string& path, ListFormat format, bool sync,
                        absl::Span<const uint64_t> ids) {
  return WriteFile(path, sync, [&](auto& emit) {
    if (format == ListFormat::kBinary) {
      // The lists are little-endian on the only platforms we build for.
      static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host required");
      emit(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(uint64_t));
      return;
    }
    constexpr size_t kBuffer = 1 << 20;
    std::vector<char> buffer(kBuffer + 32);
    size_t used = 0;
    for (uint64_t id : ids) {
      char* end = std::to_chars(buffer.data() + used, buffer.data() + used + 21, id).ptr;
      *end++ = '\n';
      used = static_cast<size_t>(end - buffer.data());
      if (used >= kBuffer) {
        emit(buffer.data(), used);
        used = 0;
      }
    }
    emit(buffer.data(), used);
  });
}

// The target folder split into its parent folder and its name, after
// dropping trailing slashes. No lexical normalisation beyond that: "a/b/.."
// is not "a" when b is a symbolic link.
struct TargetName {
  std::string parent;
  std::string name;
};

absl::StatusOr<TargetName> SplitTarget(const std::string& out_dir) {
  std::string path = out_dir;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  TargetName t;
  t.name = slash == std::string::npos ? path : path.substr(slash + 1);
  t.parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (t.name.empty() || t.name == "." || t.name == "..") {
    return absl::InvalidArgumentError(absl::StrCat(
        "output directory ", QuoteForMessage(out_dir),
        " does not name a folder that can be created or replaced"));
  }
  return t;
}

}  // namespace

absl::StatusOr<ListFormat> ParseListFormat(absl::string_view text) {
  if (text == "csv") return ListFormat::kCsv;
  if (text == "bin") return ListFormat::kBinary;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown list format '", text, "' (expected csv or bin)"));
}

absl::Status DirectorySink::CheckShardCount(uint64_t shards) {
  if (shards < 1 || shards > kMaxShardFiles) {
    return absl::InvalidArgumentError(
        absl::StrCat("a delivery folder holds 1 to ", kMaxShardFiles, " shard files; ", shards,
                     " shards requested"));
  }
  return absl::OkStatus();
}

absl::Status DirectorySink::CheckTarget() const {
  if (out_dir_.empty()) return absl::InvalidArgumentError("output directory name is empty");
  ASSIGN_OR_RETURN(TargetName t, SplitTarget(out_dir_));
  std::error_code ec;
  if (!fs::is_directory(t.parent, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parent folder of ", out_dir_, " does not exist: ", t.parent));
  }
  const fs::path target = fs::path(t.parent) / t.name;
  fs::file_status st = fs::symlink_status(target, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) {
      return absl::FailedPreconditionError(
          absl::StrCat(out_dir_, " exists and is not a directory; refusing to replace it"));
    }
    if (!options_.overwrite) {
      return absl::FailedPreconditionError(
          absl::StrCat(out_dir_, " already exists (DirectorySink::Options::overwrite replaces it)"));
    }
  }
  return absl::OkStatus();
}

absl::Status DirectorySink::Deliver(const DeliveryLists& lists, const AlertSummary& summary) {
  return DeliverByInfo(lists, {}, summary);
}

absl::Status DirectorySink::DeliverByInfo(const DeliveryLists& lists,
                                          const std::vector<DeliveryLists>& by_info,
                                          const AlertSummary& summary) {
  const int64_t start = absl::GetCurrentTimeNanos();
  RETURN_IF_ERROR(CheckShardCount(lists.shards.size()));
  RETURN_IF_ERROR(CheckTarget());
  ASSIGN_OR_RETURN(TargetName t, SplitTarget(out_dir_));
  const fs::path parent(t.parent);
  const fs::path target = parent / t.name;
  const std::string& name = t.name;
  RemoveStaleTemps(t.parent, absl::StrCat(".", name, ".tmp-"));
  {
    // A dead writer's moved-aside old lists: superseded once the target
    // exists (if it does not, they may be all that is left; keep them).
    std::error_code ec;
    if (fs::is_directory(fs::symlink_status(target, ec))) {
      RemoveStaleTemps(t.parent, absl::StrCat(".", name, ".old-"));
    }
  }
  const fs::path tmp = parent / absl::StrCat(".", name, ".tmp-", TempSuffix());
  if (::mkdir(tmp.c_str(), 0755) != 0) return ErrnoError("cannot create", tmp.string());
  bool committed = false;
  absl::Cleanup remove_tmp = [&] {
    std::error_code ec;
    if (!committed) fs::remove_all(tmp, ec);
  };

  const char* ext = options_.format == ListFormat::kBinary ? "bin" : "csv";
  std::mutex mu;
  absl::Status first_error = absl::OkStatus();
  tbb::parallel_for(size_t{0}, lists.shards.size(), [&](size_t s) {
    std::string path = (tmp / absl::StrFormat("shard-%05d.%s", s, ext)).string();
    absl::Status status = WriteShard(path, options_.format, options_.fsync, lists.shards[s]);
    if (!status.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.ok()) first_error = status;
    }
  });
  RETURN_IF_ERROR(first_error);
  for (size_t k = 0; k < by_info.size(); ++k) {
    const fs::path folder = tmp / absl::StrCat("info-", k);
    if (::mkdir(folder.c_str(), 0755) != 0) return ErrnoError("cannot create", folder.string());
    tbb::parallel_for(size_t{0}, by_info[k].shards.size(), [&](size_t s) {
      std::string path = (folder / absl::StrFormat("shard-%05d.%s", s, ext)).string();
      absl::Status status = WriteShard(path, options_.format, options_.fsync, by_info[k].shards[s]);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = status;
      }
    });
    RETURN_IF_ERROR(first_error);
    if (options_.fsync) RETURN_IF_ERROR(SyncDirectory(folder.string()));
  }

  AlertSummary final_summary = summary;
  final_summary.timings.emit_ms = (absl::GetCurrentTimeNanos() - start) * 1e-6;
  std::string json = SummaryToJson(final_summary);
  RETURN_IF_ERROR(WriteFile((tmp / "summary.json").string(), options_.fsync,
                            [&](auto& emit) { emit(json.data(), json.size()); }));
  if (options_.fsync) RETURN_IF_ERROR(SyncDirectory(tmp.string()));

  // The lists may derive from a mapped input (a snapshot's columns) that
  // another process shrank: then they are not committed.
  RETURN_IF_ERROR(MappedFile::CheckAllIntact());

  // Swap into place: the old directory (if replacing) moves aside first and
  // is removed only once the new one is at the target name.
  std::error_code ec;
  fs::path old;
  if (fs::exists(fs::symlink_status(target, ec))) {
    old = parent / absl::StrCat(".", name, ".old-", TempSuffix());
    if (::rename(target.c_str(), old.c_str()) != 0) return ErrnoError("cannot move aside", target);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    absl::Status status = ErrnoError("cannot rename into place", target.string());
    if (!old.empty()) ::rename(old.c_str(), target.c_str());
    return status;
  }
  committed = true;
  if (options_.fsync) RETURN_IF_ERROR(SyncDirectory(parent.string()));
  if (!old.empty()) fs::remove_all(old, ec);
  return absl::OkStatus();
}

}  // namespace fanout
