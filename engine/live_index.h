// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_LIVE_INDEX_H_
#define FANOUT_ENGINE_LIVE_INDEX_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/huge_pages.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/scan_source.h"
#include "geo/area_covering.h"

namespace fanout {

class LiveView;
class UpdateLogWriter;

namespace internal {

struct LiveVersion;
struct LiveBase;

// Entries gathered for one alert from updates not yet frozen into a sorted
// run: two owned columns sorted by (cell, user), all visible. Immutable once
// built; safe to read from any thread.
class PendingRun {
 public:
  size_t size() const { return cells_.size(); }
  ScanSource source() const;

 private:
  friend class ::fanout::LiveView;
  std::vector<uint64_t> cells_;
  std::vector<uint64_t> users_;
};

// How many alerts are running over an index's snapshots (thread-safe: an
// atomic counter, raised and lowered by Scope from any thread). Background
// maintenance waits (a bounded time) while any is: on a small machine
// alerts are what must be fast, and a freeze, compaction or merge step
// taken between alerts costs nothing that matters.
struct AlertActivity {
  std::atomic<int> running{0};
  class Scope {
   public:
    explicit Scope(AlertActivity* a) : a_(a) {
      if (a_ != nullptr) a_->running.fetch_add(1, std::memory_order_relaxed);
    }
    ~Scope() {
      if (a_ != nullptr) a_->running.fetch_sub(1, std::memory_order_relaxed);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    AlertActivity* a_;
  };
};

}  // namespace internal

// One consistent state of a LiveIndex: every update with a sequence number
// up to seq(), and none after. Cheap to take (a lock held for a pointer copy
// and an atomic load) and safe to hold while writers go on; it keeps the
// runs it sees alive, so hold it only for the length of an alert.
//
// Thread-safety: immutable; const methods are safe from any thread.
class LiveView {
 public:
  uint64_t seq() const { return seq_; }
  // Entries in the base run (including users that moved since it was built).
  size_t base_entries() const;
  // Users in the index at about this snapshot (maintained by the writer; may
  // include updates a little after seq()).
  uint64_t users_approx() const { return users_approx_; }

  // Updates in this snapshot not yet frozen into a sorted run: each alert
  // gathers these one by one (GatherPending).
  uint64_t pending_updates() const;

  // Base run and delta runs, with this snapshot's visibility filters.
  const std::vector<internal::ScanSource>& sources() const { return sources_; }
  // Visible updates newer than the last frozen run whose cell lies in the
  // covering (its interior or boundary cells).
  internal::PendingRun GatherPending(const AreaCovering& covering) const;

  // Calls fn(cell, user) for every user visible in this snapshot, in no
  // particular order. Serial; for tests, the load-test checker and dumps.
  void ForEachVisible(absl::FunctionRef<void(uint64_t cell, uint64_t user)> fn) const;

  // The index's alert counter (AlertExecutor holds a Scope on it while it
  // runs an alert over this snapshot).
  internal::AlertActivity* alert_activity() const { return activity_.get(); }

