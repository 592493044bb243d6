// Copyright 2026 The fan-out engine authors.
//
// The `fanout` command line (DESIGN §5). Thin: parsing flags, printing, and
// exit codes; the work is done by the fanout::geo and fanout::engine
// libraries. Exit codes: 0 success, 2 bad usage or bad input, 1 any other
// failure.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/data_dir.h"
#include "base/mapped_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/directory_sink.h"
#include "engine/location_index.h"
#include "engine/population_generator.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"
#include "engine/users_input.h"
#include "geo/geojson_area.h"
#include "geo/lat_lng_text.h"
#include "geo/polygon_builder.h"
#include "tools/cli_flags.h"

namespace fanout {
namespace {

constexpr char kUsage[] = R"(usage:
  fanout generate --users N [--seed S] [--region us|world] --out FILE(.csv|.bin)
  fanout alert    --users FILE [--skip-bad-rows]
                  (--geojson FILE [--feature ID] | --polygon "lat,lon lat,lon ..." |
                   --circle "lat,lon km")
                  [--edges planar|geodesic] --shards N --out DIR
                  [--format csv|bin] [--force] [--verify]

  --verify   also runs a brute-force scan of every user and fails (exit 1)
             unless both give the same users in the same shards.
Progress is shown on a terminal only. Exit codes: 0 ok, 2 bad usage or
input, 1 other failure.
)";

// Bad input and bad usage are exit 2 (DESIGN §5); the rest is exit 1.
int ExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kAlreadyExists:
      return 2;
    default:
      return 1;
  }
}

double MillisSince(int64_t start_ns) { return (absl::GetCurrentTimeNanos() - start_ns) * 1e-6; }

absl::Status Generate(int argc, char** argv) {
  CliFlags flags({"users", "seed", "region", "out"}, {});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(uint64_t n, flags.GetUint("users", 0));
  if (!flags.Has("users")) return absl::InvalidArgumentError("--users is required");
  ASSIGN_OR_RETURN(uint64_t seed, flags.GetUint("seed", 1));
  ASSIGN_OR_RETURN(Region region, ParseRegion(flags.Get("region").value_or("us")));
  ASSIGN_OR_RETURN(std::string out, flags.Require("out"));
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

// Reads a whole text file given on the command line (alerts are small).
absl::StatusOr<std::string> ReadText(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  return std::string(file->view());
}

// Builds the alert area from whichever area flag was given.
absl::StatusOr<std::unique_ptr<AlertArea>> LoadArea(const CliFlags& flags, AlertSummary* summary) {
  int sources = flags.Has("geojson") + flags.Has("polygon") + flags.Has("circle");
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one area: --geojson FILE, --polygon \"lat,lon ...\" or --circle \"lat,lon km\"");
  }
  if (flags.Has("feature") && !flags.Has("geojson")) {
    return absl::InvalidArgumentError("--feature goes with --geojson");
  }
  ASSIGN_OR_RETURN(EdgeModel edges, ParseEdgeModel(flags.Get("edges").value_or("planar")));
  summary->alert_info.emplace_back("edges", std::string(EdgeModelName(edges)));
  auto area = std::make_unique<AlertArea>();
  if (auto path = flags.Get("geojson")) {
    GeoJsonOptions options;
    options.edges = edges;
    options.feature_id = flags.Get("feature").value_or("");
    ASSIGN_OR_RETURN(std::string text, ReadText(*path));
    auto parsed = ParseGeoJsonArea(text, options);
    if (!parsed.ok()) {
      return absl::Status(parsed.status().code(), absl::StrCat(*path, ": ", parsed.status().message()));
    }
    area = *std::move(parsed);
    summary->alert_info.emplace_back("source", absl::StrCat("geojson ", *path));
    if (!options.feature_id.empty()) summary->alert_info.emplace_back("feature", options.feature_id);
  } else if (auto text = flags.Get("polygon")) {
    auto ring = ParsePolygonText(*text);
    if (!ring.ok()) return absl::InvalidArgumentError(absl::StrCat("--polygon: ", ring.status().message()));
    auto polygon = BuildPolygon({*ring}, edges);
    if (!polygon.ok()) return absl::InvalidArgumentError(absl::StrCat("--polygon: ", polygon.status().message()));
    area->AddPolygon(*std::move(polygon));
    summary->alert_info.emplace_back("source", "polygon");
  } else if (auto text = flags.Get("circle")) {
    auto circle = ParseCircleText(*text);
    if (!circle.ok()) return absl::InvalidArgumentError(absl::StrCat("--circle: ", circle.status().message()));
    area->AddCap(MakeCircle(circle->center, circle->radius_km));
    summary->alert_info.emplace_back("source", absl::StrCat("circle ", *text));
  }
  area->Finalize();
  if (area->is_empty()) {
    return absl::InvalidArgumentError(
        "the alert area is empty (it resolves to no region); refusing to deliver to nobody");
  }
  return area;
}

