// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_ENGINE_H_
#define FANOUT_ENGINE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/delivery.h"
#include "engine/delivery_sink.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/snapshot.h"
#include "engine/standing_sink.h"
#include "engine/user_attributes.h"
#include "geo/alert_resolver.h"
#include "geo/alert_text.h"

namespace fanout {

// The engine directory (DESIGN §7). Every file in it, all written by this
// library; anything else in the folder is left alone.
//
//   name                                      what
//   ----------------------------------------  --------------------------------
//   checkpoint-SSSSSSSSSSSSSSSSSSSS.fo        a snapshot file (snapshot.h,
//                                             unchanged format) holding every
//                                             update up to sequence number S
//                                             (the name, 20 decimal digits;
//                                             the file itself does not record
//                                             S, so never rename one). Read by
//                                             `fanout inspect FILE` and
//                                             `fanout alert --index FILE`.
//                                             Version 2 with an attrs
//                                             section (its own dictionary)
//                                             when the engine holds user
//                                             attributes; else version 1.
//   checkpoint-S.fo.tmp-PID-XXXXXXXX          a checkpoint being written
//                                             (base/atomic_file.h); a dead
//                                             writer's is removed on Open.
//   log-FFFFFFFFFFFFFFFFFFFF.ful              an update-log segment
//                                             (update_log.h: version 2,
//                                             whose records carry the
//                                             attributes) whose first update has
//                                             sequence number F (the name);
//                                             rolled at
//                                             EngineOptions::segment_bytes and
//                                             at each checkpoint.
//   standing.fsj                              the standing-alert journal
//                                             (DESIGN §8; format below):
//                                             the active standing alerts
//                                             and who each was handed to.
//                                             Rewritten compacted (atomic
//                                             rename) at Open and at each
//                                             Checkpoint; appended between.
//   languages                                 the engine's language
//                                             dictionary: one normalised
//                                             BCP-47 tag a line, line k
//                                             defining code k
//                                             (Engine::LanguageCode).
//                                             Rewritten atomically when a
//                                             tag is added, before its code
//                                             is returned; only ever grows.
//                                             Missing: no tag yet.
//   LOCK                                      empty; an exclusive flock on it
//                                             while an Engine has the folder
//                                             open (a second Open fails with
//                                             kFailedPrecondition).
//
// Invariants kept by every writer (and what a crash between two steps
// leaves):
//   - segments are consecutive: each one's first update follows the last
//     update of the one before; the last segment is the only one appended
//     to, and the only one whose tail may be torn. A segment is fsynced and
//     complete before the next one is created.
//   - a checkpoint at S is complete (written to a temporary name, fsynced,
//     renamed, folder fsynced) before anything it makes redundant is
//     deleted: first older checkpoints, then segments wholly at or before S
//     (oldest first; never the last segment). A crash at any point leaves a
//     stray temporary, an older checkpoint, or redundant segments: Open
//     ignores and removes them.
//
// Open (recovery), in order:
//   1. the newest checkpoint (largest S) is loaded and every byte verified.
//      Damaged: kDataLoss naming the file. There is no fallback to an older
//      checkpoint: one that is damaged means the disk lies, and silently
//      going back in time would drop acknowledged updates.
//   2. the segments that may hold updates after S are verified and replayed
//      in order: the last segment whose first update is at or before S + 1,
//      and every later one. A gap in sequence numbers (a segment missing,
//      or the first one needed starting after S + 1) is kDataLoss naming
//      the missing numbers and the files around them. Damage inside a
//      segment other than a torn tail of the last one (including a torn
//      tail of any other) is kDataLoss naming the file and the byte offset.
//   3. a torn tail of the last segment (a crash mid-append: nothing in it
//      was acknowledged) is cut, and reported in EngineOpenReport.
// Every segment is read and verified before the index is made: each
// user's newest update of the log is then folded into the checkpoint's
// entries in one pass, which become the live index's first base at the
// last sequence number (a bulk replay: engine/internal/log_fold.h; the
// state, numbers and report are those of applying the updates one by one).
// The users' attributes (Engine::Apply, "User attributes") are restored
// the same way in both replays: the checkpoint's attrs section (its
// dictionary mapped onto the folder's `languages`, tags it lacks added),
// then every replayed update in order; an update naming a language code
// `languages` does not define is kDataLoss naming the segment.
// No directory with no checkpoint is opened unless
// EngineOptions::create_if_missing (then it starts empty, at sequence 0).
//
// The standing-alert journal, standing.fsj (all integers little-endian):
//   offset  size  field
//   0       8     magic "FOSTAND1"
//   8       4     version (1)
//   12      4     reserved, 0
//   16      ...   frames, each:
//                   u32 payload length L, u32 record type T,
//                   u64 XXH3_64(payload) ^ T, L bytes of payload
// Records (strings: varint length + bytes; varints LEB128):
//   1 issue    id, format u8, feature_id, edges u8, lenient u8,
//              geocodes_union u8, margin_m f64, shards u32, expires
//              (unix ns; INT64_MAX never), list_on_end u8, seq u64 (the
//              state its initial scan saw), CAP sender, CAP identifier,
//              the alert text (re-resolved on Open)
//   2 area     the same fields: the alert's area replaced (CAP Update)
//   3 handed   id, count, sorted user ids as varint deltas: users handed
//              to the sink (written before the sink call)
//   4 end      id, reason u8 (EndReason)
//   5 unhanded id, count, sorted user ids as varint deltas: users of an
//              earlier handed record whose sink call failed with the
//              error returned to the caller (UpdateStanding,
//              AttachStandingSink): no longer handed. Appended only (a
//              compacted journal has none); a reader older than this
//              record refuses it as damage, until the next compaction.
// Reading: the records are replayed in order; a frame cut short by the end
// of the file, or a last frame failing its checksum, is a torn tail (a
// crash mid-append), ignored and reported in EngineOpenReport; any other
// damage (bad header, a bad checksum before the last frame, a record that
// does not decode or names an alert never issued, a text that no longer
// resolves) is kDataLoss naming the file and offset. Open then rewrites
// the journal compacted: an issue and one handed record per active alert.
// Durability: appends are fdatasynced per Apply under SyncPolicy::kBatch,
// otherwise at Checkpoint and close (a process crash loses nothing the OS
// has; a power loss may lose the last records, so a user could be handed
// an alert again). A user whose record reached the file before a crash
// that came before the sink call is never handed it (at most once).
inline constexpr char kCheckpointPrefix[] = "checkpoint-";
inline constexpr char kCheckpointSuffix[] = ".fo";
inline constexpr char kSegmentPrefix[] = "log-";
inline constexpr char kSegmentSuffix[] = ".ful";
inline constexpr char kEngineLockFile[] = "LOCK";

// How durable an acknowledged update is (DESIGN §7).
enum class SyncPolicy {
  kBatch,  // fdatasync before Apply returns: survives a power loss
  kGroup,  // one fdatasync per group interval for all batches in it;
           // Apply returns after the one that covers its batch
  kNone,   // written to the OS before Apply returns: survives a process
           // crash (SIGKILL), not a power loss
};

// One alert, as text the library resolves (DESIGN §3).
struct AlertRequest {
  std::string text;  // CAP XML, GeoJSON, "lat,lon lat,lon ...", "lat,lon km", or a code
                     // ("SAME 048201", "FIPS 48", "UGC TXC201" or a bare code)
  AlertFormat format = AlertFormat::kCap;  // geo/alert_text.h
  ResolveOptions resolve;  // edges, margin, lenient, geocodes
  // kGeoJson: only the feature with this id; empty: every feature.
  std::string feature_id;
  uint32_t shards = 1;  // REQUIRES: 1..ShardPolicy::kMaxShards
  // Delivery features (issue 18); each costs nothing unless asked for.
  // The order inside each list: kNearest puts the users nearest the
  // incident point first (IncidentPoint, alert_executor.h: a circle's
  // centre, else the area's centroid). DEFAULT: kIndex.
  DeliveryOrder order = DeliveryOrder::kIndex;
  // Fills AlertSummary::map_svg with the operator map (geo/alert_map.h:
  // the area, its covering, the matched users' density, US state
  // outlines when data/ is found). DEFAULT: false.
  bool map_svg = false;
  // Fills AlertSummary::covering_geojson with the covering's cells
  // (CoveringToGeoJson). DEFAULT: false.
  bool covering_geojson = false;
  // Freshness (AlertExecutor::Options::max_age_s): leave out users whose
  // updated_at is older than this many seconds at the alert's time. 0: off.
  // An Engine reads each user's updated_at as the updates (and the
  // checkpoint) gave it (Engine::Apply, "User attributes"); users without
  // one are kept (summary.unknown_age_kept). DEFAULT: 0. REQUIRES: >= 0.
  int64_t max_age_s = 0;
  // The alert's time for max_age_s. DEFAULT: unset: the CAP <sent> when
  // the text has one, else the engine's clock.
  std::optional<int64_t> as_of_unix_s;
  // By language (AlertExecutor::Options::info_languages): the sink's
  // DeliverByInfo receives the lists split by the text's info blocks
  // (ResolvedAlert::info_languages) and summary.by_info counts them, by
  // each user's language (MatchInfoBlock); a user without one gets block 0.
  // DEFAULT: false.
  bool by_info = false;
};

// A standing alert (DESIGN §8): an alert that stays active, handing its
// sink every user who enters its area until it expires, is ended, or is
// cancelled.
struct StandingRequest {
  AlertRequest alert;  // text, format, resolve options, shards
  // The alert's id (its name in EndAlert, lookups and CAP references).
  // DEFAULT: empty: the CAP <identifier>. REQUIRES: non-empty for the
  // other formats, or a CAP without an identifier.
  std::string id;
  // When the alert stops on the engine's clock (EngineOptions::clock).
  // DEFAULT: InfinitePast: the latest CAP <expires> of the text, or never
  // when it has none (or is not CAP). InfiniteFuture: never.
  absl::Time expires = absl::InfinitePast();
  // At its end, hand the sink everyone it was delivered to
  // (StandingSink::Ended), e.g. to withdraw an in-app banner.
  // DEFAULT: false.
  bool list_on_end = false;
  // DEFAULT: true: a CAP text's msgType Update or Cancel acts on the alerts
  // its <references> name (IssueStanding). false: the text is always a new
  // alert named `id` (`fanout replay`, whose timeline names alerts itself).
  bool follow_msg_type = true;
};

// What a standing call did.
struct StandingSummary {
  // "issued", "updated" (a CAP Update, or Engine::UpdateStanding),
  // "cancelled" (a CAP Cancel), or "attached".
  std::string action;
  std::vector<std::string> ids;  // the alerts acted on
  uint64_t handed = 0;           // users handed by this call
  uint64_t view_seq = 0;         // the state the scan saw
  AlertSummary alert;            // the scan (issued: of the initial lists)
};

struct StandingAlertInfo {
  std::string id;
  uint32_t shards = 1;
  uint64_t delivered = 0;  // users handed it so far
  uint64_t initial = 0, late = 0;  // since this Engine opened
  absl::Time expires = absl::InfiniteFuture();
  bool has_sink = false;  // false: restored by Open, not yet attached
  uint64_t seq = 0;       // the state its last scan saw
};

struct EngineOptions {
  // The clock that standing alerts expire by. DEFAULT: null, absl::Now.
  std::function<absl::Time()> clock;
  // DEFAULT: kGroup.
  SyncPolicy sync = SyncPolicy::kGroup;
  // kGroup: at most one fsync per interval. DEFAULT: 2 ms. REQUIRES: > 0.
  absl::Duration group_interval = absl::Milliseconds(2);
  // A segment is rolled (a new file started) once it holds this many bytes.
  // DEFAULT: 256 MiB. REQUIRES: >= 4096.
  uint64_t segment_bytes = uint64_t{256} << 20;
  // A checkpoint is taken in the background once the log after the newest
  // checkpoint holds this many bytes (24 bytes an update); 0: never
  // (Checkpoint() only). DEFAULT: 4 GiB (about 170M updates).
  uint64_t checkpoint_log_bytes = uint64_t{4} << 30;
  // An empty folder (or a missing one, whose parent exists) becomes an
  // engine with no users at sequence 0. DEFAULT: false (kNotFound).
  bool create_if_missing = false;

