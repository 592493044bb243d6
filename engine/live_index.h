// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_LIVE_INDEX_H_
#define FANOUT_ENGINE_LIVE_INDEX_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/live_view.h"
#include "engine/location_index.h"
#include "engine/location_update.h"

namespace fanout {

class UpdateLogWriter;

namespace internal {
class LiveIndexFactory;
class LiveIndexImpl;
class LiveIndexTestPeer;
}  // namespace internal

// The location index, live: users' locations change while alerts run
// (DESIGN §3), and every alert sees one consistent state, a LiveView.
//
// Structure (an LSM tree with an in-place tombstone on the bottom level;
// the implementation is engine/internal/live_index_impl.h):
//  - a base run: a LocationIndex (17 bytes/entry, sorted by cell) plus, per
//    entry, the sequence number of the update that moved or removed its
//    user, or "never" (4 bytes);
//  - the update records, by sequence number (56 bytes each, until merged);
//  - delta runs: updates frozen into runs sorted by cell (32 bytes per
//    entry), every freeze_interval by a freeze thread; two compaction
//    threads merge them four at a time in size tiers, so there are O(log)
//    of them;
//  - per user, a dense slot (an entry in a keyless slot table and its
//    position in the base); for users updated more than once since the
//    base, and new ones, the sequence number of their last update.
// An update takes the writer lock for a hash lookup and a few stores, then
// publishes its sequence number. A view pins the published number S and the
// current runs: it sees each user where its last update at or before S put
// it. The merge folds the delta runs into a new base off the writer lock
// once they pass merge_fraction of the base, and swaps it in.
//
// Memory: about 17.1 (the base) + 4 (moved at) + 4 (base position) + 6.7
// (slot table) bytes per user, plus 56 per update record and 32 per delta
// entry until merged, and 20-40 (a hash map's) for each user updated twice
// since the base or new since it; a merge holds about 25 more
// per user while it builds the new base. GetStats() reports the total;
// `fanout loadtest` prints it per user (bench/README.md, "Live updates",
// has the readings).
//
// Alerts come first: the background threads run below normal priority
// and, between steps, wait while an alert over one of the index's views is
// running (at most Options::max_yield_to_alerts a step, so that
// maintenance keeps up under a continuous stream of alerts).
//
// Thread-safety: every public method may be called from any number of
// threads at once. Apply serialises writers; View never waits for a merge or
// a freeze (only for a pointer copy).
//
// Typical usage:
//   ASSIGN_OR_RETURN(auto live, LiveIndex::Create(std::move(index), {}));
//   ASSIGN_OR_RETURN(uint64_t seq, live->Apply(updates));  // visible now
//   AlertExecutor executor(live->View(), executor_options);  // view.seq() >= seq
//   ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(area, &summary));
class LiveIndex {
 public:
  struct Options {
    // Run the background threads that freeze, compact and merge. Without
    // them, call Freeze() and Merge() yourself. DEFAULT: true.
    bool background_maintenance = true;
    // The freeze thread freezes pending updates this often: shorter keeps
    // the updates each alert gathers one by one fewer, at more, smaller
    // runs for the compactions. DEFAULT: 5 ms. REQUIRES: > 0.
    absl::Duration freeze_interval = absl::Milliseconds(5);
    // Merge the deltas into a new base once they hold more entries than
    // this fraction of the base. Smaller: merges more often, each with
    // fewer deltas (much of a merge's time goes to its deltas, so the
    // merge thread's total time grows far less than the number of merges),
    // and alerts scan fewer delta entries and moved base entries; loaded
    // alert latency falls down to about 0.06 (`fanout loadtest`, readings in
    // bench/README.md, "merge_fraction").
    // The background merge waits while a view taken before the previous
    // merge still pins the base that merge replaced (a long alert, an
    // Engine checkpoint), so that no more than the current base, one
    // replaced base and a merge's new one are ever held at once; an
    // explicit Merge() does not wait. DEFAULT: 0.125. REQUIRES: > 0.
    double merge_fraction = 0.125;
    // Between steps, background work waits while alerts over the index's
    // views are running, at most this long a step (so that maintenance
    // still keeps up under a continuous stream of alerts); zero: never
    // waits. Waiting lowers loaded alert latency (`fanout loadtest`,
    // bench/README.md, "max_yield_to_alerts"). DEFAULT: 50 ms.
    absl::Duration max_yield_to_alerts = absl::Milliseconds(50);
    // Append every batch to this update log before applying it
    // (update_log.h); nullptr: no log. Not owned; must outlive the index.
    UpdateLogWriter* log = nullptr;
  };

