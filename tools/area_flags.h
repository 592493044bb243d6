// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_AREA_FLAGS_H_
#define FANOUT_TOOLS_AREA_FLAGS_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/alert_executor.h"
#include "engine/delivery.h"
#include "geo/alert_area.h"
#include "tools/cli_flags.h"

namespace fanout {

// The flags that name an alert's area (--cap, --geojson, --feature,
// --polygon, --circle, --same, --fips, --edges, --margin-m, --geocodes,
// --lenient): `fanout alert` and later commands take them all.
std::set<std::string> AreaValuedFlags();
std::set<std::string> AreaSwitchFlags();

// Builds the alert area from whichever area flag was given. A thin caller
// of the library: the flags become AlertTextOptions and an AlertFormat, the
// file (if any) is read, ResolveAlertText (geo/alert_text.h) resolves it
// with DESIGN §3 and §4b, and its result is copied into the summary:
// `summary->alert_info` (source, edges, and for CAP/GeoJSON alerts the
// identifier, sender, sent, msgType, status, references), the per-area
// descriptions in `summary->areas` (users still 0), the lenient repairs in
// `summary->repairs` and the count of dropped repeated pairs. Errors are
// the library's, prefixed with the file or the flag. When `per_area` is
// given it receives each area's own region, in the order of
// `summary->areas`, for CountUsersPerArea. An area that resolves to nothing
// is refused (kInvalidArgument): an alert is never delivered to nobody.
// When `file_text` is given it is used as the text of the --cap or
// --geojson file instead of reading it (the file's name still labels
// errors and "source"): fanout-mpi reads the file on one rank and
// broadcasts its text to the others, which may run where it does not exist.
// `info_languages` (optional) receives the <language> of each info block
// (ResolvedAlert::info_languages).
absl::StatusOr<std::unique_ptr<AlertArea>> LoadAreaFromFlags(
    const CliFlags& flags, AlertSummary* summary,
    std::vector<std::unique_ptr<AlertArea>>* per_area = nullptr,
    const std::string* file_text = nullptr, std::vector<std::string>* info_languages = nullptr);

// The text of the --cap or --geojson file `flags` name (at most the
// library's size limit for alert text), or "" when the area is given by
// another flag, whose text is on the command line.
absl::StatusOr<std::string> ReadAreaFileFromFlags(const CliFlags& flags);

// Fills `summary->areas[i].users`. With one area that is `matched`; with
// several, each area is run as its own query on `executor` (cost: one more
// alert per area, each usually cheaper than the main alert since the areas
// are its parts; the lists are counted and dropped). Above kMaxCountedAreas
// areas (a GeoJSON of every county, say) nothing is counted and
// `alert_info` says so.
inline constexpr size_t kMaxCountedAreas = 64;
absl::Status CountUsersPerArea(const AlertExecutor& executor,
                               const std::vector<std::unique_ptr<AlertArea>>& per_area,
                               AlertSummary* summary);

}  // namespace fanout

#endif  // FANOUT_TOOLS_AREA_FLAGS_H_
