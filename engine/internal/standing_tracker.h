// Copyright 2026 The fan-out engine authors.
//
// The standing alerts of an Engine (DESIGN §8; engine/engine.h has the
// contract and the journal's format): which are active, their areas,
// who each has been handed to, and their sinks. Internal to Engine; not a
// stable API.

#ifndef FANOUT_ENGINE_INTERNAL_STANDING_TRACKER_H_
#define FANOUT_ENGINE_INTERNAL_STANDING_TRACKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/delivery.h"
#include "engine/location_update.h"
#include "engine/standing_sink.h"
#include "engine/internal/standing_delivered.h"
#include "engine/internal/standing_index.h"
#include "engine/internal/standing_journal.h"

namespace fanout {
namespace internal {

// The covering of an active area is refined (RefineForPoints) down to
// this level (about 150 m) with at most this many boundary cells, so that
// few updates near the area need the exact test; bench_standing's
// BM_Standing_CollectHits sweeps both.
inline constexpr int kStandingRefineLevel = 16;
inline constexpr size_t kStandingBoundaryCells = 512;

// Resolves a recipe's text into an active area (covering included).
absl::StatusOr<std::shared_ptr<const ActiveArea>> BuildActiveArea(const StandingRecipe& recipe);

// The latest <expires> of a CAP document's <info> blocks (RFC 3339 with an
// offset, as CAP requires); InfiniteFuture when none parses.
absl::Time CapExpires(absl::string_view xml);

// Thread-safety: every method is safe from any thread. The Engine calls
// OnApplied, Register, ReplaceArea, RestoreArea and Attach under its write lock (so
// each sees the updates in sequence order and a registration falls
// between two batches); lookups take no lock (a per-thread cached pointer
// to an immutable StandingIndex, checked against an atomic version), except
// the first after alerts changed, which builds the index under mu_ (it is
// built at its first use, so that K alerts issued back to back build it
// once).
// Lock order: the Engine's write lock, mu_, a channel's mu, pub_mu_.
class StandingTracker {
 public:
  struct Channel;  // one alert's sink and what waits for its initial lists
  // Sink calls gathered under the lock, made after it is released (Hand).
  struct Handoff {
    struct Item {
      std::shared_ptr<Channel> channel;
      std::string id;
      bool ended = false;
      LateReason reason = LateReason::kEntered;
      std::vector<std::vector<LateUser>> shards;
      EndReason end = EndReason::kEnded;
      std::unique_ptr<DeliveryLists> delivered;  // ended with list_on_end
    };
    std::vector<Item> items;
  };

  struct Stats {
    uint64_t active = 0;
    uint64_t delivered_users = 0;  // over the active alerts
    uint64_t delivered_bytes = 0;  // of their delivered sets
    uint64_t late = 0;             // late users handed by this engine
    // OnApplied's hits of alerts with a sink, and those of them not looked
    // up in the delivered record because the user's previous cell was in
    // the same interior interval.
    uint64_t probes_skipped = 0, hits = 0;
    uint64_t sink_errors = 0;
    uint64_t journal_bytes = 0;
    uint64_t index_bytes = 0;
    uint64_t index_builds = 0;  // StandingIndex builds so far (one per change that a use followed)
  };

  struct Info {
    std::string id;
    uint32_t shards = 1;
    uint64_t delivered = 0, initial = 0, late = 0;
    absl::Time expires = absl::InfiniteFuture();
    bool has_sink = false;
    uint64_t seq = 0;
  };

  StandingTracker(std::string dir, std::function<absl::Time()> clock, bool sync_each);
  ~StandingTracker();

  // Restores the alerts of the journal in the folder (kDataLoss for a
  // damaged one) and rewrites it compacted. Restored alerts have no sink
  // until Attach.
  absl::Status Open(std::string* torn_detail);

  bool any_active() const { return active_.load(std::memory_order_acquire) > 0; }

  // An (alert slot, update) pair whose point the alert's area holds.
  using Hit = StandingIndex::Hit;
  // The area tests of a batch, made before the Engine's write lock so that
  // the lock is held only for the delivered records: the hits against the
  // index published when Precheck ran, in update order.
  struct Precheck {
    std::shared_ptr<const StandingIndex> index;
    std::vector<Hit> hits;
  };
  // Off every lock (any thread): fills *out for `updates`. `cells`: the
  // updates' leaf cells as StandingIndex::CollectHits takes them (empty:
  // computed here).
  void PrecheckBatch(absl::Span<const LocationUpdate> updates, Precheck* out,
                     absl::Span<const uint64_t> cells = {}) const;

