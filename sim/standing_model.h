// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_STANDING_MODEL_H_
#define FANOUT_SIM_STANDING_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "geo/alert_area.h"
#include "s2/s2point.h"

namespace fanout {

// A brute-force model of standing alerts (DESIGN §8): the reference that
// `fanout loadtest --standing-alerts` and the replay checks compare the
// engine with. It keeps every user's location and, per alert, who has been
// handed it and by which update, recomputing everything with
// AlertArea::Contains on the leaf cell's centre (the point the index stores
// for a user, as the executor and the standing index judge it). No
// covering, no S2 index: a quarter-degree grid over the areas' bounding
// rectangles only picks which areas to test.
//
// Rules modelled: an alert issued (or given a new area) at a state hands
// everyone inside then who has not had it; after that, every upsert that
// puts a user inside an active area hands it, once over the alert's life;
// removes hand nothing; an ended alert hands nothing more.
//
// Thread-safety: none (one thread). Areas must outlive the model.
class StandingModel {
 public:
  // Per handed user: the sequence number of the update (or of the state
  // the scan saw) that handed it, with kInitial set when the issue's own
  // scan did (8 bytes a user: the model runs at tens of millions).
  static constexpr uint64_t kInitial = uint64_t{1} << 63;

  void Upsert(uint64_t user, uint64_t seq, int32_t lat_e7, int32_t lng_e7);
  void Remove(uint64_t user);
  // Issues alert `id` (or, when active, replaces its area: a CAP Update) at
  // state `seq`: everyone present inside who has not had it is handed it
  // (initial when newly issued, else late at `seq`).
  void Issue(const std::string& id, const AlertArea* area, uint64_t seq);
  // Issues several new alerts at one state with one pass over the users.
  void IssueMany(const std::vector<std::pair<std::string, const AlertArea*>>& alerts,
                 uint64_t seq);
  void End(const std::string& id);

  // Everyone handed `id` over its life (ended or not); empty if unknown.
  const absl::flat_hash_map<uint64_t, uint64_t>& handed(const std::string& id) const;
  std::vector<std::string> ids() const;
  size_t users() const { return where_.size(); }

 private:
  struct Alert {
    const AlertArea* area = nullptr;
    bool active = false;
    absl::flat_hash_map<uint64_t, uint64_t> handed;
  };
  void Rebuild();  // the grid, after an area changes
  static S2Point PointOf(int32_t lat_e7, int32_t lng_e7);

  absl::flat_hash_map<uint64_t, std::pair<int32_t, int32_t>> where_;  // user -> lat_e7, lng_e7
  std::vector<std::string> names_;
  std::vector<Alert> alerts_;
  absl::flat_hash_map<std::string, uint32_t> by_id_;
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> grid_;  // grid cell -> active alerts
};

}  // namespace fanout

#endif  // FANOUT_SIM_STANDING_MODEL_H_
