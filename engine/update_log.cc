// Copyright 2026 The fan-out engine authors.

#include "engine/update_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/atomic_file.h"
#include "base/file_io.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"

namespace fanout {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the update log format is little-endian");

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint32_t record_size;
  char reserved[36];
  uint64_t checksum;
};
static_assert(sizeof(FileHeader) == kUpdateLogHeaderSize, "file header layout");
static_assert(offsetof(FileHeader, checksum) == 56, "file header layout");

struct FrameHeader {
  char magic[4];
  uint32_t count;
  uint64_t first_seq;
  uint64_t header_checksum;
};
static_assert(sizeof(FrameHeader) == kUpdateLogFrameHeaderSize, "frame header layout");
constexpr size_t kFrameHeaderChecked = offsetof(FrameHeader, header_checksum);
constexpr uint64_t kFrameOverhead = kUpdateLogFrameHeaderSize + kUpdateLogFrameTrailerSize;

// A verified record has the layout of LocationUpdate (id, lat, lng, kind,
// padding), so replay copies a frame's records in one memcpy.
static_assert(sizeof(LocationUpdate) == kUpdateLogRecordSize, "record layout");
static_assert(offsetof(LocationUpdate, location) == 0, "record layout");
static_assert(offsetof(LocationUpdate, kind) == 16, "record layout");
static_assert(offsetof(LocationUpdate, lang) == 17 && offsetof(LocationUpdate, updated_at) == 20,
              "record layout");
static_assert(offsetof(UserRecord, lat_e7) == 8 && offsetof(UserRecord, lng_e7) == 12,
              "record layout");
static_assert(std::is_trivially_copyable<LocationUpdate>::value, "record layout");

constexpr uint64_t FrameSize(uint64_t count) {
  return kFrameOverhead + count * kUpdateLogRecordSize;
}

uint64_t LoadU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
int32_t LoadI32(const char* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

bool ValidLatLng(int32_t lat, int32_t lng) { return UserRecord{0, lat, lng}.IsValid(); }

absl::Status Damaged(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("update log ", path, ": ", what));
}

FileHeader MakeFileHeader() {
  FileHeader h{};
  std::memcpy(h.magic, kUpdateLogMagic, sizeof(h.magic));
  h.version = kUpdateLogVersion;
  h.header_size = kUpdateLogHeaderSize;
  h.record_size = kUpdateLogRecordSize;
  h.checksum = XXH3_64bits(&h, offsetof(FileHeader, checksum));
  return h;
}

absl::Status CheckFileHeader(const std::string& path, absl::string_view bytes) {
  if (bytes.size() < kUpdateLogHeaderSize) {
    return Damaged(path, absl::StrCat(bytes.size(), " bytes is too short for the ",
                                      kUpdateLogHeaderSize, "-byte file header"));
  }
  FileHeader h;
  std::memcpy(&h, bytes.data(), sizeof(h));
  if (std::memcmp(h.magic, kUpdateLogMagic, sizeof(h.magic)) != 0) {
    return Damaged(path, "not an update log (bad magic at byte 0)");
  }
  if (h.checksum != XXH3_64bits(&h, offsetof(FileHeader, checksum))) {
    return Damaged(path, "file header checksum mismatch (bytes 0-63 damaged)");
  }
  if (h.version < kUpdateLogOldestVersion || h.version > kUpdateLogVersion) {
    return Damaged(path, absl::StrCat("format version ", h.version,
                                      " is not supported (this build reads ",
                                      kUpdateLogOldestVersion, " to ", kUpdateLogVersion, ")"));
  }
  if (h.header_size != kUpdateLogHeaderSize || h.record_size != kUpdateLogRecordSize) {
    return Damaged(path, absl::StrCat("header size ", h.header_size, " / record size ",
                                      h.record_size, ", expected ", kUpdateLogHeaderSize,
                                      " / ", kUpdateLogRecordSize));
  }
  return absl::OkStatus();
}

enum class FrameState {
  kOk,           // header and checksum pass, extent inside the file
  kBadHeader,    // magic or header checksum wrong: extent unknown
  kBadCount,     // header passes but the count is out of range
  kCutShort,     // header passes, the frame runs past the end of the file
  kBadChecksum,  // header passes, the frame checksum does not
};

