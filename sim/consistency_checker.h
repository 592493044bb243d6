// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_CONSISTENCY_CHECKER_H_
#define FANOUT_SIM_CONSISTENCY_CHECKER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include <mutex>
#include "absl/types/span.h"
#include "engine/delivery.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/shard_policy.h"
#include "geo/alert_area.h"

namespace fanout {

// Checks a live index against the history of what was done to it (DESIGN
// §3, `fanout loadtest`): record the initial users, every applied batch with
// the sequence number Apply returned, and a digest of every alert's lists
// with the snapshot it ran at; then Check() replays the history in sequence
// order, recomputes each alert's answer at that alert's snapshot by testing
// every user against the area (AlertArea::Contains, the brute-force
// reference, not the executor's path), and counts:
//  - consistency violations: an alert whose lists differ from the answer at
//    its snapshot (a user missing, extra, twice, or in the wrong shard), or
//    whose snapshot is older than an update acknowledged before the alert
//    began (an update not visible to a later alert);
//  - lost updates: users whose location in the final state differs from the
//    last update applied to them (or who are present or absent wrongly).
// An alert's lists are kept as a digest (count and two 64-bit sums of
// hashes of the ids), so millions of alerts fit in memory; two different
// sets collide with probability about 2^-128.
//
// Thread-safety: RecordBatch and RecordAlert may be called from many threads
// at once; Check once, after they have all returned.
class ConsistencyChecker {
 public:
  struct Report {
    uint64_t updates = 0;
    uint64_t alerts = 0;
    uint64_t consistency_violations = 0;
    uint64_t stale_snapshots = 0;  // included in consistency_violations
    uint64_t lost_updates = 0;
    // The first few problems, described.
    std::vector<std::string> examples;
  };

  // `initial` is the state before update initial_seq + 1; `areas[k]` is the
  // area alerts recorded with area index k use. The areas must outlive the
  // checker.
  ConsistencyChecker(const LocationIndex& initial, uint64_t initial_seq,
                     std::vector<const AlertArea*> areas, ShardPolicy policy);

  // A batch passed to LiveIndex::Apply, which returned `last_seq`.
  void RecordBatch(uint64_t last_seq, absl::Span<const LocationUpdate> updates);

  // An alert over areas[area] at `snapshot_seq`, begun after an Apply that
  // returned `acknowledged_seq` had returned (0 when none had).
  void RecordAlert(size_t area, uint64_t snapshot_seq, uint64_t acknowledged_seq,
                   const DeliveryLists& lists);

  // Calls fn(seq, update) for every recorded update, in sequence order
  // (the history the standing model replays). After every RecordBatch has
  // returned; before or after Check.
  void ForEachUpdate(const std::function<void(uint64_t, const LocationUpdate&)>& fn);

  // Replays and checks; `final_state` must have seen every recorded batch.
  // Shows progress on a terminal when `show_progress`.
  Report Check(const LiveView& final_state, bool show_progress = false);

 private:
  struct Digest {
    uint64_t count = 0;
    uint64_t sum1 = 0;
    uint64_t sum2 = 0;
    bool operator==(const Digest& o) const {
      return count == o.count && sum1 == o.sum1 && sum2 == o.sum2;
    }
    void Add(uint64_t user);
    void Sub(uint64_t user);
  };
  struct AlertRecord {
    size_t area;
    uint64_t snapshot_seq;
    uint64_t acknowledged_seq;
    Digest digest;
    uint64_t wrong_shard;
  };
  struct Batch {
    uint64_t first_seq;
    std::vector<LocationUpdate> updates;
  };

  const uint64_t initial_seq_;
  std::vector<const AlertArea*> areas_;
  const ShardPolicy policy_;
  std::vector<uint64_t> initial_users_;
  std::vector<uint64_t> initial_cells_;

  std::mutex mu_;  // guards batches_ and alerts_
  std::vector<Batch> batches_;
  std::vector<AlertRecord> alerts_;
};

}  // namespace fanout

#endif  // FANOUT_SIM_CONSISTENCY_CHECKER_H_
