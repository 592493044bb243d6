// Copyright 2026 The fan-out engine authors.
//
// fanout generate --users N [--seed S] [--region us|world] --out FILE(.csv|.bin)
//                 [--with-attributes [--now T]]

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "base/data_dir.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/shard_policy.h"
#include "engine/user_attributes.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"
#include "sim/population_generator.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {
namespace {

// --with-attributes: a language from a mix like a large US population's
// (by home language: English, Spanish, Chinese, Vietnamese, Canadian
// French, Korean, Tagalog, or none given), and a last update spread over
// days before `now` (most users recent, a long tail up to 14 days; 2%
// unknown). Drawn from the user id and seed, so reproducible.
struct AttributeMix {
  std::vector<std::string> tags = {"en-US", "es-US", "zh-CN", "vi", "fr-CA", "ko", "tl"};
  // Cumulative, per 1000: en 620, es 220, zh 40, vi 30, fr-CA 20, ko 20, tl 20; 30 none.
  std::vector<uint32_t> upto = {620, 840, 880, 910, 930, 950, 970};
};

std::shared_ptr<const UserAttributes> DrawAttributes(absl::Span<const UserRecord> batch,
                                                     uint64_t seed, int64_t now) {
  static const AttributeMix mix;
  std::vector<uint8_t> lang(batch.size());
  std::vector<uint32_t> updated(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const uint64_t h = Mix64(batch[i].user_id ^ Mix64(seed + 0x9e3779b97f4a7c15ull));
    const uint32_t pick = static_cast<uint32_t>(h % 1000);
    uint8_t code = 0;
    for (size_t k = 0; k < mix.upto.size(); ++k) {
      if (pick < mix.upto[k]) {
        code = static_cast<uint8_t>(k + 1);
        break;
      }
    }
    lang[i] = code;
    // Age: exponential with a mean of 12 hours, at most 14 days.
    const double u = ((h >> 20) & ((uint64_t{1} << 40) - 1)) / double(uint64_t{1} << 40);
    const double age = std::min(-std::log1p(-u) * 12 * 3600, 14.0 * 86400);
    updated[i] = ((h >> 10) % 100) < 2 ? 0 : static_cast<uint32_t>(now - static_cast<int64_t>(age));
  }
  UserAttributes::Kinds kinds;
  kinds.lang = kinds.updated_at = true;
  return UserAttributes::Own(kinds, mix.tags, std::move(lang), std::move(updated), batch.size());
}

}  // namespace

absl::Status RunGenerate(int argc, char** argv) {
  CliFlags flags({"users", "seed", "region", "out", "now"}, {"with-attributes"});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(uint64_t n, flags.GetUint("users", 0));
  if (!flags.Has("users")) return absl::InvalidArgumentError("--users is required");
  ASSIGN_OR_RETURN(uint64_t seed, flags.GetUint("seed", 1));
  ASSIGN_OR_RETURN(Region region, ParseRegion(flags.Get("region").value_or("us")));
  ASSIGN_OR_RETURN(std::string out, flags.Require("out"));
  RETURN_IF_ERROR(CheckOutputFile(out));  // refuse a bad target before the work
  const bool with_attributes = flags.Has("with-attributes");
  if (flags.Has("now") && !with_attributes) {
    return absl::InvalidArgumentError("--now goes with --with-attributes");
  }
  int64_t now = absl::ToUnixSeconds(absl::Now());
  if (flags.Has("now")) {
    absl::StatusOr<int64_t> t = ParseUnixTime(*flags.Get("now"));
    if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("--now: ", t.status().message()));
    now = *t;
  }
  ASSIGN_OR_RETURN(std::string cities_path, FindDataFile("cities.csv"));
  ASSIGN_OR_RETURN(std::vector<City> cities, LoadCities(cities_path));
  ASSIGN_OR_RETURN(auto generator, PopulationGenerator::Create(cities, region, seed));
  const bool progress = Progress::DefaultEnabled();
  int64_t start = absl::GetCurrentTimeNanos();
  if (IsBinaryUsersPath(out)) {
    UserAttributes::Kinds kinds;
    kinds.lang = kinds.updated_at = with_attributes;
    ASSIGN_OR_RETURN(auto writer, UsersBinaryWriter::Create(out, kinds));
    RETURN_IF_ERROR(generator->GenerateTo(n, progress, [&](absl::Span<const UserRecord> batch) {
      if (!with_attributes) return writer->Append(batch);
      return writer->Append(batch, *DrawAttributes(batch, seed, now));
    }));
    RETURN_IF_ERROR(writer->Finish());
  } else {
    std::vector<UserRecord> users = generator->GenerateAll(n, progress);
    std::shared_ptr<const UserAttributes> attributes;
    if (with_attributes) attributes = DrawAttributes(users, seed, now);
    RETURN_IF_ERROR(WriteUsersCsv(out, users, attributes.get()));
  }
  std::fprintf(stderr, "generated %llu users around %zu cities (%s, seed %llu) in %.2f s -> %s\n",
               static_cast<unsigned long long>(n), generator->num_cities(),
               region == Region::kUs ? "us" : "world", static_cast<unsigned long long>(seed),
               MillisSince(start) / 1000, out.c_str());
  return absl::OkStatus();
}

}  // namespace fanout