// Checks the frame at `offset`; REQUIRES: at least a frame header left.
FrameState CheckFrame(absl::string_view file, uint64_t offset, FrameHeader* h) {
  const char* p = file.data() + offset;
  std::memcpy(h, p, sizeof(*h));
  if (std::memcmp(h->magic, kUpdateLogFrameMagic, sizeof(h->magic)) != 0 ||
      h->header_checksum != XXH3_64bits(p, kFrameHeaderChecked)) {
    return FrameState::kBadHeader;
  }
  if (h->count == 0 || h->count > kUpdateLogMaxFrameUpdates) return FrameState::kBadCount;
  const uint64_t size = FrameSize(h->count);
  if (size > file.size() - offset) return FrameState::kCutShort;
  const uint64_t body = size - kUpdateLogFrameTrailerSize;
  if (LoadU64(p + body) != XXH3_64bits(p, body)) return FrameState::kBadChecksum;
  return FrameState::kOk;
}

// The offset of the first frame after `offset` whose header and checksum
// pass, or 0. Frames start at multiples of 8.
uint64_t FindValidFrameAfter(absl::string_view file, uint64_t offset) {
  FrameHeader h;
  for (uint64_t at = offset + 8; at + FrameSize(1) <= file.size(); at += 8) {
    if (std::memcmp(file.data() + at, kUpdateLogFrameMagic, sizeof(kUpdateLogFrameMagic)) != 0) {
      continue;
    }
    if (CheckFrame(file, at, &h) == FrameState::kOk) return at;
  }
  return 0;
}

// Why record `i` of a frame is invalid (slow path, for the message).
std::string RecordProblem(const char* r) {
  const uint8_t kind = static_cast<uint8_t>(r[16]);
  if (kind > 1) return absl::StrCat("invalid kind ", kind);
  if (r[18] != 0 || r[19] != 0) return "nonzero padding";
  if (kind == 1 && LoadU64(r + 16) != 1) return "a removal with attributes";
  return absl::StrCat("coordinates out of range (lat_e7 ", LoadI32(r + 8), ", lng_e7 ",
                      LoadI32(r + 12), ")");
}

// Index of the first invalid record among `count` at `p`, or `count`.
uint64_t FirstInvalidRecord(const char* p, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    const char* r = p + i * kUpdateLogRecordSize;
    // Kind (0 or 1), lang, padding and updated_at as one little-endian
    // word: an upsert has kind 0 and padding 0 (any lang and updated_at),
    // a removal is exactly 1.
    const uint64_t w = LoadU64(r + 16);
    const bool ok = ((w & 0xFFFF00FFull) == 0 || w == 1) &&
                    ValidLatLng(LoadI32(r + 8), LoadI32(r + 12));
    if (!ok) return i;
  }
  return count;
}

struct FrameRef {
  uint64_t offset;
  uint64_t first_seq;
  uint32_t count;
};

