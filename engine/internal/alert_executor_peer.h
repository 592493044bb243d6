// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_ALERT_EXECUTOR_PEER_H_
#define FANOUT_ENGINE_INTERNAL_ALERT_EXECUTOR_PEER_H_

#include <functional>
#include <vector>

#include "engine/alert_executor.h"
#include "engine/internal/scan_range.h"
#include "geo/alert_area.h"
#include "geo/area_covering.h"

namespace fanout {
namespace internal {

// What tests and benchmarks see of an AlertExecutor beyond its public API:
// its plan, and a hook in the middle of its scans. Not installed.
//
// Thread-safety: Plan is as AlertExecutor::Execute (const, from any
// thread). SetBetweenPassesHook may be called from any thread, also while
// other threads run Execute on the same executor: the hook is swapped in
// atomically (std::atomic_store of a shared pointer), and each Execute
// runs the hook it loaded when it started, if any.
class AlertExecutorPeer {
 public:
  // The ranges a scan of `covering` would read, in index order, source by
  // source (for a view: its base and delta runs, not its newest updates,
  // which Execute gathers per alert).
  static std::vector<ScanRange> Plan(const AlertExecutor& executor, const AlertArea& area,
                                     const AreaCovering& covering);

  // Runs `hook` between the two passes of every scan of `executor` (so a
  // test can apply updates in the middle of an alert); nullptr: none.
  static void SetBetweenPassesHook(AlertExecutor& executor, std::function<void()> hook);
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_ALERT_EXECUTOR_PEER_H_