  // Backpressure (DESIGN §6: slow down, never collapse). What the live
  // index holds unmerged is bounded twice, by count and by bytes:
  //   updates (not yet frozen, or in delta runs)
  //       < max(backlog_min_updates, backlog_fraction * users), and
  //   their bytes (LiveIndex::Stats::unmerged_bytes: 56 a record, 32 a
  //   delta entry, superseded ones included, until a merge swaps them out
  //   and no view pins them)
  //       < max(backlog_min_bytes, backlog_bytes_per_user * users).
  // An Apply that finds either bound reached waits for maintenance to fold
  // them, up to backlog_wait; then it is refused with kResourceExhausted
  // and nothing of it is applied. The check is made before a batch, so a
  // bound is passed by at most one batch (and, for bytes, the 3.7 MB chunk
  // of records it may start). The bounds are far above what maintenance
  // keeps in steady state (a merge starts at merge_fraction * users
  // updates), so they are reached only when the background threads cannot
  // keep up; then updates go at the speed of the merges, and the live
  // index stays under its floor + the byte bound + either a merge's new
  // base or the base the last merge replaced while a view (a
  // checkpoint's) pins it (LiveIndex::Stats::replaced_bytes; no merge
  // starts while one is). What that comes to at 170M users:
  // bench/README.md, "Fitting 170M users in 24 GB".
  // DEFAULT: 4M. REQUIRES: >= 1.
  uint64_t backlog_min_updates = uint64_t{4} << 20;
  // DEFAULT: 0.5. REQUIRES: >= 0.
  double backlog_fraction = 0.5;
  // DEFAULT: 1 GiB. REQUIRES: >= 1.
  uint64_t backlog_min_bytes = uint64_t{1} << 30;
  // DEFAULT: 16. REQUIRES: >= 0.
  double backlog_bytes_per_user = 16;
  // DEFAULT: 1 s. REQUIRES: >= 0.
  absl::Duration backlog_wait = absl::Seconds(1);

