// Copyright 2026 The fan-out engine authors.

#include "engine/index_check.h"

#include <algorithm>
#include <numeric>

#include "absl/time/clock.h"
#include "engine/radix_sort.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {

IndexCheckReport FindDuplicateUsers(const SortedRun& run, size_t max_examples) {
  const int64_t start = absl::GetCurrentTimeNanos();
  IndexCheckReport report;
  const size_t n = run.size();
  report.entries = n;
  std::vector<uint64_t> users(n), positions(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      users[i] = run.users[i];
      positions[i] = i;
    }
  });
  RadixSortPairs(&users, &positions);
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && users[j] == users[i]) ++j;
    if (j - i > 1) {
      ++report.repeated_users;
      report.extra_entries += j - i - 1;
      if (report.examples.size() < max_examples) {
        DuplicateUser& d = report.examples.emplace_back();
        d.user_id = users[i];
        for (size_t k = i; k < j; ++k) d.cells.push_back(run.cells[positions[k]]);
        std::sort(d.cells.begin(), d.cells.end());
      }
    }
    i = j;
  }
  report.seconds = (absl::GetCurrentTimeNanos() - start) * 1e-9;
  return report;
}

}  // namespace fanout
