// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_LIVE_VIEW_STATE_H_
#define FANOUT_ENGINE_INTERNAL_LIVE_VIEW_STATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "engine/internal/alert_activity.h"
#include "engine/internal/live_version.h"
#include "engine/internal/scan_source.h"
#include "engine/live_view.h"
#include "geo/area_covering.h"

namespace fanout {
namespace internal {

// What a LiveView pins: one version of the index and the sequence number
// it was taken at, with the scan sources (base run and delta runs, each
// with this view's visibility filter) built once for every alert over it.
// Immutable once built; shared by every copy of the view.
struct LiveViewState {
  std::shared_ptr<AlertActivity> activity;  // the index's alert counter
  std::shared_ptr<const LiveVersion> version;
  uint64_t seq = 0;
  uint64_t users_approx = 0;
  std::vector<ScanSource> sources;
};

// Entries gathered for one alert from updates not yet frozen into a sorted
// run: two owned columns sorted by (cell, user), all visible. Immutable once
// built; safe to read from any thread.
class PendingRun {
 public:
  size_t size() const { return cells_.size(); }
  // A kAll source over the columns; valid while this run lives.
  ScanSource source() const;

 private:
  friend PendingRun GatherPending(const LiveViewState& view, const AreaCovering& covering);
  std::vector<uint64_t> cells_;
  std::vector<uint64_t> users_;
};

// The updates of `view` newer than its last frozen run that are visible in
// it and whose cell lies in the covering (its interior or boundary cells).
PendingRun GatherPending(const LiveViewState& view, const AreaCovering& covering);

// The engine's way into a LiveView (the executor, the index that makes
// views, and tests).
struct LiveViewAccess {
  // nullptr for a default-constructed (empty) view.
  static const LiveViewState* State(const LiveView& view) { return view.state_.get(); }
  static LiveView Make(std::shared_ptr<const LiveViewState> state) {
    return LiveView(std::move(state));
  }
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LIVE_VIEW_STATE_H_
