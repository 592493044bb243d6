// Copyright 2026 The fan-out engine authors.

#include "mpi/striped_updates.h"

#include <algorithm>
#include <cmath>

#include "engine/shard_policy.h"
#include "geo/polygon_builder.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

// Fresh points of batch b, stripe s come from generator block
// kFreshBlocks + b * kStripes + s: far past any real user's block.
constexpr uint64_t kFreshBlocks = uint64_t{1} << 40;
// Spread of a small move, km (one standard deviation, each axis).
constexpr double kNearKm = 1.0;
constexpr double kKmPerDegree = 111.195;

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  double Uniform() { return (Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Normal() {
    const double u = 1.0 - Uniform();  // (0, 1]
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * Uniform());
  }

 private:
  uint64_t state_;
};

}  // namespace

uint64_t StripedUpdates::EntryDigest(uint64_t user, uint64_t cell) {
  return Mix64(user ^ Mix64(cell + 0x632be59bd9b4e019ULL));
}

StripedUpdates::StripedUpdates(const PopulationGenerator& generator, const Options& options,
                               int rank, int ranks)
    : generator_(generator), options_(options) {
  for (uint32_t s = rank; s < kStripes; s += ranks) {
    Stripe stripe;
    stripe.stripe = s;
    stripes_.push_back(std::move(stripe));
  }
  // Every block is generated (cheap next to the index), each rank keeping
  // the users of its stripes.
  const uint64_t n = options_.users;
  std::vector<UserRecord> block;
  for (uint64_t first = 0; first < n; first += PopulationGenerator::kBlockSize) {
    block.resize(std::min<uint64_t>(PopulationGenerator::kBlockSize, n - first));
    generator_.GenerateBlock(first / PopulationGenerator::kBlockSize, absl::MakeSpan(block));
    for (Stripe& s : stripes_) {
      // The first index >= first in stripe s.
      uint64_t i = first + (s.stripe + kStripes - first % kStripes) % kStripes;
      for (; i < first + block.size(); i += kStripes) {
        const UserRecord& r = block[i - first];
        s.ids.push_back(r.user_id);
        s.cells.push_back(r.ToCellId().id());
        initial_.push_back(r);
      }
    }
  }
}

std::vector<UserRecord> StripedUpdates::TakeInitialUsers() { return std::move(initial_); }

uint32_t StripedUpdates::UpdatesOfStripe(uint32_t stripe) const {
  return options_.batch_updates / kStripes + (stripe < options_.batch_updates % kStripes ? 1 : 0);
}

std::vector<StripedUpdates::Move> StripedUpdates::NextBatch(uint64_t batch) {
  std::vector<Move> out;
  std::vector<UserRecord> fresh;
  for (Stripe& s : stripes_) {
    const uint32_t count = UpdatesOfStripe(s.stripe);
    if (count == 0 || s.ids.empty()) continue;
    Rng rng(Mix64(options_.seed ^ Mix64(batch * kStripes + s.stripe)));
    fresh.resize(count);
    generator_.GenerateBlock(kFreshBlocks + batch * kStripes + s.stripe, absl::MakeSpan(fresh));
    for (uint32_t k = 0; k < count; ++k) {
      const size_t j = rng.Next() % s.ids.size();
      const uint64_t user = s.ids[j];
      const uint64_t old_cell = s.cells[j];
      const double kind = rng.Uniform();
      Move m;
      m.old_cell = old_cell;
      if (old_cell != 0 && kind < options_.remove_fraction) {
        m.update = LocationUpdate::Remove(user);
        s.cells[j] = 0;
      } else if (old_cell != 0 && kind >= options_.remove_fraction + options_.far_fraction) {
        // A small move from the current point.
        const S2LatLng ll = S2CellId(old_cell).ToLatLng();
        const double lat = std::clamp(ll.lat().degrees() + kNearKm * rng.Normal() / kKmPerDegree,
                                      -89.9, 89.9);
        const double cos_lat = std::max(std::cos(lat * M_PI / 180.0), 1e-6);
        const double lng = std::remainder(
            ll.lng().degrees() + kNearKm * rng.Normal() / (kKmPerDegree * cos_lat), 360.0);
        m.update = LocationUpdate::Upsert(UserRecord::FromDegrees(user, lat, lng));
      } else {
        UserRecord r = fresh[k];
        r.user_id = user;
        m.update = LocationUpdate::Upsert(r);
      }
      if (m.update.kind == LocationUpdate::Kind::kUpsert) {
        s.cells[j] = m.update.location.ToCellId().id();
      }
      out.push_back(m);
    }
  }
  return out;
}

std::vector<uint64_t> StripedUpdates::Matching(const AlertArea& area) const {
  std::vector<uint64_t> out;
  for (const Stripe& s : stripes_) {
    for (size_t j = 0; j < s.ids.size(); ++j) {
      if (s.cells[j] != 0 && area.Contains(S2CellId(s.cells[j]).ToPoint())) {
        out.push_back(s.ids[j]);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<AlertArea> LoadtestAlertArea(const PopulationGenerator& generator, uint64_t seed,
                                             uint64_t number, double* radius_km) {
  Rng rng(Mix64(seed ^ Mix64(~number)));
  UserRecord center;
  generator.GenerateBlock(kFreshBlocks - 1 - number, absl::MakeSpan(&center, 1));
  const double kind = rng.Uniform();
  const double radius = kind < 0.8 ? 5 + 95 * rng.Uniform()
                        : kind < 0.95 ? 100 + 500 * rng.Uniform()
                                      : 2500;
  if (radius_km != nullptr) *radius_km = radius;
  auto area = std::make_unique<AlertArea>();
  area->AddCap(MakeCircle(S2LatLng::FromE7(center.lat_e7, center.lng_e7), radius));
  area->Finalize();
  return area;
}

}  // namespace fanout
