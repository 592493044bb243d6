// Copyright 2026 The fan-out engine authors.

#include "engine/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "base/file_io.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "geo/alert_map.h"
#include "engine/internal/engine_attributes.h"
#include "engine/internal/engine_directory.h"
#include "engine/internal/segment_log.h"
#include "engine/internal/standing_tracker.h"
#include "engine/live_index.h"
#include "engine/shard_policy.h"
#include "engine/user_attributes.h"

namespace fanout {

absl::Status EngineOptions::Validate() const {
  if (!(group_interval > absl::ZeroDuration())) {
    return absl::InvalidArgumentError("EngineOptions::group_interval must be > 0");
  }
  if (segment_bytes < 4096) {
    return absl::InvalidArgumentError("EngineOptions::segment_bytes must be >= 4096");
  }
  if (backlog_min_updates < 1) {
    return absl::InvalidArgumentError("EngineOptions::backlog_min_updates must be >= 1");
  }
  if (!(backlog_fraction >= 0)) {
    return absl::InvalidArgumentError("EngineOptions::backlog_fraction must be >= 0");
  }
  if (!(merge_fraction > 0)) {
    return absl::InvalidArgumentError("EngineOptions::merge_fraction must be > 0");
  }
  if (backlog_min_bytes < 1) {
    return absl::InvalidArgumentError("EngineOptions::backlog_min_bytes must be >= 1");
  }
  if (!(backlog_bytes_per_user >= 0)) {
    return absl::InvalidArgumentError("EngineOptions::backlog_bytes_per_user must be >= 0");
  }
  if (backlog_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("EngineOptions::backlog_wait must be >= 0");
  }
  return absl::OkStatus();
}

namespace {

double SecondsSince(int64_t start_ns) { return (absl::GetCurrentTimeNanos() - start_ns) * 1e-9; }

// The request's text as an area (geo/alert_text.h), with what the
// summary reports of it.
absl::StatusOr<std::unique_ptr<AlertArea>> ResolveRequestText(
    const AlertRequest& request, AlertSummary* summary, std::string* sent = nullptr,
    std::vector<std::string>* info_languages = nullptr) {
  AlertTextOptions options;
  options.resolve = request.resolve;
  options.feature_id = request.feature_id;
  ASSIGN_OR_RETURN(ResolvedAlert resolved,
                   ResolveAlertText(request.text, request.format, options));
  summary->repairs = resolved.repairs;
  summary->dropped_repeated_pairs = resolved.dropped_repeated_pairs;
  if (sent != nullptr) *sent = resolved.header.sent;
  if (info_languages != nullptr) *info_languages = resolved.info_languages;
  if (!resolved.header.identifier.empty()) {
    summary->alert_info.emplace_back("identifier", resolved.header.identifier);
  }
  for (const ResolvedArea& a : resolved.areas) {
    summary->areas.push_back({a.label, a.area_desc, a.defined_by, 0});
  }
  return std::move(resolved.area);
}

// Engine::Alert with the map or the covering asked for (AlertRequest), or
// with user attributes to apply (`attributes` not null: the executor runs
// without them and EngineAttributes::FilterAndSplit applies max_age_s and
// by_info to its lists): the scan keeps the covering and the users' cells,
// the map and GeoJSON are made before the sink is called, so the sink's
// summary has them.
absl::Status AlertWithExtras(const AlertExecutor& executor, const AlertArea& area,
                             const AlertRequest& request, DeliverySink& sink,
                             AlertSummary* summary,
                             const internal::EngineAttributes* attributes, bool max_age,
                             uint64_t fresh_cutoff,
                             const std::vector<std::string>& info_languages) {
  AreaCovering covering;
  std::vector<UserIdList> cells;
  AlertExecutor::Extras extras;
  const bool want_covering = request.map_svg || request.covering_geojson;
  if (want_covering) extras.covering = &covering;
  if (request.map_svg) extras.cells = &cells;
  DeliveryLists lists;
  std::vector<DeliveryLists> by_info;
  if (request.by_info && attributes == nullptr) extras.by_info = &by_info;
  RETURN_IF_ERROR(executor.Execute(area, &lists, summary, extras));
  if (attributes != nullptr) {
    const int64_t t = absl::GetCurrentTimeNanos();
    attributes->FilterAndSplit(
        max_age, fresh_cutoff,
        request.by_info ? absl::MakeConstSpan(info_languages) : absl::Span<const std::string>(),
        &lists, request.map_svg ? &cells : nullptr, &by_info, summary);
    summary->timings.scan_ms += (absl::GetCurrentTimeNanos() - t) * 1e-6;
  }
  if (request.covering_geojson) summary->covering_geojson = CoveringToGeoJson(covering);
  if (request.map_svg) {
    AlertMapInput in;
    in.area = &area;
    in.covering = &covering;
    for (const UserIdList& list : cells) in.matched_cells.emplace_back(list.data(), list.size());
    in.index_users = summary->index_users;
    if (summary->order == DeliveryOrder::kNearest) {
      in.incident = S2LatLng::FromDegrees(summary->origin_lat_deg, summary->origin_lng_deg);
    }
    in.title = std::string(AlertFormatName(request.format));
    for (const auto& [key, value] : summary->alert_info) {
      if (key == "identifier") in.title = value;
    }
    for (size_t i = 0; i < summary->areas.size() && i < 4; ++i) {
      const AlertSummary::AreaCount& a = summary->areas[i];
      in.notes.push_back(a.desc.empty() ? a.defined_by : absl::StrCat(a.desc, ": ", a.defined_by));
    }
    absl::StatusOr<std::vector<MapOutline>> states = LoadStateOutlines();
    if (states.ok()) in.outlines = &*states;  // a map without outlines is still a map
    ASSIGN_OR_RETURN(summary->map_svg, RenderAlertMapSvg(in));
  }
  const int64_t t = absl::GetCurrentTimeNanos();
  if (request.by_info) {
    RETURN_IF_ERROR(sink.DeliverByInfo(lists, by_info, *summary));
  } else {
    RETURN_IF_ERROR(sink.Deliver(lists, *summary));
  }
  summary->timings.emit_ms = (absl::GetCurrentTimeNanos() - t) * 1e-6;
  return absl::OkStatus();
}

// An exclusive flock on dir/LOCK, released when closed.
class DirectoryLock {
 public:
  static absl::StatusOr<std::unique_ptr<DirectoryLock>> Acquire(const std::string& dir) {
    const std::string path = internal::JoinPath(dir, kEngineLockFile);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("cannot open", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat(dir, ": another engine has this folder open (", path, " is locked)"));
    }
    return std::unique_ptr<DirectoryLock>(new DirectoryLock(fd));
  }
  ~DirectoryLock() { ::close(fd_); }

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  const int fd_;
};

bool IsEmptyEngineDirectory(const std::string& dir) {
  auto listing = internal::ListEngineDirectory(dir);
  return listing.ok() && listing->checkpoints.empty() && listing->segments.empty() &&
         !listing->has_other_entries;
}

absl::Status MakeDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError("cannot create", dir);
  return absl::OkStatus();
}

}  // namespace

