// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_LIVE_INDEX_IMPL_H_
#define FANOUT_ENGINE_INTERNAL_LIVE_INDEX_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/huge_pages.h"
#include "engine/internal/alert_activity.h"
#include "engine/internal/live_slot_table.h"
#include "engine/internal/live_version.h"
#include "engine/live_index.h"
#include "engine/live_view.h"
#include "engine/location_index.h"
#include "engine/location_update.h"

namespace fanout {
namespace internal {

// Deliberately wrong behaviours, so that a consistency checker can be shown
// to catch them (live_index_test_peer.h). kNone outside tests.
enum class LiveIndexFault : uint8_t {
  kNone,
  kKeepReplacedEntry,    // a moved user stays visible at its old place too
  kDropEveryThousandth,  // every 1000th update is acknowledged, not applied
};

// What LiveIndex (live_index.h) is made of, and how it keeps every view
// consistent while writers and background maintenance go on.
//
// State:
//  - the base (LiveBase): a LocationIndex plus, per entry, moved_at: the
//    sequence number (relative to the base's) of the update that moved or
//    removed its user, or kNotMoved;
//  - the update records (RecordTable), by sequence number: the new cell,
//    the user, the entry replaced, and `superseded`, set once when the
//    user's next update replaces this one, and the two pointers to its
//    copies in delta runs;
//  - delta runs (DeltaRun): updates frozen into runs sorted by cell (cell,
//    user, seq and a copy of `superseded`, which is what alerts read), a
//    freeze_interval's worth at a time by the freeze thread; two compaction
//    threads merge them four at a time in size tiers so there are O(log) of
//    them (also while a merge runs, among the runs newer than the merge's);
//  - per user, a dense slot (slot_of_: user id -> slot, keyless, checked
//    against the slot's base entry or current record) with its position in
//    the base (LiveBase::pos_of_slot). A user's current entry is its base
//    entry while that is not marked moved; else the update that marked it
//    (its "head", the record moved_at names) while that is not superseded
//    and not a removal; else what current_of_ says. The merge inverts
//    pos_of_slot for the slot of each old entry and writes the new base's
//    as it goes.
// An update takes mu_ (short: a hash lookup, one store that marks the
// replaced entry, one record written; the cell id is computed before the
// lock), then publishes its sequence number. A view pins the published
// number S and the current version (base, runs, records): a base entry is
// visible when its user has not moved at or before S, a delta entry when its
// update is at or before S and was not superseded at or before S. A user
// that moves during an alert has its old entry superseded at a number above
// S, and its new entry is numbered above S: the alert finds it at its old
// place only. The merge folds all deltas up to some M into a new base off
// the lock, then replays the few updates after M onto the new base's
// moved_at (most of them off the lock, the rest under it) and swaps the
// base in.
//
// The code is in four files: live_index_impl.cc (creation, the writer
// path, views, the background threads, stats), live_delta_runs.cc (records,
// runs, freezing), live_compaction.cc and live_merge.cc.
//
// Thread-safety: as LiveIndex; every public method may be called from any
// thread. Lock order: merge_mu_, maintenance_mu_, mu_, version_mu_;
// stop_mu_, hook_mu_ and replaced_mu_ are leaves.
class LiveIndexImpl {
 public:
  // `filled`, when not null, is the slot table of base's users made
  // already (LiveSlotTable::FillFrom(base->run().users): slot i is entry
  // i; Open makes it while it reads the log), taken instead of made here.
  static absl::StatusOr<std::unique_ptr<LiveIndexImpl>> Create(std::unique_ptr<LocationIndex> base,
                                                               const LiveIndex::Options& options,
                                                               uint64_t base_seq,
                                                               LiveIndexFault fault,
                                                               LiveSlotTable* filled = nullptr);
  // Create's result from parts made already (Open's bulk replay,
  // LogFold::MergeWithSlots): `slot_of` maps each user to its slot, and
  // pos_of_slot[slot] is its entry in `base` (kNoPos for a slot whose user
  // is gone); one slot per entry of pos_of_slot. REQUIRES: each user of
  // `base` has exactly one slot, found by slot_of and confirmed through
  // base->run().users[pos_of_slot[slot]], and pos_of_slot has no position
  // twice (not checked: a bug of the caller, not bad input).
  static absl::StatusOr<std::unique_ptr<LiveIndexImpl>> CreateWithSlots(
      std::unique_ptr<LocationIndex> base, LiveSlotTable slot_of,
      std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot,
      const LiveIndex::Options& options, uint64_t base_seq);
  ~LiveIndexImpl();  // stops and joins the background threads

