// Copyright 2026 The fan-out engine authors.
//
// The external headers most of the libraries' sources include, precompiled
// once per library when the build has no compiler launcher (CMakeLists.txt,
// FANOUT_PCH): parsing S2's, Abseil's and oneTBB's headers is much of a
// source's compile (bench/README.md, "CI time"), and a clean build such as
// CI's compiles every source.
// Only headers from outside the project belong here, so that editing the
// engine does not rebuild the header; a source still includes what it uses,
// so it builds the same with FANOUT_PCH=OFF.

#ifndef FANOUT_CMAKE_LIBRARY_PCH_H_
#define FANOUT_CMAKE_LIBRARY_PCH_H_

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "s2/s2builder.h"
#include "s2/s2builderutil_s2polygon_layer.h"
#include "s2/s2cell.h"
#include "s2/s2loop.h"
#include "s2/s2polygon.h"
#include "s2/s2region_coverer.h"

#endif  // FANOUT_CMAKE_LIBRARY_PCH_H_
