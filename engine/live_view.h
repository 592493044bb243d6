// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_LIVE_VIEW_H_
#define FANOUT_ENGINE_LIVE_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"

namespace fanout {

namespace internal {
struct LiveViewState;
struct LiveViewAccess;
}  // namespace internal

// One consistent state of a LiveIndex, pinned: every update with a sequence
// number up to seq(), and none after (DESIGN §3). Made by LiveIndex::View();
// cheap to take and to copy (it shares the pinned state, a few reference
// counts), and safe to hold while writers go on. Holding a view keeps the
// runs it sees alive (memory the index would otherwise free at its next
// merge), so hold one for the length of an alert, not for hours. A view
// does not keep the LiveIndex itself alive, nor need it: it stays valid
// after the index is destroyed.
//
// A default-constructed view is empty: seq() 0, no users; an AlertExecutor
// over it finds nobody.
//
// Thread-safety: immutable; const methods are safe from any thread.
//
// Typical usage:
//   LiveView view = live->View();
//   AlertExecutor executor(view, options);  // keeps its own copy of the view
//   ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(area, &summary));
class LiveView {
 public:
  LiveView();
  ~LiveView();
  LiveView(const LiveView&);
  LiveView& operator=(const LiveView&);
  LiveView(LiveView&&) noexcept;
  LiveView& operator=(LiveView&&) noexcept;

  // The last update this view includes.
  uint64_t seq() const;
  // Entries in the base run (including users that moved since it was built).
  size_t base_entries() const;
  // Users in the index at about this view (maintained by the writer; may
  // include updates a little after seq()).
  uint64_t users_approx() const;
  // Updates in this view not yet frozen into a sorted run: each alert
  // gathers these one by one, so they cost more per entry than runs do.
  uint64_t pending_updates() const;

  // Calls fn(cell, user) for every user visible in this view (cell: the
  // user's S2 leaf cell id), in no particular order. Serial; for tests,
  // consistency checks and dumps, not for alerts.
  void ForEachVisible(absl::FunctionRef<void(uint64_t cell, uint64_t user)> fn) const;

 private:
  friend struct internal::LiveViewAccess;
  explicit LiveView(std::shared_ptr<const internal::LiveViewState> state);

  std::shared_ptr<const internal::LiveViewState> state_;  // null: empty view
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_LIVE_VIEW_H_
