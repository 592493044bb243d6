// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_SCAN_SOURCE_H_
#define FANOUT_ENGINE_INTERNAL_SCAN_SOURCE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/location_index.h"

namespace fanout {
namespace internal {

// One sorted run an alert scans, and which of its entries this alert's
// view (LiveView, sequence number `seq`) sees:
//  - kAll: every entry (a static LocationIndex, or a run built for one
//    alert from visible entries only);
//  - kBase: the base run of a live index; entry i is visible unless its
//    user moved at or before the view: moved_at[i] holds that update's
//    sequence number minus the base's, UINT32_MAX when the user has not
//    moved since the base was built;
//  - kDelta: a sorted run of updates (all at or before any view that
//    sees the run); entry i is visible unless it was superseded at or
//    before seq: marks[i], the run's copy of its record's `superseded`.
//  - kFresh: a static run scanned for one alert with a maximum age
//    (AlertExecutor::Options::max_age_s): entry i is visible unless its
//    user's updated_at (a column parallel to the run, user_attributes.h)
//    is known and before the cutoff: updated_at[i] != 0 && updated_at[i]
//    < fresh_cutoff.
// The freshness rule of max_age_s, in one place for the kFresh scan, its
// counts and the Engine's filter (engine_attributes.h): a user is kept
// unless its updated_at is known (not 0) and before `cutoff`.
inline bool IsFresh(uint32_t updated_at, uint64_t cutoff) {
  return updated_at == 0 || updated_at >= cutoff;
}

// Visibility only ever changes for updates newer than the view, so an
// entry is judged the same way however often a scan looks at it.
// Thread-safety: a plain value; Visible() is safe from any thread.
struct ScanSource {
  enum class Filter : uint8_t { kAll, kBase, kDelta, kFresh };

  SortedRun run;
  Filter filter = Filter::kAll;
  const std::atomic<uint32_t>* moved_at = nullptr;  // kBase
  uint32_t moved_limit = 0;                         // kBase: visible iff moved_at[i] > limit
  const std::atomic<uint64_t>* marks = nullptr;     // kDelta
  uint64_t seq = 0;                                 // kDelta: the view
  const uint32_t* updated_at = nullptr;             // kFresh
  uint64_t fresh_cutoff = 0;                        // kFresh

  bool Visible(size_t i) const {
    switch (filter) {
      case Filter::kAll:
        return true;
      case Filter::kBase:
        return moved_at[i].load(std::memory_order_relaxed) > moved_limit;
      case Filter::kDelta:
        return marks[i].load(std::memory_order_relaxed) > seq;
      case Filter::kFresh:
        return IsFresh(updated_at[i], fresh_cutoff);
    }
    return false;
  }
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_SCAN_SOURCE_H_
