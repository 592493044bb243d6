// Copyright 2026 The fan-out engine authors.

#include "sim/standing_model.h"

#include <algorithm>
#include <cmath>

#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "s2/s2latlng_rect.h"

namespace fanout {
namespace {

// Quarter-degree grid cells, numbered row-major from (-90, -180).
constexpr int kRows = 720, kCols = 1440;

int Row(double lat_deg) { return std::clamp(static_cast<int>(std::floor((lat_deg + 90) * 4)), 0, kRows - 1); }
int Col(double lng_deg) { return std::clamp(static_cast<int>(std::floor((lng_deg + 180) * 4)), 0, kCols - 1); }

uint32_t CellOf(int32_t lat_e7, int32_t lng_e7) {
  return static_cast<uint32_t>(Row(lat_e7 * 1e-7) * kCols + Col(lng_e7 * 1e-7));
}

}  // namespace

S2Point StandingModel::PointOf(int32_t lat_e7, int32_t lng_e7) {
  return S2CellId(S2LatLng::FromE7(lat_e7, lng_e7)).ToPoint();
}

void StandingModel::Rebuild() {
  grid_.clear();
  for (uint32_t k = 0; k < alerts_.size(); ++k) {
    const Alert& a = alerts_[k];
    if (!a.active) continue;
    const S2LatLngRect r = a.area->GetRectBound();
    if (r.is_empty()) continue;
    // A little slack: the bound is of the area, the test is of a leaf
    // cell's centre, which can sit a hair outside a cell edge of it.
    const int r0 = Row(r.lat_lo().degrees() - 1e-6), r1 = Row(r.lat_hi().degrees() + 1e-6);
    std::vector<int> cols;
    if (r.lng().is_full() || r.lng().is_inverted()) {
      for (int c = 0; c < kCols; ++c) cols.push_back(c);  // rare: the whole band
    } else {
      for (int c = Col(r.lng_lo().degrees() - 1e-6); c <= Col(r.lng_hi().degrees() + 1e-6); ++c) {
        cols.push_back(c);
      }
    }
    for (int row = r0; row <= r1; ++row) {
      for (int c : cols) grid_[static_cast<uint32_t>(row * kCols + c)].push_back(k);
    }
  }
}

void StandingModel::Upsert(uint64_t user, uint64_t seq, int32_t lat_e7, int32_t lng_e7) {
  where_[user] = {lat_e7, lng_e7};
  auto it = grid_.find(CellOf(lat_e7, lng_e7));
  if (it == grid_.end()) return;
  bool have_point = false;
  S2Point p;
  for (uint32_t k : it->second) {
    Alert& a = alerts_[k];
    if (a.handed.contains(user)) continue;
    if (!have_point) p = PointOf(lat_e7, lng_e7), have_point = true;
    if (a.area->Contains(p)) a.handed.emplace(user, seq);
  }
}

void StandingModel::Remove(uint64_t user) { where_.erase(user); }

void StandingModel::IssueMany(const std::vector<std::pair<std::string, const AlertArea*>>& alerts,
                              uint64_t seq) {
  std::vector<uint32_t> fresh;
  std::vector<bool> is_new;
  for (const auto& [id, area] : alerts) {
    auto [it, inserted] = by_id_.try_emplace(id, static_cast<uint32_t>(alerts_.size()));
    if (inserted) {
      alerts_.emplace_back();
      names_.push_back(id);
    }
    Alert& a = alerts_[it->second];
    const bool was_active = a.active;
    if (!was_active) a.handed.clear();  // an id issued again after it ended is a new alert
    a.area = area;
    a.active = true;
    fresh.push_back(it->second);
    is_new.push_back(!was_active);
  }
  // One pass over the users against a grid of just these alerts.
  std::vector<bool> keep(alerts_.size(), false);
  for (uint32_t k : fresh) keep[k] = true;
  std::vector<bool> active(alerts_.size());
  for (uint32_t k = 0; k < alerts_.size(); ++k) {
    active[k] = alerts_[k].active;
    if (!keep[k]) alerts_[k].active = false;
  }
  Rebuild();
  for (uint32_t k = 0; k < alerts_.size(); ++k) alerts_[k].active = active[k];
  std::vector<bool> initial(alerts_.size(), false);
  for (size_t i = 0; i < fresh.size(); ++i) initial[fresh[i]] = is_new[i];
  for (const auto& [user, ll] : where_) {
    auto it = grid_.find(CellOf(ll.first, ll.second));
    if (it == grid_.end()) continue;
    const S2Point p = PointOf(ll.first, ll.second);
    for (uint32_t k : it->second) {
      Alert& a = alerts_[k];
      if (a.handed.contains(user) || !a.area->Contains(p)) continue;
      a.handed.emplace(user, initial[k] ? (seq | kInitial) : seq);
    }
  }
  Rebuild();
}

void StandingModel::Issue(const std::string& id, const AlertArea* area, uint64_t seq) {
  IssueMany({{id, area}}, seq);
}

void StandingModel::End(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  alerts_[it->second].active = false;
  Rebuild();
}

const absl::flat_hash_map<uint64_t, uint64_t>& StandingModel::handed(const std::string& id) const {
  static const absl::flat_hash_map<uint64_t, uint64_t>* const kNone =
      new absl::flat_hash_map<uint64_t, uint64_t>();
  auto it = by_id_.find(id);
  return it == by_id_.end() ? *kNone : alerts_[it->second].handed;
}

std::vector<std::string> StandingModel::ids() const { return names_; }

}  // namespace fanout