// Compares two results shard by shard, as sets.
bool SameLists(DeliveryLists a, DeliveryLists b, std::string* why) {
  if (a.shards.size() != b.shards.size()) {
    *why = "shard counts differ";
    return false;
  }
  for (size_t s = 0; s < a.shards.size(); ++s) {
    std::sort(a.shards[s].begin(), a.shards[s].end());
    std::sort(b.shards[s].begin(), b.shards[s].end());
    if (a.shards[s] != b.shards[s]) {
      *why = absl::StrFormat("shard %d: engine has %d users, brute force %d", s,
                             a.shards[s].size(), b.shards[s].size());
      return false;
    }
  }
  return true;
}

void PrintSummary(const AlertSummary& s, const std::string& out_dir) {
  std::printf("matched %llu users of %llu in %u shards -> %s\n",
              static_cast<unsigned long long>(s.matched),
              static_cast<unsigned long long>(s.index_users), s.shards, out_dir.c_str());
  uint64_t lo = UINT64_MAX, hi = 0;
  for (uint64_t n : s.per_shard) {
    lo = std::min(lo, n);
    hi = std::max(hi, n);
  }
  std::printf("per shard: min %llu, max %llu;", static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi));
  for (size_t i = 0; i < s.per_shard.size() && i < 8; ++i) {
    std::printf(" [%zu]=%llu", i, static_cast<unsigned long long>(s.per_shard[i]));
  }
  std::printf("%s\n", s.per_shard.size() > 8 ? " ..." : "");
  const StageTimings& t = s.timings;
  std::printf("timings ms: parse %.3f, cover %.3f, plan %.3f, scan %.3f, emit %.3f, total %.3f\n",
              t.parse_ms, t.cover_ms, t.plan_ms, t.scan_ms, t.emit_ms, t.total_ms);
  std::printf("work: %llu interior + %llu boundary cells, %llu ranges, %llu users taken whole, "
              "%llu tested, %d threads\n",
              static_cast<unsigned long long>(s.covering_interior_cells),
              static_cast<unsigned long long>(s.covering_boundary_cells),
              static_cast<unsigned long long>(s.ranges),
              static_cast<unsigned long long>(s.interior_entries),
              static_cast<unsigned long long>(s.tested_entries), s.worker_threads);
}

