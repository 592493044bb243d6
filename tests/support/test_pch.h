// Copyright 2026 The fan-out engine authors.
//
// The headers most tests include, precompiled once for every test
// executable when the build has no compiler launcher (tests/CMakeLists.txt:
// a clean build such as CI's spends most of each test's compile parsing
// these). Only stable, widely used headers belong here; a test still
// includes what it uses, so it builds the same without this file.

#ifndef FANOUT_TESTS_SUPPORT_TEST_PCH_H_
#define FANOUT_TESTS_SUPPORT_TEST_PCH_H_

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "engine/alert_executor.h"
#include "engine/engine.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "engine/snapshot.h"
#include "geo/alert_area.h"
#include "geo/alert_resolver.h"
#include "geo/alert_text.h"
#include "geo/polygon_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "s2/s2polygon.h"
#include "tests/support/test_support.h"

#endif  // FANOUT_TESTS_SUPPORT_TEST_PCH_H_
