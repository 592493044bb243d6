// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_UPDATE_LOG_H_
#define FANOUT_ENGINE_UPDATE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/location_update.h"

namespace fanout {

// The update log: an append-only file beside a snapshot that makes the live
// index (live_index.h) durable between snapshots. Every location update has
// a sequence number (u64, consecutive, the first is 1); the live index
// appends each batch it applies as one frame. A restart loads the snapshot
// (which records the last sequence number it holds) and replays the log's
// updates with a larger sequence number.
//
// Layout, version 2 (version 1 differs only in the record bytes +17..+23,
// which it writes 0: a version-1 log reads as a version-2 log whose
// updates carry no attributes), all integers little-endian:
//
//   offset  size  field
//   --- file header (64 bytes) -------------------------------------------
//   0       8     magic "FOULOG\0\0"
//   8       4     format version (2; 1 still read). Stays at this offset in
//                 every version.
//   12      4     header size (64)
//   16      4     record size (24)
//   20      36    reserved, 0 when written (covered by the checksum)
//   56      8     XXH3-64 of header bytes [0, 56)
//   --- frames, one per appended batch, back to back from offset 64 ------
//   +0      4     frame magic "FOFR"
//   +4      4     update count N, in [1, kUpdateLogMaxFrameUpdates]
//   +8      8     first_seq: the sequence number of the first update (>= 1);
//                 update i has first_seq + i
//   +16     8     XXH3-64 of frame bytes [+0, +16) (the frame header check)
//   +24     24*N  records, one per update:
//                   +0  8  user id
//                   +8  4  i32 lat_e7  (user_record.h ranges)
//                   +12 4  i32 lng_e7
//                   +16 1  kind: 0 upsert, 1 remove (location_update.h)
//                   +17 1  lang: a code of the engine's language
//                          dictionary, 0 not given (engine.h)
//                   +18 2  padding, 0
//                   +20 4  u32 updated_at, Unix seconds, 0 not given
//                 (a removal has lang and updated_at 0)
//   +24+24N 8     XXH3-64 of frame bytes [+0, +24+24N) (header and records)
//
// A frame is 32 + 24*N bytes; every frame starts at a multiple of 8. The
// first frame's first_seq is free (a log may start after a snapshot); each
// later frame's first_seq is the previous frame's last sequence number + 1.
//
// Why a frame header check besides the frame checksum: without it a damaged
// count in a middle frame would make that frame reach past the end of the
// file and look like a torn write, and every frame after it would be
// silently dropped. With it, a frame's extent is trusted only when its
// header checks out.
//
// Reading (ReplayUpdateLog, and UpdateLogWriter::Open before appending):
//   - A bad file header (too short, wrong magic, version, sizes, checksum)
//     is kDataLoss. The writer creates the header atomically (temporary
//     file, fsync, rename), so even an empty file is damage, not a crash.
//   - Torn tail: the last frame cut short by the end of the file, or a frame
//     that fails a checksum when no valid frame follows it anywhere in the
//     rest of the file (a crash mid-append: the bytes after the last good
//     frame may be partial, zeros or garbage). Those bytes are ignored and
//     reported in UpdateLogScan::torn_tail_bytes; the writer truncates them.
//   - Corruption in the middle, kDataLoss naming the file and the frame's
//     byte offset: a frame that fails a checksum while a valid frame
//     (header and checksum) starts somewhere after it; and any frame whose
//     checksums pass but whose content is wrong (a count out of range, a
//     kind other than 0 or 1, coordinates out of range, nonzero padding or
//     a removal with attributes,
//     first_seq 0, a sequence overflow, or a first_seq that does not follow
//     the previous frame). Checksums that pass rule out a torn write, so such
//     a frame is refused even when it is the last one.
// A log is never half-trusted: ReplayUpdateLog verifies every frame before
// its first call of `apply`, so on kDataLoss nothing was applied.
inline constexpr char kUpdateLogMagic[8] = {'F', 'O', 'U', 'L', 'O', 'G', '\0', '\0'};
inline constexpr char kUpdateLogFrameMagic[4] = {'F', 'O', 'F', 'R'};
inline constexpr uint32_t kUpdateLogVersion = 2;
// The oldest version still read. A version-1 file that this build appends
// to keeps its header: its new records may then carry attributes, which a
// build that reads only version 1 refuses as nonzero padding (kDataLoss,
// never a silent misreading).
inline constexpr uint32_t kUpdateLogOldestVersion = 1;
inline constexpr uint32_t kUpdateLogHeaderSize = 64;
inline constexpr uint32_t kUpdateLogRecordSize = 24;
inline constexpr uint32_t kUpdateLogFrameHeaderSize = 24;
inline constexpr uint32_t kUpdateLogFrameTrailerSize = 8;
// Larger batches are written as several frames (24 MiB each at most).
inline constexpr uint32_t kUpdateLogMaxFrameUpdates = 1u << 20;

// What a pass over a log found.
struct UpdateLogScan {
  uint64_t frames = 0;   // valid frames
  uint64_t updates = 0;  // updates in the valid frames
  // Sequence numbers of the first and last update in the log; 0 and 0 when
  // it holds no frame.
  uint64_t first_seq = 0, last_seq = 0;
  // Updates passed to `apply` (ReplayUpdateLog only: those after after_seq).
  uint64_t applied_updates = 0;
  // Bytes after the last valid frame that were ignored (torn tail), and
  // why, e.g. "frame at byte 4160 cut short by the end of the file".
  uint64_t torn_tail_bytes = 0;
  std::string torn_tail_detail;
  // File header plus valid frames: the length the writer truncates to.
  uint64_t valid_bytes = 0;
  double seconds = 0;  // wall time of the whole pass
};

// Appends batches of updates to a log file.
//
// Thread-safety: none; callers serialise (the live index appends under its
// writer lock). Two writers on one file are refused (an exclusive flock).
//
// Typical usage (restart, then appends):
//   ASSIGN_OR_RETURN(UpdateLogScan replayed, ReplayUpdateLog(path, snapshot_seq, apply));
//   ASSIGN_OR_RETURN(std::unique_ptr<UpdateLogWriter> log, UpdateLogWriter::Open(path, {}));
//   RETURN_IF_ERROR(log->Append(seq, batch));  // seq == log->next_seq() once it holds a frame
//   RETURN_IF_ERROR(log->Sync());              // unless Options::sync_each_append
class UpdateLogWriter {
 public:
  struct Options {
    // fdatasync after every Append, so an Append that returned OK survives
    // a power loss. When false, Append is durable against a process crash
    // only, until Sync(). DEFAULT: false.
    bool sync_each_append = false;
  };

