// Copyright 2026 The fan-out engine authors.

#include "engine/internal/standing_tracker.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "engine/internal/engine_directory.h"
#include "engine/shard_policy.h"
#include "geo/alert_text.h"

namespace fanout {

absl::string_view EndReasonName(EndReason reason) {
  switch (reason) {
    case EndReason::kEnded: return "ended";
    case EndReason::kCancelled: return "cancelled";
    case EndReason::kExpired: return "expired";
  }
  return "ended";
}

namespace internal {
namespace {

// Process-wide, so that a thread's cached index is never mistaken for
// another engine's.
std::atomic<uint64_t> g_index_version{0};

absl::Time FromUnixNs(int64_t ns) {
  return ns == INT64_MAX ? absl::InfiniteFuture() : absl::FromUnixNanos(ns);
}

}  // namespace

struct StandingTracker::Channel {
  std::mutex mu;
  std::shared_ptr<StandingSink> sink;
  bool initial_done = false;
  std::vector<Handoff::Item> buffered;  // late batches before the initial lists
};

struct StandingTracker::Alert {
  StandingRecipe recipe;
  std::shared_ptr<const ActiveArea> area;
  DeliveredSet delivered;
  uint64_t initial = 0, late = 0;
  std::shared_ptr<Channel> channel;  // null: restored, no sink attached yet
  ShardPolicy policy = ShardPolicy::Create(1).value();
  // The scan of its last Register / ReplaceArea / RestoreArea / Attach has
  // been recorded, and no refused hand-off was dropped from the record since
  // (CompleteScan): only then may OnApplied skip a hit by its previous cell.
  bool scanned = false;
  uint64_t epoch = 0;  // see the header: set by Register, ReplaceArea, ...
};

absl::StatusOr<std::shared_ptr<const ActiveArea>> BuildActiveArea(const StandingRecipe& recipe) {
  AlertTextOptions options;
  options.resolve.edges = static_cast<EdgeModel>(recipe.edges);
  options.resolve.lenient = recipe.lenient;
  options.resolve.geocodes_union = recipe.geocodes_union;
  options.resolve.margin_m = recipe.margin_m;
  options.feature_id = recipe.feature_id;
  ASSIGN_OR_RETURN(ResolvedAlert resolved,
                   ResolveAlertText(recipe.text, static_cast<AlertFormat>(recipe.format), options));
  auto area = std::make_shared<ActiveArea>();
  area->id = recipe.id;
  resolved.area->Finalize();
  area->area = std::shared_ptr<const AlertArea>(std::move(resolved.area));
  CoveringOptions covering;
  covering.max_cells = 64;
  area->covering = CoverArea(*area->area, covering);
  RefineForPoints(*area->area, kStandingRefineLevel, kStandingBoundaryCells, &area->covering);
  area->expires = FromUnixNs(recipe.expires_unix_ns);
  return std::shared_ptr<const ActiveArea>(std::move(area));
}

absl::Time CapExpires(absl::string_view xml) {
  absl::Time latest = absl::InfinitePast();
  size_t pos = 0;
  while ((pos = xml.find("expires>", pos)) != absl::string_view::npos) {
    const size_t tag = pos;
    pos += 8;
    // An opening tag: "<expires>" or "<prefix:expires>".
    size_t lt = xml.rfind('<', tag);
    if (lt == absl::string_view::npos || xml.substr(lt, tag - lt).find('/') != absl::string_view::npos) {
      continue;
    }
    const size_t end = xml.find('<', pos);
    if (end == absl::string_view::npos) break;
    const std::string value(absl::StripAsciiWhitespace(xml.substr(pos, end - pos)));
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, value, &t, &err)) latest = std::max(latest, t);
  }
  return latest == absl::InfinitePast() ? absl::InfiniteFuture() : latest;
}

StandingTracker::StandingTracker(std::string dir, std::function<absl::Time()> clock, bool sync_each)
    : dir_(std::move(dir)), clock_(std::move(clock)), sync_each_(sync_each) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  RepublishLocked();
}

StandingTracker::~StandingTracker() {
  std::lock_guard<std::shared_mutex> lock(mu_);
  if (journal_ != nullptr) journal_->Sync().IgnoreError();
}

