// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_STRIPED_UPDATES_H_
#define FANOUT_MPI_STRIPED_UPDATES_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/location_update.h"
#include "engine/user_record.h"
#include "geo/alert_area.h"
#include "sim/population_generator.h"

namespace fanout {

// The update stream of `fanout-mpi loadtest` (DESIGN §9), generated where
// it enters: users are dealt into kStripes stripes by their index (user i
// is in stripe i % kStripes), and rank r is the ingress of the stripes s
// with s % ranks == r. A stripe's updates in batch b depend only on (seed,
// b, s) and the stripe's own history, so the global stream, and the state
// after every batch, are the same whatever the rank count: a run on 1 rank
// and a run on 4 see the same users in the same places after batch b.
//
// The ingress is also the model: it knows each of its users' current cell
// (or that the user is absent), so it can route a move as a remove at the
// old cell's rank and an upsert at the new one, and answer brute-force
// what an alert over that state must find (AlertArea::Contains on the
// leaf cell's centre, as the executor's exact test does).
//
// An update moves a user far (to a fresh point of the population's
// distribution: often another partition), a little (about a kilometre:
// usually the same partition), or removes the user; an update to an absent
// user brings it back at a fresh point.
//
// Thread-safety: not thread-safe; one owner (the rank's main thread).
//
// Typical usage:
//   StripedUpdates source(generator, options, world.rank(), world.size());
//   std::vector<UserRecord> mine = source.TakeInitialUsers();
//   for (uint64_t b = 1; ...; ++b) for (const auto& m : source.NextBatch(b)) route(m);
class StripedUpdates {
 public:
  // Stripes of the user space; the most ranks a loadtest can have.
  static constexpr uint32_t kStripes = 256;

  struct Options {
    uint64_t users = 200000;  // REQUIRES: >= 1
    uint64_t seed = 1;
    // Updates per batch over all stripes. DEFAULT: 4096. REQUIRES: >= 1.
    uint32_t batch_updates = 4096;
    // Of the updates to present users: moves to a fresh point, removals;
    // the rest are small moves. DEFAULT: 0.5 and 0.05.
    double far_fraction = 0.5;
    double remove_fraction = 0.05;
  };

  // One update and where its user was before it (0: absent).
  struct Move {
    LocationUpdate update;
    uint64_t old_cell = 0;
  };

  // REQUIRES: 0 <= rank < ranks <= kStripes. `generator` must outlive this.
  StripedUpdates(const PopulationGenerator& generator, const Options& options, int rank,
                 int ranks);

  // This rank's stripes' users as generated (the state before batch 1);
  // the first call has them, later calls get nothing.
  std::vector<UserRecord> TakeInitialUsers();
  // The updates of this rank's stripes in batch `batch`, stripe by stripe,
  // each stripe's in order; the model follows them. Batches are numbered
  // from 1 and generated in order: a batch's updates depend on the state
  // the earlier ones left.
  std::vector<Move> NextBatch(uint64_t batch);

  // Ids of this rank's users now inside `area` (ascending).
  std::vector<uint64_t> Matching(const AlertArea& area) const;
  // Users now present, by the part of `owner(cell)` in [0, parts).
  template <typename OwnerFn>
  std::vector<uint64_t> CountByOwner(int parts, OwnerFn owner) const {
    std::vector<uint64_t> out(parts);
    for (const Stripe& s : stripes_) {
      for (uint64_t cell : s.cells) {
        if (cell != 0) ++out[owner(cell)];
      }
    }
    return out;
  }
  // Order-free digest of the (user, cell) pairs now present whose cell
  // `keep` accepts (EntryDigest of each, added).
  template <typename KeepFn>
  uint64_t Digest(KeepFn keep) const {
    uint64_t sum = 0;
    for (const Stripe& s : stripes_) {
      for (size_t j = 0; j < s.cells.size(); ++j) {
        if (s.cells[j] != 0 && keep(s.cells[j])) sum += EntryDigest(s.ids[j], s.cells[j]);
      }
    }
    return sum;
  }
  static uint64_t EntryDigest(uint64_t user, uint64_t cell);

 private:
  struct Stripe {
    uint32_t stripe = 0;
    std::vector<uint64_t> ids;    // ids[j]: user j * kStripes + stripe
    std::vector<uint64_t> cells;  // current leaf cell; 0: absent
  };
  uint32_t UpdatesOfStripe(uint32_t stripe) const;

  const PopulationGenerator& generator_;
  const Options options_;
  std::vector<Stripe> stripes_;
  std::vector<UserRecord> initial_;
};

// Alert `number` (from 1) of a loadtest: a circle around a fresh point of
// the population (so it finds users), of radius 5-100 km four times in
// five, 100-600 km three times in twenty, and 2,500 km once in twenty
// (most of a nation: every rank). The same on every rank and for every rank count. `radius_km`, if
// not null, receives the radius.
std::unique_ptr<AlertArea> LoadtestAlertArea(const PopulationGenerator& generator, uint64_t seed,
                                             uint64_t number, double* radius_km);

}  // namespace fanout

#endif  // FANOUT_MPI_STRIPED_UPDATES_H_
