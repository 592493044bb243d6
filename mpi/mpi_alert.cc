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
//
// Every flag of `fanout alert` is taken, each giving the same files:
//   --max-age/--now: rank 0 fixes the alert's time (--now, <sent>, or its
//     clock) and broadcasts it; each rank filters its part with the same
//     executor options; the stale and unknown-age counts are added up.
//   --by-info: each rank splits its lists by info block; the block of each
//     listed user travels beside its id (8 bytes a user) and rank 0 splits
//     the gathered lists again, so each info list keeps the order of the
//     plain list, as the single process's split does. Per-language counts
//     are added up code by code: every part keeps the whole input's
//     language dictionary (checked), so codes mean the same tag on every
//     rank and come out in the single process's order.
//   --order nearest: each rank sorts its lists by the single process's key
//     (the squared chord from the incident point to the user's cell
//     centre, as bits; ties in index order); the keys travel beside the
//     ids (8 bytes a user) and rank 0 merges the K sorted runs of each
//     shard by (key, rank). Rank r's entries all precede rank r+1's in
//     index order, and each run is sorted by (key, index position), so the
//     merge is the sort by (key, global index position): the single
//     process's order, ties included. The default (index) order sends no
//     keys and merges nothing.
//   --map/--covering-geojson: every rank covers the same area, so rank 0's
//     covering is the alert's; the map's density needs every matched
//     user's leaf cell (the renderer bins exact cell positions), which is
//     gathered only when a map is asked for (8 bytes a user).
//   --verify: each rank compares its lists with a brute-force scan of its
//     part; the verdicts are agreed, a failing rank named.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "base/mapped_file.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/global_control.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/directory_sink.h"
#include "engine/user_attributes.h"
#include "geo/alert_map.h"
#include "geo/cell_center.h"
#include "tools/alert_output.h"
#include "mpi/delivery_merge.h"
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
// in its scan instead of its lists; the rank numbered
// FANOUT_MPI_TEST_VERIFY_FAIL_RANK drops one user of its lists before
// --verify compares them (a rank whose lists are wrong).
bool TestSeamIs(const char* name, int rank) {
  const char* v = std::getenv(name);
  int r = -1;
  return v != nullptr && absl::SimpleAtoi(v, &r) && r == rank;
}

// Threads writing the shard files on rank 0. Writing is bound by fsync
// waits, not by CPU, so its parallelism must not follow the CPUs this
// rank may use: mpirun binds each rank to one core by default when it
// starts two ranks or fewer (`--bind-to core`), where oneTBB then runs
// with one thread and the 64 files' fsyncs one after another, several
// times slower than `fanout alert` on the same data (bench/README.md,
// "Beyond one machine": the emit figures with and without binding). A task arena of
// this many threads, allowed past the affinity mask by a global_control,
// overlaps the fsyncs however the rank is bound.
constexpr int kWriterThreads = 8;

struct Flags {
  std::unique_ptr<CliFlags> flags;
  std::string out_dir;
  uint32_t shards = 0;
  DirectorySink::Options sink_options;
  DeliveryOrder order = DeliveryOrder::kIndex;
  int64_t max_age_s = 0;        // 0: off
  std::optional<int64_t> now;   // --now
  bool by_info = false;
  bool verify = false;
  std::optional<std::string> map_path, covering_path;
};

// The flags of `fanout alert` (tools/command_alert.cc), checked in the same
// order with the same messages.
absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  std::set<std::string> valued = AreaValuedFlags(), switches = AreaSwitchFlags();
  for (const auto& f : IndexValuedFlags()) valued.insert(f);
  for (const auto& f : IndexSwitchFlags()) switches.insert(f);
  valued.insert({"shards", "out", "format", "order", "map", "covering-geojson", "max-age", "now"});
  switches.insert({"force", "verify", "by-info"});
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
  const std::string order = f.flags->Get("order").value_or("index");
  if (order != "index" && order != "nearest") {
    return absl::InvalidArgumentError(
        absl::StrCat("--order must be index or nearest, got \"", order, "\""));
  }
  f.order = order == "nearest" ? DeliveryOrder::kNearest : DeliveryOrder::kIndex;
  ASSIGN_OR_RETURN(const AgeFlags age, ParseAgeFlags(*f.flags));
  f.max_age_s = age.max_age_s;
  f.now = age.now;
  f.by_info = f.flags->Has("by-info");
  f.verify = f.flags->Has("verify");
  f.map_path = f.flags->Get("map");
  f.covering_path = f.flags->Get("covering-geojson");
  return f;
}