namespace internal {

// The machinery behind Engine (engine.h has the contract).
//
// Thread-safety: as Engine. Lock order: checkpoint_mu_, write_mu_, sync_mu_.
class EngineImpl {
 public:
  EngineImpl(std::string dir, const EngineOptions& options) : dir_(std::move(dir)), options_(options) {}
  ~EngineImpl();

  absl::Status Start(Recovered recovered, std::unique_ptr<DirectoryLock> lock);
  absl::StatusOr<uint64_t> Apply(absl::Span<const LocationUpdate> updates);
  absl::StatusOr<AlertSummary> Alert(const AlertRequest& request, DeliverySink& sink);
  absl::Status Checkpoint();
  absl::StatusOr<uint8_t> LanguageCode(absl::string_view tag) { return attributes_->CodeOf(tag); }
  std::vector<std::string> Languages() const { return attributes_->Languages(); }
  EngineStats GetStats() const;
  void RunMaintenance();

  // Standing alerts (engine.h); the state lives in standing_.
  absl::StatusOr<StandingSummary> IssueStanding(const StandingRequest& request,
                                                std::shared_ptr<StandingSink> sink);
  absl::StatusOr<StandingSummary> UpdateStanding(const std::string& id,
                                                 const StandingRequest& request);
  absl::Status EndAlert(const std::string& id, EndReason reason);
  absl::StatusOr<StandingSummary> AttachStandingSink(const std::string& id,
                                                     std::shared_ptr<StandingSink> sink);
  const StandingTracker& standing() const { return *standing_; }

 private:
  // Takes a view and runs `under_lock(view seq)` under the write lock (so
  // no batch falls between them), then scans `area` at that view (alert
  // `id`'s, for the reason `what`: EngineOptions::standing_scan_hook_for_testing).
  absl::StatusOr<DeliveryLists> ScanStanding(const std::string& id, absl::string_view what,
                                             const ActiveArea& area, uint32_t shards,
                                             const std::function<absl::Status(uint64_t)>& under_lock,
                                             AlertSummary* summary, uint64_t* seq);
  // After UpdateStanding's change (ReplaceArea, `epoch`) failed: puts back
  // `previous` and its area, then hands its catch-up. The error to return:
  // `failed`, noting a failure of the catch-up.
  absl::Status RestoreStanding(const std::string& id, uint64_t epoch,
                               const StandingRecipe& previous,
                               std::shared_ptr<const ActiveArea> previous_area,
                               absl::Status failed);
  // The standing calls naming one alert id run one at a time (engine.h),
  // so that a failed call is undone against the state it set itself.
  class StandingIdLock {
   public:
    StandingIdLock(EngineImpl* engine, std::string id);
    ~StandingIdLock();
    StandingIdLock(const StandingIdLock&) = delete;
    StandingIdLock& operator=(const StandingIdLock&) = delete;

   private:
    EngineImpl* const engine_;
    const std::string id_;
  };
  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }
  // What backpressure bounds (EngineOptions), now: the updates the live
  // index holds unmerged and their bytes, with the bounds on them.
  struct BacklogState {
    uint64_t unfolded = 0, limit = 0, bytes = 0, bytes_limit = 0;
    bool reached() const { return unfolded >= limit || bytes >= bytes_limit; }
  };
  BacklogState Backlog() const { return BacklogOf(live_->GetStats()); }
  // What backpressure bounds (EngineOptions), from the live index's figures.
  BacklogState BacklogOf(const LiveIndex::Stats& st) const;
  absl::Status WaitForBacklog();
  absl::Status WaitDurable(uint64_t seq);
  void SyncLoop();        // kGroup
  void CheckpointLoop();  // automatic checkpoints

  const std::string dir_;
  const EngineOptions options_;
  std::unique_ptr<DirectoryLock> lock_;
  std::unique_ptr<LiveIndex> live_;
  // The users' attributes and the language dictionary (never null).
  std::unique_ptr<EngineAttributes> attributes_;
  EngineOpenReport open_report_;

  // One checkpoint at a time.
  std::mutex checkpoint_mu_;

  mutable std::mutex write_mu_;  // serialises Apply's appends and numbers
  std::unique_ptr<SegmentLog> log_ ABSL_GUARDED_BY(write_mu_);

  mutable std::mutex sync_mu_;
  std::condition_variable synced_cv_;  // synced_seq_ or error_ changed
  std::condition_variable work_cv_;    // appended_seq_ or stop_ changed
  uint64_t appended_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  uint64_t synced_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(sync_mu_);  // sticky: the log failed
  bool stop_ ABSL_GUARDED_BY(sync_mu_) = false;
  uint64_t checkpoint_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  double last_checkpoint_s_ ABSL_GUARDED_BY(sync_mu_) = 0;
  absl::Status last_auto_checkpoint_ ABSL_GUARDED_BY(sync_mu_);

  std::atomic<uint64_t> log_bytes_{0}, segments_{0};
  std::atomic<uint64_t> syncs_{0}, checkpoints_{0}, backlog_waits_{0}, backlog_refusals_{0};

