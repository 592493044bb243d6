// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_SEGMENT_LOG_H_
#define FANOUT_ENGINE_INTERNAL_SEGMENT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/internal/engine_directory.h"
#include "engine/location_update.h"
#include "engine/update_log.h"

namespace fanout {
namespace internal {

// A file descriptor of a segment opened only to fdatasync it, so that the
// group-commit thread can sync without holding the writers' lock (fdatasync
// of any descriptor of a file makes all its written data durable). Closed
// when the last holder lets go. Thread-safety: immutable.
class SyncHandle {
 public:
  static absl::StatusOr<std::shared_ptr<const SyncHandle>> Open(const std::string& path);
  ~SyncHandle();
  SyncHandle(const SyncHandle&) = delete;
  SyncHandle& operator=(const SyncHandle&) = delete;
  absl::Status Sync() const;  // fdatasync; kInternal naming the file
  const std::string& path() const { return path_; }

 private:
  SyncHandle(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  const std::string path_;
  const int fd_;
};

// The update log of an engine folder as a sequence of segment files
// (engine.h has the format): appends go to the last segment, a new one is
// started when it reaches `segment_bytes` and at checkpoints, and
// segments a checkpoint made redundant are deleted, oldest first.
//
// Thread-safety: none; the Engine serialises every call under its writers'
// lock. The SyncHandle it hands out may be used from any thread.
class SegmentLog {
 public:
  // Continues the log of a recovered folder: appends to the last recovered
  // segment when `reuse_last` (its torn tail, if any, is cut by
  // UpdateLogWriter::Open), else starts a segment at `next_seq`.
  static absl::StatusOr<std::unique_ptr<SegmentLog>> Open(const std::string& dir,
                                                          std::vector<NumberedFile> segments,
                                                          bool reuse_last, uint64_t next_seq,
                                                          uint64_t segment_bytes);

  // Appends one batch (update i has first_seq + i), starting a new segment
  // first when the current one is full. REQUIRES: first_seq == next_seq().
  // Errors are sticky (UpdateLogWriter).
  absl::Status Append(uint64_t first_seq, absl::Span<const LocationUpdate> updates);
  // fdatasync of the current segment.
  absl::Status Sync();
  // Seals the current segment (fdatasync) and starts one at next_seq(),
  // unless the current one holds no update yet.
  absl::Status Roll();
  // Deletes every segment but the last whose successor starts at or before
  // seq + 1 (it holds nothing after seq), oldest first; fsyncs the folder.
  absl::Status DeleteThrough(uint64_t seq);

  uint64_t next_seq() const { return next_seq_; }
  uint64_t bytes() const;  // all segments
  size_t segments() const { return segments_.size(); }
  std::shared_ptr<const SyncHandle> sync_handle() const { return sync_handle_; }

 private:
  SegmentLog(std::string dir, uint64_t segment_bytes) : dir_(std::move(dir)), segment_bytes_(segment_bytes) {}
  // Opens (creating when missing) the segment starting at `first_seq` as the
  // current one.
  absl::Status StartSegment(uint64_t first_seq);

  const std::string dir_;
  const uint64_t segment_bytes_;
  struct Segment {
    uint64_t first_seq;
    std::string name;
    uint64_t bytes;  // sealed segments; the current one asks its writer
  };
  std::vector<Segment> segments_;  // the last is current
  std::unique_ptr<UpdateLogWriter> writer_;
  std::shared_ptr<const SyncHandle> sync_handle_;
  uint64_t next_seq_ = 1;
  bool current_empty_ = true;
  absl::Status error_;
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_SEGMENT_LOG_H_