  // The live index merges its deltas into a new base once they pass this
  // fraction of the base (LiveIndex::Options::merge_fraction). Each update
  // holds a record and a delta entry until merged, so between merges the
  // bytes per user grow from the floor by about merge_fraction x those
  // bytes: a smaller fraction holds less (DESIGN §6: at most 40 bytes a
  // user in steady state) at the cost of more merges; a running merge
  // adds its new base. Readings: bench/README.md, "Fitting 170M users in
  // 24 GB".
  // DEFAULT: 0.0625. REQUIRES: > 0.
  double merge_fraction = 0.0625;

  // Tests only: no background maintenance (no freezes, merges or automatic
  // checkpoints) until RunMaintenanceForTesting. DEFAULT: false.
  bool pause_maintenance_for_testing = false;

  // Tests only: called on the calling thread before each standing-alert
  // scan (its state taken, its change made), with the alert's id and what
  // the scan is for: "issue", "update", "attach", or "restore" (the
  // catch-up of the area put back after a failed update). A non-OK status
  // fails that scan as an executor error would. DEFAULT: none.
  std::function<absl::Status(absl::string_view id, absl::string_view scan)>
      standing_scan_hook_for_testing;

  absl::Status Validate() const;
};

// What Open found and did (for logs and `fanout inspect DIR`).
struct EngineOpenReport {
  std::string checkpoint_path;
  uint64_t checkpoint_seq = 0;
  uint64_t checkpoint_users = 0;
  uint64_t segments_replayed = 0;
  uint64_t updates_replayed = 0;
  // A torn tail cut from the last segment: its bytes and why, naming the
  // file ("log-...ful: frame at byte 4160 cut short by the end of the file").
  uint64_t torn_tail_bytes = 0;
  std::string torn_tail_detail;
  // Stray files removed: temporaries of dead writers, checkpoints older than
  // the newest, segments wholly before it.
  std::vector<std::string> removed;
  // load_checkpoint_s: mapping and verifying the checkpoint; replay_s: the
  // rest, of which read_log_s reading and verifying the segments, fold_s
  // folding the log into the first base and make_live_s making it live.
  double load_checkpoint_s = 0, replay_s = 0, total_s = 0;
  double read_log_s = 0, fold_s = 0, make_live_s = 0;
  // Standing alerts restored from standing.fsj, and its torn tail if any.
  uint64_t standing_alerts = 0;
  std::string standing_torn_detail;
};

struct EngineStats {
  uint64_t users = 0;
  uint64_t last_seq = 0;        // the last acknowledged (or being acknowledged) update
  uint64_t checkpoint_seq = 0;  // of the newest checkpoint on disk
  uint64_t memory_bytes = 0;    // the live index (LiveIndex::Stats::memory_bytes)
  // User attributes (Engine::Apply, "User attributes"): the users that
  // have one, and the memory that holds them (besides memory_bytes; 0 for
  // an engine never given any).
  uint64_t attribute_users = 0;
  uint64_t attribute_bytes = 0;
  LiveIndex::Stats live;        // the live index's own figures (merges, freezes, ...)
  uint64_t log_bytes = 0;       // segments after the newest checkpoint
  uint64_t segments = 0;
  uint64_t unfolded_updates = 0;  // what backpressure bounds (see EngineOptions)
  uint64_t backlog_limit = 0;
  uint64_t unmerged_bytes = 0;    // and their bytes (LiveIndex::Stats::unmerged_bytes)
  uint64_t backlog_bytes_limit = 0;
  uint64_t backlog_waits = 0;    // Apply calls that waited
  uint64_t backlog_refusals = 0;  // and those refused with kResourceExhausted
  uint64_t syncs = 0;            // fdatasyncs of the log
  uint64_t checkpoints = 0;      // taken by this Engine
  double last_checkpoint_s = 0;
  // Standing alerts (DESIGN §8).
  uint64_t standing_active = 0;
  uint64_t standing_delivered_users = 0;  // in the active alerts' records
  uint64_t standing_delivered_bytes = 0;  // those records' memory
  uint64_t standing_late = 0;             // late users handed since Open
  // Since Open: updates found inside an active area (per area), and those
  // of them not looked up in the area's record because the user was inside
  // its interior just before (already handed).
  uint64_t standing_hits = 0;
  uint64_t standing_probes_skipped = 0;
  uint64_t standing_sink_errors = 0;      // sink calls that failed
  uint64_t standing_index_bytes = 0;
  uint64_t standing_journal_bytes = 0;
  EngineOpenReport open;
};

namespace internal {
class EngineImpl;
}

// A location index that a service opens, feeds, queries, checkpoints and
// restarts (DESIGN §7): a live index (live_index.h) kept in a folder of
// checkpoints and update-log segments (format above).
//
// Thread-safety: every method may be called from any number of threads at
// once. Apply calls are serialised (their log appends and sequence numbers
// are), but under kGroup the waits for fsync overlap; Alert never waits for
// Apply, a merge or a checkpoint. No exception crosses the class; every
// failure is an absl::Status. After a failed log write or fsync every later
// Apply returns that error (reopen to recover).
//
// Visibility and durability: a batch becomes visible to alerts once it is
// written to the log (before its fsync under kGroup); Apply returns once it
// is durable per options.sync. So an alert may see a batch whose Apply has
// not yet returned, which a power loss (not a process crash) could then
// undo.
//
// Typical usage:
//   ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Open(dir, {}));
//   ASSIGN_OR_RETURN(uint64_t seq, engine->Apply(updates));  // durable now
//   CallbackSink sink([&](uint32_t shard, absl::Span<const uint64_t> ids) { ... });
//   ASSIGN_OR_RETURN(AlertSummary s, engine->Alert({cap_xml, AlertFormat::kCap}, sink));
//   RETURN_IF_ERROR(engine->Checkpoint());  // later Opens replay less
//   StandingRequest amber{{cap_xml, AlertFormat::kCap}};
//   ASSIGN_OR_RETURN(StandingSummary s, engine->IssueStanding(amber, my_sink));
class Engine {
 public:
  using Stats = EngineStats;