  std::thread sync_thread_, checkpoint_thread_;

  std::unique_ptr<StandingTracker> standing_;
  std::mutex standing_ids_mu_;
  std::condition_variable standing_ids_cv_;  // an id left standing_ids_
  absl::flat_hash_set<std::string> standing_ids_ ABSL_GUARDED_BY(standing_ids_mu_);
};

EngineImpl::StandingIdLock::StandingIdLock(EngineImpl* engine, std::string id)
    : engine_(engine), id_(std::move(id)) {
  std::unique_lock<std::mutex> lock(engine_->standing_ids_mu_);
  engine_->standing_ids_cv_.wait(lock, [&] { return !engine_->standing_ids_.contains(id_); });
  engine_->standing_ids_.insert(id_);
}

EngineImpl::StandingIdLock::~StandingIdLock() {
  std::lock_guard<std::mutex> lock(engine_->standing_ids_mu_);
  engine_->standing_ids_.erase(id_);
  engine_->standing_ids_cv_.notify_all();
}

EngineImpl::~EngineImpl() {
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  synced_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  std::lock_guard<std::mutex> lock(write_mu_);
  if (log_ != nullptr && options_.sync != SyncPolicy::kNone) log_->Sync().IgnoreError();
}

absl::Status EngineImpl::Start(Recovered recovered, std::unique_ptr<DirectoryLock> lock) {
  lock_ = std::move(lock);
  live_ = std::move(recovered.live);
  attributes_ = std::move(recovered.attributes);
  RETURN_IF_ERROR(attributes_->Persist());  // tags a checkpoint brought
  open_report_ = std::move(recovered.state.report);
  standing_ = std::make_unique<StandingTracker>(
      dir_, [this] { return Now(); }, options_.sync == SyncPolicy::kBatch);
  RETURN_IF_ERROR(standing_->Open(&open_report_.standing_torn_detail));
  open_report_.standing_alerts = standing_->List().size();
  const uint64_t last = recovered.state.last_seq;
  // What the recovery made redundant goes now (a crash in a checkpoint's
  // clean-up, or a dead writer's temporary).
  for (const std::string& name : open_report_.removed) {
    ::unlink(JoinPath(dir_, name).c_str());
  }
  std::unique_ptr<SegmentLog> log;
  ASSIGN_OR_RETURN(log, SegmentLog::Open(dir_, recovered.live_segments,
                                         recovered.last_segment_usable, last + 1,
                                         options_.segment_bytes));
  RETURN_IF_ERROR(SyncDirectory(dir_));
  {
    std::lock_guard<std::mutex> wlock(write_mu_);
    log_bytes_.store(log->bytes());
    segments_.store(log->segments());
    log_ = std::move(log);
  }
  {
    std::lock_guard<std::mutex> slock(sync_mu_);
    appended_seq_ = synced_seq_ = last;
    checkpoint_seq_ = open_report_.checkpoint_seq;
  }
  if (options_.sync == SyncPolicy::kGroup) sync_thread_ = std::thread([this] { SyncLoop(); });
  if (options_.checkpoint_log_bytes > 0 && !options_.pause_maintenance_for_testing) {
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
  }
  return absl::OkStatus();
}

EngineImpl::BacklogState EngineImpl::BacklogOf(const LiveIndex::Stats& st) const {
  BacklogState b;
  b.unfolded = st.pending_updates + st.delta_entries;
  b.limit = std::max<uint64_t>(options_.backlog_min_updates,
                               static_cast<uint64_t>(options_.backlog_fraction * st.users));
  b.bytes = st.unmerged_bytes;
  b.bytes_limit = std::max<uint64_t>(
      options_.backlog_min_bytes, static_cast<uint64_t>(options_.backlog_bytes_per_user * st.users));
  return b;
}

absl::Status EngineImpl::WaitForBacklog() {
  BacklogState b = Backlog();
  if (!b.reached()) return absl::OkStatus();
  backlog_waits_.fetch_add(1, std::memory_order_relaxed);
  const int64_t deadline = absl::GetCurrentTimeNanos() + absl::ToInt64Nanoseconds(options_.backlog_wait);
  while (absl::GetCurrentTimeNanos() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
    b = Backlog();
    if (!b.reached()) return absl::OkStatus();
  }
  backlog_refusals_.fetch_add(1, std::memory_order_relaxed);
  return absl::ResourceExhaustedError(absl::StrCat(
      "the live index holds ", b.unfolded, " updates not yet merged (limit ", b.limit, "), ",
      b.bytes, " bytes (limit ", b.bytes_limit,
      "): maintenance is behind the update rate; nothing of this batch was applied, retry later"));
}

