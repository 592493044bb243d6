// Copyright 2026 The fan-out engine authors.
//
// `fanout-mpi`: the engine over Open MPI ranks (DESIGN §9). Run as
//   mpirun -np K build/fanout-mpi alert ...   (the flags of `fanout alert`)
//   mpirun -np K build/fanout-mpi build --users FILE --out PREFIX
//   mpirun -np K build/fanout-mpi loadtest [--users N] [--batches B] ...
// Every rank returns the same agreed status (mpi/mpi_world.h), so every
// rank exits with the same code: 0 ok, 2 bad usage or input, 1 other
// failure. Rank 0 prints the error, naming each failing rank. A rank that
// dies makes mpirun abort the job and name it.

#include <malloc.h>
#include <mpi.h>

#include <cstdio>
#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mpi/mpi_commands.h"
#include "mpi/mpi_world.h"
#include "tools/cli_util.h"

namespace fanout {
namespace {

constexpr char kUsage[] = R"(usage:
  mpirun -np K fanout-mpi alert
                  (--index SNAPSHOT | --index PREFIX.manifest | --dir DIR |
                   --users FILE [--skip-bad-rows])
                  (--cap FILE | --geojson FILE [--feature ID] |
                   --polygon "lat,lon lat,lon ..." | --circle "lat,lon km" |
                   --same PSSCCC | --fips SSCCC|SS)
                  [--edges planar|geodesic] [--margin-m M] [--lenient]
                  [--geocodes fallback|union] --shards N --out DIR
                  [--format csv|bin] [--force]
  mpirun -np K fanout-mpi build --users FILE --out PREFIX [--parts K] [--skip-bad-rows]
  mpirun -np K fanout-mpi loadtest [--users N] [--seed S] [--region us|world]
                  [--batch UPDATES] [--batches B] [--alert-every B] [--shards N]
                  [--rate UPDATES_PER_S] [--check]

  alert   the flags and output of `fanout alert`; each rank answers for one
          contiguous range of S2 cells, rank 0 gathers the lists and writes
          them. With PREFIX.manifest each rank loads only its own part;
          with --users each rank reads only its share of the file and the
          rows are exchanged by owner; with --index SNAPSHOT or --dir every
          rank loads the whole input and keeps its range.
  build   writes PREFIX.part-k-of-K.fo (one snapshot per rank) and
          PREFIX.manifest (rank count, splitters, each part's size and
          checksum); each rank reads only its share of the users file.
          --parts K lets one process write all K parts (from the whole
          file; the parts are the same).
  loadtest
          live updates and alerts over K ranks: N generated users (default
          200000), B batches (default 200) of UPDATES (default 4096) routed
          to the rank owning each user's new cell, an alert pinned on every
          rank at every B-th batch boundary (default 20) and scanned while
          later batches apply. Prints a JSON report on rank 0. --check
          compares each alert with brute force at its boundary and the
          final state with the generator's model.
Exit codes: 0 ok, 2 bad usage or input, 1 other failure (every rank).
)";

int Main(MpiWorld& world, int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    if (world.root()) std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  absl::Status status;
  try {
    if (command == "alert") {
      status = RunMpiAlert(world, argc, argv);
    } else if (command == "build") {
      status = RunMpiBuild(world, argc, argv);
    } else if (command == "loadtest") {
      status = RunMpiLoadtest(world, argc, argv);
    } else {
      if (world.root()) {
        std::fprintf(stderr, "fanout-mpi: unknown command '%s'\n%s", command.c_str(), kUsage);
      }
      return 2;
    }
  } catch (const std::exception& e) {
    // Outside the stages that catch their own failures: this rank cannot
    // take part in the collectives that follow, so the job is stopped
    // rather than left waiting for it.
    std::fprintf(stderr, "fanout-mpi %s: rank %d of %d: internal error: %s\n", command.c_str(),
                 world.rank(), world.size(), e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (!status.ok()) {
    if (world.root()) {
      std::fprintf(stderr, "fanout-mpi %s: %s\n", command.c_str(),
                   std::string(status.message()).c_str());
    }
    return ExitCode(status);
  }
  return 0;
}

}  // namespace
}  // namespace fanout

int main(int argc, char** argv) {
  // As in `fanout` (tools/fanout_main.cc): big short-lived lists from the heap.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  int code;
  {
    fanout::MpiWorld world(&argc, &argv);
    code = fanout::Main(world, argc, argv);
  }
  return code;
}