  // Opens (recovers) the engine in `dir` (see the recovery rules above) and
  // starts its background maintenance. kDataLoss naming the file for
  // damage; kNotFound when `dir` holds no checkpoint (unless
  // create_if_missing); kFailedPrecondition when another Engine has it open;
  // kInvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const std::string& dir,
                                                      const EngineOptions& options);
  ~Engine();  // stops maintenance; waits for a running checkpoint
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Applies `updates` atomically (an alert sees all of them or none) with
  // consecutive sequence numbers, and returns the last one's once the batch
  // is durable per options.sync. kInvalidArgument naming the position for
  // an upsert with coordinates out of range, an unknown kind, a language
  // code LanguageCode did not give, or a removal with attributes (nothing
  // applied); kResourceExhausted under backpressure (nothing applied);
  // the log's error (kInternal, naming the file) when writing fails. An
  // empty batch returns the last sequence number.
  //
  // User attributes (user_attributes.h; what AlertRequest::max_age_s and
  // by_info read), carried by upserts (LocationUpdate::updated_at, lang):
  //  - updated_at goes with the location: an upsert sets the user's to its
  //    own, and one without (0) leaves the user with none (kept by
  //    max_age_s as "unknown age"): a new fix never keeps an older fix's
  //    time, which would make it look stale.
  //  - the language is a profile fact that rarely comes with a fix: an
  //    upsert without one (lang 0) keeps the user's language; one with a
  //    code sets it. There is no "clear": remove the user and add it again.
  //  - a removal forgets both; a user added again starts with none.
  // An engine never given an attribute (by updates or by its checkpoint)
  // holds nothing for them and its update path only reads the two fields.
  // Alerts read the attributes of the newest applied update, which may be
  // newer than the alert's view of locations (engine_attributes.h).
  absl::StatusOr<uint64_t> Apply(absl::Span<const LocationUpdate> updates);

