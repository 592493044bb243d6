// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_ALERT_OUTPUT_H_
#define FANOUT_TOOLS_ALERT_OUTPUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/delivery.h"
#include "geo/alert_area.h"
#include "geo/area_covering.h"
#include "tools/cli_flags.h"

namespace fanout {

// What `fanout alert` and `fanout-mpi alert` both write beside the lists,
// in one place so that the two commands' files are the same bytes.
// Thread-safety: plain functions over their arguments; the Print* ones
// write to stdout, so call them from one thread.

// --max-age (0 when absent) and --now, checked with `fanout alert`'s
// messages: --now goes only with --max-age.
struct AgeFlags {
  int64_t max_age_s = 0;
  std::optional<int64_t> now;
};
absl::StatusOr<AgeFlags> ParseAgeFlags(const CliFlags& flags);

// The alert's <sent> (summary.alert_info's last "sent"), empty without one:
// with AgeFlags::now, what AlertTime (engine/user_attributes.h) reads.
std::string AlertSent(const AlertSummary& summary);

// Whether two results hold the same users shard by shard, as sets; `why`
// says how they differ (--verify: the engine's lists against
// BruteForceScan's).
bool SameListsAsSets(DeliveryLists a, DeliveryLists b, std::string* why);

// The operator map (geo/alert_map.h) of an alert: its area, covering and
// the cells of the matched users (`matched_cells`, any number of spans),
// titled from `summary` (its alert_info "identifier" or "source", its
// areas) with its index size and, for nearest-first delivery, its
// incident point; state outlines when data/ has them (a note on stderr
// otherwise: a map without them is still a map).
absl::StatusOr<std::string> RenderOperatorMap(
    const AlertArea& area, const AreaCovering& covering,
    const std::vector<absl::Span<const uint64_t>>& matched_cells, const AlertSummary& summary);

// Prints, after the lists are written, what --max-age left out and where
// --by-info put each block (nothing when neither was asked for); `out_dir`
// is the lists' folder.
void PrintAttributeDelivery(const AlertSummary& summary, const std::string& out_dir);

}  // namespace fanout

#endif  // FANOUT_TOOLS_ALERT_OUTPUT_H_
