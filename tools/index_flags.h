// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_INDEX_FLAGS_H_
#define FANOUT_TOOLS_INDEX_FLAGS_H_

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "engine/delivery.h"
#include "engine/location_index.h"
#include "tools/cli_flags.h"

namespace fanout {

// The flags that name where an alert's users come from: exactly one of
// --index SNAPSHOT (a `fanout build` snapshot, mapped and verified) or
// --users FILE (loaded and built now; --skip-bad-rows for CSV).
std::set<std::string> IndexValuedFlags();
std::set<std::string> IndexSwitchFlags();

// Loads the snapshot, or loads users and builds the index, reporting load
// and build figures on stderr and in `summary->alert_info`.
absl::StatusOr<std::unique_ptr<LocationIndex>> LoadIndexFromFlags(const CliFlags& flags,
                                                                  AlertSummary* summary);

}  // namespace fanout

#endif  // FANOUT_TOOLS_INDEX_FLAGS_H_