  // The code of a language tag for LocationUpdate::lang: the tag is
  // normalised (NormalizeLanguageTag: "EN-us" and "en-US" are one code),
  // and a tag new to the engine gets the next code, written to the
  // folder's `languages` file before it is returned (codes are stable for
  // the folder's life). kInvalidArgument for a bad tag, or past
  // UserAttributes::kMaxLanguages tags; the file's error when it cannot be
  // written. Takes a lock; callers cache the codes they use.
  absl::StatusOr<uint8_t> LanguageCode(absl::string_view tag);
  // The dictionary: code k is element k - 1.
  std::vector<std::string> Languages() const;

  // Resolves the request's text (DESIGN §3, geo/), finds every user inside
  // at one consistent state, and hands the lists to `sink`.
  // kInvalidArgument for text that does not resolve (naming the element);
  // the sink's error when it fails.
  absl::StatusOr<AlertSummary> Alert(const AlertRequest& request, DeliverySink& sink);

  // Standing alerts (DESIGN §8). The text's CAP msgType decides:
  //  - Alert (or any non-CAP text): a new standing alert. `sink` gets the
  //    initial lists (Deliver), then every user whose update puts them in
  //    the area (DeliverLate, with the update's sequence number), each user
  //    once over the alert's life, until it expires (request.expires, on
  //    options.clock; checked at each Apply and standing call, and by the
  //    lookups), EndAlert, or a Cancel. kAlreadyExists when the id is
  //    active; kFailedPrecondition when it has already expired. When the
  //    initial scan or the sink's Deliver fails, the error is returned and
  //    the alert is withdrawn: not active, its id free, not restored by a
  //    later Open (its sink gets no Ended).
  //  - Update: every active alert its <references> name gets the new area
  //    (and the new <expires>, if any); users inside it not yet handed the
  //    alert get it at once (DeliverLate, kAreaUpdated). `sink` is unused:
  //    the alert keeps its own. Each alert is updated as UpdateStanding
  //    does (all or nothing, each); the first failure is returned, and the
  //    alerts named after it are not updated.
  //  - Cancel: ends every alert its <references> name (Ended, kCancelled,
  //    with the delivered lists when issued with list_on_end).
  // An Update or Cancel whose references name nothing active is refused
  // with kNotFound quoting the reference. kInvalidArgument for text that
  // does not resolve or a missing id.
  absl::StatusOr<StandingSummary> IssueStanding(const StandingRequest& request,
                                                std::shared_ptr<StandingSink> sink);
  // Replaces active alert `id`'s area by the request's (as a CAP Update
  // does, whatever the text's msgType); request.id and list_on_end are
  // ignored, and request.expires (unless InfinitePast) replaces the expiry.
  // All or nothing: when the scan of the new area fails, or its users
  // cannot be recorded or handed (the journal fails, or the sink's
  // DeliverLate(kAreaUpdated) does), the error is returned and the alert
  // stays active as it was: its previous area and expiry are put back and
  // journalled (a later Open restores them; if the journal itself failed,
  // once a Checkpoint has rewritten it), and nobody is recorded as
  // handed by the failed call (the users the failed DeliverLate was given
  // are journalled as not handed: a retry hands them). Two things of the
  // window between the change and the failure remain: users whose update
  // put them inside the new area then were handed the alert (DeliverLate,
  // kEntered) and stay handed; and users who entered the previous area
  // then are handed it when it is put back (a catch-up scan, DeliverLate,
  // kEntered). If that catch-up fails too, the returned error says so,
  // and they are handed at their next move.
  absl::StatusOr<StandingSummary> UpdateStanding(const std::string& id,
                                                 const StandingRequest& request);
  // Ends active alert `id` (Ended, kEnded). kNotFound.
  absl::Status EndAlert(const std::string& id);
  // After Open, restored standing alerts have no sink: users entering them
  // are not handed anything until one is attached. Attaching hands at once
  // (DeliverLate, kAttached) everyone inside not yet handed it (a user who
  // entered and left in between is missed). kNotFound;
  // kFailedPrecondition when it has a sink. When that catch-up scan fails,
  // or its users cannot be recorded or handed, the error is returned and
  // the sink is taken away again: the alert stays restored without a sink,
  // and a retry attaches and catches up. Users handed through the sink in
  // between (entered while the scan ran) stay handed; the failed call's
  // are not recorded, so a retry hands them, each user still once.
  //
  // The standing calls that name one alert id (IssueStanding,
  // UpdateStanding, AttachStandingSink; a CAP Update names its
  // references) run one at a time: a second waits for the first. So a
  // sink must not make one of them for its own alert from inside a call.
  absl::StatusOr<StandingSummary> AttachStandingSink(const std::string& id,
                                                     std::shared_ptr<StandingSink> sink);
  // Feed-time lookups. The active, unexpired standing alerts whose area
  // holds the point (1e-7 degree), appended to *ids; returns how many.
  // Lock-free (an immutable index of the active areas, swapped on change),
  // safe from any thread.
  size_t ActiveAlertsAt(int32_t lat_e7, int32_t lng_e7, std::vector<std::string>* ids) const;
  // The active alerts that user `user_id` has been handed (inside at issue
  // or entered since: where the in-app banner shows). Takes a reader lock;
  // costs a lookup in each active alert's delivered record.
  size_t ActiveAlertsForUser(uint64_t user_id, std::vector<std::string>* ids) const;
  std::vector<StandingAlertInfo> ListStanding() const;