 private:
  friend class LiveIndex;
  std::shared_ptr<internal::AlertActivity> activity_;
  std::shared_ptr<const internal::LiveVersion> version_;
  uint64_t seq_ = 0;
  uint64_t users_approx_ = 0;
  std::vector<internal::ScanSource> sources_;
};

// The location index, live: users' locations change while alerts run
// (DESIGN §3), and every alert sees one consistent state.
//
// Structure (an LSM tree with an in-place tombstone on the bottom level):
//  - a base run: a LocationIndex (17 bytes/entry, sorted by cell) plus, per
//    entry, moved_at: the sequence number (relative to the base's) of the
//    update that moved or removed its user, or "never" (4 bytes);
//  - the update records, by sequence number: the new cell, the user, the
//    entry replaced, and `superseded`, set once when the user's next update
//    replaces this one, and the two pointers to its copies in delta runs
//    (56 bytes each, until merged);
//  - delta runs: updates frozen into runs sorted by cell (cell, user, seq
//    and a copy of `superseded`, which is what alerts read: 32 bytes each),
//    a few milliseconds' worth at a time by the freeze thread; two
//    compaction threads merge them four at a time in size tiers so there
//    are O(log) of them (also while a merge runs, among the runs newer than
//    the merge's);
//  - per user, a dense slot (flat hash map user id -> slot, 12 bytes plus
//    the table's slack) with the sequence number of its current entry
//    (8 bytes) and its position in the base (4 bytes), and per base entry
//    its slot (4 bytes), so the merge can repoint slots in one pass.
// An update takes the writer lock (short: a hash lookup, one store that
// marks the replaced entry, one record written; the cell id is computed
// before the lock), then publishes its sequence number. An alert pins the
// published number S and the current version (base, runs, records): a base
// entry is visible when its user has not moved at or before S, a delta
// entry when its update is at or before S and was not superseded at or
// before S. A user that moves during an alert has its old entry superseded
// at a number above S, and its new entry is numbered above S: the alert
// finds it at its old place only. The merge folds all deltas up to some M
// into a new base off the lock, then replays the few updates after M onto
// the new base's moved_at (most of them off the lock, the rest under it)
// and swaps the base in.
//
// Memory: about 16 + 4 + 4 + 4 + 8 bytes per user plus the hash map (~21
// bytes at 20M users), plus 56 per update record and 32 per delta entry
// until merged; `fanout loadtest` reports the total (72.5 bytes per user at
// the end of its 20M-user, 1M-updates/s run).
//
// Alerts come first: the background threads run below normal priority
// (freezes at nice 5, compactions at 10, merges at 19) and, between steps,
// wait while an alert over one of the index's snapshots is running
// (AlertActivity; at most Options::max_yield_to_alerts a step, so that
// maintenance keeps up under a continuous stream of alerts).
//
// Thread-safety: every public method may be called from any number of
// threads at once. Apply serialises writers; Snapshot never waits for a
// merge or a freeze (only for a pointer copy).
//
// Typical usage:
//   ASSIGN_OR_RETURN(auto live, LiveIndex::Create(std::move(index), {}));
//   ASSIGN_OR_RETURN(uint64_t seq, live->Apply(updates));  // visible now
//   LiveView snapshot = live->View();               // seq() >= seq
//   AlertExecutor executor(snapshot, executor_options);
//   ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(area, &summary));
class LiveIndex {
 public:
  // Deliberately wrong behaviours, so that the load-test checker can be
  // shown to catch them. Never set outside tests.
  enum class FaultForTesting : uint8_t {
    kNone,
    kKeepReplacedEntry,  // a moved user stays visible at its old place too
    kDropEveryThousandth,  // every 1000th update is acknowledged, not applied
  };

  struct Options {
    // Run the background threads that freeze, compact and merge. Without
    // them, call Freeze() and Merge() yourself. DEFAULT: true.
    bool background_maintenance = true;
    // The freeze thread freezes pending updates this often.
    // DEFAULT: 5 ms.
    absl::Duration freeze_interval = absl::Milliseconds(5);
    // Merge the deltas into a new base once they hold more entries than
    // this fraction of the base. Smaller: merges more often, each with
    // fewer deltas (much of a merge's time goes to its deltas, so the
    // merge thread's total time grows far less than the number of merges),
    // and alerts scan fewer delta entries and moved base entries. Measured
    // with fanout loadtest (20M users, 1M updates/s), loaded alert p99:
    // 0.125 16.4 and 17.9 ms in two 60-s runs, 0.25 20.5-22.6 in three
    // (the merge thread busy 27-29 s against 20-22 s); in 30-s runs 0.06
    // 13.7, 0.12 14.2, 0.25 18.9 ms (busy 18.8, 11.4 and 11.8 s).
    // DEFAULT: 0.125.
    double merge_fraction = 0.125;
    // Between steps, background work waits while alerts over the index's
    // snapshots are running, at most this long a step (so that maintenance
    // still keeps up under a continuous stream of alerts); zero: never
    // waits. Measured with fanout loadtest (20M users, 1M updates/s, 30 s,
    // twice each way): loaded alert p50 about 17% lower, p99 about 8%.
    // DEFAULT: 50 ms.
    absl::Duration max_yield_to_alerts = absl::Milliseconds(50);
    // Append every batch to this update log before applying it
    // (update_log.h); nullptr: no log. Not owned; must outlive the index.
    UpdateLogWriter* log = nullptr;
    FaultForTesting fault = FaultForTesting::kNone;
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
    double merge_seconds = 0;      // total time spent merging
    double merge_locked_ms_max = 0;  // longest time a merge held the writer lock
    uint64_t memory_bytes = 0;     // everything the index holds, see above
  };