absl::Status StandingTracker::Open(std::string* torn_detail) {
  const std::string path = JoinPath(dir_, kStandingJournalName);
  ASSIGN_OR_RETURN(std::vector<JournalRecord> records, ReadStandingJournal(path, torn_detail));
  std::lock_guard<std::shared_mutex> lock(mu_);
  for (JournalRecord& r : records) {
    const std::string id = r.type == JournalRecord::kIssue || r.type == JournalRecord::kArea
                                ? r.recipe.id : r.id;
    auto it = alerts_.find(id);
    if (r.type == JournalRecord::kIssue) {
      auto a = std::make_unique<Alert>();
      a->recipe = std::move(r.recipe);
      alerts_[id] = std::move(a);  // an id may be issued again after it ended
      continue;
    }
    if (it == alerts_.end()) {
      return absl::DataLossError(absl::StrCat(path, ": a record names alert \"", id,
                                              "\", which no earlier record issued"));
    }
    Alert& a = *it->second;
    if (r.type == JournalRecord::kArea) {
      a.recipe = std::move(r.recipe);
    } else if (r.type == JournalRecord::kDelivered) {
      for (uint64_t u : r.users) a.delivered.Insert(u);
      if (a.recipe.seq == 0 && a.initial == 0) a.initial = r.users.size();
    } else if (r.type == JournalRecord::kUnhanded) {
      a.delivered.EraseAll(r.users);
    } else {
      alerts_.erase(it);
    }
  }
  for (auto& [id, a] : alerts_) {
    auto area = BuildActiveArea(a->recipe);
    if (!area.ok()) {
      return absl::DataLossError(absl::StrCat(path, ": standing alert \"", id,
                                              "\" no longer resolves: ", area.status().message()));
    }
    a->area = *std::move(area);
    ASSIGN_OR_RETURN(a->policy, ShardPolicy::Create(a->recipe.shards));
  }
  RepublishLocked();
  ASSIGN_OR_RETURN(journal_, StandingJournalWriter::Create(path, SnapshotLocked()));
  return absl::OkStatus();
}

std::vector<JournalRecord> StandingTracker::SnapshotLocked() const {
  std::vector<JournalRecord> out;
  for (const auto& [id, a] : alerts_) {
    JournalRecord issue;
    issue.type = JournalRecord::kIssue;
    issue.recipe = a->recipe;
    out.push_back(std::move(issue));
    JournalRecord d;
    d.type = JournalRecord::kDelivered;
    d.id = id;
    d.users.reserve(a->delivered.size());
    a->delivered.ForEach([&](uint64_t u) { d.users.push_back(u); });
    std::sort(d.users.begin(), d.users.end());
    out.push_back(std::move(d));
  }
  return out;
}

absl::Status StandingTracker::JournalLocked(const JournalRecord& r) {
  if (!journal_error_.ok()) return journal_error_;
  if (journal_ == nullptr) return absl::OkStatus();  // not opened (tests of the index only)
  absl::Status st = journal_->Append(r);
  if (st.ok() && sync_each_) st = journal_->Sync();
  if (!st.ok()) journal_error_ = st;
  return st;
}

void StandingTracker::RepublishLocked() {
  // The cheap part now; the index at its first use (EnsureIndexLocked), so
  // that issuing K alerts back to back builds it once, not K times.
  int64_t next = INT64_MAX;
  uint64_t active = 0;
  for (auto& [id, a] : alerts_) {
    if (a->area == nullptr) continue;
    ++active;
    if (a->area->expires != absl::InfiniteFuture()) {
      next = std::min(next, absl::ToUnixNanos(a->area->expires));
    }
  }
  next_expiry_ns_.store(next, std::memory_order_relaxed);
  index_dirty_.store(true, std::memory_order_release);
  active_.store(active, std::memory_order_release);
}

