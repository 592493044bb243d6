// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_SCAN_RANGE_H_
#define FANOUT_ENGINE_INTERNAL_SCAN_RANGE_H_

#include <cstddef>
#include <cstdint>

namespace fanout {
namespace internal {

// One slice of a run to scan: entries [begin, end) of source `source` (the
// index, or for a live index one of its runs), taken whole (needs_test ==
// false, the slice lies in interior cells) or tested one by one against the
// area. What the executor's planner produces (alert_executor.cc) and the
// scatter consumes (shard_scatter.h).
struct ScanRange {
  size_t begin;
  size_t end;
  bool needs_test;
  uint32_t source = 0;
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_SCAN_RANGE_H_
