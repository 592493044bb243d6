// Copyright 2026 The fan-out engine authors.

#include "tools/index_flags.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "engine/user_attributes.h"
#include "engine/users_input.h"
#include "tools/cli_util.h"

namespace fanout {

absl::StatusOr<BuiltIndex> LoadUsersAndBuild(const std::string& users_path, bool skip_bad_rows) {
  BuiltIndex built;
  const bool progress = Progress::DefaultEnabled();
  int64_t start = absl::GetCurrentTimeNanos();
  UsersCsvOptions csv_options;
  csv_options.skip_bad_rows = skip_bad_rows;
  csv_options.show_progress = progress;
  ASSIGN_OR_RETURN(built.input, UsersInput::Load(users_path, csv_options, &built.csv_stats));
  built.load_s = MillisSince(start) / 1000;
  LocationIndex::BuildOptions build_options;
  build_options.show_progress = progress;
  ASSIGN_OR_RETURN(built.index,
                   LocationIndex::Build(built.input->records(), build_options, &built.build_stats));
  if (built.input->attributes() != nullptr) {
    const int64_t align_start = absl::GetCurrentTimeNanos();
    built.attributes = AlignAttributes(built.input->records(), built.input->attributes().get(),
                                       *built.index);
    built.align_s = MillisSince(align_start) / 1000;
  }
  RETURN_IF_ERROR(built.input->CheckIntact());
  if (built.build_stats.duplicate_rows > 0) {
    std::fprintf(stderr, "%llu rows repeated an earlier user id; the last row of each user won\n",
                 static_cast<unsigned long long>(built.build_stats.duplicate_rows));
  }
  if (built.csv_stats.bad_rows > 0) {
    std::fprintf(stderr, "skipped %llu bad rows (first: %s:%llu: %s)\n",
                 static_cast<unsigned long long>(built.csv_stats.bad_rows), users_path.c_str(),
                 static_cast<unsigned long long>(built.csv_stats.first_bad_line),
                 built.csv_stats.first_bad_reason.c_str());
  }
  return built;
}

std::set<std::string> IndexValuedFlags() { return {"users", "index", "dir"}; }
std::set<std::string> IndexSwitchFlags() { return {"skip-bad-rows"}; }

absl::StatusOr<std::unique_ptr<LocationIndex>> LoadIndexFromFlags(
    const CliFlags& flags, AlertSummary* summary,
    std::shared_ptr<const UserAttributes>* attributes) {
  if (attributes != nullptr) attributes->reset();
  if (flags.Has("index") + flags.Has("users") + flags.Has("dir") != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --index SNAPSHOT, --dir DIR or --users FILE");
  }
  if (flags.Has("dir")) {
    if (flags.Has("skip-bad-rows")) {
      return absl::InvalidArgumentError("--skip-bad-rows applies to --users, not --dir");
    }
    const std::string dir = *flags.Get("dir");
    int64_t start = absl::GetCurrentTimeNanos();
    ASSIGN_OR_RETURN(EngineDirectoryState state, ReadEngineDirectory(dir, /*materialise=*/true));
    std::fprintf(stderr,
                 "loaded engine folder %s: %zu users at sequence %llu (checkpoint %llu, %llu "
                 "updates of log replayed) in %.2f s\n",
                 dir.c_str(), state.index->size(), static_cast<unsigned long long>(state.last_seq),
                 static_cast<unsigned long long>(state.report.checkpoint_seq),
                 static_cast<unsigned long long>(state.report.updates_replayed),
                 MillisSince(start) / 1000);
    if (state.report.torn_tail_bytes > 0) {
      std::fprintf(stderr, "ignored a torn log tail of %llu bytes: %s\n",
                   static_cast<unsigned long long>(state.report.torn_tail_bytes),
                   state.report.torn_tail_detail.c_str());
    }
    summary->alert_info.emplace_back("engine_dir", dir);
    summary->alert_info.emplace_back("last_seq", std::to_string(state.last_seq));
    summary->alert_info.emplace_back("checkpoint_seq", std::to_string(state.report.checkpoint_seq));
    if (attributes != nullptr) *attributes = std::move(state.attributes);
    return std::move(state.index);
  }
  if (flags.Has("index")) {
    if (flags.Has("skip-bad-rows")) {
      return absl::InvalidArgumentError("--skip-bad-rows applies to --users, not --index");
    }
    std::string path = *flags.Get("index");
    int64_t start = absl::GetCurrentTimeNanos();
    ASSIGN_OR_RETURN(LoadedSnapshot snapshot, LoadSnapshot(path));
    std::fprintf(stderr,
                 "loaded snapshot %s: %zu users in %.2f s (checksums %.2f s, order check %.2f s; "
                 "%.1f bytes/user)\n",
                 path.c_str(), snapshot.index->size(), MillisSince(start) / 1000,
                 snapshot.checksum_ms / 1000, snapshot.order_ms / 1000,
                 snapshot.index->BytesPerUser());
    summary->alert_info.emplace_back("index_file", path);
    if (attributes != nullptr) *attributes = snapshot.attributes;
    return std::move(snapshot.index);
  }
  ASSIGN_OR_RETURN(std::string users_path, flags.Require("users"));
  ASSIGN_OR_RETURN(BuiltIndex built, LoadUsersAndBuild(users_path, flags.Has("skip-bad-rows")));
  std::fprintf(stderr,
               "loaded %llu users from %s in %.2f s; index built in %.2f s (%.1f bytes/user)\n",
               static_cast<unsigned long long>(built.build_stats.input_rows), users_path.c_str(),
               built.load_s, built.build_stats.seconds, built.index->BytesPerUser());
  const LocationIndex::BuildStats& build_stats = built.build_stats;
  const UsersCsvStats& csv_stats = built.csv_stats;
  std::unique_ptr<LocationIndex> index = std::move(built.index);
  summary->alert_info.emplace_back("users_file", users_path);
  summary->alert_info.emplace_back("duplicate_rows", std::to_string(build_stats.duplicate_rows));
  summary->alert_info.emplace_back("skipped_bad_rows", std::to_string(csv_stats.bad_rows));
  if (attributes != nullptr) *attributes = built.attributes;

  return index;
}

}  // namespace fanout