void StandingTracker::EnsureIndexLocked() {
  if (!index_dirty_.load(std::memory_order_relaxed)) return;
  std::vector<std::shared_ptr<const ActiveArea>> areas;
  by_slot_.clear();
  for (auto& [id, a] : alerts_) {
    if (a->area == nullptr) continue;
    areas.push_back(a->area);
    by_slot_.push_back(a.get());
  }
  index_ = StandingIndex::Build(std::move(areas));
  ++index_builds_;
  slot_delivered_.clear();
  slot_has_sink_.clear();
  slot_scanned_.clear();
  for (Alert* a : by_slot_) {
    slot_delivered_.push_back(&a->delivered);
    slot_has_sink_.push_back(a->channel != nullptr);
    slot_scanned_.push_back(a->scanned);
  }
  {
    std::lock_guard<std::mutex> lock(pub_mu_);
    published_ = index_;
    version_.store(g_index_version.fetch_add(1) + 1, std::memory_order_release);
  }
  index_dirty_.store(false, std::memory_order_release);
}

void StandingTracker::PublishNow() const {
  if (!index_dirty_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::shared_mutex> lock(mu_);
  // The index is a cache of alerts_, built where first needed: a const
  // lookup may build it (no tracker is ever const itself).
  const_cast<StandingTracker*>(this)->EnsureIndexLocked();
}

const StandingIndex* StandingTracker::Published() const {
  struct Cache {
    uint64_t version = 0;
    std::shared_ptr<const StandingIndex> index;
  };
  thread_local Cache cache;
  PublishNow();
  const uint64_t v = version_.load(std::memory_order_acquire);
  if (cache.version != v) {
    std::lock_guard<std::mutex> lock(pub_mu_);
    cache.index = published_;
    cache.version = version_.load(std::memory_order_relaxed);
  }
  return cache.index.get();
}


void StandingTracker::PrecheckBatch(absl::Span<const LocationUpdate> updates, Precheck* out,
                                    absl::Span<const uint64_t> cells) const {
  PublishNow();
  {
    std::lock_guard<std::mutex> lock(pub_mu_);
    out->index = published_;
  }
  if (out->index == nullptr) {
    out->hits.clear();
    return;
  }
  out->index->CollectHits(updates, cells, &out->hits);
}

// Why a hit whose user's previous cell is in the same interior interval
// (StandingIndex::SameInteriorRun) needs no look-up in the alert's record:
// the user has had the alert, or is in a scan of it that will hand it.
//
// Let A be the alert, area its current ActiveArea (the one of the index
// OnApplied uses: the precheck's only when it is the index of now, else the
// tests are made again), S the state at which the last of Register (issue),
// ReplaceArea (a CAP Update) and Attach (a sink after a restart) happened
// for A: each runs under the Engine's write lock between two batches, with
// a view of exactly state S taken there, and the scan of that view with A's
// current area ends in CompleteScan, which records everyone it found. Hits
// of A before Attach are dropped (no sink) whatever the shortcut says.
// Claim: if user u's previous cell c (the one the update at seq t > S
// supersedes, as the live index reports it) is in A's interior, u is in A's
// record, or in the result of the scan at S. By induction on the updates of
// u: let t' be the one that put u at c (so c is u's cell from t' to t - 1).
//  - t' <= S (or u was in the base at S): u was at c at state S. c lies in
//    an interior cell, wholly inside A's area (RefineForPoints and
//    CoverArea keep interior cells inside; the executor judges the same
//    leaf centre), so the scan at S found u.
//  - t' > S: update t' was checked against the same area (areas change
//    only at S) with u's cell c in its interior, so it was a hit of A:
//    either looked up and recorded, or skipped because its own previous
//    cell was in A's interior, and then the claim holds for t' < t.
// A user removed and added again has no previous cell (0: no shortcut), so
// a removal breaks the chain, and the first update after it is looked up.
// Within a batch the hits are taken in update order, so an earlier update
// of the same user in the batch (whose cell the live index reports as the
// previous one) has been recorded before. A restart changes nothing: the
// live index (checkpoint + log) gives the previous cells, and every
// restored alert goes through Attach (a fresh S) before its hits count.
// A boundary cell holds points outside the area, so a boundary hit is
// always looked up. Until the scan at S is recorded (CompleteScan; it may
// never be, if the executor or the journal fails after Register) no hit of
// A is skipped: each is looked up and recorded, so the chain above starts
// only from a recorded scan, and a user the failed scan missed is handed
// at its next move, as without the shortcut.
absl::Status StandingTracker::OnApplied(absl::Span<const LocationUpdate> updates,
                                        uint64_t first_seq, const Precheck* pre, Handoff* out,
                                        absl::Span<const uint64_t> cells,
                                        absl::Span<const uint64_t> previous) {
  ExpireDue(out);
  std::lock_guard<std::shared_mutex> lock(mu_);
  EnsureIndexLocked();
  if (by_slot_.empty()) return absl::OkStatus();
  // Pass 1: every (alert, update) whose point the area holds, from the
  // precheck when it was made against the index of the alerts active now
  // (an index is never changed once built, and the precheck holds a
  // reference, so the same pointer is the same slots). Pass 2 asks
  // each alert's delivered record, a few hits behind prefetches of the
  // record's memory: the records are far larger than the caches and nearly
  // every hit is a user handed long ago, so the probes are cache misses
  // that are overlapped rather than taken one after another.
  // Restored alerts with no sink yet are left out: Attach catches up.
  // Hits whose user was inside the same interior interval before are
  // dropped with them (the argument above).
  std::vector<Hit>& hits = hits_scratch_;
  const StandingIndex& index = *index_;
  uint64_t shortcut = 0;
  auto skip = [&](const Hit& h) {
    if (!slot_has_sink_[h.slot]) return true;
    if (!previous.empty() && slot_scanned_[h.slot] && index.SameInteriorRun(h, previous[h.k])) {
      return ++shortcut, true;
    }
    return false;
  };
  if (pre != nullptr && pre->index == index_) {
    hits.clear();
    for (const Hit& h : pre->hits) {
      if (!skip(h)) hits.push_back(h);
    }
  } else {
    index.CollectHits(updates, cells, &hits);
    hits.erase(std::remove_if(hits.begin(), hits.end(), skip), hits.end());
  }
  hits_.fetch_add(hits.size() + shortcut, std::memory_order_relaxed);
  probes_skipped_.fetch_add(shortcut, std::memory_order_relaxed);
  // Per alert slot: the users this batch brings in.
  std::vector<std::vector<LateUser>> found(hits.empty() ? 0 : by_slot_.size());
  constexpr size_t kAhead = 8;  // keys prefetched this many hits ahead, directory twice as far
  for (size_t h = 0; h < hits.size(); ++h) {
    if (h + 2 * kAhead < hits.size()) {
      const Hit& next = hits[h + 2 * kAhead];
      slot_delivered_[next.slot]->PrefetchDirectory(updates[next.k].user_id());
    }
    if (h + kAhead < hits.size()) {
      const Hit& next = hits[h + kAhead];
      slot_delivered_[next.slot]->PrefetchKeys(updates[next.k].user_id());
    }
    const Hit& hit = hits[h];
    const uint64_t user = updates[hit.k].user_id();
    if (slot_delivered_[hit.slot]->Insert(user)) {
      found[hit.slot].push_back({user, first_seq + hit.k});
    }
  }
  absl::Status status;
  for (size_t i = 0; i < found.size(); ++i) {
    if (found[i].empty()) continue;
    Alert* a = by_slot_[i];
    JournalRecord r;
    r.type = JournalRecord::kDelivered;
    r.id = a->recipe.id;
    for (const LateUser& l : found[i]) r.users.push_back(l.user_id);
    std::sort(r.users.begin(), r.users.end());
    absl::Status st = JournalLocked(r);
    if (!st.ok() && status.ok()) status = st;
    a->late += found[i].size();
    late_.fetch_add(found[i].size(), std::memory_order_relaxed);
    Handoff::Item item;
    item.channel = a->channel;
    item.id = a->recipe.id;
    item.shards.resize(a->policy.shards());
    for (const LateUser& l : found[i]) item.shards[a->policy.ShardOf(l.user_id)].push_back(l);
    out->items.push_back(std::move(item));
  }
  return status;
}

void StandingTracker::ExpireDue(Handoff* out) {
  if (next_expiry_ns_.load(std::memory_order_relaxed) == INT64_MAX) return;
  const absl::Time now = clock_();
  if (absl::ToUnixNanos(now) < next_expiry_ns_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::shared_mutex> lock(mu_);
  std::vector<Alert*> due;
  for (auto& [id, a] : alerts_) {
    if (a->area != nullptr && a->area->expires <= now) due.push_back(a.get());
  }
  for (Alert* a : due) EndLocked(a, EndReason::kExpired, out);
  if (!due.empty()) RepublishLocked();
}

absl::Status StandingTracker::Register(const StandingRecipe& recipe,
                                       std::shared_ptr<const ActiveArea> area,
                                       std::shared_ptr<StandingSink> sink, uint64_t* epoch) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  if (alerts_.contains(recipe.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("standing alert \"", recipe.id, "\" is already active"));
  }
  auto a = std::make_unique<Alert>();
  a->recipe = recipe;
  a->area = std::move(area);
  ASSIGN_OR_RETURN(a->policy, ShardPolicy::Create(recipe.shards));
  a->channel = std::make_shared<Channel>();
  a->channel->sink = std::move(sink);
  JournalRecord r;
  r.type = JournalRecord::kIssue;
  r.recipe = recipe;
  RETURN_IF_ERROR(JournalLocked(r));
  a->epoch = ++last_epoch_;
  if (epoch != nullptr) *epoch = a->epoch;
  alerts_[recipe.id] = std::move(a);
  RepublishLocked();
  return absl::OkStatus();
}

bool StandingTracker::Withdraw(const std::string& id, uint64_t epoch) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end() || it->second->epoch != epoch) return false;
  JournalRecord r;
  r.type = JournalRecord::kEnd;
  r.id = id;
  r.end_reason = static_cast<uint8_t>(EndReason::kEnded);
  JournalLocked(r).IgnoreError();  // sticky: see JournalLocked
  alerts_.erase(it);
  RepublishLocked();
  return true;
}