  // Opens `path` for appending. A missing file is created with just the
  // header (written atomically; file and folder fsynced). An existing file
  // is scanned first: a torn tail is truncated away (and the file fsynced),
  // reported in *recovered when given; corruption in the middle or a bad
  // header is kDataLoss and the file is left as it is.
  // kFailedPrecondition when another writer holds the file; kInternal on
  // system errors, naming the path.
  static absl::StatusOr<std::unique_ptr<UpdateLogWriter>> Open(
      const std::string& path, const Options& options, UpdateLogScan* recovered = nullptr);

  ~UpdateLogWriter();  // closes the file; no fsync (call Sync() first)
  UpdateLogWriter(const UpdateLogWriter&) = delete;
  UpdateLogWriter& operator=(const UpdateLogWriter&) = delete;

  // Appends one batch; updates[i] has sequence number first_seq + i.
  // REQUIRES (kInvalidArgument otherwise, and nothing is written): updates
  // non-empty; first_seq >= 1 and first_seq == next_seq() unless the log
  // holds no frame yet; kinds kUpsert or kRemove; upserts with coordinates
  // in range (UserRecord::IsValid). A removal is stored with coordinates 0.
  // A write or fsync error is returned and remembered: the file is cut back
  // to its length before this Append (best effort) and every later Append
  // and Sync returns the same error.
  absl::Status Append(uint64_t first_seq, absl::Span<const LocationUpdate> updates);

  // fdatasync: every Append so far survives a power loss. Errors are
  // remembered as for Append.
  absl::Status Sync();

  // The last appended sequence number + 1; 0 when the log holds no frame.
  uint64_t next_seq() const { return next_seq_; }
  // File size: header plus all frames.
  uint64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  UpdateLogWriter(std::string path, int fd, const Options& options, uint64_t bytes,
                  uint64_t next_seq);
  // Remembers `status`, cuts the file back to `truncate_to`, returns `status`.
  absl::Status Fail(absl::Status status, uint64_t truncate_to);

  const std::string path_;
  const int fd_;
  const Options options_;
  uint64_t bytes_;
  uint64_t next_seq_;
  absl::Status error_;      // the first write or sync error; sticky
  std::vector<char> frame_;  // encoding buffer, reused
};

// Reads the whole log at `path` and verifies it (see the rules above), then
// calls `apply` for each frame, in order, with only the updates whose
// sequence number is greater than `after_seq` (frames entirely at or below
// it are skipped; a frame that straddles it is trimmed, and `first_seq` is
// then that of the first update passed). The span is valid only during the
// call. Stops at and returns the first error of `apply`.
// kNotFound when the file is missing; kDataLoss (nothing applied) for a bad
// header or corruption in the middle. A torn tail is not an error: see
// torn_tail_bytes in the result.
absl::StatusOr<UpdateLogScan> ReplayUpdateLog(
    const std::string& path, uint64_t after_seq,
    absl::FunctionRef<absl::Status(uint64_t first_seq, absl::Span<const LocationUpdate>)> apply);

// Verifies the log without applying anything (ReplayUpdateLog with a no-op
// `apply`, but without decoding the records).
absl::StatusOr<UpdateLogScan> ScanUpdateLog(const std::string& path);

}  // namespace fanout

#endif  // FANOUT_ENGINE_UPDATE_LOG_H_