  // Makes `base` live: its users are the state before update 1 (or before
  // update base_seq + 1, when the base is a snapshot taken after applying
  // updates up to base_seq). Builds the user map (a few seconds per 10M
  // users).
  static absl::StatusOr<std::unique_ptr<LiveIndex>> Create(std::unique_ptr<LocationIndex> base,
                                                           const Options& options,
                                                           uint64_t base_seq = 0);
  ~LiveIndex();
  LiveIndex(const LiveIndex&) = delete;
  LiveIndex& operator=(const LiveIndex&) = delete;

  // Applies `updates` in order, atomically with respect to snapshots
  // (a snapshot sees all of them or none), and returns the sequence number
  // of the last: every snapshot taken after Apply returns has seq() >= it.
  // kInvalidArgument (naming the position) when an upsert's coordinates are
  // out of range; then nothing is applied. An empty batch returns
  // last_seq(). Removing a user not in the index is a no-op that still
  // takes a sequence number.
  absl::StatusOr<uint64_t> Apply(absl::Span<const LocationUpdate> updates);
  absl::StatusOr<uint64_t> Upsert(const UserRecord& location) {
    LocationUpdate u = LocationUpdate::Upsert(location);
    return Apply({&u, 1});
  }
  absl::StatusOr<uint64_t> Remove(uint64_t user_id) {
    LocationUpdate u = LocationUpdate::Remove(user_id);
    return Apply({&u, 1});
  }

  // The current state, pinned.
  LiveView View() const;
  uint64_t last_seq() const { return published_seq_.load(std::memory_order_acquire); }

  // Maintenance steps, run by the background threads when there are; public
  // for tests and for callers who run without them. Each is safe to call at
  // any time, concurrently with everything else (a merge lets freezes,
  // updates and alerts go on while it builds the new base).
  // Sorts the updates not yet in a run into a new delta run, then merges
  // runs four at a time while the newest four are of one size tier (or
  // there are more than 24).
  void Freeze();
  // Folds every update so far into a new base run.
  void Merge();

  Stats GetStats() const;
  // True while a merge builds or swaps in a new base (for reports).
  bool MergeInProgress() const { return merge_running_.load(std::memory_order_relaxed); }

  // Tests only: called by Merge() after it has built the new base, before it
  // replays the updates since and swaps the base in (no lock held).
  void SetMergeHookForTesting(std::function<void()> hook) { merge_hook_ = std::move(hook); }

 private:
  explicit LiveIndex(const Options& options);

