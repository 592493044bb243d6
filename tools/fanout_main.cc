// Copyright 2026 The fan-out engine authors.
//
// The `fanout` command line (DESIGN §5). Thin: parsing flags, printing, and
// exit codes; the work is done by the fanout::geo and fanout::engine
// libraries. Exit codes: 0 success, 2 bad usage or bad input, 1 any other
// failure.

#include <malloc.h>

#include <cstdio>
#include <string>

#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {
namespace {

constexpr char kUsage[] = R"(usage:
  fanout generate --users N [--seed S] [--region us|world] --out FILE(.csv|.bin)
  fanout build    --users FILE --out SNAPSHOT [--skip-bad-rows]
  fanout inspect  SNAPSHOT [--json]
  fanout alert    (--index SNAPSHOT | --users FILE [--skip-bad-rows])
                  (--cap FILE | --geojson FILE [--feature ID] |
                   --polygon "lat,lon lat,lon ..." | --circle "lat,lon km" |
                   --same PSSCCC | --fips SSCCC|SS)
                  [--edges planar|geodesic] [--margin-m M] [--lenient]
                  [--geocodes fallback|union] --shards N --out DIR
                  [--format csv|bin] [--force] [--verify]
  fanout bench    --users N [--seed S] [--shards 256] [--json FILE]
                  [--repetitions R] [--s2pointindex-max-users M]
                  [--alerts county,state,circle,nation,warnings] [--no-baselines]
  fanout loadtest --users N --update-rate R --alert-rate A --seconds S
                  [--json FILE] [--seed S] [--shards 256] [--update-threads T]
                  [--batch B] [--log FILE]

  --lenient  repairs malformed CAP polygons/circles with one obvious reading
             (listed in summary.json "repairs"); strict refuses them (exit 2).
  --verify   also runs a brute-force scan of every user and fails (exit 1)
             unless both give the same users in the same shards.
  loadtest   updates a live index at rate R while alerts run at rate A for S
             seconds, then checks every alert against the update history;
             exit 1 on any consistency violation or lost update. --log FILE
             also writes an update log and reports its replay speed.
Progress is shown on a terminal only. Exit codes: 0 ok, 2 bad usage or
input, 1 other failure.
)";

int Main(int argc, char** argv) {
  // Per-alert lists and the live index's runs are large, short-lived
  // allocations. glibc serves big ones from fresh mmap'd pages that the
  // kernel must zero (a page fault per 4 KiB) and unmaps on free; up to
  // 32 MiB (glibc's ceiling for this setting) they now come from the heap
  // and freed memory is kept for reuse.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  absl::Status status;
  if (command == "generate") {
    status = RunGenerate(argc, argv);
  } else if (command == "alert") {
    status = RunAlert(argc, argv);
  } else if (command == "build") {
    status = RunBuild(argc, argv);
  } else if (command == "inspect") {
    status = RunInspect(argc, argv);
  } else if (command == "bench") {
    status = RunBench(argc, argv);
  } else if (command == "loadtest") {
    status = RunLoadTest(argc, argv);
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
