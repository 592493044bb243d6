// Copyright 2026 The fan-out engine authors.
//
// The engine folder's files (engine/engine.h has the table): names,
// listing, recovery of a live index from the newest checkpoint and the
// segments after it, and materialising a pinned live state as a checkpoint.
// Internal to Engine; not a stable API.

#ifndef FANOUT_ENGINE_INTERNAL_ENGINE_DIRECTORY_H_
#define FANOUT_ENGINE_INTERNAL_ENGINE_DIRECTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/engine.h"
#include "engine/internal/engine_attributes.h"
#include "engine/live_index.h"
#include "engine/location_index.h"

namespace fanout {
namespace internal {

std::string CheckpointName(uint64_t seq);  // "checkpoint-<20 digits>.fo"
std::string SegmentName(uint64_t first_seq);  // "log-<20 digits>.ful"
std::string JoinPath(const std::string& dir, const std::string& name);

// An engine file, by sequence number (a checkpoint's S, a segment's first).
struct NumberedFile {
  uint64_t seq = 0;
  std::string name;
};

// The engine files of a folder, each list sorted by sequence number.
struct DirectoryListing {
  std::vector<NumberedFile> checkpoints;
  std::vector<NumberedFile> segments;
  std::vector<std::string> temporaries;  // "<engine file>.tmp-..."
  bool has_lock_file = false;
  bool has_standing_journal = false;  // standing.fsj
  bool has_languages = false;  // languages (engine_attributes.h)
  bool has_other_entries = false;  // anything not an engine file
};
// kNotFound when `dir` does not exist; kInvalidArgument when it is not a
// folder; kInternal for other system errors.
absl::StatusOr<DirectoryListing> ListEngineDirectory(const std::string& dir);

// A live index recovered from a folder (engine.h, "Open (recovery)").
struct Recovered {
  std::unique_ptr<LiveIndex> live;
  // The users' attributes (the checkpoint's, then the log's) and the
  // language dictionary; never null.
  std::unique_ptr<EngineAttributes> attributes;
  EngineDirectoryState state;  // report, last_seq, segments replayed
  // The segments replayed, in order (the last one is appended to next,
  // unless it cannot continue at last_seq + 1: see `last_segment_usable`).
  std::vector<NumberedFile> live_segments;
  bool last_segment_usable = false;
  // Files Open removes: older checkpoints, segments wholly before the
  // checkpoint (also listed in state.report.removed).
  std::vector<std::string> redundant;
};

// How recovery brings the log after the checkpoint into the live index.
// Both verify the same (every segment read and checked before the index is
// made or used) and give the same state, numbers and report.
enum class ReplayMode {
  // Each user's newest update of the log folded into the checkpoint's
  // columns in one pass, which become the live index's first base at
  // sequence number last_seq (log_fold.h): the slot table is built once and
  // no update goes through the writer. Except for a log of no update or of
  // at most one per 64 users of the checkpoint: then the checkpoint's
  // mapping itself is the first base (no copy) and those few updates go
  // through the writer (fold_s of the report times them).
  kBulk,
  // The checkpoint made live first, then every update applied through
  // LiveIndex::Apply in order (the writer path). Kept as the reference the
  // bulk replay is tested against (tests/engine/log_fold_test.cc).
  kWriterPath,
};

// Loads the newest checkpoint into a LiveIndex made with `live_options` and
// replays the segments after it; changes no file. kNotFound when the folder
// holds no checkpoint; kDataLoss naming the file (or the gap) for damage.
absl::StatusOr<Recovered> RecoverEngineDirectory(const std::string& dir,
                                                 const LiveIndex::Options& live_options,
                                                 ReplayMode mode = ReplayMode::kBulk);

// Every user visible in `snapshot`, as a static index sorted by (cell,
// user), built off any lock (a parallel merge of the view's sorted runs:
// live_checkpoint.h; 16 bytes per user).
std::unique_ptr<LocationIndex> MaterialiseSnapshot(const LiveView& snapshot);

// Writes `index` as the checkpoint of `seq` in `dir` (atomically; the
// folder is fsynced).
absl::Status WriteCheckpoint(const std::string& dir, uint64_t seq, const LocationIndex& index,
                             const SnapshotMetadata& meta,
                             const UserAttributes* attributes = nullptr);

// Writes the users visible in `view` as the checkpoint of `seq` in `dir`,
// merged from the view's sorted runs straight into the file (no copy of
// the columns in memory; WriteSnapshotStreamed), atomically; the folder is
// fsynced. meta.input_rows becomes the number of users, as
// WriteCheckpoint's callers set it. With `attributes` not empty the users
// are materialised instead (16 bytes each) and written with an attrs
// section (snapshot version 2) aligned from them.
absl::Status WriteCheckpointOfView(const std::string& dir, uint64_t seq, const LiveView& view,
                                   const SnapshotMetadata& meta,
                                   const EngineAttributes* attributes = nullptr);

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_ENGINE_DIRECTORY_H_
