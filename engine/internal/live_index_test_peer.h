// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_LIVE_INDEX_TEST_PEER_H_
#define FANOUT_ENGINE_INTERNAL_LIVE_INDEX_TEST_PEER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "engine/internal/live_index_impl.h"
#include "engine/live_index.h"

namespace fanout {
namespace internal {

// The test seam of LiveIndex: what tests and the load test's consistency
// checker need and a service must not reach. Not installed.
//
// Thread-safety: CreateWithFault is as LiveIndex::Create (the fault is fixed
// before any thread of the index starts). SetMergeHook may be called from
// any thread, also while a merge runs: the hook is guarded by a mutex and
// each merge runs the hook it found when it reached that point.
class LiveIndexTestPeer {
 public:
  // LiveIndex::Create, with a deliberately wrong behaviour.
  static absl::StatusOr<std::unique_ptr<LiveIndex>> CreateWithFault(
      std::unique_ptr<LocationIndex> base, const LiveIndex::Options& options,
      LiveIndexFault fault, uint64_t base_seq = 0) {
    ASSIGN_OR_RETURN(std::unique_ptr<LiveIndexImpl> impl,
                     LiveIndexImpl::Create(std::move(base), options, base_seq, fault));
    return std::unique_ptr<LiveIndex>(new LiveIndex(std::move(impl)));
  }

  // Called by every merge of `live` after it has built the new base, before
  // it replays the updates since and swaps the base in (with no lock of the
  // index held, so the hook may apply updates); nullptr: none.
  static void SetMergeHook(LiveIndex& live, std::function<void()> hook) {
    live.impl_->SetMergeHook(std::move(hook));
  }

  // How long the merge thread keeps the pages of the next merge's base
  // (LiveIndex::Stats::pooled_bytes) without a merge; 30 s otherwise.
  static void SetMergePagesReleaseDelay(LiveIndex& live, absl::Duration delay) {
    live.impl_->SetMergePagesReleaseDelay(delay);
  }
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LIVE_INDEX_TEST_PEER_H_
