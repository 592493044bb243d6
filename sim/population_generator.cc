// Copyright 2026 The fan-out engine authors.

#include "sim/population_generator.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/mapped_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/shard_policy.h"
#include "geo/earth.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace {

// A counter-based stream: SplitMix64 over a Weyl sequence. Small, fast and
// good enough for synthetic populations.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in (0, 1].
  double Uniform() { return ((Next() >> 11) + 1) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

bool InRegion(const City& c, Region region) {
  return region == Region::kWorld || c.country == "US" || c.country == "PR";
}

// Spread of a city's users, in km (see the class comment).
double SigmaKm(uint64_t population) {
  return 1.0 + 1.5 * std::pow(static_cast<double>(population) / 1e4, 0.4);
}

}  // namespace

absl::StatusOr<Region> ParseRegion(absl::string_view text) {
  if (text == "us") return Region::kUs;
  if (text == "world") return Region::kWorld;
  return absl::InvalidArgumentError(absl::StrCat("unknown region '", text, "' (us or world)"));
}

absl::StatusOr<std::vector<City>> LoadCities(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  std::vector<City> cities;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(file->view(), '\n')) {
    ++line_no;
    if (line_no == 1 || line.empty()) continue;  // header
    // geonameid,country,admin1,lat,lng,population,name (name may be quoted).
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(',', 6));
    City c;
    auto num = [](absl::string_view s, auto* out) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
      return ec == std::errc() && p == s.data() + s.size();
    };
    if (f.size() < 7 || !num(f[3], &c.lat) || !num(f[4], &c.lng) || !num(f[5], &c.population)) {
      return absl::DataLossError(absl::StrCat(path, ":", line_no, ": malformed city row"));
    }
    c.country = std::string(f[1]);
    cities.push_back(std::move(c));
  }
  return cities;
}

absl::StatusOr<std::unique_ptr<PopulationGenerator>> PopulationGenerator::Create(
    const std::vector<City>& cities, Region region, uint64_t seed) {
  auto gen = std::unique_ptr<PopulationGenerator>(new PopulationGenerator());
  gen->seed_ = Mix64(seed ^ 0x6a09e667f3bcc909ULL);
  gen->id_key_ = Mix64(gen->seed_ + 0x3c6ef372fe94f82bULL);
  std::vector<double> weight;
  for (const City& c : cities) {
    if (!InRegion(c, region) || c.population == 0) continue;
    gen->lat_.push_back(c.lat);
    gen->lng_.push_back(c.lng);
    gen->sigma_km_.push_back(SigmaKm(c.population));
    weight.push_back(static_cast<double>(c.population));
  }
  const size_t n = weight.size();
  if (n == 0) return absl::InvalidArgumentError("no populated city in the region");
  if (n > UINT32_MAX) return absl::InvalidArgumentError("too many cities");

  // Vose's alias method: O(1) sampling proportional to population.
  double sum = 0;
  for (double w : weight) sum += w;
  std::vector<double> scaled(n);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weight[i] * n / sum;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  gen->prob_.assign(n, 1.0);
  gen->alias_.resize(n);
  for (size_t i = 0; i < n; ++i) gen->alias_[i] = static_cast<uint32_t>(i);
  while (!small.empty() && !large.empty()) {
    uint32_t s = small.back(), l = large.back();
    small.pop_back();
    gen->prob_[s] = scaled[s];
    gen->alias_[s] = l;
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  return gen;
}

uint32_t PopulationGenerator::SampleCity(uint64_t r) const {
  uint32_t column = static_cast<uint32_t>((static_cast<unsigned __int128>(r >> 11) * prob_.size()) >> 53);
  double coin = (r & 0x7ff) * (1.0 / 2048.0);
  return coin < prob_[column] ? column : alias_[column];
}

void PopulationGenerator::GenerateBlock(uint64_t block, absl::Span<UserRecord> out) const {
  Rng rng(Mix64(seed_ ^ Mix64(block + 1)));
  constexpr double kKmPerDegree = kEarthRadiusKm * M_PI / 180.0;
  for (size_t k = 0; k < out.size(); ++k) {
    uint64_t index = block * kBlockSize + k;
    uint32_t city = SampleCity(rng.Next());
    // Box-Muller: two independent normal offsets (km north, km east).
    double radius = std::sqrt(-2.0 * std::log(rng.Uniform())) * sigma_km_[city];
    double angle = 2.0 * M_PI * rng.Uniform();
    double lat = lat_[city] + radius * std::cos(angle) / kKmPerDegree;
    lat = std::clamp(lat, -90.0, 90.0);
    double cos_lat = std::max(std::cos(lat * M_PI / 180.0), 1e-6);
    double lng = lng_[city] + radius * std::sin(angle) / (kKmPerDegree * cos_lat);
    lng = std::remainder(lng, 360.0);  // into [-180, 180]
    out[k] = UserRecord::FromDegrees(UserId(index), lat, lng);
  }
}

std::vector<UserRecord> PopulationGenerator::GenerateAll(uint64_t n, bool show_progress) const {
  std::vector<UserRecord> users(n);
  Progress progress("generating users", n, "users", show_progress);
  uint64_t blocks = (n + kBlockSize - 1) / kBlockSize;
  tbb::parallel_for(uint64_t{0}, blocks, [&](uint64_t b) {
    uint64_t begin = b * kBlockSize, end = std::min(n, begin + kBlockSize);
    GenerateBlock(b, absl::MakeSpan(users.data() + begin, end - begin));
    progress.Add(end - begin);
  });
  return users;
}

absl::Status PopulationGenerator::GenerateTo(
    uint64_t n, bool show_progress,
    const std::function<absl::Status(absl::Span<const UserRecord>)>& consume) const {
  constexpr uint64_t kBatchBlocks = 64;  // 4M users, 64 MiB per batch
  Progress progress("generating users", n, "users", show_progress);
  std::vector<UserRecord> batch;
  for (uint64_t first = 0; first < n; first += kBatchBlocks * kBlockSize) {
    uint64_t last = std::min(n, first + kBatchBlocks * kBlockSize);
    batch.resize(last - first);
    uint64_t first_block = first / kBlockSize;
    uint64_t blocks = (last - first + kBlockSize - 1) / kBlockSize;
    tbb::parallel_for(uint64_t{0}, blocks, [&](uint64_t b) {
      uint64_t begin = b * kBlockSize, end = std::min(last - first, begin + kBlockSize);
      GenerateBlock(first_block + b, absl::MakeSpan(batch.data() + begin, end - begin));
    });
    RETURN_IF_ERROR(consume(batch));
    progress.Add(last - first);
  }
  return absl::OkStatus();
}

}  // namespace fanout
