// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_AREA_FLAGS_H_
#define FANOUT_TOOLS_AREA_FLAGS_H_

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "engine/delivery.h"
#include "geo/alert_area.h"
#include "tools/cli_flags.h"

namespace fanout {

// The flags that name an alert's area (--geojson, --feature, --polygon,
// --circle, --edges, ...): `fanout alert` and later commands take them all.
std::set<std::string> AreaValuedFlags();
std::set<std::string> AreaSwitchFlags();

// Builds the alert area from whichever area flag was given; records what
// defined it in `summary->alert_info`. An area that resolves to nothing is
// refused (kInvalidArgument): an alert is never delivered to nobody.
absl::StatusOr<std::unique_ptr<AlertArea>> LoadAreaFromFlags(const CliFlags& flags,
                                                             AlertSummary* summary);

}  // namespace fanout

#endif  // FANOUT_TOOLS_AREA_FLAGS_H_