absl::Status StandingTracker::ReplaceArea(const std::string& id, const StandingRecipe& recipe,
                                          std::shared_ptr<const ActiveArea> area,
                                          uint64_t* epoch) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end()) {
    return absl::NotFoundError(absl::StrCat("no active standing alert \"", id, "\""));
  }
  RETURN_IF_ERROR(JournalLocked(AreaRecord(recipe)));
  const uint64_t e = SetAreaLocked(it->second.get(), recipe, std::move(area));
  if (epoch != nullptr) *epoch = e;
  return absl::OkStatus();
}

bool StandingTracker::RestoreArea(const std::string& id, uint64_t epoch,
                                  const StandingRecipe& recipe,
                                  std::shared_ptr<const ActiveArea> area, uint64_t* new_epoch) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end() || it->second->epoch != epoch) return false;
  // The area is put back even if the journal fails (sticky: see
  // JournalLocked; Checkpoint's compaction writes the area held here).
  JournalLocked(AreaRecord(recipe)).IgnoreError();
  *new_epoch = SetAreaLocked(it->second.get(), recipe, std::move(area));
  return true;
}

JournalRecord StandingTracker::AreaRecord(const StandingRecipe& recipe) {
  JournalRecord r;
  r.type = JournalRecord::kArea;
  r.recipe = recipe;
  return r;
}

