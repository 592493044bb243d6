// Copyright 2026 The fan-out engine authors.

#include "engine/internal/segment_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/file_io.h"
#include "base/status_macros.h"

namespace fanout {
namespace internal {

absl::StatusOr<std::shared_ptr<const SyncHandle>> SyncHandle::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  return std::shared_ptr<const SyncHandle>(new SyncHandle(path, fd));
}

SyncHandle::~SyncHandle() { ::close(fd_); }

absl::Status SyncHandle::Sync() const {
  if (::fdatasync(fd_) != 0) return ErrnoError("cannot fdatasync", path_);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SegmentLog>> SegmentLog::Open(const std::string& dir,
                                                             std::vector<NumberedFile> segments,
                                                             bool reuse_last, uint64_t next_seq,
                                                             uint64_t segment_bytes) {
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, segment_bytes));
  for (const NumberedFile& f : segments) log->segments_.push_back({f.seq, f.name, 0});
  for (Segment& s : log->segments_) {
    struct stat st;
    if (::stat(JoinPath(dir, s.name).c_str(), &st) == 0) s.bytes = static_cast<uint64_t>(st.st_size);
  }
  log->next_seq_ = next_seq;
  if (reuse_last && !log->segments_.empty()) {
    const Segment current = log->segments_.back();
    log->segments_.pop_back();
    RETURN_IF_ERROR(log->StartSegment(current.first_seq));
  } else {
    RETURN_IF_ERROR(log->StartSegment(next_seq));
  }
  return log;
}

absl::Status SegmentLog::StartSegment(uint64_t first_seq) {
  const std::string name = SegmentName(first_seq);
  const std::string path = JoinPath(dir_, name);
  UpdateLogWriter::Options options;  // the Engine decides when to sync
  ASSIGN_OR_RETURN(std::unique_ptr<UpdateLogWriter> writer, UpdateLogWriter::Open(path, options));
  ASSIGN_OR_RETURN(std::shared_ptr<const SyncHandle> handle, SyncHandle::Open(path));
  if (writer->next_seq() != 0 && writer->next_seq() != next_seq_) {
    return absl::InternalError(absl::StrCat(path, ": continues at update ", writer->next_seq(),
                                            ", expected ", next_seq_));
  }
  current_empty_ = writer->next_seq() == 0;
  writer_ = std::move(writer);
  sync_handle_ = std::move(handle);
  segments_.push_back({first_seq, name, 0});
  return SyncDirectory(dir_);
}

absl::Status SegmentLog::Append(uint64_t first_seq, absl::Span<const LocationUpdate> updates) {
  if (!error_.ok()) return error_;
  if (first_seq != next_seq_) {
    return absl::InternalError(absl::StrCat("log append at update ", first_seq, ", expected ",
                                            next_seq_));
  }
  if (!current_empty_ && writer_->bytes() >= segment_bytes_) RETURN_IF_ERROR(Roll());
  absl::Status st = writer_->Append(first_seq, updates);
  if (!st.ok()) {
    // A bad update (kInvalidArgument) writes nothing and is not sticky.
    if (st.code() != absl::StatusCode::kInvalidArgument) error_ = st;
    return st;
  }
  current_empty_ = false;
  next_seq_ = first_seq + updates.size();
  return absl::OkStatus();
}

absl::Status SegmentLog::Sync() {
  if (!error_.ok()) return error_;
  absl::Status st = writer_->Sync();
  if (!st.ok()) error_ = st;
  return st;
}

absl::Status SegmentLog::Roll() {
  if (!error_.ok()) return error_;
  if (current_empty_) return absl::OkStatus();
  RETURN_IF_ERROR(Sync());  // sealed segments are complete and durable
  segments_.back().bytes = writer_->bytes();
  absl::Status st = StartSegment(next_seq_);
  if (!st.ok()) error_ = st;
  return st;
}

absl::Status SegmentLog::DeleteThrough(uint64_t seq) {
  size_t deletable = 0;
  while (deletable + 1 < segments_.size() && segments_[deletable + 1].first_seq <= seq + 1) {
    ++deletable;
  }
  if (deletable == 0) return absl::OkStatus();
  for (size_t i = 0; i < deletable; ++i) {
    const std::string path = JoinPath(dir_, segments_[i].name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      absl::Status st = ErrnoError("cannot delete", path);
      segments_.erase(segments_.begin(), segments_.begin() + i);
      return st;
    }
  }
  segments_.erase(segments_.begin(), segments_.begin() + deletable);
  return SyncDirectory(dir_);
}

uint64_t SegmentLog::bytes() const {
  uint64_t total = 0;
  for (size_t i = 0; i + 1 < segments_.size(); ++i) total += segments_[i].bytes;
  return total + (writer_ ? writer_->bytes() : 0);
}

}  // namespace internal
}  // namespace fanout