absl::Status Alert(int argc, char** argv) {
  CliFlags flags({"users", "geojson", "feature", "polygon", "circle", "edges", "shards", "out",
                  "format"},
                 {"force", "verify", "skip-bad-rows"});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(std::string users_path, flags.Require("users"));
  ASSIGN_OR_RETURN(std::string out_dir, flags.Require("out"));
  if (!flags.Has("shards")) return absl::InvalidArgumentError("--shards is required");
  ASSIGN_OR_RETURN(uint64_t shards, flags.GetUint("shards", 0));
  if (shards < 1 || shards > ShardPolicy::kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shards must be in 1..", ShardPolicy::kMaxShards, ", got ", shards));
  }
  DirectorySink::Options sink_options;
  ASSIGN_OR_RETURN(sink_options.format, ParseListFormat(flags.Get("format").value_or("csv")));
  sink_options.overwrite = flags.Has("force");
  DirectorySink sink(out_dir, sink_options);
  RETURN_IF_ERROR(sink.CheckTarget());  // Refuse before any heavy work.

  AlertSummary summary;
  int64_t parse_start = absl::GetCurrentTimeNanos();
  ASSIGN_OR_RETURN(std::unique_ptr<AlertArea> area, LoadArea(flags, &summary));
  summary.timings.parse_ms = MillisSince(parse_start);

  // Load and index the users (not part of the alert's timings).
  const bool progress = Progress::DefaultEnabled();
  int64_t load_start = absl::GetCurrentTimeNanos();
  UsersCsvOptions csv_options;
  csv_options.skip_bad_rows = flags.Has("skip-bad-rows");
  csv_options.show_progress = progress;
  UsersCsvStats csv_stats;
  ASSIGN_OR_RETURN(auto input, UsersInput::Load(users_path, csv_options, &csv_stats));
  double load_s = MillisSince(load_start) / 1000;
  LocationIndex::BuildOptions build_options;
  build_options.show_progress = progress;
  LocationIndex::BuildStats build_stats;
  ASSIGN_OR_RETURN(auto index, LocationIndex::Build(input->records(), build_options, &build_stats));
  input.reset();
  std::fprintf(stderr,
               "loaded %llu users from %s in %.2f s; index built in %.2f s (%.1f bytes/user)\n",
               static_cast<unsigned long long>(build_stats.input_rows), users_path.c_str(), load_s,
               build_stats.seconds, index->BytesPerUser());
  if (build_stats.duplicate_rows > 0) {
    std::fprintf(stderr, "%llu rows repeated an earlier user id; the last row of each user won\n",
                 static_cast<unsigned long long>(build_stats.duplicate_rows));
  }
  if (csv_stats.bad_rows > 0) {
    std::fprintf(stderr, "skipped %llu bad rows (first: %s:%llu: %s)\n",
                 static_cast<unsigned long long>(csv_stats.bad_rows), users_path.c_str(),
                 static_cast<unsigned long long>(csv_stats.first_bad_line),
                 csv_stats.first_bad_reason.c_str());
  }
  summary.alert_info.emplace_back("users_file", users_path);
  summary.alert_info.emplace_back("duplicate_rows", std::to_string(build_stats.duplicate_rows));
  summary.alert_info.emplace_back("skipped_bad_rows", std::to_string(csv_stats.bad_rows));

  AlertExecutor::Options options;
  options.shards = static_cast<uint32_t>(shards);
  AlertExecutor executor(*index, options);
  ASSIGN_OR_RETURN(DeliveryLists lists, executor.Execute(*area, &summary));
  if (flags.Has("verify")) {
    ASSIGN_OR_RETURN(ShardPolicy policy, ShardPolicy::Create(options.shards));
    std::string why;
    if (!SameLists(lists, BruteForceScan(*index, *area, policy), &why)) {
      return absl::InternalError(absl::StrCat("verification failed: ", why));
    }
    std::fprintf(stderr, "verified: identical to a brute-force scan of all %zu users\n",
                 index->size());
  }
  int64_t emit_start = absl::GetCurrentTimeNanos();
  RETURN_IF_ERROR(sink.Deliver(lists, summary));
  summary.timings.emit_ms = MillisSince(emit_start);
  const StageTimings& t = summary.timings;
  summary.timings.total_ms = t.parse_ms + t.cover_ms + t.plan_ms + t.scan_ms + t.emit_ms;
  PrintSummary(summary, out_dir);
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  absl::Status status;
  if (command == "generate") {
    status = Generate(argc, argv);
  } else if (command == "alert") {
    status = Alert(argc, argv);
  } else {
    std::fprintf(stderr, "fanout: unknown command '%s'\n%s", command.c_str(), kUsage);
    return 2;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "fanout %s: %s\n", command.c_str(), std::string(status.message()).c_str());
    return ExitCode(status);
  }
  return 0;
}

}  // namespace
}  // namespace fanout

int main(int argc, char** argv) { return fanout::Main(argc, argv); }