absl::StatusOr<uint64_t> EngineImpl::Apply(absl::Span<const LocationUpdate> updates) {
  if (updates.empty()) return live_->last_seq();
  for (size_t i = 0; i < updates.size(); ++i) {  // refuse before the log sees it
    const LocationUpdate& u = updates[i];
    if (u.kind != LocationUpdate::Kind::kUpsert && u.kind != LocationUpdate::Kind::kRemove) {
      return absl::InvalidArgumentError(absl::StrCat("update ", i, ": unknown kind ", int(u.kind)));
    }
    if (u.kind == LocationUpdate::Kind::kUpsert && !u.location.IsValid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update ", i, " (user ", u.user_id(), "): coordinates out of range: lat_e7 ",
          u.location.lat_e7, ", lng_e7 ", u.location.lng_e7));
    }
  }
  RETURN_IF_ERROR(attributes_->Check(updates));
  RETURN_IF_ERROR(WaitForBacklog());
  // The standing alerts' area tests, before the write lock: appliers make
  // them in parallel, and the lock covers only the delivered records.
  // The leaf cells are computed once, here, for both the check and the
  // live index (no standing alerts: the live index computes its own).
  // Per thread, so the hits' vector is not allocated again every batch;
  // its index reference is dropped below.
  thread_local StandingTracker::Precheck precheck;
  const bool prechecked = standing_->any_active();
  thread_local std::vector<uint64_t> cells;
  // Each update's user's cell before it, from the live index (0: none or
  // not asked for): the check skips the record look-up of users who were
  // already inside (StandingTracker::OnApplied).
  thread_local std::vector<uint64_t> previous;
  cells.clear();
  previous.clear();
  if (prechecked) {
    previous.resize(updates.size());
    cells.resize(updates.size());
    for (size_t i = 0; i < updates.size(); ++i) {
      const LocationUpdate& u = updates[i];
      cells[i] = u.kind == LocationUpdate::Kind::kUpsert ? u.location.ToCellId().id() : 0;
    }
    standing_->PrecheckBatch(updates, &precheck, cells);
    // Only these can use it; the others' would be a cache miss for nothing.
    for (const StandingIndex::Hit& h : precheck.hits) {
      if (h.interior_run != StandingIndex::kBoundaryHit) previous[h.k] = 1;
    }
  }
  uint64_t last = 0;
  StandingTracker::Handoff handoff;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    {
      std::lock_guard<std::mutex> slock(sync_mu_);
      if (!error_.ok()) return error_;
    }
    const uint64_t first = log_->next_seq();
    absl::Status st = log_->Append(first, updates);
    if (st.ok() && options_.sync == SyncPolicy::kBatch) {
      st = log_->Sync();
      syncs_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!st.ok()) {
      if (st.code() == absl::StatusCode::kInvalidArgument) return st;
      std::lock_guard<std::mutex> slock(sync_mu_);
      error_ = st;
      synced_cv_.notify_all();
      return st;
    }
    auto applied = cells.empty() ? live_->Apply(updates)
                                 : live_->Apply(updates, cells, absl::MakeSpan(previous));
    if (!applied.ok() || *applied != first + updates.size() - 1) {
      // Logged but not applied: the log and the index disagree from here on.
      absl::Status failed = applied.ok() ? absl::InternalError("live index numbered a batch "
                                                               "differently from the log")
                                         : applied.status();
      std::lock_guard<std::mutex> slock(sync_mu_);
      error_ = absl::InternalError(absl::StrCat(
          "a logged batch could not be applied (reopen the engine to recover it): ",
          failed.message()));
      synced_cv_.notify_all();
      return error_;
    }
    last = *applied;
    // Checked before the log saw the batch: cannot fail here.
    attributes_->Apply(updates).IgnoreError();
    // Users this batch brings into active standing alerts (their records
    // are written here, in sequence order; the sinks are called below).
    if (standing_->any_active()) {
      standing_->OnApplied(updates, first, prechecked ? &precheck : nullptr, &handoff, cells,
                           previous)
          .IgnoreError();
    }
    precheck.index.reset();
    log_bytes_.store(log_->bytes(), std::memory_order_relaxed);
    segments_.store(log_->segments(), std::memory_order_relaxed);
    std::lock_guard<std::mutex> slock(sync_mu_);
    appended_seq_ = last;
    if (options_.sync != SyncPolicy::kGroup) synced_seq_ = last;
  }
  if (!handoff.items.empty()) standing_->Hand(&handoff);
  if (options_.sync == SyncPolicy::kGroup) {
    work_cv_.notify_all();
    RETURN_IF_ERROR(WaitDurable(last));
  }
  return last;
}

absl::Status EngineImpl::WaitDurable(uint64_t seq) {
  std::unique_lock<std::mutex> lock(sync_mu_);
  synced_cv_.wait(lock, [&] { return synced_seq_ >= seq || !error_.ok() || stop_; });
  if (synced_seq_ >= seq) return absl::OkStatus();
  if (!error_.ok()) return error_;
  return absl::CancelledError("the engine is closing");
}

void EngineImpl::SyncLoop() {
  int64_t last_start = 0;
  const int64_t interval = absl::ToInt64Nanoseconds(options_.group_interval);
  while (true) {
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      work_cv_.wait(lock, [&] { return stop_ || appended_seq_ > synced_seq_; });
      if (appended_seq_ <= synced_seq_) return;  // stopping with nothing to sync
    }
    // At most one fsync per interval: batches arriving meanwhile share it.
    const int64_t wait = last_start + interval - absl::GetCurrentTimeNanos();
    if (wait > 0) absl::SleepFor(absl::Nanoseconds(wait));
    uint64_t target;
    std::shared_ptr<const SyncHandle> handle;
    {
      std::lock_guard<std::mutex> wlock(write_mu_);
      handle = log_->sync_handle();
      std::lock_guard<std::mutex> slock(sync_mu_);
      target = appended_seq_;
    }
    last_start = absl::GetCurrentTimeNanos();
    // Segments rolled since are synced when sealed; the current one now.
    absl::Status st = handle->Sync();
    syncs_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> slock(sync_mu_);
      if (st.ok()) {
        synced_seq_ = std::max(synced_seq_, target);
      } else if (error_.ok()) {
        error_ = st;
      }
    }
    synced_cv_.notify_all();
  }
}

void EngineImpl::CheckpointLoop() {
  auto pause = std::chrono::milliseconds(100);
  while (true) {
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      work_cv_.wait_for(lock, pause, [&] { return stop_; });
      if (stop_) return;
    }
    pause = std::chrono::milliseconds(100);
    if (log_bytes_.load(std::memory_order_relaxed) < options_.checkpoint_log_bytes) continue;
    absl::Status st = Checkpoint();
    if (!st.ok()) pause = std::chrono::milliseconds(5000);  // retry later, not in a tight loop
    std::lock_guard<std::mutex> lock(sync_mu_);
    last_auto_checkpoint_ = st;
  }
}