  // Under the Engine's write lock, after `updates` (numbered from
  // first_seq) were applied: the users they bring into active areas.
  // `pre` (may be null) is PrecheckBatch's result for the same updates: it
  // is used when the active alerts have not changed since (the same index),
  // else the area tests are made again here.
  // `previous` (empty, or one an update): the leaf cell each update's user
  // was at just before it, 0 when it had none, as LiveIndex::Apply reports
  // it for the same batch. A user whose previous cell lay in the interior
  // of an alert's area, in the same interval of the index as the new one,
  // is not looked up in that alert's record: they have had it (the
  // argument is at the definition); only once CompleteScan has recorded
  // the alert's last scan. REQUIRES: the caller issues, re-areas and
  // attaches alerts only through Register / ReplaceArea (RestoreArea) /
  // Attach at a state S under the write lock, and completes them with a scan of that state,
  // as Engine does.
  absl::Status OnApplied(absl::Span<const LocationUpdate> updates, uint64_t first_seq,
                         const Precheck* pre, Handoff* out,
                         absl::Span<const uint64_t> cells = {},
                         absl::Span<const uint64_t> previous = {});
  // Ends alerts whose expiry has passed on the clock.
  void ExpireDue(Handoff* out);

  // Epochs. Register, ReplaceArea, RestoreArea, Attach and Detach each give
  // the alert a new epoch (process-unique, never 0) and report it; the
  // calls that finish or undo one of them (CompleteScan, Withdraw,
  // RestoreArea, Detach) take it and act only while the alert still has
  // it: not ended (and issued again), re-areaed or re-attached in between.
  // The Engine also runs the calls naming one id one at a time, so a
  // failure is undone against the state its own call set.

  // Under the Engine's write lock: a new active alert (its initial lists
  // follow through CompleteScan). kAlreadyExists when the id is active.
  absl::Status Register(const StandingRecipe& recipe, std::shared_ptr<const ActiveArea> area,
                        std::shared_ptr<StandingSink> sink, uint64_t* epoch = nullptr);
  // Withdraws alert `id`, issued by Register, whose initial scan failed
  // (Engine::IssueStanding then returns the error, and leaves no alert
  // active): journals its end, so that a restart does not restore it, and
  // drops it and whatever was recorded or buffered for it, without a sink
  // call. Only while it has Register's `epoch`; returns whether it was
  // withdrawn.
  bool Withdraw(const std::string& id, uint64_t epoch);
  // Under the write lock: replaces an active alert's area (kNotFound).
  absl::Status ReplaceArea(const std::string& id, const StandingRecipe& recipe,
                           std::shared_ptr<const ActiveArea> area, uint64_t* epoch = nullptr);
  // Under the write lock: puts back the area (and recipe) an alert had
  // before the ReplaceArea that gave it `epoch`, whose scan failed, and
  // journals it (an area record), so that a restart restores it too. The
  // area then needs a catch-up scan (CompleteScan with *new_epoch) for the
  // users who entered it while the replaced one was in force. Only while
  // the alert has `epoch`; returns whether it acted.
  bool RestoreArea(const std::string& id, uint64_t epoch, const StandingRecipe& recipe,
                   std::shared_ptr<const ActiveArea> area, uint64_t* new_epoch);
  // Under the write lock: gives a restored alert its sink (kNotFound;
  // kFailedPrecondition when it has one).
  absl::Status Attach(const std::string& id, std::shared_ptr<StandingSink> sink,
                      uint64_t* epoch = nullptr);
  // Takes the sink Attach gave (with `epoch`) away again, its catch-up
  // scan having failed: the alert is as restored, without a sink, and a
  // later Attach catches up. Calls already gathered for the sink (users
  // recorded as handed) are still made. Returns whether it acted.
  bool Detach(const std::string& id, uint64_t epoch);

  // The users a scan of the alert's area found at `seq`: those not yet
  // handed are recorded and handed (initial: through Deliver, with the
  // summary; else DeliverLate with `reason`). Returns the number handed
  // (0, doing nothing, when the alert no longer has `epoch`; 0: any).
  // On error nothing of this call stays recorded: a journal error drops
  // the users from the record again, and a late call the sink fails drops
  // them and journals that (an unhanded record): the caller returns the
  // error, and a retry hands them. (A failed initial Deliver leaves them
  // to Withdraw, and no later call reaches that sink.)
  absl::StatusOr<uint64_t> CompleteScan(const std::string& id, const DeliveryLists& found,
                                        uint64_t seq, bool initial, AlertSummary* summary,
                                        LateReason reason, uint64_t epoch = 0);

  absl::Status End(const std::string& id, EndReason reason, Handoff* out);
  // Makes the sink calls gathered in `h`.
  void Hand(Handoff* h);