// As `fanout alert` refuses an existing target, and a map or covering
// file it could not write.
absl::Status CheckTarget(const Flags& f) {
  DirectorySink sink(f.out_dir, f.sink_options);
  absl::Status target = sink.CheckTarget();
  std::error_code ec;
  if (!target.ok() && !f.sink_options.overwrite && std::filesystem::is_directory(f.out_dir, ec)) {
    return absl::Status(target.code(),
                        absl::StrCat(f.out_dir, " already exists (use --force to replace it)"));
  }
  RETURN_IF_ERROR(target);
  for (const auto* path : {&f.map_path, &f.covering_path}) {
    if (path->has_value()) RETURN_IF_ERROR(CheckOutputFile(**path));
  }
  return absl::OkStatus();
}

// The whole job's summary on rank 0 from every rank's: counts added up,
// stage timings the slowest rank's (the alert is as late as its last rank).
void CombineSummaries(MpiWorld& world, AlertSummary* s) {
  std::vector<uint64_t> sums = {s->matched,          s->index_users,   s->ranges,
                                s->interior_entries, s->tested_entries, s->stale_skipped,
                                s->unknown_age_kept};
  constexpr size_t kFixed = 7;
  sums.insert(sums.end(), s->per_shard.begin(), s->per_shard.end());
  for (const AlertSummary::AreaCount& a : s->areas) sums.push_back(a.users);
  std::vector<double> maxes = {s->timings.cover_ms, s->timings.plan_ms, s->timings.scan_ms,
                               s->order_ms};
  sums = world.SumToRoot(sums);
  maxes = world.MaxToRoot(maxes);
  if (!world.root()) return;
  s->matched = sums[0];
  s->index_users = sums[1];
  s->ranges = sums[2];
  s->interior_entries = sums[3];
  s->tested_entries = sums[4];
  s->stale_skipped = sums[5];
  s->unknown_age_kept = sums[6];
  for (size_t i = 0; i < s->per_shard.size(); ++i) s->per_shard[i] = sums[kFixed + i];
  for (size_t i = 0; i < s->areas.size(); ++i) {
    s->areas[i].users = sums[kFixed + s->per_shard.size() + i];
  }
  s->timings.cover_ms = maxes[0];
  s->timings.plan_ms = maxes[1];
  s->timings.scan_ms = maxes[2];
  s->order_ms = maxes[3];
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
  std::vector<std::string> info_languages;
  absl::StatusOr<std::unique_ptr<AlertArea>> area =
      LoadAreaFromFlags(*f.flags, &summary, &per_area, &text, &info_languages);
  // Every rank resolves the same text with the same code: they agree, and
  // the agreement names every rank that refused (all of them, or a bug).
  RETURN_IF_ERROR(agree(area.status()));
  summary.timings.parse_ms = MillisSince(parse_start);

  // 3. The output folder and files, on the rank that writes them.
  RETURN_IF_ERROR(agree(world.root() ? CheckTarget(f) : absl::OkStatus()));

  // The alert's time for --max-age, fixed by rank 0 (without --now or a
  // <sent>, its clock: the ranks' clocks may differ).
  int64_t as_of = 0;
  if (f.max_age_s > 0) {
    absl::StatusOr<int64_t> t = int64_t{0};
    if (world.root()) t = AlertTime(AlertSent(summary), f.now);
    RETURN_IF_ERROR(agree(t.status()));
    as_of = static_cast<int64_t>(world.Broadcast(std::vector<uint64_t>{static_cast<uint64_t>(*t)})[0]);
  }

  // 4. This rank's part of the users.
  ASSIGN_OR_RETURN(RankIndex part, LoadRankIndex(world, *f.flags, &summary));
  const double load_ms = MillisSince(start);
  // The parts must share one language dictionary for --by-info's counts.
  if (f.by_info) {
    const std::vector<uint64_t> digests = world.GatherToRoot({DictionaryDigest(part.attributes.get())});
    absl::Status same = absl::OkStatus();
    for (uint64_t d : digests) {
      if (d != digests.front()) {
        same = absl::FailedPreconditionError(
            "the parts' language dictionaries differ (parts of different inputs?)");
      }
    }
    RETURN_IF_ERROR(agree(same));
  }
  const UserAttributes* attrs = part.attributes.get();
  if (world.root() && f.max_age_s > 0 && (attrs == nullptr || !attrs->has_updated_at())) {
    std::fprintf(stderr, "--max-age: the users have no updated_at; everyone is kept\n");
  }
  if (world.root() && f.by_info && (attrs == nullptr || !attrs->has_lang())) {
    std::fprintf(stderr, "--by-info: the users have no lang; everyone gets info block 0\n");
  }

  // 5. The alert over this rank's part, with `fanout alert`'s options.
  const int64_t alert_start = absl::GetCurrentTimeNanos();
  AlertExecutor::Options options;
  options.shards = f.shards;
  options.order = f.order;
  // The per-area counts use an executor without attribute filters, as in
  // `fanout alert`.
  AlertExecutor executor(*part.index, options);
  AlertExecutor::Options delivery_options = options;
  delivery_options.attributes = part.attributes;
  if (f.max_age_s > 0) {
    delivery_options.max_age_s = f.max_age_s;
    delivery_options.as_of_unix_s = as_of;
  }
  if (f.by_info) delivery_options.info_languages = info_languages;
  AlertExecutor delivery(*part.index, delivery_options);
  const bool nearest = f.order == DeliveryOrder::kNearest;
  AreaCovering covering;
  std::vector<UserIdList> cells;
  std::vector<DeliveryLists> info_lists;
  AlertExecutor::Extras extras;
  if (f.map_path || f.covering_path) extras.covering = &covering;
  if (f.map_path || nearest) extras.cells = &cells;
  if (f.by_info) extras.by_info = &info_lists;
  DeliveryLists lists;
  absl::Status ran = absl::ResourceExhaustedError("out of memory");
  const bool print_work = RankClocks::Wanted();
  const RankClocks clocks = print_work ? RankClocks::Now() : RankClocks();
  try {
    ran = delivery.Execute(**area, &lists, &summary, extras);
    if (print_work) PrintRankWork(world.rank(), summary, clocks, world.YieldWhenIdle());
    if (ran.ok() && TestSeamIs("FANOUT_MPI_TEST_VERIFY_FAIL_RANK", world.rank())) {
      for (UserIdList& list : lists.shards) {
        if (!list.empty()) {
          list.pop_back();
          break;
        }
      }
    }
    if (ran.ok() && f.verify && f.max_age_s == 0) {
      // No early return here: every rank must reach the agreement below.
      absl::StatusOr<ShardPolicy> policy = ShardPolicy::Create(options.shards);
      std::string why;
      if (!policy.ok()) {
        ran = policy.status();
      } else if (!SameListsAsSets(lists, BruteForceScan(*part.index, **area, *policy), &why)) {
        ran = absl::InternalError(absl::StrCat("verification failed: ", why));
      }
    }
    if (ran.ok()) ran = CountUsersPerArea(executor, per_area, &summary);
  } catch (const std::bad_alloc&) {
    ran = absl::ResourceExhaustedError("out of memory");
  }
  if (ran.ok()) ran = MappedFile::CheckAllIntact();
  if (TestSeamIs("FANOUT_MPI_TEST_FAIL_RANK", world.rank())) {
    ran = absl::ResourceExhaustedError("out of memory (test seam FANOUT_MPI_TEST_FAIL_RANK)");
  }
  if (TestSeamIs("FANOUT_MPI_TEST_DIE_RANK", world.rank())) {
    std::fprintf(stderr, "fanout-mpi: rank %d killing itself (test seam)\n", world.rank());
    std::fflush(stderr);
    ::kill(::getpid(), SIGKILL);
  }
  // Nothing is gathered, let alone written, unless every rank has its lists
  // (and, with --verify, every rank's lists matched its brute force).
  RETURN_IF_ERROR(agree(ran));
  if (world.root() && f.verify) {
    if (f.max_age_s > 0) {
      std::fprintf(stderr, "--verify compares the area's users before --max-age; skipped\n");
    }
  }

  // 6. Gather to rank 0 and write. What travels beside the ids only when
  // asked for: the nearest-first keys, the info blocks, the map's cells.
  // One rank's lists, info lists and counts are the job's already: the
  // nearest-first keys, the merge, the block tags and the split again are
  // only for K > 1.
  const bool merge_nearest = nearest && world.size() > 1;
  const bool split_info = f.by_info && world.size() > 1;
  // What travels beside the ids, made before the gather's clock starts.
  DeliveryLists keys, tags;
  if (merge_nearest) keys = NearestKeys(IncidentPoint(**area).ToPoint(), cells);
  if (split_info) {
    tags = BlockTags(lists, info_lists);
    info_lists.clear();
  }
  DeliveryLists map_cells;
  if (f.map_path) {
    map_cells.shards.resize(1);
    for (const UserIdList& c : cells) {
      map_cells.shards[0].insert(map_cells.shards[0].end(), c.begin(), c.end());
    }
  }
  cells.clear();
  const int64_t gather_start = absl::GetCurrentTimeNanos();
  std::vector<uint64_t> language_counts;
  if (split_info) language_counts = world.SumToRoot(CountsByLanguageCode(summary, attrs));
  CombineSummaries(world, &summary);
  std::vector<uint64_t> run_sizes;
  if (merge_nearest) {
    std::vector<uint64_t> mine(lists.shards.size());
    for (size_t s = 0; s < mine.size(); ++s) mine[s] = lists.shards[s].size();
    run_sizes = world.GatherToRoot(mine);
  }
  world.GatherLists(&lists);
  if (merge_nearest) world.GatherLists(&keys);
  if (split_info) world.GatherLists(&tags);
  if (f.map_path) world.GatherLists(&map_cells);
  const double gather_ms = MillisSince(gather_start);
  mpi_ms += gather_ms;
  absl::Status written = absl::OkStatus();
  if (world.root()) {
    const int64_t merge_start = absl::GetCurrentTimeNanos();
    if (merge_nearest) {
      MergeNearestRuns(run_sizes, world.size(), keys, &lists, split_info ? &tags : nullptr);
      keys = DeliveryLists();
    }
    if (split_info) {
      info_lists = SplitByTags(lists, tags, info_languages.size());
      tags = DeliveryLists();
      summary.by_info = InfoCountsFromCodes(language_counts, attrs, info_languages);
    }
    const double merge_ms = MillisSince(merge_start);
    summary.alert_info.emplace_back("mpi_ranks", std::to_string(world.size()));
    summary.alert_info.emplace_back("mpi_gather_ms", absl::StrFormat("%.3f", gather_ms));
    if (merge_nearest || split_info) {
      summary.alert_info.emplace_back("mpi_merge_ms", absl::StrFormat("%.3f", merge_ms));
    }
    summary.alert_info.emplace_back("mpi_load_ms", absl::StrFormat("%.3f", load_ms));
    summary.alert_info.emplace_back("mpi_collectives_ms", absl::StrFormat("%.3f", mpi_ms));
    const int64_t emit_start = absl::GetCurrentTimeNanos();
    DirectorySink sink(f.out_dir, f.sink_options);
    {
      tbb::global_control allow(tbb::global_control::max_allowed_parallelism, kWriterThreads);
      tbb::task_arena arena(kWriterThreads);
      arena.execute([&] {
        written = f.by_info ? sink.DeliverByInfo(lists, info_lists, summary)
                            : sink.Deliver(lists, summary);
      });
    }
    summary.timings.emit_ms = MillisSince(emit_start);
    const StageTimings& t = summary.timings;
    summary.timings.total_ms = t.parse_ms + t.cover_ms + t.plan_ms + t.scan_ms + t.emit_ms;
    if (written.ok()) {
      PrintSummary(summary, f.out_dir, world.size(), gather_ms);
      if (f.verify && f.max_age_s == 0) {
        std::fprintf(stderr,
                     "verified: each rank's lists identical to a brute-force scan of its part "
                     "(%llu users on %d ranks)\n",
                     static_cast<unsigned long long>(summary.index_users), world.size());
      }
      if (nearest) {
        std::printf("order: nearest (%.6f,%.6f) first, sorted in %.3f ms (slowest rank), "
                    "merged in %.3f ms\n",
                    summary.origin_lat_deg, summary.origin_lng_deg, summary.order_ms, merge_ms);
      }
      PrintAttributeDelivery(summary, f.out_dir);
    }
    if (written.ok() && f.covering_path) {
      written = WriteFileAtomically(*f.covering_path, [&](const AppendFn& append) {
        return append(CoveringToGeoJson(covering));
      });
      if (written.ok()) {
        std::printf("covering: %d interior + %d boundary cells -> %s\n",
                    covering.interior.num_cells(), covering.boundary.num_cells(),
                    f.covering_path->c_str());
      }
    }
    if (written.ok() && f.map_path) {
      absl::StatusOr<std::string> svg = RenderOperatorMap(
          **area, covering, {absl::MakeConstSpan(map_cells.shards[0])}, summary);
      written = svg.status();
      if (written.ok()) {
        written = WriteFileAtomically(*f.map_path, [&](const AppendFn& append) {
          return append(*svg);
        });
      }
      if (written.ok()) std::printf("map: %s\n", f.map_path->c_str());
    }
    std::fprintf(stderr,
                 "alert on %d ranks: %.3f ms from loaded parts to written lists; %.3f ms in "
                 "collectives (of which gather %.3f ms)\n",
                 world.size(), MillisSince(alert_start), mpi_ms, gather_ms);
  }
  return world.Agree(written);
}

}  // namespace fanout