  // Writes a checkpoint of the current state while updates and alerts go on,
  // then deletes what it makes redundant. One at a time (a second caller
  // waits). OK without writing when nothing changed since the newest one.
  absl::Status Checkpoint();

  Stats GetStats() const;

  // Tests only: one freeze and one merge of the live index, now.
  void RunMaintenanceForTesting();

 private:
  explicit Engine(std::unique_ptr<internal::EngineImpl> impl);
  std::unique_ptr<internal::EngineImpl> impl_;
};

// Makes `dir` an engine folder whose state at sequence 0 is `base`: writes
// checkpoint 0 (`meta` as for WriteSnapshot), with `attributes` (parallel
// to base.run(), AlignAttributes; null or without columns: none) as its
// attrs section, whose dictionary becomes the engine's at the first Open. `dir` is created when missing
// (its parent must exist). An existing folder holding anything is refused
// (kFailedPrecondition naming it) unless `replace`; then the engine files
// in it (checkpoints, segments, temporaries, LOCK) are removed first, and
// anything else is left.
absl::Status CreateEngineDirectory(const std::string& dir, const LocationIndex& base,
                                   const SnapshotMetadata& meta, bool replace,
                                   const UserAttributes* attributes = nullptr);

// A read-only look at an engine folder: what Open would recover, without
// changing a file (no torn tail cut, no stray removed, no lock taken: a
// running Engine may be appending). Damage is refused as by Open.
struct EngineDirectoryState {
  EngineOpenReport report;  // `removed`: what Open would remove
  uint64_t last_seq = 0;
  uint64_t users = 0;
  uint64_t log_bytes = 0;   // segments after the checkpoint
  struct Segment {
    std::string name;
    uint64_t first_seq = 0, last_seq = 0, bytes = 0, updates = 0;
  };
  std::vector<Segment> segments;  // those replayed
  // User attributes (Engine::Apply, "User attributes"): the users that have
  // a language or an update time, and the engine's language tags (lang
  // code k + 1 is languages[k]).
  uint64_t attribute_users = 0;
  std::vector<std::string> languages;
  // The recovered state, when asked for (ReadEngineDirectory's
  // `materialise`): every user at last_seq, sorted, as a static index.
  std::unique_ptr<LocationIndex> index;
  // With `index`: its users' attributes (Engine::Apply, "User
  // attributes"), parallel to index->run(); null when the engine holds
  // none.
  std::shared_ptr<const UserAttributes> attributes;
};
absl::StatusOr<EngineDirectoryState> ReadEngineDirectory(const std::string& dir,
                                                         bool materialise);

}  // namespace fanout

#endif  // FANOUT_ENGINE_ENGINE_H_