uint64_t StandingTracker::SetAreaLocked(Alert* a, const StandingRecipe& recipe,
                                        std::shared_ptr<const ActiveArea> area) {
  a->recipe = recipe;
  a->area = std::move(area);
  a->scanned = false;  // until the scan of this area is recorded (CompleteScan)
  a->epoch = ++last_epoch_;
  RepublishLocked();
  return a->epoch;
}

absl::Status StandingTracker::Attach(const std::string& id, std::shared_ptr<StandingSink> sink,
                                     uint64_t* epoch) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end()) {
    return absl::NotFoundError(absl::StrCat("no active standing alert \"", id, "\""));
  }
  if (it->second->channel != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("standing alert \"", id, "\" already has a sink"));
  }
  auto channel = std::make_shared<Channel>();
  channel->sink = std::move(sink);
  channel->initial_done = true;  // its initial lists went to the sink before the restart
  it->second->channel = std::move(channel);
  it->second->scanned = false;  // until the catch-up scan is recorded
  it->second->epoch = ++last_epoch_;
  if (epoch != nullptr) *epoch = it->second->epoch;
  SetSlotFlagsLocked(it->second.get());
  return absl::OkStatus();
}

bool StandingTracker::Detach(const std::string& id, uint64_t epoch) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end() || it->second->epoch != epoch) return false;
  Alert& a = *it->second;
  a.channel = nullptr;  // Handoff items already gathered hold their own reference
  a.scanned = false;
  a.epoch = ++last_epoch_;
  SetSlotFlagsLocked(&a);
  return true;
}

