// Copyright 2026 The fan-out engine authors.

#include "engine/live_view.h"

#include <algorithm>
#include <utility>

#include "engine/internal/live_view_state.h"
#include "s2/s2cell_id.h"

namespace fanout {

using internal::LiveViewState;
using internal::RecordTable;
using internal::ScanSource;
using internal::UpdateRecord;

LiveView::LiveView() = default;
LiveView::~LiveView() = default;
LiveView::LiveView(const LiveView&) = default;
LiveView& LiveView::operator=(const LiveView&) = default;
LiveView::LiveView(LiveView&&) noexcept = default;
LiveView& LiveView::operator=(LiveView&&) noexcept = default;
LiveView::LiveView(std::shared_ptr<const LiveViewState> state) : state_(std::move(state)) {}

uint64_t LiveView::seq() const { return state_ == nullptr ? 0 : state_->seq; }

size_t LiveView::base_entries() const {
  return state_ == nullptr ? 0 : state_->version->base->index->size();
}

uint64_t LiveView::users_approx() const { return state_ == nullptr ? 0 : state_->users_approx; }

uint64_t LiveView::pending_updates() const {
  return state_ == nullptr ? 0 : state_->seq + 1 - state_->version->pending_first_seq;
}

void LiveView::ForEachVisible(absl::FunctionRef<void(uint64_t, uint64_t)> fn) const {
  if (state_ == nullptr) return;
  for (const ScanSource& src : state_->sources) {
    for (size_t i = 0; i < src.run.size(); ++i) {
      if (src.Visible(i)) fn(src.run.cells[i], src.run.users[i]);
    }
  }
  const RecordTable& records = *state_->version->records;
  for (uint64_t s = state_->version->pending_first_seq; s <= state_->seq; ++s) {
    const UpdateRecord& r = records.at(s);
    if (!r.removed && r.superseded.load(std::memory_order_relaxed) > state_->seq) {
      fn(r.cell, r.user);
    }
  }
}

namespace internal {

ScanSource PendingRun::source() const { return ScanSource{SortedRun{cells_, users_, {}, {}}}; }

PendingRun GatherPending(const LiveViewState& view, const AreaCovering& covering) {
  PendingRun out;
  const RecordTable& records = *view.version->records;
  std::vector<Entry> found;
  // The leaf range the covering spans: most updates fall outside it, and two
  // comparisons reject them before the binary searches.
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for (const S2CellUnion* u : {&covering.interior, &covering.boundary}) {
    if (u->num_cells() == 0) continue;
    lo = std::min<uint64_t>(lo, u->cell_id(0).range_min().id());
    hi = std::max<uint64_t>(hi, u->cell_id(u->num_cells() - 1).range_max().id());
  }
  for (uint64_t s = view.version->pending_first_seq; s <= view.seq; ++s) {
    const UpdateRecord& r = records.at(s);
    if (r.cell < lo || r.cell > hi) continue;
    if (r.removed || r.superseded.load(std::memory_order_relaxed) <= view.seq) continue;
    S2CellId cell(r.cell);
    if (covering.interior.Contains(cell) || covering.boundary.Contains(cell)) {
      found.push_back({r.cell, r.user, s});
    }
  }
  std::sort(found.begin(), found.end());
  out.cells_.reserve(found.size());
  out.users_.reserve(found.size());
  for (const auto& e : found) {
    out.cells_.push_back(e.cell);
    out.users_.push_back(e.user);
  }
  return out;
}

}  // namespace internal
}  // namespace fanout
