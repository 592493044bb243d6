// Copyright 2026 The fan-out engine authors.
//
// fanout generate --users N [--seed S] [--region us|world] --out FILE(.csv|.bin)

#include <cstdio>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "base/data_dir.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"
#include "sim/population_generator.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {

absl::Status RunGenerate(int argc, char** argv) {
  CliFlags flags({"users", "seed", "region", "out"}, {});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(uint64_t n, flags.GetUint("users", 0));
  if (!flags.Has("users")) return absl::InvalidArgumentError("--users is required");
  ASSIGN_OR_RETURN(uint64_t seed, flags.GetUint("seed", 1));
  ASSIGN_OR_RETURN(Region region, ParseRegion(flags.Get("region").value_or("us")));
  ASSIGN_OR_RETURN(std::string out, flags.Require("out"));
  RETURN_IF_ERROR(CheckOutputFile(out));  // refuse a bad target before the work
  ASSIGN_OR_RETURN(std::string cities_path, FindDataFile("cities.csv"));
  ASSIGN_OR_RETURN(std::vector<City> cities, LoadCities(cities_path));
  ASSIGN_OR_RETURN(auto generator, PopulationGenerator::Create(cities, region, seed));
  const bool progress = Progress::DefaultEnabled();
  int64_t start = absl::GetCurrentTimeNanos();
  if (IsBinaryUsersPath(out)) {
    ASSIGN_OR_RETURN(auto writer, UsersBinaryWriter::Create(out));
    RETURN_IF_ERROR(generator->GenerateTo(n, progress, [&](absl::Span<const UserRecord> batch) {
      return writer->Append(batch);
    }));
    RETURN_IF_ERROR(writer->Finish());
  } else {
    std::vector<UserRecord> users = generator->GenerateAll(n, progress);
    RETURN_IF_ERROR(WriteUsersCsv(out, users));
  }
  std::fprintf(stderr, "generated %llu users around %zu cities (%s, seed %llu) in %.2f s -> %s\n",
               static_cast<unsigned long long>(n), generator->num_cities(),
               region == Region::kUs ? "us" : "world", static_cast<unsigned long long>(seed),
               MillisSince(start) / 1000, out.c_str());
  return absl::OkStatus();
}

}  // namespace fanout