void StandingTracker::SetSlotFlagsLocked(const Alert* a) {
  // A stale index (alerts changed since it was built) is left stale: its
  // rebuild copies every alert's flags, and by_slot_ may name ended alerts
  // until then. Building it here would build it once per alert issued, K
  // times for K alerts issued back to back.
  if (index_dirty_.load(std::memory_order_relaxed)) return;
  for (size_t i = 0; i < by_slot_.size(); ++i) {
    if (by_slot_[i] == a) {
      slot_has_sink_[i] = a->channel != nullptr;
      slot_scanned_[i] = a->scanned;
    }
  }
}

void StandingTracker::UnrecordLocked(const std::string& id, uint64_t epoch,
                                     const std::vector<uint64_t>& users, bool late) {
  auto it = alerts_.find(id);
  // Ended meanwhile: its end record makes its record moot.
  if (it == alerts_.end() || it->second->epoch != epoch) return;
  Alert& a = *it->second;
  const size_t n = a.delivered.EraseAll(users);
  if (n == 0) return;
  JournalRecord r;
  r.type = JournalRecord::kUnhanded;
  r.id = id;
  r.users = users;
  JournalLocked(r).IgnoreError();  // sticky: see JournalLocked
  if (late) {
    a.late -= std::min<uint64_t>(a.late, n);  // (late_ counts OnApplied's only)
  } else {
    a.initial -= std::min<uint64_t>(a.initial, n);
  }
  // The record no longer holds everyone the scan found inside: OnApplied
  // must look every hit up again (the argument above OnApplied).
  a.scanned = false;
  SetSlotFlagsLocked(&a);
}

