// Copyright 2026 The fan-out engine authors.
//
// fanout-mpi alert: `fanout alert` over K ranks, each holding one
// contiguous range of cells (DESIGN §9). The stages, each ended by an
// agreement of every rank (MpiWorld::Agree), so that nothing is written
// unless every rank succeeded:
//   1. flags, parsed by every rank;
//   2. the area: rank 0 reads the --cap/--geojson file and broadcasts its
//      text (a few KB: the other ranks may run on hosts without it); every
//      rank resolves it with the same library call, so every rank covers
//      exactly the same area;
//   3. rank 0 checks the output folder;
//   4. each rank loads its part (mpi/rank_index.h);
//   5. each rank runs the alert over its part;
//   6. per-shard lists and summary counts are gathered to rank 0, which
//      writes them with DirectorySink.
//
// Why gather to one writer rather than have each rank write its pieces of
// every shard file: DirectorySink's promise (DESIGN §4) is a folder that
// appears whole or not at all, by a rename of a finished temporary
// folder; parallel writers would need a shared file system on every host,
// offsets agreed per shard, and a collective commit, and a rank dying
// mid-write would leave pieces to clean. With one writer the folder is
// committed by the same code as `fanout alert`, only after every rank has
// reported success. Each rank's lists come out in index order and the
// ranks hold ascending cell ranges, so the gathered lists are in the
// global index order: every shard file is byte-identical to what `fanout
// alert` writes for the same users. The cost is the ids crossing the
// network once (8 bytes per matched user), which the push fleet would
// read anyway; figures in bench/README.md ("Beyond one machine").

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/mapped_file.h"
#include "oneapi/tbb/global_control.h"
#include "oneapi/tbb/task_arena.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/directory_sink.h"
#include "mpi/mpi_commands.h"
#include "mpi/rank_clocks.h"
#include "mpi/rank_index.h"
#include "tools/area_flags.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/index_flags.h"

