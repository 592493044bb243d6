// Copyright 2026 The fan-out engine authors.
//
// Every sample alert of data/alerts/ (written for this project on the
// structure of real national feeds; provenance in data/README.md) that is
// not named malformed-* resolves in the default strict mode; each
// malformed-* one is refused by it.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

namespace fs = std::filesystem;
using ::fanout::testing::ReadFileOrEmpty;

std::vector<fs::path> Samples(const char* extension) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(absl::StrCat(FANOUT_SOURCE_DIR, "/data/alerts"))) {
    if (e.path().extension() == extension) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Malformed(const fs::path& p) {
  return absl::StartsWith(p.filename().string(), "malformed-");
}

// Consecutive equal "lat,lon" tokens inside <polygon>s, counted from the
// text alone (an independent count of what the resolver should drop).
size_t RepeatedPairsInText(const std::string& xml) {
  size_t count = 0, pos = 0;
  while ((pos = xml.find("polygon", pos)) != std::string::npos) {
    const size_t open = xml.find('>', pos);
    const size_t close = xml.find('<', open);
    if (open == std::string::npos || close == std::string::npos) break;
    if (pos > 0 && xml[pos - 1] != '/') {
      std::vector<absl::string_view> pairs = absl::StrSplit(
          absl::string_view(xml).substr(open + 1, close - open - 1),
          absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
      for (size_t i = 1; i < pairs.size(); ++i) count += pairs[i] == pairs[i - 1];
    }
    pos = close;
  }
  return count;
}

TEST(SampleAlertsTest, EveryValidSampleResolvesInStrictMode) {
  size_t valid = 0;
  for (const fs::path& path : Samples(".xml")) {
    if (Malformed(path)) continue;
    ++valid;
    const std::string text = ReadFileOrEmpty(path.string());
    auto r = ResolveAlertText(text, AlertFormat::kCap);
    ASSERT_TRUE(r.ok()) << path.filename() << ": " << r.status();
    EXPECT_FALSE(r->area->is_empty()) << path.filename();
    EXPECT_TRUE(r->repairs.empty()) << path.filename();
    EXPECT_FALSE(r->header.identifier.empty()) << path.filename();
    EXPECT_EQ(r->dropped_repeated_pairs, RepeatedPairsInText(text)) << path.filename();
  }
  for (const fs::path& path : Samples(".geojson")) {
    if (Malformed(path)) continue;
    ++valid;
    auto r = ResolveAlertText(ReadFileOrEmpty(path.string()), AlertFormat::kGeoJson);
    ASSERT_TRUE(r.ok()) << path.filename() << ": " << r.status();
  }
  EXPECT_GE(valid, 15u);
}

TEST(SampleAlertsTest, EveryMalformedSampleIsRefusedInStrictMode) {
  for (const fs::path& path : Samples(".xml")) {
    if (!Malformed(path)) continue;
    auto r = ResolveAlertText(ReadFileOrEmpty(path.string()), AlertFormat::kCap);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << path.filename();
  }
}

TEST(SampleAlertsTest, TwoHundredPolygonsWithRepeatedPairs) {
  const std::string text = ReadFileOrEmpty(
      absl::StrCat(FANOUT_SOURCE_DIR, "/data/alerts/national-200-polygons-repeated-pairs.xml"));
  auto r = ResolveAlertText(text, AlertFormat::kCap);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->areas.size(), 1u);
  EXPECT_EQ(r->areas[0].defined_by, "200 polygons");
  EXPECT_GT(r->dropped_repeated_pairs, 400u);
  EXPECT_EQ(r->dropped_repeated_pairs, RepeatedPairsInText(text));
}

TEST(SampleAlertsTest, LenientRepairsTheRepairableMalformedSamples) {
  AlertTextOptions lenient;
  lenient.resolve.lenient = true;
  for (const char* name : {"malformed-gdacs-lon-past-180.xml", "malformed-composer-bowtie.xml",
                           "malformed-messy-polygon.xml"}) {
    auto r = ResolveAlertText(
        ReadFileOrEmpty(absl::StrCat(FANOUT_SOURCE_DIR, "/data/alerts/", name)),
        AlertFormat::kCap, lenient);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_FALSE(r->repairs.empty()) << name;
  }
}

}  // namespace
}  // namespace fanout