absl::StatusOr<uint64_t> StandingTracker::CompleteScan(const std::string& id,
                                                       const DeliveryLists& found, uint64_t seq,
                                                       bool initial, AlertSummary* summary,
                                                       LateReason reason, uint64_t epoch) {
  std::shared_ptr<Channel> channel;
  DeliveryLists fresh;
  std::vector<std::vector<LateUser>> late;
  std::vector<uint64_t> recorded;  // sorted: what this call recorded
  uint64_t handed = 0;
  {
    std::lock_guard<std::shared_mutex> lock(mu_);
    auto it = alerts_.find(id);
    // Ended (or changed by another call) meanwhile: this scan is moot.
    if (it == alerts_.end() || (epoch != 0 && it->second->epoch != epoch)) return 0;
    Alert& a = *it->second;
    epoch = a.epoch;
    channel = a.channel;
    JournalRecord r;
    r.type = JournalRecord::kDelivered;
    r.id = id;
    if (initial) fresh.shards.resize(found.shards.size());
    else late.resize(found.shards.size());
    for (size_t s = 0; s < found.shards.size(); ++s) {
      for (uint64_t u : found.shards[s]) {
        if (!a.delivered.Insert(u)) continue;
        r.users.push_back(u);
        if (initial) fresh.shards[s].push_back(u);
        else late[s].push_back({u, seq});
      }
    }
    handed = r.users.size();
    std::sort(r.users.begin(), r.users.end());
    if (handed > 0) {
      absl::Status st = JournalLocked(r);
      if (!st.ok()) {
        a.delivered.EraseAll(r.users);  // neither journalled nor handed
        return st;
      }
    }
    if (initial) a.initial += handed;
    else a.late += handed;
    a.scanned = true;
    SetSlotFlagsLocked(&a);
    recorded = std::move(r.users);
  }
  if (channel == nullptr) return handed;
  std::unique_lock<std::mutex> lock(channel->mu);
  if (initial) {
    if (summary != nullptr) {
      summary->matched = fresh.total();
      summary->per_shard.clear();
      for (const auto& s : fresh.shards) summary->per_shard.push_back(s.size());
    }
    absl::Status st = channel->sink->Deliver(fresh, *summary);
    if (!st.ok()) {
      // The caller withdraws the alert: its late users gathered so far are
      // dropped with it, and later ones are buffered and dropped too (the
      // sink is never called again).
      sink_errors_.fetch_add(1, std::memory_order_relaxed);
      channel->buffered.clear();
      return st;
    }
    channel->initial_done = true;
    std::vector<Handoff::Item> buffered = std::move(channel->buffered);
    channel->buffered.clear();
    for (Handoff::Item& item : buffered) {
      if (item.ended) {
        if (!channel->sink->Ended(item.id, item.end, item.delivered.get()).ok()) {
          sink_errors_.fetch_add(1, std::memory_order_relaxed);
        }
      } else if (!channel->sink->DeliverLate(item.id, item.reason, item.shards).ok()) {
        sink_errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  } else if (handed > 0) {
    if (!channel->initial_done) {
      Handoff::Item item;
      item.id = id;
      item.reason = reason;
      item.shards = std::move(late);
      channel->buffered.push_back(std::move(item));
    } else {
      absl::Status st = channel->sink->DeliverLate(id, reason, late);
      if (!st.ok()) {
        // The sink took none of them (standing_sink.h): not handed, so not
        // recorded, and a retry hands them. mu_ comes before the channel's.
        sink_errors_.fetch_add(1, std::memory_order_relaxed);
        lock.unlock();
        std::lock_guard<std::shared_mutex> relock(mu_);
        UnrecordLocked(id, epoch, recorded, /*late=*/true);
        return st;
      }
    }
  }
  return handed;
}

void StandingTracker::EndLocked(Alert* a, EndReason reason, Handoff* out) {
  JournalRecord r;
  r.type = JournalRecord::kEnd;
  r.id = a->recipe.id;
  r.end_reason = static_cast<uint8_t>(reason);
  JournalLocked(r).IgnoreError();  // sticky: see JournalLocked
  if (a->channel != nullptr) {
    Handoff::Item item;
    item.channel = a->channel;
    item.id = a->recipe.id;
    item.ended = true;
    item.end = reason;
    if (a->recipe.list_on_end) {
      item.delivered = std::make_unique<DeliveryLists>();
      item.delivered->shards.resize(a->policy.shards());
      a->delivered.ForEach(
          [&](uint64_t u) { item.delivered->shards[a->policy.ShardOf(u)].push_back(u); });
      for (auto& s : item.delivered->shards) std::sort(s.begin(), s.end());
    }
    out->items.push_back(std::move(item));
  }
  alerts_.erase(a->recipe.id);
}

absl::Status StandingTracker::End(const std::string& id, EndReason reason, Handoff* out) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end()) {
    return absl::NotFoundError(absl::StrCat("no active standing alert \"", id, "\""));
  }
  EndLocked(it->second.get(), reason, out);
  RepublishLocked();
  return journal_error_;
}

