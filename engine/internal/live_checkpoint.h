// Copyright 2026 The fan-out engine authors.
//
// A pinned live state (LiveView) as sorted columns, for checkpoints: the
// base and every delta run are sorted by (cell, user) already, so the
// visible entries come out of a merge of them, cut into parts by key that
// are merged in parallel, instead of a collection and two sorts.

#ifndef FANOUT_ENGINE_INTERNAL_LIVE_CHECKPOINT_H_
#define FANOUT_ENGINE_INTERNAL_LIVE_CHECKPOINT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/internal/scan_source.h"
#include "engine/live_view.h"
#include "engine/location_index.h"
#include "engine/snapshot.h"

namespace fanout {
namespace internal {

// Every user visible in a view, in (cell, user) order, in parts
// (SnapshotColumnSource). The updates not yet frozen into a run are
// gathered and sorted when it is made (a freeze interval's worth); the
// rest is read from the view's runs as needed. Keeps the view pinned.
// Thread-safety: immutable once made; Count and Produce from any threads.
class VisibleColumns : public SnapshotColumnSource {
 public:
  // `entries_per_part`: about how many entries a part takes (of the
  // largest run); smaller makes more parts (tests use it to cut small
  // states into many).
  explicit VisibleColumns(const LiveView& view, size_t entries_per_part = size_t{1} << 18);

  size_t parts() const override { return parts_; }
  size_t Count(size_t p) const override;
  void Produce(size_t p, Emit emit) const override;

 private:
  LiveView view_;  // keeps the runs alive
  std::vector<uint64_t> pending_cells_, pending_users_;
  // The base and delta runs (with the view's filters) and the pending
  // updates (all visible); sources_[0] is the largest, merged with the
  // others' entries of each part.
  std::vector<ScanSource> sources_;
  size_t parts_ = 1;
  // cut_[s][p]: source s's first entry in part p; cut_[s][parts_] is its size.
  std::vector<std::vector<size_t>> cut_;
};

// Every user visible in `view`, as a static index (parallel; 16 bytes per
// user).
std::unique_ptr<LocationIndex> MaterialiseVisible(const LiveView& view);

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LIVE_CHECKPOINT_H_
