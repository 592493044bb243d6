// Copyright 2026 The fan-out engine authors.
//
// The update log reader and the writer's recovery: the input is written to a
// temporary file, replayed, and (when the replay accepts it) reopened for
// appending. Errors are fine; a crash, or the reader and the writer
// disagreeing about the same bytes, is a bug (abort).

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/update_log.h"
#include "fuzz/fuzz_targets.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "update_log_fuzzer: invariant broken: %s\n", what);
    std::abort();
  }
}

// A private folder for the input file, removed at exit.
class FuzzDir {
 public:
  FuzzDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/update_log_fuzz.XXXXXX";
    Check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    path_ = pattern;
  }
  ~FuzzDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File() const { return path_ + "/input.log"; }

 private:
  std::string path_;
};

void WriteInput(const std::string& path, const uint8_t* data, size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  Check(fd >= 0, "open input");
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, data + done, size - done);
    Check(n > 0, "write input");
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

// Replays `path` after `after_seq`, checking what `apply` is given.
absl::StatusOr<fanout::UpdateLogScan> CheckedReplay(const std::string& path, uint64_t after_seq) {
  uint64_t expect = 0;
  return fanout::ReplayUpdateLog(
      path, after_seq, [&](uint64_t first, absl::Span<const fanout::LocationUpdate> batch) {
        Check(!batch.empty(), "empty batch applied");
        Check(first > after_seq, "update at or below after_seq applied");
        Check(expect == 0 || first == expect, "batches not consecutive");
        for (const fanout::LocationUpdate& u : batch) {
          Check(u.kind == fanout::LocationUpdate::Kind::kUpsert ||
                    u.kind == fanout::LocationUpdate::Kind::kRemove,
                "invalid kind applied");
          Check(u.location.IsValid(), "invalid coordinates applied");
        }
        expect = first + batch.size();
        return absl::OkStatus();
      });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FuzzDir* dir = new FuzzDir;  // removed by the atexit below
  static const int registered = std::atexit([] { delete dir; });
  (void)registered;
  const std::string path = dir->File();
  WriteInput(path, data, size);

  auto scan = CheckedReplay(path, 0);
  if (scan.ok()) {
    Check(scan->applied_updates == scan->updates, "not every update applied");
    Check(scan->valid_bytes + scan->torn_tail_bytes == size, "bytes unaccounted for");
    if (scan->frames > 0) {
      const uint64_t mid = scan->first_seq + scan->updates / 2;
      auto part = CheckedReplay(path, mid);
      Check(part.ok(), "replay after a seq failed where a full replay passed");
      Check(part->applied_updates == scan->last_seq - mid, "wrong count after a seq");
    }
  }

  fanout::UpdateLogScan recovered;
  auto writer = fanout::UpdateLogWriter::Open(path, {}, &recovered);
  Check(writer.ok() == scan.ok(), "writer and reader disagree on the input");
  if (!scan.ok()) {
    Check(writer.status().code() == scan.status().code(), "writer and reader errors differ");
    std::filesystem::remove(path);
    return 0;
  }
  Check(recovered.frames == scan->frames && recovered.last_seq == scan->last_seq &&
            recovered.torn_tail_bytes == scan->torn_tail_bytes,
        "writer and reader scans differ");
  Check(std::filesystem::file_size(path) == scan->valid_bytes, "torn tail not cut");
  const uint64_t seq = scan->frames > 0 ? scan->last_seq + 1 : 1;
  if (seq != 0) {  // a log ending at the largest sequence number cannot grow
    fanout::LocationUpdate u = fanout::LocationUpdate::Upsert({7, 1, 2});
    Check((*writer)->Append(seq, absl::MakeConstSpan(&u, 1)).ok(), "append after recovery");
    writer->reset();
    auto again = CheckedReplay(path, 0);
    Check(again.ok() && again->frames == scan->frames + 1 && again->torn_tail_bytes == 0,
          "appended log does not replay");
  }
  writer->reset();
  std::filesystem::remove(path);
  return 0;
}