absl::Status EngineImpl::Checkpoint() {
  std::lock_guard<std::mutex> cp_lock(checkpoint_mu_);
  RETURN_IF_ERROR(standing_->Compact());
  const int64_t start = absl::GetCurrentTimeNanos();
  uint64_t seq;
  LiveView snapshot;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    seq = live_->last_seq();
    {
      std::lock_guard<std::mutex> slock(sync_mu_);
      if (!error_.ok()) return error_;
      if (seq == checkpoint_seq_) return absl::OkStatus();
    }
    // The checkpoint never runs ahead of the durable log, and the segments
    // it makes redundant are sealed.
    RETURN_IF_ERROR(log_->Roll());
    segments_.store(log_->segments(), std::memory_order_relaxed);
    snapshot = live_->View();
  }
  if (snapshot.seq() != seq) {
    return absl::InternalError("checkpoint: the pinned state moved");
  }
  // Off every lock: updates and alerts go on. The view's sorted runs are
  // merged straight into the file (engine_directory.h).
  RETURN_IF_ERROR(
      WriteCheckpointOfView(dir_, seq, snapshot, SnapshotMetadata{}, attributes_.get()));
  snapshot = LiveView();  // let the runs it pinned go
  // The new checkpoint is durable: what it makes redundant can go.
  ASSIGN_OR_RETURN(DirectoryListing listing, ListEngineDirectory(dir_));
  for (const NumberedFile& f : listing.checkpoints) {
    if (f.seq < seq) ::unlink(JoinPath(dir_, f.name).c_str());
  }
  RETURN_IF_ERROR(SyncDirectory(dir_));
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    RETURN_IF_ERROR(log_->DeleteThrough(seq));
    log_bytes_.store(log_->bytes(), std::memory_order_relaxed);
    segments_.store(log_->segments(), std::memory_order_relaxed);
  }
  checkpoints_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> slock(sync_mu_);
  checkpoint_seq_ = seq;
  last_checkpoint_s_ = SecondsSince(start);
  return absl::OkStatus();
}

absl::StatusOr<AlertSummary> EngineImpl::Alert(const AlertRequest& request, DeliverySink& sink) {
  AlertSummary summary;
  const int64_t parse_start = absl::GetCurrentTimeNanos();
  std::string sent;
  std::vector<std::string> info_languages;
  ASSIGN_OR_RETURN(std::unique_ptr<AlertArea> area,
                   ResolveRequestText(request, &summary, &sent, &info_languages));
  summary.timings.parse_ms = (absl::GetCurrentTimeNanos() - parse_start) * 1e-6;
  AlertExecutor::Options options;
  options.shards = request.shards;
  options.order = request.order;
  if (request.max_age_s != 0) {
    options.max_age_s = request.max_age_s;
    std::optional<int64_t> now = request.as_of_unix_s;
    if (!now.has_value() && sent.empty()) {
      now = absl::ToUnixSeconds(Now());
    }
    ASSIGN_OR_RETURN(options.as_of_unix_s, AlertTime(sent, now));
  }
  if (request.by_info) options.info_languages = info_languages;
  RETURN_IF_ERROR(options.Validate());
  // Attributes, when the engine holds any and the request reads them, are
  // applied to the executor's lists (engine_attributes.h).
  const bool with_attributes =
      !attributes_->empty() && (request.max_age_s != 0 || request.by_info);
  if (with_attributes) options.info_languages.clear();
  LiveView snapshot = live_->View();
  AlertExecutor executor(snapshot, options);
  if (with_attributes) {
    const uint64_t cutoff = static_cast<uint64_t>(
        std::max<int64_t>(0, options.as_of_unix_s - options.max_age_s));
    RETURN_IF_ERROR(AlertWithExtras(executor, *area, request, sink, &summary, attributes_.get(),
                                    options.max_age_s > 0, cutoff, info_languages));
  } else if (request.map_svg || request.covering_geojson) {
    RETURN_IF_ERROR(AlertWithExtras(executor, *area, request, sink, &summary, nullptr, false, 0,
                                    info_languages));
  } else {
    RETURN_IF_ERROR(executor.Execute(*area, sink, &summary));
  }
  if (summary.areas.size() == 1) {
    summary.areas[0].users = summary.matched;
    summary.areas[0].counted = true;
  }
  const StageTimings& t = summary.timings;
  summary.timings.total_ms = t.parse_ms + t.cover_ms + t.plan_ms + t.scan_ms + t.emit_ms;
  return summary;
}

EngineStats EngineImpl::GetStats() const {
  EngineStats st;
  const LiveIndex::Stats live = live_->GetStats();
  st.users = live.users;
  st.last_seq = live.last_seq;
  st.memory_bytes = live.memory_bytes;
  st.attribute_users = attributes_->users();
  st.attribute_bytes = attributes_->MemoryBytes();
  st.live = live;
  const BacklogState backlog = BacklogOf(live);
  st.unfolded_updates = backlog.unfolded;
  st.backlog_limit = backlog.limit;
  st.unmerged_bytes = backlog.bytes;
  st.backlog_bytes_limit = backlog.bytes_limit;
  st.log_bytes = log_bytes_.load(std::memory_order_relaxed);
  st.segments = segments_.load(std::memory_order_relaxed);
  st.syncs = syncs_.load(std::memory_order_relaxed);
  st.checkpoints = checkpoints_.load(std::memory_order_relaxed);
  st.backlog_waits = backlog_waits_.load(std::memory_order_relaxed);
  st.backlog_refusals = backlog_refusals_.load(std::memory_order_relaxed);
  st.open = open_report_;
  const StandingTracker::Stats standing = standing_->GetStats();
  st.standing_active = standing.active;
  st.standing_delivered_users = standing.delivered_users;
  st.standing_delivered_bytes = standing.delivered_bytes;
  st.standing_late = standing.late;
  st.standing_hits = standing.hits;
  st.standing_probes_skipped = standing.probes_skipped;
  st.standing_sink_errors = standing.sink_errors;
  st.standing_index_bytes = standing.index_bytes;
  st.standing_journal_bytes = standing.journal_bytes;
  std::lock_guard<std::mutex> lock(sync_mu_);
  st.checkpoint_seq = checkpoint_seq_;
  st.last_checkpoint_s = last_checkpoint_s_;
  return st;
}

void EngineImpl::RunMaintenance() {
  live_->Freeze();
  live_->Merge();
}

