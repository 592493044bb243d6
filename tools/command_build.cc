// Copyright 2026 The fan-out engine authors.
//
// fanout build --users FILE (--out SNAPSHOT | --dir DIR [--force]) [--skip-bad-rows]
//
// Builds the index from a users file (binary or CSV) and writes it as a
// snapshot (engine/snapshot.h). An existing SNAPSHOT is replaced atomically:
// readers see the old file or the new one, never a torn one. With --dir,
// makes an engine folder (engine/engine.h) whose checkpoint at sequence 0
// is that snapshot; a folder that holds anything is refused unless --force
// (which replaces the engine files in it). The users file's attributes
// (lang, updated_at) are kept in both.

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/engine.h"
#include "engine/location_index.h"
#include "engine/snapshot.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/index_flags.h"

namespace fanout {
namespace {

double PeakRssGiB() {
  struct rusage usage;
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return usage.ru_maxrss / (1024.0 * 1024.0);  // ru_maxrss is in KiB
}

// The checks CreateEngineDirectory makes, done before the build's work.
absl::Status CheckEngineDirectoryTarget(const std::string& dir, bool force) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return absl::OkStatus();  // created later (or refused then)
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": exists and is not a folder"));
  }
  if (force) return absl::OkStatus();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return absl::OkStatus();
  bool empty = true;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
  }
  ::closedir(d);
  if (!empty) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, ": the folder is not empty (use --force to replace an engine in it)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunBuild(int argc, char** argv) {
  CliFlags flags({"users", "out", "dir"}, {"skip-bad-rows", "force"});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(std::string users_path, flags.Require("users"));
  if (flags.Has("out") == flags.Has("dir")) {
    return absl::InvalidArgumentError("give exactly one of --out SNAPSHOT or --dir DIR");
  }
  if (flags.Has("force") && !flags.Has("dir")) {
    return absl::InvalidArgumentError("--force goes with --dir (--out replaces its file anyway)");
  }
  const bool engine_dir = flags.Has("dir");
  const std::string out = engine_dir ? *flags.Get("dir") : *flags.Get("out");
  // Refuse a bad target before the work.
  if (engine_dir) {
    RETURN_IF_ERROR(CheckEngineDirectoryTarget(out, flags.Has("force")));
  } else {
    RETURN_IF_ERROR(CheckOutputFile(out));
  }
  const bool progress = Progress::DefaultEnabled();
  ASSIGN_OR_RETURN(BuiltIndex built, LoadUsersAndBuild(users_path, flags.Has("skip-bad-rows")));
  const LocationIndex::BuildStats& build_stats = built.build_stats;
  const LocationIndex& index = *built.index;
  const double build_rss = PeakRssGiB();

  int64_t write_start = absl::GetCurrentTimeNanos();
  SnapshotMetadata meta;
  meta.input_rows = build_stats.input_rows;
  meta.duplicate_rows = build_stats.duplicate_rows;
  meta.build_seconds = build_stats.seconds;
  // Without duplicates the input rows are exactly the indexed locations;
  // otherwise the writer takes the bounds from the index itself.
  if (build_stats.duplicate_rows == 0) SetBoundsFromRecords(built.input->records(), &meta);
  RETURN_IF_ERROR(built.input->CheckIntact());  // the users file did not shrink under us
  SnapshotWriteOptions write_options;
  write_options.show_progress = progress;
  if (engine_dir) {
    // The users' attributes go into checkpoint 0 (its dictionary becomes
    // the engine's at the first Open).
    RETURN_IF_ERROR(
        CreateEngineDirectory(out, index, meta, flags.Has("force"), built.attributes.get()));
  } else {
    RETURN_IF_ERROR(WriteSnapshot(out, index, meta, write_options, built.attributes.get()));
  }
  const double write_s = MillisSince(write_start) / 1000;

  std::fprintf(stderr,
               "built %zu users from %s: load %.2f s, build %.2f s (cells %.2f s, sorts %.2f s), "
               "snapshot write %.2f s; "
               "%.1f bytes/user; peak RSS %.2f GiB during build, %.2f GiB overall -> %s\n",
               index.size(), users_path.c_str(), built.load_s, build_stats.seconds,
               build_stats.cell_seconds, build_stats.sort_seconds, write_s,
               index.BytesPerUser(), build_rss, PeakRssGiB(), out.c_str());
  if (built.attributes != nullptr) {
    std::fprintf(stderr,
                 "attributes:%s%s, %zu languages: %.2f bytes/user more (%.1f bytes/user in all), "
                 "carried over to the index in %.2f s\n",
                 built.attributes->has_lang() ? " lang" : "",
                 built.attributes->has_updated_at() ? " updated_at" : "",
                 built.attributes->languages().size(),
                 index.size() ? double(built.attributes->MemoryBytes()) / index.size() : 0.0,
                 index.size() ? double(index.MemoryBytes() + built.attributes->MemoryBytes()) /
                                    index.size()
                              : 0.0,
                 built.align_s);
  }
  return absl::OkStatus();
}

}  // namespace fanout
