// Copyright 2026 The fan-out engine authors.

#include "mpi/rank_clocks.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace fanout {

bool RankClocks::Wanted() { return std::getenv("FANOUT_MPI_RANK_TIMINGS") != nullptr; }

RankClocks RankClocks::Now() {
  RankClocks c;
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  c.cpu_ms = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  c.mono_s = ts.tv_sec + ts.tv_nsec / 1e9;
  // Fields: time on a CPU (ns), time waiting on a run queue (ns), slices.
  unsigned long long run_ns = 0, wait_ns = 0;
  if (FILE* f = std::fopen("/proc/thread-self/schedstat", "r")) {
    if (std::fscanf(f, "%llu %llu", &run_ns, &wait_ns) == 2) c.wait_ms = wait_ns / 1e6;
    std::fclose(f);
  }
  return c;
}

void PrintRankWork(int rank, const AlertSummary& s, const RankClocks& start,
                   int yield_when_idle) {
  const RankClocks end = RankClocks::Now();
  const StageTimings& t = s.timings;
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::fprintf(stderr,
               "rank %d work: cover %.3f plan %.3f scan %.3f cpu %.3f runq_wait %.3f ms; "
               "users %llu ranges %llu interior %llu tested %llu matched %llu; "
               "monotonic %.6f to %.6f s; yield_when_idle %d\n",
               rank, t.cover_ms, t.plan_ms, t.scan_ms, end.cpu_ms - start.cpu_ms,
               end.wait_ms - start.wait_ms, u(s.index_users), u(s.ranges),
               u(s.interior_entries), u(s.tested_entries), u(s.matched), start.mono_s,
               end.mono_s, yield_when_idle);
}

}  // namespace fanout