absl::StatusOr<DeliveryLists> EngineImpl::ScanStanding(
    const std::string& id, absl::string_view what, const ActiveArea& area, uint32_t shards,
    const std::function<absl::Status(uint64_t)>& under_lock, AlertSummary* summary,
    uint64_t* seq) {
  AlertExecutor::Options options;
  options.shards = shards;
  RETURN_IF_ERROR(options.Validate());
  LiveView view;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    view = live_->View();
    RETURN_IF_ERROR(under_lock(view.seq()));
  }
  *seq = view.seq();
  if (options_.standing_scan_hook_for_testing) {
    RETURN_IF_ERROR(options_.standing_scan_hook_for_testing(id, what));
  }
  AlertExecutor executor(view, options);
  return executor.Execute(*area.area, summary);
}

namespace {

StandingRecipe RecipeFor(const StandingRequest& request, const std::string& id,
                         const AlertHeader& header, absl::Time expires) {
  StandingRecipe r;
  r.id = id;
  r.text = request.alert.text;
  r.format = static_cast<uint8_t>(request.alert.format);
  r.feature_id = request.alert.feature_id;
  r.edges = static_cast<uint8_t>(request.alert.resolve.edges);
  r.lenient = request.alert.resolve.lenient;
  r.geocodes_union = request.alert.resolve.geocodes_union;
  r.margin_m = request.alert.resolve.margin_m;
  r.shards = request.alert.shards;
  r.expires_unix_ns = expires == absl::InfiniteFuture() ? INT64_MAX : absl::ToUnixNanos(expires);
  r.list_on_end = request.list_on_end;
  r.cap_sender = header.sender;
  r.cap_identifier = header.identifier;
  return r;
}

absl::Time ExpiresOf(const StandingRequest& request) {
  if (request.expires != absl::InfinitePast()) return request.expires;
  if (request.alert.format == AlertFormat::kCap) return CapExpires(request.alert.text);
  return absl::InfiniteFuture();
}

}  // namespace

absl::StatusOr<StandingSummary> EngineImpl::IssueStanding(const StandingRequest& request,
                                                          std::shared_ptr<StandingSink> sink) {
  StandingTracker::Handoff expired;
  standing_->ExpireDue(&expired);
  standing_->Hand(&expired);
  StandingSummary out;
  ASSIGN_OR_RETURN(std::unique_ptr<AlertArea> parsed, ResolveRequestText(request.alert, &out.alert));
  parsed.reset();
  // The header (msgType, references) of the text.
  AlertHeader header;
  if (request.alert.format == AlertFormat::kCap) {
    AlertTextOptions options;
    options.resolve = request.alert.resolve;
    ASSIGN_OR_RETURN(ResolvedAlert resolved,
                     ResolveAlertText(request.alert.text, request.alert.format, options));
    header = resolved.header;
  }
  const std::string msg_type = absl::AsciiStrToLower(header.msg_type);
  if (request.follow_msg_type && (msg_type == "cancel" || msg_type == "update")) {
    ASSIGN_OR_RETURN(std::vector<std::string> ids, standing_->MatchReferences(header.references));
    out.ids = ids;
    if (msg_type == "cancel") {
      out.action = "cancelled";
      for (const std::string& id : ids) RETURN_IF_ERROR(EndAlert(id, EndReason::kCancelled));
      return out;
    }
    out.action = "updated";
    for (const std::string& id : ids) {
      ASSIGN_OR_RETURN(StandingSummary one, UpdateStanding(id, request));
      out.handed += one.handed;
      out.view_seq = one.view_seq;
      out.alert = std::move(one.alert);
    }
    return out;
  }
  if (sink == nullptr) return absl::InvalidArgumentError("a standing alert needs a sink");
  const std::string id = request.id.empty() ? header.identifier : request.id;
  if (id.empty()) {
    return absl::InvalidArgumentError(
        "a standing alert needs an id (StandingRequest::id, or a CAP <identifier>)");
  }
  const absl::Time expires = ExpiresOf(request);
  if (expires <= Now()) {
    return absl::FailedPreconditionError(absl::StrCat("standing alert \"", id, "\" expired at ",
                                                      absl::FormatTime(expires)));
  }
  StandingRecipe recipe = RecipeFor(request, id, header, expires);
  ASSIGN_OR_RETURN(std::shared_ptr<const ActiveArea> area, BuildActiveArea(recipe));
  StandingIdLock id_lock(this, id);
  uint64_t seq = 0, epoch = 0;
  bool registered = false;
  absl::StatusOr<DeliveryLists> lists =
      ScanStanding(id, "issue", *area, recipe.shards, [&](uint64_t view_seq) {
        recipe.seq = view_seq;
        RETURN_IF_ERROR(standing_->Register(recipe, area, std::move(sink), &epoch));
        registered = true;
        return absl::OkStatus();
      }, &out.alert, &seq);
  absl::StatusOr<uint64_t> handed =
      lists.ok() ? standing_->CompleteScan(id, *lists, seq, /*initial=*/true, &out.alert,
                                           LateReason::kEntered, epoch)
                 : absl::StatusOr<uint64_t>(lists.status());
  if (!handed.ok()) {
    // An error leaves no alert active: one registered before its scan (or
    // the recording of the scan) failed is withdrawn, and its id is free.
    if (registered) standing_->Withdraw(id, epoch);
    return handed.status();
  }
  out.action = "issued";
  out.ids = {id};
  out.view_seq = seq;
  out.handed = *handed;
  return out;
}