  absl::StatusOr<uint64_t> Apply(absl::Span<const LocationUpdate> updates);
  // `cells` and `previous` as LiveIndex::Apply(updates, cells, previous)
  // documents (cells empty: computed here; previous empty: not reported).
  absl::StatusOr<uint64_t> Apply(absl::Span<const LocationUpdate> updates,
                                 absl::Span<const uint64_t> cells,
                                 absl::Span<uint64_t> previous = {});
  LiveView View() const;
  uint64_t last_seq() const { return published_seq_.load(std::memory_order_acquire); }
  void Freeze();
  void Merge() { MergeImpl(/*yield=*/false); }
  LiveIndex::Stats GetStats() const;
  bool MergeInProgress() const { return merge_running_.load(std::memory_order_relaxed); }

  // Tests only (live_index_test_peer.h): called by every merge after it
  // has built the new base, before it replays the updates since and swaps
  // the base in (no lock of the index held). Thread-safe: the hook is
  // guarded by hook_mu_ and each merge runs a copy.
  void SetMergeHook(std::function<void()> hook);
  // How long MergeLoop keeps merge_pool_'s pages without a merge
  // (kReleaseMergePagesAfter unless a test says otherwise).
  void SetMergePagesReleaseDelay(absl::Duration delay) {
    release_merge_pages_after_ns_.store(absl::ToInt64Nanoseconds(delay), std::memory_order_relaxed);
  }

 private:
  LiveIndexImpl(const LiveIndex::Options& options, LiveIndexFault fault);
  // What Create and CreateWithSlots share, once their arguments are
  // checked: the base's moved_at made,
  // the rest moved in, the background threads started.
  static std::unique_ptr<LiveIndexImpl> Assemble(
      std::unique_ptr<LocationIndex> index, LiveSlotTable slot_of,
      std::vector<uint32_t, HugePageAllocator<uint32_t>> pos_of_slot,
      const LiveIndex::Options& options, uint64_t base_seq, LiveIndexFault fault);