  struct Stats {
    uint64_t last_seq = 0;
    uint64_t users = 0;  // users in the index now
    uint64_t slots = 0;  // distinct users ever seen
    uint64_t base_entries = 0;
    uint64_t delta_runs = 0;
    uint64_t delta_entries = 0;
    uint64_t pending_updates = 0;  // applied, not yet in a sorted run
    uint64_t freezes = 0;
    uint64_t compactions = 0;
    uint64_t merges = 0;
    double merge_seconds = 0;        // total time spent merging
    double merge_locked_ms_max = 0;  // longest time a merge held the writer lock
    // Everything the index holds, see above, with merge_bytes,
    // replaced_bytes and pooled_bytes.
    uint64_t memory_bytes = 0;
    // Of which: what a merge in progress holds besides the state it will
    // replace (the deltas it sorted, the new base it builds); 0 between
    // merges.
    uint64_t merge_bytes = 0;
    // Of which: the update records and delta entries not yet in the base
    // (56 and 32 bytes each; records by chunks of 65,536), superseded ones
    // included, and those a merge in progress is folding in until it swaps
    // its base in, and those it folded in while a view taken before the
    // swap still pins them. What an Engine's backpressure bounds
    // (EngineOptions).
    uint64_t unmerged_bytes = 0;
    // Of which: the base the last merge replaced, while a view taken
    // before it still pins it; 0 once every such view is gone. While it is
    // not 0 the background merge does not start another (so at most two
    // bases are ever held besides a merge's new one: see
    // Options::merge_fraction).
    uint64_t replaced_bytes = 0;
    // Of which: pages kept mapped for the next merge's base (those of the
    // base it will replace and of the last merge's scratch: about one base
    // between merges), given back to the system after 30 s without a
    // merge. They make a merge take pages already faulted in.
    uint64_t pooled_bytes = 0;
  };

  // Makes `base` live: its users are the state before update 1 (or before
  // update base_seq + 1, when the base is a snapshot file written after
  // applying updates up to base_seq). Builds the user map, in time linear in
  // the users. kInvalidArgument for a null base, invalid options or a base
  // of 2^32 - 1 users or more.
  static absl::StatusOr<std::unique_ptr<LiveIndex>> Create(std::unique_ptr<LocationIndex> base,
                                                           const Options& options,
                                                           uint64_t base_seq = 0);
  // Stops the background threads. Views taken earlier stay valid.
  ~LiveIndex();
  LiveIndex(const LiveIndex&) = delete;
  LiveIndex& operator=(const LiveIndex&) = delete;

  // Applies `updates` in order, atomically with respect to views (a view
  // sees all of them or none), and returns the sequence number of the last:
  // every view taken after Apply returns has seq() >= it.
  // kInvalidArgument (naming the position) when an upsert's coordinates are
  // out of range; then nothing is applied. kResourceExhausted when 2^31
  // updates wait for a merge (maintenance is not running). An empty batch
  // returns last_seq(). Removing a user not in the index is a no-op that
  // still takes a sequence number. With Options::log, an append failure is
  // returned and nothing is applied.
  absl::StatusOr<uint64_t> Apply(absl::Span<const LocationUpdate> updates);
  // The same, with each upsert's leaf cell already computed by the caller
  // (`cells[i]` == updates[i].location.ToCellId().id(); ignored for a
  // remove): the Engine computes them once for the index and for its
  // standing alerts' check. REQUIRES: cells.size() == updates.size().
  // `previous`, when not empty (REQUIRES: previous.size() == updates.size()):
  // set to the leaf cell id each update's user was at just before it (the
  // entry it supersedes; after an earlier update of the same user in this
  // batch, that update's cell), or 0 when the user had no entry (new, or
  // removed); written only when the batch is applied. previous[i] == 0 on
  // entry says the caller does not need update i's: it may then come back
  // 0 or the cell (asking, with any nonzero value, only for those you use
  // makes the batch cheaper).
  absl::StatusOr<uint64_t> Apply(absl::Span<const LocationUpdate> updates,
                                 absl::Span<const uint64_t> cells,
                                 absl::Span<uint64_t> previous = {});
  absl::StatusOr<uint64_t> Upsert(const UserRecord& location) {
    LocationUpdate u = LocationUpdate::Upsert(location);
    return Apply({&u, 1});
  }
  absl::StatusOr<uint64_t> Remove(uint64_t user_id) {
    LocationUpdate u = LocationUpdate::Remove(user_id);
    return Apply({&u, 1});
  }

  // The current state, pinned (live_view.h).
  LiveView View() const;
  // The sequence number of the last update applied and published.
  uint64_t last_seq() const;

  // Maintenance steps, run by the background threads when there are; public
  // for tests and for callers who run without them. Each is safe to call at
  // any time, concurrently with everything else (a merge lets freezes,
  // updates and alerts go on while it builds the new base).
  // Sorts the updates not yet in a run into a new delta run, then merges
  // runs four at a time while the size tiers call for it.
  void Freeze();
  // Folds every update so far into a new base run.
  void Merge();

  Stats GetStats() const;
  // True while a merge builds or swaps in a new base (for reports).
  bool MergeInProgress() const;

 private:
  friend class internal::LiveIndexFactory;
  friend class internal::LiveIndexTestPeer;
  explicit LiveIndex(std::unique_ptr<internal::LiveIndexImpl> impl);

  const std::unique_ptr<internal::LiveIndexImpl> impl_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_LIVE_INDEX_H_
