// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_POPULATION_GENERATOR_H_
#define FANOUT_SIM_POPULATION_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/shard_policy.h"  // Mix64
#include "engine/user_record.h"

namespace fanout {

// A populated place: where generated users live.
struct City {
  double lat = 0;
  double lng = 0;
  uint64_t population = 0;
  std::string country;  // ISO 3166-1 alpha-2
};

// Reads data/cities.csv (see data/README.md): header
// `geonameid,country,admin1,lat,lng,population,name`.
absl::StatusOr<std::vector<City>> LoadCities(const std::string& path);

enum class Region {
  kUs,     // the United States and Puerto Rico
  kWorld,  // every city
};
absl::StatusOr<Region> ParseRegion(absl::string_view text);

// Generates a realistic population: each user lives near a city chosen with
// probability proportional to the city's population, at a Gaussian offset
// whose spread grows with the city (about 1.6 km for a town of 1,000, 10 km
// for a city of a million, 23 km for New York), so dense cores and sparse
// suburbs both appear. User ids are distinct 64-bit values scattered over
// the whole range (a bijective hash of the user's index).
//
// Deterministic: user i depends only on (seed, region, i) and the city list,
// never on thread count or scheduling.
//
// Thread-safety: const methods are safe from many threads.
//
// Typical usage:
//   ASSIGN_OR_RETURN(auto cities, LoadCities(path));
//   ASSIGN_OR_RETURN(auto gen, PopulationGenerator::Create(cities, Region::kUs, 42));
//   std::vector<UserRecord> users = gen->GenerateAll(10'000'000, true);
class PopulationGenerator {
 public:
  // Users are generated in blocks of this many, each from its own stream.
  static constexpr uint64_t kBlockSize = 1 << 16;

  static absl::StatusOr<std::unique_ptr<PopulationGenerator>> Create(
      const std::vector<City>& cities, Region region, uint64_t seed);

  // Writes users [block * kBlockSize, block * kBlockSize + out.size()).
  // REQUIRES: out.size() <= kBlockSize.
  void GenerateBlock(uint64_t block, absl::Span<UserRecord> out) const;

  // The id of user `index` (what GenerateBlock gives it), without
  // generating it: the load test keeps only its users' locations and
  // derives their ids from their indices.
  uint64_t UserId(uint64_t index) const { return Mix64(index ^ id_key_); }

  // Generates users [0, n) in parallel.
  std::vector<UserRecord> GenerateAll(uint64_t n, bool show_progress) const;

  // Generates users [0, n) in parallel and hands them to `consume` in order,
  // a batch at a time (memory stays bounded for files larger than RAM).
  absl::Status GenerateTo(uint64_t n, bool show_progress,
                          const std::function<absl::Status(absl::Span<const UserRecord>)>&
                              consume) const;

  size_t num_cities() const { return lat_.size(); }

 private:
  PopulationGenerator() = default;
  uint32_t SampleCity(uint64_t r) const;

  uint64_t seed_ = 0;
  uint64_t id_key_ = 0;  // user ids: Mix64(index ^ id_key_), a bijection
  // Per city (selected by region).
  std::vector<double> lat_, lng_, sigma_km_;
  // Vose alias table over cities, weighted by population.
  std::vector<double> prob_;
  std::vector<uint32_t> alias_;
};

}  // namespace fanout

#endif  // FANOUT_SIM_POPULATION_GENERATOR_H_
