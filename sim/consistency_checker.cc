// Copyright 2026 The fan-out engine authors.

#include "sim/consistency_checker.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/progress.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "s2/s2cell_id.h"

namespace fanout {
namespace {

constexpr size_t kMaxExamples = 10;
constexpr uint32_t kNoIndex = ~uint32_t{0};

void Note(ConsistencyChecker::Report* report, std::string what) {
  if (report->examples.size() < kMaxExamples) report->examples.push_back(std::move(what));
}

}  // namespace

void ConsistencyChecker::Digest::Add(uint64_t user) {
  ++count;
  sum1 += Mix64(user);
  sum2 += Mix64(user ^ 0x9e3779b97f4a7c15ULL) * 0x2545f4914f6cdd1dULL;
}

void ConsistencyChecker::Digest::Sub(uint64_t user) {
  --count;
  sum1 -= Mix64(user);
  sum2 -= Mix64(user ^ 0x9e3779b97f4a7c15ULL) * 0x2545f4914f6cdd1dULL;
}

ConsistencyChecker::ConsistencyChecker(const LocationIndex& initial, uint64_t initial_seq,
                                       std::vector<const AlertArea*> areas, ShardPolicy policy)
    : initial_seq_(initial_seq), areas_(std::move(areas)), policy_(policy) {
  const SortedRun run = initial.run();
  initial_users_.assign(run.users.begin(), run.users.end());
  initial_cells_.assign(run.cells.begin(), run.cells.end());
}

void ConsistencyChecker::RecordBatch(uint64_t last_seq, absl::Span<const LocationUpdate> updates) {
  if (updates.empty()) return;
  Batch batch{last_seq + 1 - updates.size(), {updates.begin(), updates.end()}};
  std::lock_guard<std::mutex> lock(mu_);
  batches_.push_back(std::move(batch));
}

void ConsistencyChecker::RecordAlert(size_t area, uint64_t snapshot_seq,
                                     uint64_t acknowledged_seq, const DeliveryLists& lists) {
  AlertRecord record{area, snapshot_seq, acknowledged_seq, {}, 0};
  for (size_t s = 0; s < lists.shards.size(); ++s) {
    for (uint64_t user : lists.shards[s]) {
      record.digest.Add(user);
      if (policy_.ShardOf(user) != s) ++record.wrong_shard;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  alerts_.push_back(record);
}

void ConsistencyChecker::ForEachUpdate(
    const std::function<void(uint64_t, const LocationUpdate&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  std::sort(batches_.begin(), batches_.end(),
            [](const Batch& a, const Batch& b) { return a.first_seq < b.first_seq; });
  for (const Batch& b : batches_) {
    for (size_t i = 0; i < b.updates.size(); ++i) fn(b.first_seq + i, b.updates[i]);
  }
}

ConsistencyChecker::Report ConsistencyChecker::Check(const LiveView& final_state,
                                                     bool show_progress) {
  std::lock_guard<std::mutex> lock(mu_);
  Report report;
  report.alerts = alerts_.size();
  std::sort(batches_.begin(), batches_.end(),
            [](const Batch& a, const Batch& b) { return a.first_seq < b.first_seq; });
  std::sort(alerts_.begin(), alerts_.end(), [](const AlertRecord& a, const AlertRecord& b) {
    return a.snapshot_seq < b.snapshot_seq;
  });

  // Users by dense index, and the history as (index, new cell or 0) in
  // sequence order.
  absl::flat_hash_map<uint64_t, uint32_t> index_of;
  index_of.reserve(initial_users_.size());
  std::vector<uint64_t> ids = initial_users_;
  for (size_t i = 0; i < ids.size(); ++i) index_of.emplace(ids[i], static_cast<uint32_t>(i));
  struct Step {
    uint32_t user;
    uint64_t cell;  // 0: removed
  };
  std::vector<Step> steps;
  uint64_t next = initial_seq_ + 1;
  for (const Batch& b : batches_) {
    if (b.first_seq != next) {
      Note(&report, absl::StrCat("history has a gap: expected update ", next, ", next recorded is ",
                                 b.first_seq));
      ++report.consistency_violations;
      break;
    }
    for (const LocationUpdate& u : b.updates) {
      auto [it, inserted] = index_of.try_emplace(u.user_id(), static_cast<uint32_t>(ids.size()));
      if (inserted) ids.push_back(u.user_id());
      steps.push_back({it->second, u.kind == LocationUpdate::Kind::kRemove
                                       ? 0
                                       : u.location.ToCellId().id()});
    }
    next += b.updates.size();
  }
  report.updates = steps.size();
  const uint64_t last_seq = initial_seq_ + steps.size();

  // Stale snapshots need no replay.
  for (const AlertRecord& a : alerts_) {
    if (a.snapshot_seq < a.acknowledged_seq) {
      ++report.stale_snapshots;
      ++report.consistency_violations;
      Note(&report, absl::StrCat("alert at snapshot ", a.snapshot_seq, " began after update ",
                                 a.acknowledged_seq, " was acknowledged"));
    }
    if (a.wrong_shard > 0) {
      ++report.consistency_violations;
      Note(&report, absl::StrCat("alert at snapshot ", a.snapshot_seq, ": ", a.wrong_shard,
                                 " users in the wrong shard"));
    }
    if (a.snapshot_seq > last_seq) {
      ++report.consistency_violations;
      Note(&report, absl::StrCat("alert at snapshot ", a.snapshot_seq,
                                 " is past the last recorded update ", last_seq));
    }
  }

  // Each area replays the whole history: a bit per user (inside or not)
  // and the digest of the users inside. The point tests, which are nearly
  // all the work, run in parallel over users and over steps; the replay
  // itself is a sequential pass over their answers.
  Progress progress("checking alerts against the update history",
                    areas_.size() * (initial_users_.size() + steps.size()), "steps", show_progress);
  std::vector<std::vector<std::pair<size_t, Digest>>> mismatches(areas_.size());
  std::vector<uint8_t> inside(ids.size()), step_in(steps.size());
  for (size_t k = 0; k < areas_.size(); ++k) {
    const AlertArea& area = *areas_[k];
    auto contains = [&](uint64_t cell) { return area.Contains(S2CellId(cell).ToPoint()); };
    std::fill(inside.begin(), inside.end(), 0);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, initial_users_.size(), 1 << 14),
                      [&](const auto& r) {
                        for (size_t i = r.begin(); i < r.end(); ++i) {
                          inside[i] = contains(initial_cells_[i]);
                        }
                        progress.Add(r.size());
                      });
    tbb::parallel_for(tbb::blocked_range<size_t>(0, steps.size(), 1 << 14), [&](const auto& r) {
      for (size_t s = r.begin(); s < r.end(); ++s) {
        step_in[s] = steps[s].cell != 0 && contains(steps[s].cell);
      }
      progress.Add(r.size());
    });
    Digest digest;
    for (size_t i = 0; i < initial_users_.size(); ++i) {
      if (inside[i]) digest.Add(initial_users_[i]);
    }
    size_t a = 0;
    auto check_alerts_up_to = [&](uint64_t seq) {
      for (; a < alerts_.size() && alerts_[a].snapshot_seq <= seq; ++a) {
        if (alerts_[a].area == k && !(alerts_[a].digest == digest)) {
          mismatches[k].push_back({a, digest});
        }
      }
    };
    check_alerts_up_to(initial_seq_);
    for (size_t s = 0; s < steps.size(); ++s) {
      const Step& step = steps[s];
      const bool now_in = step_in[s];
      if (inside[step.user] != now_in) {
        if (now_in) {
          digest.Add(ids[step.user]);
        } else {
          digest.Sub(ids[step.user]);
        }
        inside[step.user] = now_in;
      }
      check_alerts_up_to(initial_seq_ + s + 1);
    }
  }
  progress.Finish();
  for (size_t k = 0; k < areas_.size(); ++k) {
    for (const auto& [a, expected] : mismatches[k]) {
      const AlertRecord& alert = alerts_[a];
      ++report.consistency_violations;
      Note(&report, absl::StrCat("alert on area ", k, " at snapshot ", alert.snapshot_seq, ": ",
                                 alert.digest.count, " users delivered, ", expected.count,
                                 " expected",
                                 alert.digest.count == expected.count ? " (different users)" : ""));
    }
  }

  // Lost updates: the final state against the replayed one.
  std::vector<uint64_t> final_cell(ids.size(), 0);
  for (size_t i = 0; i < initial_users_.size(); ++i) final_cell[i] = initial_cells_[i];
  for (const Step& step : steps) final_cell[step.user] = step.cell;
  std::vector<uint8_t> seen(ids.size(), 0);
  final_state.ForEachVisible([&](uint64_t cell, uint64_t user) {
    auto it = index_of.find(user);
    uint32_t i = it == index_of.end() ? kNoIndex : it->second;
    if (i == kNoIndex || final_cell[i] != cell || seen[i]) {
      ++report.lost_updates;
      Note(&report, absl::StrCat("final state: user ", user, " at cell ", cell,
                                 i == kNoIndex  ? " was never recorded"
                                 : seen[i]      ? " appears twice"
                                 : final_cell[i] ? " differs from its last update"
                                                 : " was removed"));
    }
    if (i != kNoIndex) seen[i] = 1;
  });
  for (size_t i = 0; i < ids.size(); ++i) {
    if (final_cell[i] != 0 && !seen[i]) {
      ++report.lost_updates;
      Note(&report, absl::StrCat("final state: user ", ids[i], " is missing"));
    }
  }
  if (final_state.seq() != last_seq) {
    Note(&report, absl::StrCat("final state is at update ", final_state.seq(),
                               ", the history ends at ", last_seq));
    ++report.lost_updates;
  }
  return report;
}

}  // namespace fanout