void StandingTracker::Hand(Handoff* h) {
  for (Handoff::Item& item : h->items) {
    std::shared_ptr<Channel> channel = std::move(item.channel);
    std::lock_guard<std::mutex> lock(channel->mu);
    if (!channel->initial_done) {
      channel->buffered.push_back(std::move(item));
      continue;
    }
    absl::Status st = item.ended
                          ? channel->sink->Ended(item.id, item.end, item.delivered.get())
                          : channel->sink->DeliverLate(item.id, item.reason, item.shards);
    if (!st.ok()) sink_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  h->items.clear();
}

absl::StatusOr<std::vector<std::string>> StandingTracker::MatchReferences(
    const std::string& references) const {
  std::lock_guard<std::shared_mutex> lock(mu_);
  std::vector<std::string> ids;
  for (absl::string_view entry : absl::StrSplit(references, absl::ByAnyChar(" \t\r\n"),
                                                absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(entry, ',');
    const absl::string_view sender = parts[0];
    const absl::string_view identifier = parts.size() >= 2 ? parts[1] : parts[0];
    bool matched = false;
    for (const auto& [id, a] : alerts_) {
      if (id == entry || id == identifier ||
          (parts.size() >= 2 && a->recipe.cap_sender == sender &&
           a->recipe.cap_identifier == identifier)) {
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
        matched = true;
      }
    }
    if (!matched) {
      return absl::NotFoundError(absl::StrCat("CAP references \"", entry,
                                              "\": no active standing alert has that "
                                              "sender and identifier"));
    }
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError("a CAP Update or Cancel without <references>");
  }
  return ids;
}

absl::StatusOr<StandingRecipe> StandingTracker::RecipeOf(const std::string& id) const {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end()) {
    return absl::NotFoundError(absl::StrCat("no active standing alert \"", id, "\""));
  }
  return it->second->recipe;
}

std::shared_ptr<const ActiveArea> StandingTracker::AreaOf(const std::string& id) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = alerts_.find(id);
  return it == alerts_.end() ? nullptr : it->second->area;
}

size_t StandingTracker::AlertsAt(int32_t lat_e7, int32_t lng_e7,
                                 std::vector<std::string>* ids) const {
  if (active_.load(std::memory_order_acquire) == 0) return 0;
  const StandingIndex* index = Published();
  size_t n = 0;
  bool have_now = false;
  absl::Time now;
  index->ForEachAt(lat_e7, lng_e7, [&](uint32_t i) {
    const ActiveArea& a = index->area(i);
    if (a.expires != absl::InfiniteFuture()) {
      if (!have_now) now = clock_(), have_now = true;
      if (a.expires <= now) return;
    }
    ids->push_back(a.id);
    ++n;
  });
  return n;
}

size_t StandingTracker::AlertsHandedTo(uint64_t user_id, std::vector<std::string>* ids) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [id, a] : alerts_) {
    if (a->delivered.Contains(user_id)) {
      ids->push_back(id);
      ++n;
    }
  }
  return n;
}

std::vector<StandingTracker::Info> StandingTracker::List() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<Info> out;
  for (const auto& [id, a] : alerts_) {
    Info info;
    info.id = id;
    info.shards = a->recipe.shards;
    info.delivered = a->delivered.size();
    info.initial = a->initial;
    info.late = a->late;
    info.expires = FromUnixNs(a->recipe.expires_unix_ns);
    info.has_sink = a->channel != nullptr;
    info.seq = a->recipe.seq;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const Info& x, const Info& y) { return x.id < y.id; });
  return out;
}

StandingTracker::Stats StandingTracker::GetStats() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  Stats st;
  st.active = alerts_.size();
  for (const auto& [id, a] : alerts_) {
    st.delivered_users += a->delivered.size();
    st.delivered_bytes += a->delivered.memory_bytes();
  }
  st.late = late_.load(std::memory_order_relaxed);
  st.probes_skipped = probes_skipped_.load(std::memory_order_relaxed);
  st.hits = hits_.load(std::memory_order_relaxed);
  st.sink_errors = sink_errors_.load(std::memory_order_relaxed);
  st.journal_bytes = journal_ != nullptr ? journal_->bytes() : 0;
  st.index_bytes = index_ != nullptr ? index_->memory_bytes() : 0;  // as last built
  st.index_builds = index_builds_;
  return st;
}

absl::Status StandingTracker::Compact() {
  std::lock_guard<std::shared_mutex> lock(mu_);
  if (journal_ == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(journal_, StandingJournalWriter::Create(JoinPath(dir_, kStandingJournalName),
                                                           SnapshotLocked()));
  journal_error_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status StandingTracker::Sync() {
  std::lock_guard<std::shared_mutex> lock(mu_);
  if (journal_ == nullptr) return absl::OkStatus();
  return journal_->Sync();
}

}  // namespace internal
}  // namespace fanout