// Verifies the whole file (header, every frame) and fills `scan` (all but
// seconds and applied_updates) and, when given, the valid frames.
absl::Status VerifyLog(const std::string& path, absl::string_view file, UpdateLogScan* scan,
                       std::vector<FrameRef>* frames) {
  RETURN_IF_ERROR(CheckFileHeader(path, file));
  uint64_t offset = kUpdateLogHeaderSize;
  auto torn = [&](std::string detail) {
    scan->torn_tail_bytes = file.size() - offset;
    scan->torn_tail_detail = std::move(detail);
  };
  auto damaged_frame = [&](absl::string_view what) {
    return Damaged(path, absl::StrCat("frame at byte ", offset, " (after ", scan->frames,
                                      " valid frames): ", what));
  };
  while (offset < file.size()) {
    const uint64_t left = file.size() - offset;
    if (left < kUpdateLogFrameHeaderSize) {
      torn(absl::StrCat("frame header at byte ", offset, " cut short by the end of the file (",
                        left, " bytes)"));
      break;
    }
    FrameHeader h;
    const FrameState state = CheckFrame(file, offset, &h);
    if (state == FrameState::kBadHeader || state == FrameState::kBadChecksum) {
      const absl::string_view what = state == FrameState::kBadHeader
                                         ? "bad magic or frame header checksum"
                                         : "frame checksum mismatch";
      const uint64_t next = FindValidFrameAfter(file, offset);
      if (next != 0) {
        return damaged_frame(absl::StrCat(what, ", and a valid frame follows at byte ", next));
      }
      torn(absl::StrCat("frame at byte ", offset, ": ", what, ", no valid frame after it"));
      break;
    }
    if (state == FrameState::kBadCount) {
      return damaged_frame(absl::StrCat("update count ", h.count, " is not in [1, ",
                                        kUpdateLogMaxFrameUpdates, "]"));
    }
    if (state == FrameState::kCutShort) {
      torn(absl::StrCat("frame at byte ", offset, " (", h.count, " updates, ",
                        FrameSize(h.count), " bytes) cut short by the end of the file (", left,
                        " bytes)"));
      break;
    }
    // Checksums pass: anything wrong from here on is not a torn write.
    const uint64_t last_seq = h.first_seq + (h.count - 1);
    if (h.first_seq == 0 || last_seq < h.first_seq) {
      return damaged_frame(absl::StrCat("invalid first_seq ", h.first_seq, " for ", h.count,
                                        " updates"));
    }
    if (scan->frames > 0 && h.first_seq != scan->last_seq + 1) {
      return damaged_frame(absl::StrCat("first_seq ", h.first_seq, " does not follow ",
                                        scan->last_seq, " (sequence gap or reorder)"));
    }
    const char* records = file.data() + offset + kUpdateLogFrameHeaderSize;
    const uint64_t bad = FirstInvalidRecord(records, h.count);
    if (bad != h.count) {
      const uint64_t at = offset + kUpdateLogFrameHeaderSize + bad * kUpdateLogRecordSize;
      return damaged_frame(absl::StrCat("record ", bad, " at byte ", at, ": ",
                                        RecordProblem(records + bad * kUpdateLogRecordSize)));
    }
    if (scan->frames == 0) scan->first_seq = h.first_seq;
    scan->last_seq = last_seq;
    scan->frames += 1;
    scan->updates += h.count;
    if (frames != nullptr) frames->push_back({offset, h.first_seq, h.count});
    offset += FrameSize(h.count);
  }
  scan->valid_bytes = offset;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UpdateLogScan> ScanUpdateLog(const std::string& path) {
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  file->AdviseSequential();
  UpdateLogScan scan;
  RETURN_IF_ERROR(VerifyLog(path, file->view(), &scan, nullptr));
  RETURN_IF_ERROR(file->CheckIntact());  // a log that shrank while mapped read as zeros
  scan.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return scan;
}

absl::StatusOr<UpdateLogScan> ReplayUpdateLog(
    const std::string& path, uint64_t after_seq,
    absl::FunctionRef<absl::Status(uint64_t first_seq, absl::Span<const LocationUpdate>)> apply) {
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  file->AdviseSequential();
  UpdateLogScan scan;
  std::vector<FrameRef> frames;
  RETURN_IF_ERROR(VerifyLog(path, file->view(), &scan, &frames));
  RETURN_IF_ERROR(file->CheckIntact());
  std::vector<LocationUpdate> batch;
  for (const FrameRef& f : frames) {
    const uint64_t last_seq = f.first_seq + (f.count - 1);
    if (last_seq <= after_seq) continue;
    const uint64_t skip = after_seq >= f.first_seq ? after_seq - f.first_seq + 1 : 0;
    const uint64_t n = f.count - skip;
    if (batch.size() < n) batch.resize(n);
    // Records were verified (kind, padding, coordinates): a plain copy.
    std::memcpy(static_cast<void*>(batch.data()),
                file->data() + f.offset + kUpdateLogFrameHeaderSize + skip * kUpdateLogRecordSize,
                n * kUpdateLogRecordSize);
    RETURN_IF_ERROR(apply(f.first_seq + skip, absl::MakeConstSpan(batch.data(), n)));
    scan.applied_updates += n;
  }
  // Frames copied after a shrink are zeros; the caller must not trust what
  // it applied (it is told which file).
  RETURN_IF_ERROR(file->CheckIntact());
  scan.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return scan;
}

UpdateLogWriter::UpdateLogWriter(std::string path, int fd, const Options& options,
                                 uint64_t bytes, uint64_t next_seq)
    : path_(std::move(path)), fd_(fd), options_(options), bytes_(bytes), next_seq_(next_seq) {}

UpdateLogWriter::~UpdateLogWriter() { ::close(fd_); }

absl::StatusOr<std::unique_ptr<UpdateLogWriter>> UpdateLogWriter::Open(const std::string& path,
                                                                       const Options& options,
                                                                       UpdateLogScan* recovered) {
  const absl::Time start = absl::Now();
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoError("cannot stat", path);
    const FileHeader h = MakeFileHeader();
    RETURN_IF_ERROR(WriteFileAtomically(path, [&](const AppendFn& append) {
      return append(absl::string_view(reinterpret_cast<const char*>(&h), sizeof(h)));
    }));
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("update log ", path, " is already open by another writer"));
    }
    return ErrnoError("cannot lock", path);
  }
  UpdateLogScan scan;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
    file->AdviseSequential();
    RETURN_IF_ERROR(VerifyLog(path, file->view(), &scan, nullptr));
  }  // unmapped before a truncation
  if (scan.torn_tail_bytes > 0) {
    if (::ftruncate(fd, static_cast<off_t>(scan.valid_bytes)) != 0) {
      return ErrnoError("cannot truncate the torn tail of", path);
    }
    if (::fsync(fd) != 0) return ErrnoError("cannot fsync", path);
  }
  scan.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (recovered != nullptr) *recovered = scan;
  std::move(close_fd).Cancel();
  const uint64_t next_seq = scan.frames > 0 ? scan.last_seq + 1 : 0;
  return std::unique_ptr<UpdateLogWriter>(
      new UpdateLogWriter(path, fd, options, scan.valid_bytes, next_seq));
}

