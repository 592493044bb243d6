// Copyright 2026 The fan-out engine authors.
//
// LiveIndex forwards to its implementation (engine/internal/
// live_index_impl.h), which holds the locks, the threads and the runs.

#include "engine/live_index.h"

#include <utility>

#include "base/status_macros.h"
#include "engine/internal/live_index_impl.h"

namespace fanout {

LiveIndex::LiveIndex(std::unique_ptr<internal::LiveIndexImpl> impl) : impl_(std::move(impl)) {}

LiveIndex::~LiveIndex() = default;

absl::StatusOr<std::unique_ptr<LiveIndex>> LiveIndex::Create(std::unique_ptr<LocationIndex> base,
                                                             const Options& options,
                                                             uint64_t base_seq) {
  ASSIGN_OR_RETURN(std::unique_ptr<internal::LiveIndexImpl> impl,
                   internal::LiveIndexImpl::Create(std::move(base), options, base_seq,
                                                   internal::LiveIndexFault::kNone));
  return std::unique_ptr<LiveIndex>(new LiveIndex(std::move(impl)));
}

absl::StatusOr<uint64_t> LiveIndex::Apply(absl::Span<const LocationUpdate> updates) {
  return impl_->Apply(updates);
}

absl::StatusOr<uint64_t> LiveIndex::Apply(absl::Span<const LocationUpdate> updates,
                                          absl::Span<const uint64_t> cells,
                                          absl::Span<uint64_t> previous) {
  return impl_->Apply(updates, cells, previous);
}

LiveView LiveIndex::View() const { return impl_->View(); }

uint64_t LiveIndex::last_seq() const { return impl_->last_seq(); }

void LiveIndex::Freeze() { impl_->Freeze(); }

void LiveIndex::Merge() { impl_->Merge(); }

LiveIndex::Stats LiveIndex::GetStats() const { return impl_->GetStats(); }

bool LiveIndex::MergeInProgress() const { return impl_->MergeInProgress(); }

}  // namespace fanout
