// Copyright 2026 The fan-out engine authors.
//
// The standing-alert journal (engine/engine.h has the format table):
// records of what standing alerts were issued, which users each was handed
// to, area updates and ends. Internal to Engine; not a stable API.

#ifndef FANOUT_ENGINE_INTERNAL_STANDING_JOURNAL_H_
#define FANOUT_ENGINE_INTERNAL_STANDING_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fanout {
namespace internal {

inline constexpr char kStandingJournalName[] = "standing.fsj";
inline constexpr char kStandingJournalMagic[8] = {'F', 'O', 'S', 'T', 'A', 'N', 'D', '1'};
inline constexpr uint32_t kStandingJournalVersion = 1;

// What is needed to resolve a standing alert's area again on Open.
struct StandingRecipe {
  std::string id;
  std::string text;
  uint8_t format = 0;  // AlertFormat
  std::string feature_id;
  uint8_t edges = 0;  // EdgeModel
  bool lenient = false;
  bool geocodes_union = false;
  double margin_m = 0;
  uint32_t shards = 1;
  int64_t expires_unix_ns = INT64_MAX;  // INT64_MAX: never
  bool list_on_end = false;
  uint64_t seq = 0;  // the state its initial lists (or area update) saw
  std::string cap_sender, cap_identifier;
};

struct JournalRecord {
  // kUnhanded: users of an earlier kDelivered record whose sink call
  // failed with its error returned to the caller (engine.h): no longer
  // handed. Only appended; a compacted journal never holds one.
  enum Type : uint32_t { kIssue = 1, kArea = 2, kDelivered = 3, kEnd = 4, kUnhanded = 5 };
  Type type = kIssue;
  StandingRecipe recipe;        // kIssue, kArea (id, and for kArea the new text)
  std::string id;               // kDelivered, kEnd, kUnhanded
  std::vector<uint64_t> users;  // kDelivered, kUnhanded: sorted
  uint8_t end_reason = 0;       // kEnd
};

std::string EncodeJournalRecord(const JournalRecord& record);  // one frame

// Reads `path`; a missing file is an empty journal. A frame cut short by
// the end of the file, or a last frame whose checksum fails (a crash
// mid-append) is a torn tail: reported in *torn_detail (empty if none) and
// ignored. Any other damage (bad header, a bad checksum before the last
// frame, an unknown record) is kDataLoss naming the file and byte offset.
absl::StatusOr<std::vector<JournalRecord>> ReadStandingJournal(const std::string& path,
                                                               std::string* torn_detail);

// The journal, open for appending. Thread-compatible (the tracker holds
// its lock around every call).
class StandingJournalWriter {
 public:
  // Writes `records` as a new journal at `path` (atomically: a temporary,
  // fsynced, renamed) and opens it for appending.
  static absl::StatusOr<std::unique_ptr<StandingJournalWriter>> Create(
      const std::string& path, const std::vector<JournalRecord>& records);
  ~StandingJournalWriter();
  absl::Status Append(const JournalRecord& record);
  absl::Status Sync();
  uint64_t bytes() const { return bytes_; }

 private:
  StandingJournalWriter(std::string path, int fd, uint64_t bytes)
      : path_(std::move(path)), fd_(fd), bytes_(bytes) {}
  const std::string path_;
  const int fd_;
  uint64_t bytes_;
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_STANDING_JOURNAL_H_