  // The active ids a CAP `references` value names ("sender,identifier,sent"
  // entries separated by blanks; an entry matches an alert whose CAP sender
  // and identifier are its own, or whose id is the entry or its
  // identifier). kNotFound naming the first entry that names nothing active.
  absl::StatusOr<std::vector<std::string>> MatchReferences(const std::string& references) const;
  absl::StatusOr<StandingRecipe> RecipeOf(const std::string& id) const;
  // The active alert's area as the tracker holds it (null when not active).
  std::shared_ptr<const ActiveArea> AreaOf(const std::string& id) const;

  // Lock-free lookups (see the class comment): the active alerts holding
  // the point, appended to *ids; returns how many.
  size_t AlertsAt(int32_t lat_e7, int32_t lng_e7, std::vector<std::string>* ids) const;
  // The active alerts handed to this user (under a reader lock).
  size_t AlertsHandedTo(uint64_t user_id, std::vector<std::string>* ids) const;

  std::vector<Info> List() const;
  Stats GetStats() const;
  // Rewrites the journal from the active state (at Engine::Checkpoint).
  absl::Status Compact();
  absl::Status Sync();

 private:
  struct Alert;
  // After the active alerts or an area changed: the expiry and the count
  // now, and marks the index for rebuilding.
  void RepublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rebuilds and publishes the index (and the by-slot arrays) if marked.
  void EnsureIndexLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // EnsureIndexLocked under mu_, when marked (a lookup or a precheck after
  // a change: the steady state takes no lock).
  void PublishNow() const;
  void EndLocked(Alert* a, EndReason reason, Handoff* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops `users` (sorted), recorded by a CompleteScan of `epoch` whose
  // sink call failed, from the alert's record and journals that.
  void UnrecordLocked(const std::string& id, uint64_t epoch, const std::vector<uint64_t>& users,
                      bool late) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ReplaceArea's and RestoreArea's journal record, and their change: the
  // alert's area becomes `area` (not yet scanned), under a new epoch,
  // which is returned.
  static JournalRecord AreaRecord(const StandingRecipe& recipe);
  uint64_t SetAreaLocked(Alert* a, const StandingRecipe& recipe,
                         std::shared_ptr<const ActiveArea> area) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The alert's slot flags after its sink or scan state changed.
  void SetSlotFlagsLocked(const Alert* a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<JournalRecord> SnapshotLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends r to the journal. A failure is sticky: every later append is
  // refused with it, and the standing calls that journal (IssueStanding,
  // UpdateStanding, AttachStandingSink, EndAlert) return it, while the
  // state held here goes on changing as if it had been written (the
  // update path hands its late users and does not fail Apply: the updates
  // themselves are in the log). Compact, at the next Checkpoint, rewrites
  // the journal from that state and clears the error; a crash before then
  // loses the records since the failure (users handed again).
  absl::Status JournalLocked(const JournalRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The published index, from this thread's cache: valid until this
  // thread's next lookup (the cache holds the reference, so no shared
  // reference count is touched on the read path).
  const StandingIndex* Published() const;

  const std::string dir_;
  const std::function<absl::Time()> clock_;
  const bool sync_each_;

  // A standard mutex, not absl::Mutex: Debian's Abseil is not built with
  // ThreadSanitizer, which then cannot see its synchronisation.
  mutable std::shared_mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Alert>> alerts_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const StandingIndex> index_ ABSL_GUARDED_BY(mu_);
  std::vector<Alert*> by_slot_ ABSL_GUARDED_BY(mu_);  // index_->area(i) is by_slot_[i]'s
  // By slot, contiguous (OnApplied reads them for every hit, and the Alerts
  // are scattered): the delivered record, whether it has a sink, and
  // whether its last scan is recorded.
  std::vector<DeliveredSet*> slot_delivered_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> slot_has_sink_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> slot_scanned_ ABSL_GUARDED_BY(mu_);  // Alert::scanned
  uint64_t last_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<StandingJournalWriter> journal_ ABSL_GUARDED_BY(mu_);
  absl::Status journal_error_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> next_expiry_ns_{INT64_MAX};
  std::atomic<uint64_t> active_{0};
  // The index (index_, by_slot_, slot_*, published_) no longer reflects
  // alerts_; set under mu_, cleared by EnsureIndexLocked.
  std::atomic<bool> index_dirty_{true};
  uint64_t index_builds_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> late_{0}, sink_errors_{0};
  std::atomic<uint64_t> probes_skipped_{0}, hits_{0};
  // OnApplied's hits when it makes the area tests itself, reused between
  // batches.
  std::vector<Hit> hits_scratch_ ABSL_GUARDED_BY(mu_);

  mutable std::mutex pub_mu_;
  std::shared_ptr<const StandingIndex> published_;  // guarded by pub_mu_
  std::atomic<uint64_t> version_{0};  // process-unique per published index
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_STANDING_TRACKER_H_
