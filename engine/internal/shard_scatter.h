// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_SHARD_SCATTER_H_
#define FANOUT_ENGINE_INTERNAL_SHARD_SCATTER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/types/span.h"
#include "engine/delivery.h"
#include "engine/location_index.h"
#include "engine/internal/scan_range.h"
#include "engine/internal/scan_source.h"
#include "engine/shard_policy.h"
#include "geo/alert_area.h"

namespace fanout {
namespace internal {

// A unit of parallel work: slices [first, last) of a sliced plan.
struct WorkItem {
  size_t first;
  size_t last;
};

// Cuts a plan into work items of about `chunk` entries each, splitting long
// ranges, so that work is balanced by entries rather than by cells.
void SplitWork(const std::vector<ScanRange>& plan, size_t chunk, std::vector<ScanRange>* slices,
               std::vector<WorkItem>* items);

// Appends `user` at *at, and asks for the line kAheadIds ids ahead of it,
// into L2. ScatterByShard's pass 2 writes to 256 lists at once: too many
// streams for the hardware prefetchers, so without the hint each line of
// each list is fetched for ownership only when the first store reaches it,
// and the store buffer, which drains in order, waits for it. Asked for two
// lines early, the fetch is done by then: BM_WritePass_* sweeps the distance
// (readings in bench/README.md, "Figures behind code comments"). A prefetch never faults, so an
// address past the end of a list is harmless.
template <int kAheadIds = 16>
inline void PutAhead(uint64_t** at, uint64_t user) {
  __builtin_prefetch(*at + kAheadIds, /*rw=*/1, /*locality=*/2);
  *(*at)++ = user;
}

// Scans `slices` (grouped into `items`; slice.source indexes `sources`) and
// scatters the matching users that each source's filter shows into
// per-shard lists, as a parallel counting sort in two passes:
//   1. each item counts its matches per shard (testing boundary entries
//      exactly, once, and remembering the answers; for the whole blocks of
//      an untested range of a run that keeps them, adding the run's block
//      counts of shard-hash bytes instead, location_index.h);
//   2. an exclusive scan over items gives every item its own slice of each
//      shard's final list, and each item writes its users there.
// Nothing is appended to a growing vector and nothing is copied again in a
// merge, and the lists are not zero-filled first (UserIdList); each
// shard's list is in index order (cell, then user id), so the
// output is deterministic whatever the thread count. Pass 2 judges the
// visibility of untested entries again: the filters are stable for one
// snapshot (scan_source.h), so both passes agree even while writers go on.
//
// `between_passes`, when set, runs after pass 1 (a test hook: it lets a test
// apply updates in the middle of an alert, deterministically).
//
// Thread-safety: uses the TBB arena of the caller; reads shared state only.
//
// Writes into `*lists_out`, reusing the memory its lists already hold:
// each is resized to its count, so a list whose capacity suffices is not
// reallocated (nor its pages faulted in again).
//
// `cells_out`, when not null, receives beside each list the leaf cell id of
// each of its users ((*cells_out)[s][i] is where lists_out->shards[s][i]
// is), for callers that order the lists by distance or draw the users on a
// map. `positions_out`, likewise, receives each listed user's entry
// number in its source's run, for callers that read columns parallel to
// the run (a static index's user attributes, user_attributes.h). Pass 2 is
// compiled for each combination, so the lists-only path does not test for
// them entry by entry.
void ScatterByShard(absl::Span<const ScanSource> sources, const std::vector<ScanRange>& slices,
                    const std::vector<WorkItem>& items, const AlertArea& area,
                    const ShardPolicy& policy, DeliveryLists* lists_out,
                    const std::function<void()>& between_passes = nullptr,
                    std::vector<UserIdList>* cells_out = nullptr,
                    std::vector<UserIdList>* positions_out = nullptr);

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_SHARD_SCATTER_H_
