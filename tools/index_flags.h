// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_INDEX_FLAGS_H_
#define FANOUT_TOOLS_INDEX_FLAGS_H_

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "engine/delivery.h"
#include "engine/location_index.h"
#include "engine/users_input.h"
#include "tools/cli_flags.h"

namespace fanout {

// The flags that name where an alert's users come from: exactly one of
// --index SNAPSHOT (a `fanout build` snapshot, mapped and verified),
// --dir DIR (an engine folder, engine/engine.h: its newest checkpoint plus
// the log after it, read without changing a file) or --users FILE (loaded
// and built now; --skip-bad-rows for CSV).
std::set<std::string> IndexValuedFlags();
std::set<std::string> IndexSwitchFlags();

// Users read from a file and indexed, with what happened on the way.
struct BuiltIndex {
  std::unique_ptr<UsersInput> input;  // kept: callers may still read the records
  std::unique_ptr<LocationIndex> index;
  // The users' attributes carried over to the index's entries
  // (AlignAttributes); null when the file has none.
  std::shared_ptr<const UserAttributes> attributes;
  double align_s = 0;  // time to carry them over
  LocationIndex::BuildStats build_stats;
  UsersCsvStats csv_stats;
  double load_s = 0;
};

// Loads `users_path` (binary or CSV, progress on a terminal) and builds the
// index; reports repeated user ids and skipped rows on stderr.
absl::StatusOr<BuiltIndex> LoadUsersAndBuild(const std::string& users_path, bool skip_bad_rows);

// Loads the snapshot or the engine folder's state, or loads users and
// builds the index, reporting load and build figures on stderr and in
// `summary->alert_info`. `attributes` (optional) receives the entries'
// attributes when the snapshot, users file or engine folder (as of its
// replayed log) has them, else null.
absl::StatusOr<std::unique_ptr<LocationIndex>> LoadIndexFromFlags(
    const CliFlags& flags, AlertSummary* summary,
    std::shared_ptr<const UserAttributes>* attributes = nullptr);

}  // namespace fanout

#endif  // FANOUT_TOOLS_INDEX_FLAGS_H_