absl::Status UpdateLogWriter::Fail(absl::Status status, uint64_t truncate_to) {
  error_ = status;
  // Best effort: should the cut fail too, the partial frame reads as a torn
  // tail and the next Open cuts it.
  if (::ftruncate(fd_, static_cast<off_t>(truncate_to)) != 0) {
  }
  return status;
}

absl::Status UpdateLogWriter::Append(uint64_t first_seq, absl::Span<const LocationUpdate> updates) {
  if (!error_.ok()) return error_;
  const uint64_t n = updates.size();
  if (n == 0) {
    return absl::InvalidArgumentError(absl::StrCat("update log ", path_, ": empty batch"));
  }
  if (first_seq == 0 || first_seq + (n - 1) < first_seq) {
    return absl::InvalidArgumentError(absl::StrCat("update log ", path_, ": first_seq ",
                                                   first_seq, " is invalid for ", n,
                                                   " updates"));
  }
  if (next_seq_ != 0 && first_seq != next_seq_) {
    return absl::InvalidArgumentError(absl::StrCat("update log ", path_, ": first_seq ",
                                                   first_seq, " but the log expects ",
                                                   next_seq_));
  }
  for (uint64_t i = 0; i < n; ++i) {
    const LocationUpdate& u = updates[i];
    if (u.kind != LocationUpdate::Kind::kUpsert && u.kind != LocationUpdate::Kind::kRemove) {
      return absl::InvalidArgumentError(absl::StrCat("update log ", path_, ": update ", i,
                                                     " has invalid kind ",
                                                     static_cast<int>(u.kind)));
    }
    if (u.kind == LocationUpdate::Kind::kUpsert && !u.location.IsValid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update log ", path_, ": update ", i, " (user ", u.location.user_id,
          ") has coordinates out of range: lat_e7 ", u.location.lat_e7, ", lng_e7 ",
          u.location.lng_e7));
    }
  }

  const uint64_t start_bytes = bytes_;
  uint64_t written = 0;
  for (uint64_t done = 0; done < n;) {
    const uint32_t count =
        static_cast<uint32_t>(std::min<uint64_t>(n - done, kUpdateLogMaxFrameUpdates));
    const uint64_t size = FrameSize(count);
    frame_.resize(size);
    char* p = frame_.data();
    FrameHeader h;
    std::memcpy(h.magic, kUpdateLogFrameMagic, sizeof(h.magic));
    h.count = count;
    h.first_seq = first_seq + done;
    h.header_checksum = XXH3_64bits(&h, kFrameHeaderChecked);
    std::memcpy(p, &h, sizeof(h));
    char* r = p + kUpdateLogFrameHeaderSize;
    for (uint32_t i = 0; i < count; ++i, r += kUpdateLogRecordSize) {
      const LocationUpdate& u = updates[done + i];
      const bool remove = u.kind == LocationUpdate::Kind::kRemove;
      const int32_t lat = remove ? 0 : u.location.lat_e7;
      const int32_t lng = remove ? 0 : u.location.lng_e7;
      const uint64_t kind_and_padding =
          remove ? 1 : (uint64_t{u.lang} << 8) | (uint64_t{u.updated_at} << 32);
      std::memcpy(r, &u.location.user_id, 8);
      std::memcpy(r + 8, &lat, 4);
      std::memcpy(r + 12, &lng, 4);
      std::memcpy(r + 16, &kind_and_padding, 8);
    }
    const uint64_t body = size - kUpdateLogFrameTrailerSize;
    const uint64_t checksum = XXH3_64bits(p, body);
    std::memcpy(p + body, &checksum, sizeof(checksum));
    absl::Status status = WriteFully(fd_, absl::string_view(p, size), path_);
    if (!status.ok()) return Fail(std::move(status), start_bytes);
    written += size;
    done += count;
  }
  if (options_.sync_each_append && ::fdatasync(fd_) != 0) {
    return Fail(ErrnoError("cannot fdatasync", path_), start_bytes);
  }
  bytes_ = start_bytes + written;
  next_seq_ = first_seq + n;
  return absl::OkStatus();
}

absl::Status UpdateLogWriter::Sync() {
  if (!error_.ok()) return error_;
  if (::fdatasync(fd_) != 0) return Fail(ErrnoError("cannot fdatasync", path_), bytes_);
  return absl::OkStatus();
}

}  // namespace fanout
