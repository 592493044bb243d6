// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_RANK_CLOCKS_H_
#define FANOUT_MPI_RANK_CLOCKS_H_

#include "engine/delivery.h"

namespace fanout {

// One rank's clocks, read before and after its alert when
// FANOUT_MPI_RANK_TIMINGS is set in the environment (bench/mpi_scale.sh,
// section 4). summary.json has only the slowest rank's stage timings; these
// tell a rank doing more work from one doing the same work more slowly
// (CPU time), and a slow core from a core taken by another task (run-queue
// wait): on one host, the wall time of a bound rank's alert is its CPU time
// plus its run-queue wait. Linux only; the wait reads 0 where
// /proc/thread-self/schedstat is missing. Plain values, no state shared.
struct RankClocks {
  double cpu_ms = 0;   // CPU time of every thread of this process
  double wait_ms = 0;  // this thread's time runnable but not running
  double mono_s = 0;   // CLOCK_MONOTONIC (perf record -k CLOCK_MONOTONIC)

  // True when FANOUT_MPI_RANK_TIMINGS is set.
  static bool Wanted();
  static RankClocks Now();
};

// Prints to stderr one line of this rank's work since `start`: its stage
// timings, CPU time and run-queue wait, users, ranges, entries and matches,
// the window's CLOCK_MONOTONIC bounds (to align with a scheduler trace),
// and whether the rank yields its core while it waits (`yield_when_idle`:
// MpiWorld::YieldWhenIdle).
void PrintRankWork(int rank, const AlertSummary& summary, const RankClocks& start,
                   int yield_when_idle);

}  // namespace fanout

#endif  // FANOUT_MPI_RANK_CLOCKS_H_
