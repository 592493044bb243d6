// Copyright 2026 The fan-out engine authors.
//
// fanout loadtest --users N --update-rate R --alert-rate A --seconds S
//                 [--json FILE] [--seed S] [--shards 256] [--update-threads 2]
//                 [--batch B] [--log FILE] [--update-nice 0..19]
//                 [--dir DIR [--replace-dir] [--sync batch|group|none]
//                  [--checkpoint-at SECONDS] [--checkpoint-log-bytes N]
//                  [--check full|none] [--standing-alerts K]
//                  [--merge-fraction F] [--sample-every SECONDS]]
// --dir is the Engine mode (LoadTestOptions::engine_dir): DIR must be
// missing or empty (or --replace-dir); --standing-alerts needs it.
// The work is sim/loadtest.h; this prints and writes the report, and
// fails (exit 1, after writing it) when the checker found any consistency
// violation or lost update.

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/shard_policy.h"
#include "sim/loadtest.h"
#include "tools/cli_flags.h"
#include "tools/commands.h"

namespace fanout {

absl::Status RunLoadTest(int argc, char** argv) {
  CliFlags flags({"users", "update-rate", "alert-rate", "seconds", "json", "seed", "shards",
                  "update-threads", "batch", "log", "inject-fault", "update-nice", "dir",
                  "sync", "checkpoint-at", "checkpoint-log-bytes", "check", "standing-alerts",
                  "merge-fraction", "sample-every"},
                 {"replace-dir"});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  LoadTestOptions options;
  for (const char* required : {"users", "update-rate", "alert-rate", "seconds"}) {
    RETURN_IF_ERROR(flags.Require(required).status());
  }
  ASSIGN_OR_RETURN(options.users, flags.GetUint("users", options.users));
  ASSIGN_OR_RETURN(options.update_rate, flags.GetDouble("update-rate", options.update_rate));
  ASSIGN_OR_RETURN(options.alert_rate, flags.GetDouble("alert-rate", options.alert_rate));
  ASSIGN_OR_RETURN(options.seconds, flags.GetDouble("seconds", options.seconds));
  if (options.users == 0 || options.users >= (uint64_t{1} << 32) - 1) {
    return absl::InvalidArgumentError("--users must be in 1..4294967294");
  }
  if (!(options.update_rate > 0) || !(options.alert_rate > 0) || !(options.seconds > 0) ||
      options.seconds > 86400) {
    return absl::InvalidArgumentError(
        "--update-rate and --alert-rate must be > 0, --seconds in (0, 86400]");
  }
  ASSIGN_OR_RETURN(options.seed, flags.GetUint("seed", options.seed));
  ASSIGN_OR_RETURN(uint64_t shards,
                   flags.GetUintInRange("shards", options.shards, 1, ShardPolicy::kMaxShards));
  options.shards = static_cast<uint32_t>(shards);
  ASSIGN_OR_RETURN(uint64_t threads,
                   flags.GetUintInRange("update-threads", options.update_threads, 1, 64));
  options.update_threads = static_cast<int>(threads);
  ASSIGN_OR_RETURN(options.batch_updates,
                   flags.GetUintInRange("batch", options.batch_updates, 1, 1000000));
  if (auto log = flags.Get("log")) options.log_path = *log;
  ASSIGN_OR_RETURN(uint64_t nice, flags.GetUintInRange("update-nice", options.update_nice, 0, 19));
  options.update_nice = static_cast<int>(nice);
  // Testing the checker: make the index deliberately wrong.
  if (auto fault = flags.Get("inject-fault")) {
    if (*fault == "keep-replaced-entry") {
      options.fault = internal::LiveIndexFault::kKeepReplacedEntry;
    } else if (*fault == "drop-updates") {
      options.fault = internal::LiveIndexFault::kDropEveryThousandth;
    } else if (*fault == "drop-late-delivery") {
      options.drop_late_for_testing = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--inject-fault: keep-replaced-entry, drop-updates or drop-late-delivery, got '", *fault, "'"));
    }
  }
  if (auto dir = flags.Get("dir")) options.engine_dir = *dir;
  options.replace_dir = flags.Has("replace-dir");
  if (auto sync = flags.Get("sync")) {
    if (*sync == "batch") {
      options.sync = SyncPolicy::kBatch;
    } else if (*sync == "group") {
      options.sync = SyncPolicy::kGroup;
    } else if (*sync == "none") {
      options.sync = SyncPolicy::kNone;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--sync: batch, group or none, got '", *sync, "'"));
    }
  }
  if (flags.Get("checkpoint-at")) {
    ASSIGN_OR_RETURN(options.checkpoint_at, flags.GetDouble("checkpoint-at", 0));
    if (!(options.checkpoint_at >= 0) || options.checkpoint_at > options.seconds) {
      return absl::InvalidArgumentError("--checkpoint-at must be in [0, --seconds]");
    }
  }
  ASSIGN_OR_RETURN(options.checkpoint_log_bytes,
                   flags.GetUint("checkpoint-log-bytes", options.checkpoint_log_bytes));
  if (auto check = flags.Get("check")) {
    if (*check != "full" && *check != "none") {
      return absl::InvalidArgumentError(absl::StrCat("--check: full or none, got '", *check, "'"));
    }
    options.check = *check == "full";
  }
  ASSIGN_OR_RETURN(uint64_t standing, flags.GetUintInRange("standing-alerts", 0, 0, 100000));
  options.standing_alerts = static_cast<uint32_t>(standing);
  ASSIGN_OR_RETURN(options.merge_fraction, flags.GetDouble("merge-fraction", options.merge_fraction));
  if (!(options.merge_fraction > 0) || options.merge_fraction > 1) {
    return absl::InvalidArgumentError("--merge-fraction must be in (0, 1]");
  }
  ASSIGN_OR_RETURN(options.sample_every_s, flags.GetDouble("sample-every", 0));
  if (!(options.sample_every_s >= 0)) return absl::InvalidArgumentError("--sample-every must be >= 0");
  if (options.engine_dir.empty()) {
    for (const char* engine_only : {"sync", "checkpoint-at", "checkpoint-log-bytes", "check",
                                    "standing-alerts", "merge-fraction", "sample-every"}) {
      if (flags.Get(engine_only)) {
        return absl::InvalidArgumentError(absl::StrCat("--", engine_only, " needs --dir"));
      }
    }
    if (flags.Has("replace-dir")) return absl::InvalidArgumentError("--replace-dir needs --dir");
  }
  options.show_progress = Progress::DefaultEnabled();
  ASSIGN_OR_RETURN(LoadTestReport report, fanout::RunLoadTest(options));
  std::fputs(report.ToText().c_str(), stdout);
  if (auto json = flags.Get("json")) {
    std::string text = report.ToJson();
    RETURN_IF_ERROR(WriteFileAtomically(*json, [&](const AppendFn& append) { return append(text); }));
  }
  if (report.standing_violations > 0) {
    return absl::InternalError(
        absl::StrCat("the standing model found ", report.standing_violations, " violations"));
  }
  if (report.consistency_violations > 0 || report.lost_updates > 0) {
    return absl::InternalError(absl::StrCat("the checker found ", report.consistency_violations,
                                            " consistency violations and ", report.lost_updates,
                                            " lost updates"));
  }
  return absl::OkStatus();
}

}  // namespace fanout