  // --- The writer path (live_index_impl.cc). All require mu_.
  // The slot of each update's user (kNoSlot when not known yet),
  // prefetching what applying the batch will touch. `base_cells` (may be
  // null; one an update): where not 0 on entry, set to the cell of the
  // user's base entry when that is its current entry; else 0.
  void LookUpSlotsLocked(absl::Span<const LocationUpdate> updates, std::vector<uint32_t>* slots,
                         uint64_t* base_cells = nullptr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LookUpPieceLocked(absl::Span<const LocationUpdate> updates, uint32_t* slots,
                         uint64_t* base_cells) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `known_slot`: from LookUpSlotsLocked. `previous_cell` (may be null):
  // holds LookUpSlotsLocked's base cell for this update; set to the cell of
  // the entry this update supersedes when that is a record, 0 when the user
  // has no entry (new, or removed).
  void ApplyOneLocked(const LocationUpdate& u, uint64_t cell, uint64_t seq, uint32_t known_slot,
                      uint64_t* previous_cell = nullptr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An update acknowledged and numbered but not applied (the
  // kDropEveryThousandth fault).
  void DropLocked(const LocationUpdate& u, uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SupersedeLocked(uint64_t prev_seq, uint32_t slot, uint64_t seq)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  UpdateRecord& RecordForAppendLocked(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What a slot's user has now: its base entry (`seq` <= base_seq), an
  // update record (`seq` > base_seq), or nothing (kNoSeq: removed, or a
  // removal already merged). Reads pos_of_slot, moved_at, the head's
  // record and, for the few slots it names, current_of_.
  uint64_t CurrentSeqLocked(uint32_t slot) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The slot's last update as current_of_ or current_before_ name it, or
  // kNoSeq.
  uint64_t LastUpdateLocked(uint32_t slot) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The user of `slot` when the index can still name it (its base entry, or
  // its current record while not merged); false for a slot whose user was
  // removed and merged away.
  bool UserOfSlotLocked(uint32_t slot, uint64_t* user) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t FindSlotLocked(uint64_t user) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- Freezing (live_delta_runs.cc).
  // Freezes updates up to `up_to` (published) into a run.
  void FreezeUpTo(uint64_t up_to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_);

  // --- Compaction (live_compaction.cc).
  // Merges runs, four at a time, while the tiers say so, leaving alone those
  // a merge in progress has taken and those another step has claimed;
  // between steps, yields to alerts when asked. Takes maintenance_mu_ to
  // claim and to swap.
  void CompactRuns(bool yield_to_alerts);
  // Claims the runs of the next compaction step into *inputs, or returns
  // false when the tiers call for none (or a merge is starting).
  bool ClaimRunsToCompact(std::shared_ptr<const LiveVersion>* version,
                          std::vector<std::shared_ptr<const DeltaRun>>* inputs);
  // Replaces `inputs` by `run` in the current version (drops them when
  // `run` is empty).
  void SwapInCompactedRun(const std::vector<std::shared_ptr<const DeltaRun>>& inputs,
                          const std::shared_ptr<const DeltaRun>& run);

  // --- Merging (live_merge.cc).
  // Merge(); the background thread's yields to alerts between steps.
  void MergeImpl(bool yield);
  struct MergePoint;
  // Waits for the compaction steps in flight, freezes every update so far
  // and takes the runs up to that point (merge_floor_).
  MergePoint ChooseMergePoint();
  // Replays onto `base` the moves of the updates after `m` that have been
  // published, off the writer lock, until few are left; returns the last
  // one replayed.
  uint64_t CatchUpOffLock(LiveBase* base, uint64_t m, bool yield);
  // Replays the moves of updates [from, to] onto `base`.
  void ReplayMoves(LiveBase* base, const RecordTable& table, uint64_t from, uint64_t to,
                   uint64_t m) const;
  // Under the writer lock: replays the rest, swaps `base` in (and the
  // generations of current_of_), keeps the runs frozen after m.
  void SwapInMergedBase(const std::shared_ptr<LiveBase>& base, uint64_t m, uint64_t caught_up)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(merge_mu_);

  // --- Background threads (live_index_impl.cc): freezes every
  // freeze_interval; compactions (two threads) as the tiers call for them;
  // merges when due. Each goes on while the others run.
  void FreezeLoop();
  void CompactionLoop();
  void MergeLoop();
  // True when the deltas have grown past merge_fraction of the base, and
  // no view still pins the base the last merge replaced.
  bool MergeDue() const;
  // Waits `interval` or until stop; true when stopping.
  bool WaitOrStop(absl::Duration interval);
  // Called by background work between steps: while alerts run, waits for
  // them, up to options_.max_yield_to_alerts.
  void YieldToAlerts() const;

  std::shared_ptr<const LiveVersion> CurrentVersion() const;

  const LiveIndex::Options options_;
  const LiveIndexFault fault_;

  // Standard mutexes, not absl::Mutex: Debian's Abseil is not built with
  // ThreadSanitizer, which then cannot see its synchronisation.

  // Writers.
  mutable std::mutex mu_;
  // User id -> slot, keys confirmed through UserOfSlotLocked.
  LiveSlotTable slot_of_ ABSL_GUARDED_BY(mu_);
  // Slots given out: each user ever added has one below this.
  uint32_t slots_ ABSL_GUARDED_BY(mu_) = 0;
  // The last update of each slot whose current entry neither its base
  // entry nor its head can name (CurrentSeqLocked): a user updated again
  // after the update that moved it off its base entry, a user with no base
  // entry (new since the base, or removed and merged away, then back), a
  // user removed then back. The last update may be a removal (no current
  // entry). No key (LastUpdateLocked): the base entry or the head says, or
  // the slot's user is gone. In steady state a few keys: most users move
  // at most once a merge cycle, and their head names their entry (a dense
  // array of the same numbers cost 4 bytes a user).
  //
  // In two generations, so that a merge's swap drops the keys its base
  // made stale without a pass under the lock: current_of_ holds what was
  // written since the last swap, current_before_ what was written before
  // it. A key of current_before_ at or below base_seq is stale (its update
  // is in the base now: the user is at its base entry, or gone). The swap
  // drops current_before_ whole: every key in it is older than the swap
  // before, hence at or below the new base's point, chosen after that.
  absl::flat_hash_map<uint32_t, uint64_t> current_of_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, uint64_t> current_before_ ABSL_GUARDED_BY(mu_);
  // current_of_'s size at the last swap: what the next generation is
  // reserved for, off mu_. Only merges read and write it.
  size_t keys_last_cycle_ ABSL_GUARDED_BY(merge_mu_) = 0;
  // Records below this are written (in the batch being applied too).
  uint64_t records_written_end_ ABSL_GUARDED_BY(mu_) = 1;
  std::shared_ptr<LiveBase> base_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<RecordTable> records_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t updates_applied_ ABSL_GUARDED_BY(mu_) = 0;
  // Written under mu_, read without it.
  std::atomic<uint64_t> published_seq_{0};
  std::atomic<uint64_t> users_{0};

  // What views see.
  mutable std::shared_mutex version_mu_;
  std::shared_ptr<const LiveVersion> version_ ABSL_GUARDED_BY(version_mu_);

  // Changes to the list of runs: a freeze, a compaction's claim and swap,
  // the start and end of a merge. Also guards DeltaRun::claimed.
  std::mutex maintenance_mu_;
  int compactions_in_flight_ ABSL_GUARDED_BY(maintenance_mu_) = 0;
  bool merge_starting_ ABSL_GUARDED_BY(maintenance_mu_) = false;  // no compaction step may start
  std::condition_variable compaction_done_;  // with maintenance_mu_
  // While a merge builds its base: the last update it folds in; runs up to
  // it are the merge's. 0 otherwise.
  uint64_t merge_floor_ ABSL_GUARDED_BY(maintenance_mu_) = 0;

  // One merge at a time; held for a whole merge.
  std::mutex merge_mu_;
  std::atomic<uint64_t> freezes_{0}, compactions_{0}, merges_{0};
  std::atomic<bool> merge_running_{false};
  std::atomic<double> merge_seconds_{0}, merge_locked_ms_max_{0};
  // What the merge in progress holds besides the state it replaces: its
  // sorted deltas and the new base while it is built (0 between merges).
  std::atomic<uint64_t> merge_bytes_{0};
  // Pages for the next merge's base: every merged base goes back here
  // when its last reference goes (live_merge.cc, NewLiveBase), and a
  // merge's scratch too, so a merge takes the pages of the base before
  // last, already faulted in,
  // instead of fresh ones (on a VM whose host takes freed memory back,
  // fresh pages cost a merge of 170M users more than its own work:
  // bench/README.md, "Merges reuse the replaced base's pages"). Released by
  // MergeLoop after kReleaseMergePagesAfter without a merge, so an idle
  // index holds one base, not two. Shared with the bases' deleters, which
  // may outlive the index.
  const std::shared_ptr<HugePagePool> merge_pool_ = std::make_shared<HugePagePool>();
  static constexpr absl::Duration kReleaseMergePagesAfter = absl::Seconds(30);
  // kReleaseMergePagesAfter in nanoseconds, shorter in tests
  // (LiveIndexTestPeer).
  std::atomic<int64_t> release_merge_pages_after_ns_{
      absl::ToInt64Nanoseconds(kReleaseMergePagesAfter)};
  // When the last merge (background or explicit) ended, or the index was
  // made: absl::GetCurrentTimeNanos.
  std::atomic<int64_t> last_merge_end_ns_{absl::GetCurrentTimeNanos()};
  // The base the last merge replaced, its bytes, and those of the runs
  // and record chunks up to its point that it dropped with it, while a
  // view still pins them (Stats::replaced_bytes and part of
  // unmerged_bytes; MergeDue waits for them to go).
  mutable std::mutex replaced_mu_;  // a leaf
  std::weak_ptr<const LiveBase> replaced_base_ ABSL_GUARDED_BY(replaced_mu_);
  uint64_t replaced_bytes_ ABSL_GUARDED_BY(replaced_mu_) = 0;
  uint64_t replaced_unmerged_bytes_ ABSL_GUARDED_BY(replaced_mu_) = 0;
  // Stats::replaced_bytes and the unmerged bytes pinned with it; 0 and 0
  // once nothing pins the replaced base.
  uint64_t ReplacedBytes(uint64_t* unmerged = nullptr) const;

  std::mutex hook_mu_;
  std::function<void()> merge_hook_ ABSL_GUARDED_BY(hook_mu_);

  const std::shared_ptr<AlertActivity> activity_ = std::make_shared<AlertActivity>();

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;  // with stop_mu_
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread freeze_thread_;
  std::thread compaction_threads_[2];
  std::thread merge_thread_;
};

// Makes the LiveIndex of an impl made by a factory other than
// LiveIndex::Create (LiveIndexImpl::CreateWithSlots). Thread-safety: none
// needed (no state).
class LiveIndexFactory {
 public:
  static std::unique_ptr<LiveIndex> Wrap(std::unique_ptr<LiveIndexImpl> impl) {
    return std::unique_ptr<LiveIndex>(new LiveIndex(std::move(impl)));
  }
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_LIVE_INDEX_IMPL_H_
