// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_DIRECTORY_SINK_H_
#define FANOUT_ENGINE_DIRECTORY_SINK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/delivery_sink.h"

namespace fanout {

enum class ListFormat {
  kCsv,     // shard-00000.csv: one decimal user id per line, no header
  kBinary,  // shard-00000.bin: little-endian uint64 array
};
absl::StatusOr<ListFormat> ParseListFormat(absl::string_view text);

// Writes the delivery directory of DESIGN §4: `shard-%05d.{csv,bin}` for
// every shard (empty files for empty shards) and `summary.json`. Everything
// is written into a temporary directory beside the target, fsynced, and
// renamed into place, so readers never see a half-written list. An existing
// target is refused (kFailedPrecondition) unless `overwrite` is set, in which
// case it is replaced only after the new lists are complete.
//
// Thread-safety: one alert at a time per sink object.
class DirectorySink : public DeliverySink {
 public:
  struct Options {
    ListFormat format = ListFormat::kCsv;  // DEFAULT: csv
    bool overwrite = false;                // DEFAULT: false (--force)
    bool fsync = true;                     // DEFAULT: true
  };

  DirectorySink(std::string out_dir, Options options)
      : out_dir_(std::move(out_dir)), options_(options) {}

  // Refuses early (before any work) when the target exists and may not be
  // overwritten, or its parent folder does not exist.
  absl::Status CheckTarget() const;

  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary& summary) override;

 private:
  std::string out_dir_;
  Options options_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_DIRECTORY_SINK_H_
