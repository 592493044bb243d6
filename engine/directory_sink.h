// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_DIRECTORY_SINK_H_
#define FANOUT_ENGINE_DIRECTORY_SINK_H_

#include <cstdint>
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
// case it is replaced only after the new lists are complete. Nothing is
// committed while a file mapped by this process has shrunk
// (MappedFile::CheckAllIntact, kAborted): the lists may derive from the
// zeros read past its end.
//
// The target may be given with a trailing '/' (`--out amber/`). Temporary
// folders of writers that died (`.<name>.tmp-<pid>-<hex>`, see
// base/atomic_file.h RemoveStaleTemps) are removed by the next Deliver into
// the same parent folder, as are superseded `.<name>.old-<pid>-<hex>`
// folders once the target exists.
//
// Thread-safety: one alert at a time per sink object.
class DirectorySink : public DeliverySink {
 public:
  // The most shard files one delivery writes. Each shard is a file created
  // and fsynced on its own, so the cost of a delivery grows with the count
  // whatever the users; a million files take minutes and make a folder that
  // every consumer has to list. Names are `shard-%05d`, which sort in shard
  // order only up to 100000 shards. 65536 is far above any real delivery
  // fleet. The engine itself allows more shards (ShardPolicy::kMaxShards)
  // for sinks that do not write a file per shard.
  static constexpr uint64_t kMaxShardFiles = 65536;

  struct Options {
    ListFormat format = ListFormat::kCsv;  // DEFAULT: csv
    bool overwrite = false;                // DEFAULT: false (--force)
    bool fsync = true;                     // DEFAULT: true
  };

  DirectorySink(std::string out_dir, Options options)
      : out_dir_(std::move(out_dir)), options_(options) {}

  // Refuses early (before any work) when the target exists and may not be
  // overwritten or is not a directory (kFailedPrecondition), or the name is
  // empty, "." or "..", or its parent folder does not exist
  // (kInvalidArgument naming the folder).
  absl::Status CheckTarget() const;

  // kInvalidArgument when `shards` is 0 or more than kMaxShardFiles. Deliver
  // checks it too; callers that know the shard count call this early.
  static absl::Status CheckShardCount(uint64_t shards);

  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary& summary) override;
  // Also writes `info-<k>/shard-%05d.{csv,bin}` for each block k (0-based)
  // beside the plain lists, in the same temporary folder, so all appear at
  // once.
  absl::Status DeliverByInfo(const DeliveryLists& lists, const std::vector<DeliveryLists>& by_info,
                             const AlertSummary& summary) override;

 private:
  std::string out_dir_;
  Options options_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_DIRECTORY_SINK_H_