absl::StatusOr<StandingSummary> EngineImpl::UpdateStanding(const std::string& id,
                                                           const StandingRequest& request) {
  StandingIdLock id_lock(this, id);
  ASSIGN_OR_RETURN(StandingRecipe old, standing_->RecipeOf(id));
  std::shared_ptr<const ActiveArea> old_area = standing_->AreaOf(id);
  if (old_area == nullptr) {
    return absl::NotFoundError(absl::StrCat("no active standing alert \"", id, "\""));
  }
  AlertHeader header;
  header.sender = old.cap_sender;
  header.identifier = old.cap_identifier;
  absl::Time expires = ExpiresOf(request);
  if (request.expires == absl::InfinitePast() && expires == absl::InfiniteFuture() &&
      old.expires_unix_ns != INT64_MAX) {
    expires = absl::FromUnixNanos(old.expires_unix_ns);  // the update names no expiry: keep it
  }
  StandingRecipe recipe = RecipeFor(request, id, header, expires);
  recipe.shards = old.shards;  // the sink's shards stay as issued
  recipe.list_on_end = old.list_on_end;
  ASSIGN_OR_RETURN(std::shared_ptr<const ActiveArea> area, BuildActiveArea(recipe));
  StandingSummary out;
  out.action = "updated";
  out.ids = {id};
  uint64_t seq = 0, epoch = 0;
  bool replaced = false;
  absl::StatusOr<DeliveryLists> lists =
      ScanStanding(id, "update", *area, recipe.shards, [&](uint64_t view_seq) {
        recipe.seq = view_seq;
        RETURN_IF_ERROR(standing_->ReplaceArea(id, recipe, area, &epoch));
        replaced = true;
        return absl::OkStatus();
      }, &out.alert, &seq);
  if (!replaced) return lists.status();  // nothing changed
  absl::StatusOr<uint64_t> handed =
      lists.ok() ? standing_->CompleteScan(id, *lists, seq, /*initial=*/false, nullptr,
                                           LateReason::kAreaUpdated, epoch)
                 : absl::StatusOr<uint64_t>(lists.status());
  if (!handed.ok()) {
    // All or nothing (engine.h): the previous area is back in force.
    return RestoreStanding(id, epoch, old, std::move(old_area), handed.status());
  }
  out.view_seq = seq;
  out.handed = *handed;
  return out;
}

absl::Status EngineImpl::RestoreStanding(const std::string& id, uint64_t epoch,
                                         const StandingRecipe& previous,
                                         std::shared_ptr<const ActiveArea> previous_area,
                                         absl::Status failed) {
  // Users who entered the previous area while the new one was in force
  // were checked against the new one only: a catch-up scan of the state
  // at which the previous area is back hands those still inside.
  StandingRecipe recipe = previous;
  uint64_t seq = 0, restored_epoch = 0;
  bool restored = false;
  const ActiveArea& area = *previous_area;
  AlertSummary summary;
  absl::StatusOr<DeliveryLists> lists =
      ScanStanding(id, "restore", area, recipe.shards, [&](uint64_t view_seq) {
        recipe.seq = view_seq;
        restored = standing_->RestoreArea(id, epoch, recipe, previous_area, &restored_epoch);
        // Ended meanwhile: nothing to put back or catch up.
        return restored ? absl::OkStatus() : absl::CancelledError();
      }, &summary, &seq);
  if (!restored) return failed;
  absl::StatusOr<uint64_t> handed =
      lists.ok() ? standing_->CompleteScan(id, *lists, seq, /*initial=*/false, nullptr,
                                           LateReason::kEntered, restored_epoch)
                 : absl::StatusOr<uint64_t>(lists.status());
  if (handed.ok()) return failed;
  return absl::Status(
      failed.code(),
      absl::StrCat(failed.message(), " (standing alert \"", id,
                   "\" has its previous area back, but its catch-up failed: ",
                   handed.status().ToString(),
                   "; users who entered it meanwhile are handed it at their next move)"));
}

absl::Status EngineImpl::EndAlert(const std::string& id, EndReason reason) {
  StandingTracker::Handoff handoff;
  absl::Status st = standing_->End(id, reason, &handoff);
  standing_->Hand(&handoff);
  return st;
}

absl::StatusOr<StandingSummary> EngineImpl::AttachStandingSink(const std::string& id,
                                                               std::shared_ptr<StandingSink> sink) {
  if (sink == nullptr) return absl::InvalidArgumentError("AttachStandingSink needs a sink");
  StandingIdLock id_lock(this, id);
  ASSIGN_OR_RETURN(StandingRecipe recipe, standing_->RecipeOf(id));
  ASSIGN_OR_RETURN(std::shared_ptr<const ActiveArea> area, BuildActiveArea(recipe));
  StandingSummary out;
  out.action = "attached";
  out.ids = {id};
  uint64_t seq = 0, epoch = 0;
  bool attached = false;
  absl::StatusOr<DeliveryLists> lists =
      ScanStanding(id, "attach", *area, recipe.shards, [&](uint64_t) {
        RETURN_IF_ERROR(standing_->Attach(id, std::move(sink), &epoch));
        attached = true;
        return absl::OkStatus();
      }, &out.alert, &seq);
  if (!attached) return lists.status();
  absl::StatusOr<uint64_t> handed =
      lists.ok() ? standing_->CompleteScan(id, *lists, seq, /*initial=*/false, nullptr,
                                           LateReason::kAttached, epoch)
                 : absl::StatusOr<uint64_t>(lists.status());
  if (!handed.ok()) {
    // All or nothing (engine.h): restored without a sink, so a retry works.
    standing_->Detach(id, epoch);
    return handed.status();
  }
  out.view_seq = seq;
  out.handed = *handed;
  return out;
}

}  // namespace internal

// ---------------------------------------------------------------------------
// Engine: forwards to the impl, and keeps exceptions from crossing.

namespace {

template <typename F>
auto NoThrow(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("internal error: ", e.what()));
  } catch (...) {
    return absl::InternalError("internal error: unknown exception");
  }
}

}  // namespace

Engine::Engine(std::unique_ptr<internal::EngineImpl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const std::string& dir,
                                                     const EngineOptions& options) {
  return NoThrow([&]() -> absl::StatusOr<std::unique_ptr<Engine>> {
    RETURN_IF_ERROR(options.Validate());
    if (options.create_if_missing) {
      RETURN_IF_ERROR(MakeDirectory(dir));
      if (IsEmptyEngineDirectory(dir)) {
        auto empty = LocationIndex::FromTrustedColumns({}, {});
        RETURN_IF_ERROR(internal::WriteCheckpoint(dir, 0, *empty, SnapshotMetadata{}));
      }
    }
    ASSIGN_OR_RETURN(internal::DirectoryListing listing, internal::ListEngineDirectory(dir));
    (void)listing;
    ASSIGN_OR_RETURN(std::unique_ptr<DirectoryLock> lock, DirectoryLock::Acquire(dir));
    LiveIndex::Options live_options;
    live_options.background_maintenance = !options.pause_maintenance_for_testing;
    live_options.merge_fraction = options.merge_fraction;
    ASSIGN_OR_RETURN(internal::Recovered recovered,
                     internal::RecoverEngineDirectory(dir, live_options));
    auto impl = std::make_unique<internal::EngineImpl>(dir, options);
    RETURN_IF_ERROR(impl->Start(std::move(recovered), std::move(lock)));
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
  });
}