  // Requires mu_. The slot of each update's user (kNoSlot when not known
  // yet), prefetching what applying the batch will touch.
  void LookUpSlotsLocked(absl::Span<const LocationUpdate> updates, std::vector<uint32_t>* slots);
  // Requires mu_. `known_slot`: from LookUpSlotsLocked.
  void ApplyOneLocked(const LocationUpdate& u, uint64_t cell, uint64_t seq, uint32_t known_slot);
  void SupersedeLocked(uint64_t prev_seq, uint32_t slot, uint64_t seq);  // requires mu_
  internal::UpdateRecord& RecordForAppendLocked(uint64_t seq);  // requires mu_
  // Freezes updates up to `up_to` (published) into a run. Requires
  // maintenance_mu_.
  void FreezeUpTo(uint64_t up_to);
  // Merges runs, four at a time, while the tiers say so, leaving alone those
  // a merge in progress has taken and those another step has claimed;
  // between steps, yields to alerts when asked. Takes maintenance_mu_ to
  // claim and to swap.
  void CompactRuns(bool yield_to_alerts);
  // Merge(); the background thread's yields to alerts between steps.
  void MergeImpl(bool yield);
  // True when the deltas have grown past merge_fraction of the base.
  bool MergeDue() const;
  std::shared_ptr<const internal::LiveVersion> CurrentVersion() const;
  // The background threads: freezes every freeze_interval; compactions (two
  // threads) as the tiers call for them; merges when due. Each goes on while
  // the others run.
  void FreezeLoop();
  void CompactionLoop();
  void MergeLoop();
  // Waits `interval` or until stop; true when stopping.
  bool WaitOrStop(absl::Duration interval);
  // Called by background work between steps: while alerts run, waits for
  // them, up to options_.max_yield_to_alerts.
  void YieldToAlerts() const;

  const Options options_;

  // Standard mutexes, not absl::Mutex: Debian's Abseil is not built with
  // ThreadSanitizer, which then cannot see its synchronisation.
  // Writers. Lock order: see merge_mu_.
  // Guarded by mu_: slot_of_, slot_current_, base_, records_, next_seq_,
  // updates_applied_.
  mutable std::mutex mu_;
  // Big and read at random: on huge pages (base/huge_pages.h).
  absl::flat_hash_map<uint64_t, uint32_t, absl::Hash<uint64_t>, std::equal_to<uint64_t>,
                      HugePageAllocator<std::pair<const uint64_t, uint32_t>>>
      slot_of_;
  // Per slot: the sequence number of the user's current entry, with
  // kRemovedBit when that entry is a removal; kNoSeq before any.
  std::vector<uint64_t, HugePageAllocator<uint64_t>> slot_current_;
  std::shared_ptr<internal::LiveBase> base_;
  std::shared_ptr<internal::RecordTable> records_;
  uint64_t next_seq_ = 1;
  uint64_t updates_applied_ = 0;
  std::atomic<uint64_t> published_seq_{0};
  std::atomic<uint64_t> users_{0};

  // What snapshots see; guarded by version_mu_.
  mutable std::shared_mutex version_mu_;
  std::shared_ptr<const internal::LiveVersion> version_;

  // Changes to the list of runs: a freeze, a compaction's claim and swap,
  // the start and end of a merge. Guards the fields below up to merge_mu_,
  // and DeltaRun::claimed.
  std::mutex maintenance_mu_;
  int compactions_in_flight_ = 0;
  bool merge_starting_ = false;  // no compaction step may start
  std::condition_variable compaction_done_;
  // While a merge builds its base: the last update it folds in; runs up to
  // it are the merge's. 0 otherwise.
  uint64_t merge_floor_ = 0;
  // One merge at a time. Lock order: merge_mu_, maintenance_mu_, mu_,
  // version_mu_.
  std::mutex merge_mu_;
  std::atomic<uint64_t> freezes_{0}, compactions_{0}, merges_{0};
  std::atomic<bool> merge_running_{false};
  std::atomic<double> merge_seconds_{0}, merge_locked_ms_max_{0};

  std::function<void()> merge_hook_;
  const std::shared_ptr<internal::AlertActivity> activity_ =
      std::make_shared<internal::AlertActivity>();

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread freeze_thread_;
  std::thread compaction_threads_[2];
  std::thread merge_thread_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_LIVE_INDEX_H_
