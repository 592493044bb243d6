// Copyright 2026 The fan-out engine authors.
//
// Data shared by the micro benchmarks, built once per process (never inside
// a timed loop): generated US populations by size, and the standard alert
// areas of DESIGN §5.

#ifndef FANOUT_BENCH_BENCH_FIXTURES_H_
#define FANOUT_BENCH_BENCH_FIXTURES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "engine/location_index.h"
#include "geo/alert_area.h"

namespace fanout {
namespace bench {

// A LocationIndex of `users` generated US users (seed 42), cached.
const LocationIndex& UsUsersIndex(uint64_t users);

// The standard areas: "county" (Harris County TX, FIPS 48201), "state"
// (Texas), "circle" (50 km around 29.76,-95.37), "texas9" (a 9-vertex
// polygon around Texas), "nation" (us-nation.geojson). Cached; planar edges.
const AlertArea& StandardArea(const std::string& name);

}  // namespace bench
}  // namespace fanout

#endif  // FANOUT_BENCH_BENCH_FIXTURES_H_