namespace fanout {
namespace {

// Test seams, read only here and only by tests (tests/mpi): the rank
// numbered FANOUT_MPI_TEST_DIE_RANK kills itself with SIGKILL after its
// scan, before it reports to the others (a rank dying mid-alert); the
// rank numbered FANOUT_MPI_TEST_FAIL_RANK reports running out of memory
// in its scan instead of its lists.
bool TestSeamIs(const char* name, int rank) {
  const char* v = std::getenv(name);
  int r = -1;
  return v != nullptr && absl::SimpleAtoi(v, &r) && r == rank;
}

// Threads writing the shard files on rank 0. Writing is bound by fsync
// waits, not by CPU, so its parallelism must not follow the CPUs this
// rank may use: mpirun binds each rank to one core by default when it
// starts two ranks or fewer (`--bind-to core`), where oneTBB then runs
// with one thread and the 64 files' fsyncs one after another, 4x slower
// than `fanout alert` on the same data (bench/README.md, "Beyond one
// machine": the emit figures with and without binding). A task arena of
// this many threads, allowed past the affinity mask by a global_control,
// overlaps the fsyncs however the rank is bound.
constexpr int kWriterThreads = 8;

struct Flags {
  std::unique_ptr<CliFlags> flags;
  std::string out_dir;
  uint32_t shards = 0;
  DirectorySink::Options sink_options;
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  std::set<std::string> valued = AreaValuedFlags(), switches = AreaSwitchFlags();
  for (const auto& f : IndexValuedFlags()) valued.insert(f);
  for (const auto& f : IndexSwitchFlags()) switches.insert(f);
  valued.insert({"shards", "out", "format"});
  switches.insert({"force"});
  Flags f;
  f.flags = std::make_unique<CliFlags>(valued, switches);
  RETURN_IF_ERROR(f.flags->Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(f.out_dir, f.flags->Require("out"));
  if (!f.flags->Has("shards")) return absl::InvalidArgumentError("--shards is required");
  ASSIGN_OR_RETURN(uint64_t shards,
                   f.flags->GetUintInRange("shards", 0, 1, ShardPolicy::kMaxShards));
  RETURN_IF_ERROR(DirectorySink::CheckShardCount(shards));
  f.shards = static_cast<uint32_t>(shards);
  ASSIGN_OR_RETURN(f.sink_options.format,
                   ParseListFormat(f.flags->Get("format").value_or("csv")));
  f.sink_options.overwrite = f.flags->Has("force");
  return f;
}

// As `fanout alert` refuses an existing target.
absl::Status CheckTarget(const Flags& f) {
  DirectorySink sink(f.out_dir, f.sink_options);
  absl::Status target = sink.CheckTarget();
  std::error_code ec;
  if (!target.ok() && !f.sink_options.overwrite && std::filesystem::is_directory(f.out_dir, ec)) {
    return absl::Status(target.code(),
                        absl::StrCat(f.out_dir, " already exists (use --force to replace it)"));
  }
  return target;
}

// The whole job's summary on rank 0 from every rank's: counts added up,
// stage timings the slowest rank's (the alert is as late as its last rank).
void CombineSummaries(MpiWorld& world, AlertSummary* s) {
  std::vector<uint64_t> sums = {s->matched, s->index_users, s->ranges, s->interior_entries,
                                s->tested_entries};
  sums.insert(sums.end(), s->per_shard.begin(), s->per_shard.end());
  for (const AlertSummary::AreaCount& a : s->areas) sums.push_back(a.users);
  std::vector<double> maxes = {s->timings.cover_ms, s->timings.plan_ms, s->timings.scan_ms};
  sums = world.SumToRoot(sums);
  maxes = world.MaxToRoot(maxes);
  if (!world.root()) return;
  s->matched = sums[0];
  s->index_users = sums[1];
  s->ranges = sums[2];
  s->interior_entries = sums[3];
  s->tested_entries = sums[4];
  for (size_t i = 0; i < s->per_shard.size(); ++i) s->per_shard[i] = sums[5 + i];
  for (size_t i = 0; i < s->areas.size(); ++i) {
    s->areas[i].users = sums[5 + s->per_shard.size() + i];
  }
  s->timings.cover_ms = maxes[0];
  s->timings.plan_ms = maxes[1];
  s->timings.scan_ms = maxes[2];
}

void PrintSummary(const AlertSummary& s, const std::string& out_dir, int ranks,
                  double gather_ms) {
  std::printf("matched %llu users of %llu in %u shards on %d ranks -> %s\n",
              static_cast<unsigned long long>(s.matched),
              static_cast<unsigned long long>(s.index_users), s.shards, ranks, out_dir.c_str());
  const StageTimings& t = s.timings;
  std::printf(
      "timings ms: parse %.3f, cover %.3f, plan %.3f, scan %.3f (slowest rank), gather %.3f, "
      "emit %.3f, total %.3f\n",
      t.parse_ms, t.cover_ms, t.plan_ms, t.scan_ms, gather_ms, t.emit_ms, t.total_ms);
}

}  // namespace

absl::Status RunMpiAlert(MpiWorld& world, int argc, char** argv) {
  const int64_t start = absl::GetCurrentTimeNanos();
  // Time in this alert's own collectives (not the load's): the per-alert
  // cost of the MPI layer, waiting for the slowest rank included.
  double mpi_ms = 0;
  auto agree = [&](const absl::Status& status) {
    const int64_t t = absl::GetCurrentTimeNanos();
    absl::Status agreed = world.Agree(status);
    mpi_ms += MillisSince(t);
    return agreed;
  };
  // 1. Flags: the same argv on every rank, so the same verdict.
  absl::StatusOr<Flags> parsed = ParseFlags(argc, argv);
  RETURN_IF_ERROR(agree(parsed.status()));
  Flags& f = *parsed;

  // 2. The area: rank 0 reads the file, every rank resolves its text.
  AlertSummary summary;
  const int64_t parse_start = absl::GetCurrentTimeNanos();
  absl::StatusOr<std::string> file_text = std::string();
  if (world.root()) file_text = ReadAreaFileFromFlags(*f.flags);
  RETURN_IF_ERROR(agree(file_text.status()));
  const int64_t broadcast_start = absl::GetCurrentTimeNanos();
  const std::string text = world.Broadcast(*file_text);
  mpi_ms += MillisSince(broadcast_start);
  std::vector<std::unique_ptr<AlertArea>> per_area;
  absl::StatusOr<std::unique_ptr<AlertArea>> area =
      LoadAreaFromFlags(*f.flags, &summary, &per_area, &text);
  // Every rank resolves the same text with the same code: they agree, and
  // the agreement names every rank that refused (all of them, or a bug).
  RETURN_IF_ERROR(agree(area.status()));
  summary.timings.parse_ms = MillisSince(parse_start);

  // 3. The output folder, on the rank that writes it.
  RETURN_IF_ERROR(agree(world.root() ? CheckTarget(f) : absl::OkStatus()));

  // 4. This rank's part of the users.
  ASSIGN_OR_RETURN(RankIndex part, LoadRankIndex(world, *f.flags, &summary));
  const double load_ms = MillisSince(start);

  // 5. The alert over this rank's part.
  const int64_t alert_start = absl::GetCurrentTimeNanos();
  AlertExecutor::Options options;
  options.shards = f.shards;
  AlertExecutor executor(*part.index, options);
  absl::StatusOr<DeliveryLists> lists = absl::ResourceExhaustedError("out of memory");
  const bool print_work = RankClocks::Wanted();
  const RankClocks clocks = print_work ? RankClocks::Now() : RankClocks();
  try {
    lists = executor.Execute(**area, &summary);
    if (print_work) PrintRankWork(world.rank(), summary, clocks);
    if (lists.ok()) {
      absl::Status counted = CountUsersPerArea(executor, per_area, &summary);
      if (!counted.ok()) lists = counted;
    }
  } catch (const std::bad_alloc&) {
    lists = absl::ResourceExhaustedError("out of memory");
  }
  if (lists.ok()) {
    absl::Status intact = MappedFile::CheckAllIntact();
    if (!intact.ok()) lists = intact;
  }
  if (TestSeamIs("FANOUT_MPI_TEST_FAIL_RANK", world.rank())) {
    lists = absl::ResourceExhaustedError("out of memory (test seam FANOUT_MPI_TEST_FAIL_RANK)");
  }
  if (TestSeamIs("FANOUT_MPI_TEST_DIE_RANK", world.rank())) {
    std::fprintf(stderr, "fanout-mpi: rank %d killing itself (test seam)\n", world.rank());
    std::fflush(stderr);
    ::kill(::getpid(), SIGKILL);
  }
  // Nothing is gathered, let alone written, unless every rank has its lists.
  RETURN_IF_ERROR(agree(lists.status()));

  // 6. Gather to rank 0 and write.
  const int64_t gather_start = absl::GetCurrentTimeNanos();
  CombineSummaries(world, &summary);
  world.GatherLists(&*lists);
  const double gather_ms = MillisSince(gather_start);
  mpi_ms += gather_ms;
  absl::Status written = absl::OkStatus();
  if (world.root()) {
    summary.alert_info.emplace_back("mpi_ranks", std::to_string(world.size()));
    summary.alert_info.emplace_back("mpi_gather_ms", absl::StrFormat("%.3f", gather_ms));
    summary.alert_info.emplace_back("mpi_load_ms", absl::StrFormat("%.3f", load_ms));
    summary.alert_info.emplace_back("mpi_collectives_ms", absl::StrFormat("%.3f", mpi_ms));
    const int64_t emit_start = absl::GetCurrentTimeNanos();
    DirectorySink sink(f.out_dir, f.sink_options);
    {
      tbb::global_control allow(tbb::global_control::max_allowed_parallelism, kWriterThreads);
      tbb::task_arena arena(kWriterThreads);
      arena.execute([&] { written = sink.Deliver(*lists, summary); });
    }
    summary.timings.emit_ms = MillisSince(emit_start);
    const StageTimings& t = summary.timings;
    summary.timings.total_ms = t.parse_ms + t.cover_ms + t.plan_ms + t.scan_ms + t.emit_ms;
    if (written.ok()) PrintSummary(summary, f.out_dir, world.size(), gather_ms);
    std::fprintf(stderr,
                 "alert on %d ranks: %.3f ms from loaded parts to written lists; %.3f ms in "
                 "collectives (of which gather %.3f ms)\n",
                 world.size(), MillisSince(alert_start), mpi_ms, gather_ms);
  }
  return world.Agree(written);
}

}  // namespace fanout