absl::StatusOr<uint64_t> Engine::Apply(absl::Span<const LocationUpdate> updates) {
  return NoThrow([&]() -> absl::StatusOr<uint64_t> { return impl_->Apply(updates); });
}

absl::StatusOr<AlertSummary> Engine::Alert(const AlertRequest& request, DeliverySink& sink) {
  return NoThrow([&]() -> absl::StatusOr<AlertSummary> { return impl_->Alert(request, sink); });
}

absl::StatusOr<uint8_t> Engine::LanguageCode(absl::string_view tag) {
  return NoThrow([&]() -> absl::StatusOr<uint8_t> { return impl_->LanguageCode(tag); });
}

std::vector<std::string> Engine::Languages() const { return impl_->Languages(); }

absl::Status Engine::Checkpoint() {
  return NoThrow([&]() -> absl::Status { return impl_->Checkpoint(); });
}

Engine::Stats Engine::GetStats() const { return impl_->GetStats(); }

absl::StatusOr<StandingSummary> Engine::IssueStanding(const StandingRequest& request,
                                                      std::shared_ptr<StandingSink> sink) {
  return NoThrow([&]() -> absl::StatusOr<StandingSummary> {
    return impl_->IssueStanding(request, std::move(sink));
  });
}

absl::StatusOr<StandingSummary> Engine::UpdateStanding(const std::string& id,
                                                       const StandingRequest& request) {
  return NoThrow(
      [&]() -> absl::StatusOr<StandingSummary> { return impl_->UpdateStanding(id, request); });
}

absl::Status Engine::EndAlert(const std::string& id) {
  return NoThrow([&]() -> absl::Status { return impl_->EndAlert(id, EndReason::kEnded); });
}

absl::StatusOr<StandingSummary> Engine::AttachStandingSink(const std::string& id,
                                                           std::shared_ptr<StandingSink> sink) {
  return NoThrow([&]() -> absl::StatusOr<StandingSummary> {
    return impl_->AttachStandingSink(id, std::move(sink));
  });
}

size_t Engine::ActiveAlertsAt(int32_t lat_e7, int32_t lng_e7, std::vector<std::string>* ids) const {
  return impl_->standing().AlertsAt(lat_e7, lng_e7, ids);
}

size_t Engine::ActiveAlertsForUser(uint64_t user_id, std::vector<std::string>* ids) const {
  return impl_->standing().AlertsHandedTo(user_id, ids);
}

std::vector<StandingAlertInfo> Engine::ListStanding() const {
  std::vector<StandingAlertInfo> out;
  for (const auto& i : impl_->standing().List()) {
    out.push_back({i.id, i.shards, i.delivered, i.initial, i.late, i.expires, i.has_sink, i.seq});
  }
  return out;
}

void Engine::RunMaintenanceForTesting() { impl_->RunMaintenance(); }

absl::Status CreateEngineDirectory(const std::string& dir, const LocationIndex& base,
                                   const SnapshotMetadata& meta, bool replace,
                                   const UserAttributes* attributes) {
  return NoThrow([&]() -> absl::Status {
    RETURN_IF_ERROR(MakeDirectory(dir));
    ASSIGN_OR_RETURN(internal::DirectoryListing listing, internal::ListEngineDirectory(dir));
    const bool empty = listing.checkpoints.empty() && listing.segments.empty() &&
                       listing.temporaries.empty() && !listing.has_lock_file &&
                       !listing.has_standing_journal && !listing.has_languages &&
                       !listing.has_other_entries;
    if (!empty && !replace) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir, ": the folder is not empty (use --force to replace an engine in it)"));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<DirectoryLock> lock, DirectoryLock::Acquire(dir));
    std::vector<std::string> names;
    for (const auto& f : listing.checkpoints) names.push_back(f.name);
    for (const auto& f : listing.segments) names.push_back(f.name);
    for (const auto& t : listing.temporaries) names.push_back(t);
    if (listing.has_standing_journal) names.push_back(internal::kStandingJournalName);
    if (listing.has_languages) names.push_back(internal::kLanguagesFileName);
    for (const std::string& name : names) {
      const std::string path = internal::JoinPath(dir, name);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("cannot delete", path);
    }
    RETURN_IF_ERROR(SyncDirectory(dir));
    if (attributes != nullptr && attributes->size() != base.size()) {
      return absl::InvalidArgumentError(absl::StrCat("attributes for ", attributes->size(),
                                                     " users, but the index has ", base.size()));
    }
    // The checkpoint's dictionary becomes the engine's at its first Open.
    return internal::WriteCheckpoint(dir, 0, base, meta,
                                     attributes != nullptr && attributes->kinds().any()
                                         ? attributes
                                         : nullptr);
  });
}

absl::StatusOr<EngineDirectoryState> ReadEngineDirectory(const std::string& dir, bool materialise) {
  return NoThrow([&]() -> absl::StatusOr<EngineDirectoryState> {
    LiveIndex::Options live_options;
    live_options.background_maintenance = false;
    ASSIGN_OR_RETURN(internal::Recovered recovered,
                     internal::RecoverEngineDirectory(dir, live_options));
    EngineDirectoryState state = std::move(recovered.state);
    state.attribute_users = recovered.attributes->users();
    state.languages = recovered.attributes->Languages();
    if (materialise) {
      state.index = internal::MaterialiseSnapshot(recovered.live->View());
      state.attributes = recovered.attributes->AlignedTo(state.index->run());
    }
    return state;
  });
}

}  // namespace fanout
