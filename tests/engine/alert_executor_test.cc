// Copyright 2026 The fan-out engine authors.
//
// Property tests of the exact alert query: for many random areas of every
// kind (convex, star-shaped, holed, multi-part, circles from 100 m to the
// whole sphere, city blocks, continents, polar caps, antimeridian crossers)
// and both edge models, AlertExecutor::Execute must return exactly the users
// that a brute-force test of every index entry finds, each once, in shard
// Mix64(id) % shards, whatever the executor options.

#include "engine/alert_executor.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/internal/alert_executor_peer.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "geo/alert_area.h"
#include "geo/geojson_area.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::RandomUsers;
using ::fanout::testing::ReferenceShards;
using ::fanout::testing::SortedShards;
using ::fanout::testing::UsersInRect;
using Shards = std::vector<std::vector<uint64_t>>;

double Wrap(double lng) {
  while (lng > 180) lng -= 360;
  while (lng < -180) lng += 360;
  return lng;
}

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }

// A closed ring around (clat, clng) with n vertices at radius r_deg
// (longitude stretched by 1/cos(lat) so the shape is round-ish on the
// ground); star-shaped when `star` (alternate vertices pulled in), in random
// orientation.
LatLngRing RoundRing(std::mt19937_64& rng, double clat, double clng, double r_deg, int n,
                     bool star) {
  std::uniform_real_distribution<double> u(0, 1);
  LatLngRing ring;
  double stretch = 1 / std::max(0.2, std::cos(clat * M_PI / 180));
  for (int k = 0; k < n; ++k) {
    double theta = 2 * M_PI * (k + 0.4 * u(rng)) / n;
    double r = r_deg * (star && k % 2 == 1 ? 0.3 + 0.4 * u(rng) : 0.85 + 0.15 * u(rng));
    double lat = std::clamp(clat + r * std::sin(theta), -89.9, 89.9);
    ring.push_back(Deg(lat, Wrap(clng + r * std::cos(theta) * stretch)));
  }
  if (u(rng) < 0.5) std::reverse(ring.begin(), ring.end());
  ring.push_back(ring.front());
  return ring;
}

enum Kind {
  kConvex,
  kStar,
  kHoles,
  kMulti,
  kSmallCircle,
  kLargeCircle,
  kHemisphereCircle,
  kFullCircle,
  kCityBlock,
  kContinent,
  kNorthPolarRing,
  kSouthPolarRing,
  kGeoJsonPolar,
  kAntimeridianCap,
  kAntimeridianStar,
  kNumKinds
};

const char* KindName(int kind) {
  static const char* kNames[] = {"Convex",        "Star",           "Holes",
                                 "Multi",         "SmallCircle",    "LargeCircle",
                                 "HemisphereCircle", "FullCircle",  "CityBlock",
                                 "Continent",     "NorthPolarRing", "SouthPolarRing",
                                 "GeoJsonPolar",  "AntimeridianCap", "AntimeridianStar"};
  return kNames[kind];
}

// Builds a random area of `kind`; retries (new random draws) when a random
// ring happens to be invalid (e.g. a geodesic star crossing itself).
std::unique_ptr<AlertArea> MakeArea(int kind, std::mt19937_64& rng, EdgeModel edges,
                                    std::string* what) {
  std::uniform_real_distribution<double> u(0, 1);
  auto lat_in = [&](double r) { return (u(rng) * 2 - 1) * (80 - r); };
  auto lng_any = [&] { return u(rng) * 360 - 180; };
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto area = std::make_unique<AlertArea>();
    std::vector<std::vector<LatLngRing>> polygons;
    switch (kind) {
      case kConvex: {
        double r = 0.05 + 10 * u(rng);
        polygons.push_back({RoundRing(rng, lat_in(r), lng_any(), r, 3 + rng() % 12, false)});
        break;
      }
      case kStar: {
        double r = 0.05 + 10 * u(rng);
        polygons.push_back({RoundRing(rng, lat_in(r), lng_any(), r, 6 + 2 * (rng() % 10), true)});
        break;
      }
      case kHoles: {
        double r = 0.1 + 8 * u(rng);
        double clat = lat_in(r), clng = lng_any();
        std::vector<LatLngRing> rings = {RoundRing(rng, clat, clng, r, 10 + rng() % 10, true)};
        rings.push_back(RoundRing(rng, clat, clng, 0.15 * r, 5 + rng() % 5, false));
        double stretch = 1 / std::cos(clat * M_PI / 180);
        rings.push_back(RoundRing(rng, clat + 0.22 * r, Wrap(clng + 0.05 * r * stretch), 0.05 * r,
                                  4, false));
        polygons.push_back(rings);
        break;
      }
      case kMulti: {
        double clat = lat_in(15), clng = lng_any();
        int parts = 2 + rng() % 3;
        for (int i = 0; i < parts; ++i) {
          double r = 0.1 + 4 * u(rng);
          polygons.push_back({RoundRing(rng, clat + 10 * (u(rng) - 0.5),
                                        Wrap(clng + 10 * (u(rng) - 0.5)), r, 3 + rng() % 8,
                                        u(rng) < 0.5)});
        }
        if (u(rng) < 0.5) area->AddCap(MakeCircle(Deg(clat, clng), 50 + 300 * u(rng)));
        break;
      }
      case kSmallCircle:
        area->AddCap(MakeCircle(Deg(lat_in(0), lng_any()), u(rng) < 0.5 ? 1.0 : 0.1 + 5 * u(rng)));
        break;
      case kLargeCircle:
        area->AddCap(MakeCircle(Deg(lat_in(0), lng_any()), 500 + 4500 * u(rng)));
        break;
      case kHemisphereCircle:  // wider than a hemisphere (> 10,007 km)
        area->AddCap(MakeCircle(Deg(lat_in(0), lng_any()), 10100 + 9000 * u(rng)));
        break;
      case kFullCircle:
        area->AddCap(MakeCircle(Deg(lat_in(0), lng_any()), 20100 + 10000 * u(rng)));
        break;
      case kCityBlock: {  // about 100 m across
        double r = 0.0009 * (0.5 + u(rng));
        polygons.push_back({RoundRing(rng, lat_in(1), lng_any(), r, 4 + rng() % 3, false)});
        break;
      }
      case kContinent: {
        double lat0 = -50 + 40 * u(rng), lat1 = lat0 + 30 + 30 * u(rng);
        double lng0 = lng_any(), lng1 = lng0 + 40 + 60 * u(rng);
        double mid = (lng0 + lng1) / 2;
        polygons.push_back({{Deg(lat0, Wrap(lng0)), Deg(lat0, Wrap(mid)), Deg(lat0, Wrap(lng1)),
                             Deg(lat1, Wrap(lng1 - 10)), Deg((lat0 + lat1) / 2, Wrap(mid)),
                             Deg(lat1, Wrap(lng0 + 10)), Deg(lat0, Wrap(lng0))}});
        break;
      }
      case kNorthPolarRing:
      case kSouthPolarRing: {
        double lat = (kind == kNorthPolarRing ? 1 : -1) * (60 + 29 * u(rng));
        double lng0 = lng_any();
        LatLngRing ring;
        for (int k = 0; k < 4; ++k) ring.push_back(Deg(lat, Wrap(lng0 + 90 * k)));
        ring.push_back(ring.front());
        if (u(rng) < 0.5) std::reverse(ring.begin(), ring.end());
        polygons.push_back({ring});
        break;
      }
      case kGeoJsonPolar: {
        bool north = u(rng) < 0.5;
        int lat = north ? 60 + rng() % 29 : -(60 + static_cast<int>(rng() % 29));
        int pole = north ? 90 : -90;
        std::string text = absl::StrCat(
            R"({"type":"Polygon","coordinates":[[[-180,)", lat, "],[180,", lat, "],[180,", pole,
            "],[-180,", pole, "],[-180,", lat, "]]]}");
        GeoJsonOptions options;  // A ring along a whole parallel exists only with planar edges.
        options.edges = EdgeModel::kPlanar;
        auto parsed = ParseGeoJsonArea(text, options);
        if (!parsed.ok()) {
          ADD_FAILURE() << text << ": " << parsed.status();
          return nullptr;
        }
        *what = text;
        return *std::move(parsed);
      }
      case kAntimeridianCap: {
        // CAP-style ring: "50,170 50,-170 60,-170 60,170 50,170" and random
        // variants; with the short-way rule it spans 2*w degrees.
        double lat0 = lat_in(20), lat1 = lat0 + 1 + 15 * u(rng);
        double w = 1 + 20 * u(rng);
        polygons.push_back({{Deg(lat0, 180 - w), Deg(lat0, -180 + w), Deg(lat1, -180 + w),
                             Deg(lat1, 180 - w), Deg(lat0, 180 - w)}});
        break;
      }
      case kAntimeridianStar: {
        double r = 0.5 + 10 * u(rng);
        polygons.push_back(
            {RoundRing(rng, lat_in(r), u(rng) < 0.5 ? 179.5 : -179.5, r, 6 + 2 * (rng() % 6),
                       true)});
        break;
      }
    }
    bool ok = true;
    *what = absl::StrCat(KindName(kind), " ", EdgeModelName(edges));
    for (const auto& rings : polygons) {
      for (const auto& ring : rings) {
        absl::StrAppend(what, " |");
        for (const S2LatLng& v : ring) {
          absl::StrAppend(what, " ", v.lat().degrees(), ",", v.lng().degrees());
        }
      }
      auto polygon = BuildPolygon(rings, edges);
      if (!polygon.ok()) {
        ok = false;
        break;
      }
      area->AddPolygon(*std::move(polygon));
    }
    for (int i = 0; i < area->num_caps(); ++i) {
      absl::StrAppend(what, " cap ", S2LatLng(area->cap(i).center()).ToStringInDegrees(), " r=",
                      area->cap(i).GetRadius().degrees(), "deg");
    }
    if (!ok) continue;
    area->Finalize();
    return area;
  }
  ADD_FAILURE() << "could not draw a valid area of kind " << KindName(kind);
  return nullptr;
}

// Compares shard lists, reporting the first differences (not the whole lists).
void ExpectSameShards(const Shards& got, const Shards& want, const std::string& context) {
  ASSERT_EQ(got.size(), want.size()) << context;
  for (size_t s = 0; s < got.size(); ++s) {
    if (got[s] == want[s]) continue;
    std::vector<uint64_t> extra, missing;
    std::set_difference(got[s].begin(), got[s].end(), want[s].begin(), want[s].end(),
                        std::back_inserter(extra));
    std::set_difference(want[s].begin(), want[s].end(), got[s].begin(), got[s].end(),
                        std::back_inserter(missing));
    ADD_FAILURE() << context << "\nshard " << s << ": got " << got[s].size() << " users, want "
                  << want[s].size() << "; " << extra.size() << " extra (first "
                  << (extra.empty() ? 0 : extra[0]) << "), " << missing.size()
                  << " missing (first " << (missing.empty() ? 0 : missing[0]) << ")";
    return;
  }
}

// Every id once overall, and in shard Mix64(id) % shards.
void ExpectWellSharded(const DeliveryLists& lists, uint32_t shards, const std::string& context) {
  ASSERT_EQ(lists.shards.size(), shards) << context;
  std::vector<uint64_t> all;
  for (uint32_t s = 0; s < shards; ++s) {
    for (uint64_t id : lists.shards[s]) {
      ASSERT_EQ(Mix64(id) % shards, s) << context << " user " << id;
      all.push_back(id);
    }
  }
  std::sort(all.begin(), all.end());
  ASSERT_TRUE(std::adjacent_find(all.begin(), all.end()) == all.end())
      << context << ": a user is delivered twice";
}

struct OptionSet {
  size_t refine_min_entries;
  size_t chunk_entries;
  int max_cells;
  uint32_t shards;
};

class ExecutorPropertyTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(ExecutorPropertyTest, MatchesBruteForceReference) {
  const int kind = std::get<0>(GetParam());
  const int round = std::get<1>(GetParam());
  const uint64_t seed = 1000 * kind + round;
  std::mt19937_64 rng(seed);
  const EdgeModel edges = round % 2 == 0 ? EdgeModel::kPlanar : EdgeModel::kGeodesic;
  std::string what;
  std::unique_ptr<AlertArea> area = MakeArea(kind, rng, edges, &what);
  ASSERT_NE(area, nullptr);

  // Users everywhere, plus many inside the area's bounding box (expanded a
  // little) so that its boundary is crowded.
  const size_t uniform = 10000 + rng() % 20000, dense = 10000 + rng() % 20000;
  std::vector<UserRecord> users = RandomUsers(seed, uniform);
  S2LatLngRect box = area->GetRectBound();
  box = box.Expanded(S2LatLng::FromRadians(box.lat().GetLength() * 0.1,
                                           box.lng().GetLength() * 0.1));
  std::vector<UserRecord> near = UsersInRect(seed, dense, box.PolarClosure());
  users.insert(users.end(), near.begin(), near.end());
  std::shuffle(users.begin(), users.end(), rng);
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok()) << index.status();

  const std::vector<OptionSet> options_to_try = {
      {128, 32768, 512, 256},
      {1, 7, 8, 7},
      {16, 7, 1000, 1},
      {64, 4096, 128, 16},
      {1000000000, 1000, 8, 256},
      {static_cast<size_t>(1 + rng() % 200), static_cast<size_t>(1 + rng() % 5000),
       8 + static_cast<int>(rng() % 1000), static_cast<uint32_t>(1 + rng() % 300)},
  };
  uint64_t matched_first = 0;
  for (size_t o = 0; o < options_to_try.size(); ++o) {
    const OptionSet& os = options_to_try[o];
    AlertExecutor::Options options;
    options.refine_min_entries = os.refine_min_entries;
    options.chunk_entries = os.chunk_entries;
    options.covering.max_cells = os.max_cells;
    options.shards = os.shards;
    std::string context =
        absl::StrCat(what, "\nseed ", seed, " users ", (*index)->size(), " options #", o,
                     " refine ", os.refine_min_entries, " chunk ", os.chunk_entries,
                     " max_cells ", os.max_cells, " shards ", os.shards);
    AlertExecutor executor(**index, options);
    AlertSummary summary;
    auto lists = executor.Execute(*area, &summary);
    ASSERT_TRUE(lists.ok()) << context << lists.status();
    ExpectWellSharded(*lists, os.shards, context);
    Shards want = ReferenceShards(**index, *area, os.shards);
    ExpectSameShards(SortedShards(*lists), want, context);

    auto policy = ShardPolicy::Create(os.shards);
    ASSERT_TRUE(policy.ok());
    ExpectSameShards(SortedShards(BruteForceScan(**index, *area, *policy)), want,
                     context + " (BruteForceScan)");

    EXPECT_EQ(summary.matched, lists->total()) << context;
    ASSERT_EQ(summary.per_shard.size(), os.shards) << context;
    for (uint32_t s = 0; s < os.shards; ++s) {
      EXPECT_EQ(summary.per_shard[s], lists->shards[s].size()) << context;
    }
    EXPECT_GE(summary.interior_entries + summary.tested_entries, summary.matched) << context;
    if (o == 0) matched_first = lists->total();
    EXPECT_EQ(lists->total(), matched_first) << context;
  }
  // The dense users make nearly every area non-trivial; a full circle holds
  // everyone.
  if (kind == kFullCircle) {
    EXPECT_EQ(matched_first, (*index)->size()) << what;
  }
  EXPECT_GT(matched_first, 0u) << what;
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, ExecutorPropertyTest,
    ::testing::Combine(::testing::Range(0, static_cast<int>(kNumKinds)), ::testing::Range(0, 6)),
    [](const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
      return absl::StrCat(KindName(std::get<0>(info.param)), "_", std::get<1>(info.param));
    });

// The plan's ranges are disjoint, in index order, and inside the index.
TEST(AlertExecutorTest, PlanRangesAreOrderedAndDisjoint) {
  std::mt19937_64 rng(7);
  for (int kind : {kStar, kHoles, kContinent, kAntimeridianCap}) {
    std::string what;
    auto area = MakeArea(kind, rng, EdgeModel::kPlanar, &what);
    ASSERT_NE(area, nullptr);
    std::vector<UserRecord> users = UsersInRect(kind, 20000, area->GetRectBound());
    auto index = LocationIndex::Build(users, {});
    ASSERT_TRUE(index.ok());
    for (size_t refine : {1, 16, 128}) {
      AlertExecutor::Options options;
      options.refine_min_entries = refine;
      AlertExecutor executor(**index, options);
      std::vector<internal::ScanRange> plan = internal::AlertExecutorPeer::Plan(
          executor, *area, CoverArea(*area, options.covering));
      size_t last_end = 0;
      for (const internal::ScanRange& r : plan) {
        EXPECT_LE(last_end, r.begin) << what;
        EXPECT_LT(r.begin, r.end) << what;
        last_end = r.end;
      }
      EXPECT_LE(last_end, (*index)->size()) << what;
    }
  }
}

// Long interior ranges: the counting pass adds up the index's per-block
// counts of hash bytes for their whole blocks (shard_scatter.cc) and counts
// the rest entry by entry. Every fleet size the shortcut serves (masks of
// 0 to 255 bits) and two it does not, against the reference.
TEST(AlertExecutorTest, LongInteriorRangesAreCountedByBlocks) {
  const S2LatLngRect box(S2LatLng::FromDegrees(29, -96), S2LatLng::FromDegrees(30.5, -94.5));
  auto index = LocationIndex::Build(UsersInRect(31, 300000, box), {});
  ASSERT_TRUE(index.ok()) << index.status();
  // Most of the box, less a hole: long interior ranges, and boundaries.
  auto polygon = BuildPolygon(
      {{S2LatLng::FromDegrees(28.9, -96.1), S2LatLng::FromDegrees(28.9, -94.4),
        S2LatLng::FromDegrees(30.3, -94.4), S2LatLng::FromDegrees(30.3, -96.1),
        S2LatLng::FromDegrees(28.9, -96.1)},
       {S2LatLng::FromDegrees(29.5, -95.5), S2LatLng::FromDegrees(29.5, -95.2),
        S2LatLng::FromDegrees(29.8, -95.2), S2LatLng::FromDegrees(29.8, -95.5),
        S2LatLng::FromDegrees(29.5, -95.5)}},
      EdgeModel::kPlanar);
  ASSERT_TRUE(polygon.ok()) << polygon.status();
  AlertArea area;
  area.AddPolygon(*std::move(polygon));
  area.Finalize();
  for (uint32_t shards : {1u, 2u, 16u, 256u, 7u, 1024u}) {
    for (size_t chunk : {size_t{5000}, size_t{32768}, size_t{1} << 22}) {
      AlertExecutor::Options options;
      options.shards = shards;
      options.chunk_entries = chunk;
      AlertSummary summary;
      auto lists = AlertExecutor(**index, options).Execute(area, &summary);
      ASSERT_TRUE(lists.ok()) << lists.status();
      const std::string context = absl::StrCat("shards ", shards, " chunk ", chunk);
      ASSERT_GT(summary.interior_entries, 100000u) << context;
      ExpectWellSharded(*lists, shards, context);
      ExpectSameShards(SortedShards(*lists), ReferenceShards(**index, area, shards), context);
    }
  }
}

// One DeliveryLists passed to alert after alert (large, small, empty,
// large again; fewer shards, then more): each time it holds exactly that
// alert's lists, and a list whose capacity sufficed kept its memory.
TEST(AlertExecutorTest, ReusedListsHoldExactlyEachAlert) {
  const S2LatLngRect box(S2LatLng::FromDegrees(29, -96), S2LatLng::FromDegrees(30.5, -94.5));
  auto index = LocationIndex::Build(UsersInRect(32, 100000, box), {});
  ASSERT_TRUE(index.ok()) << index.status();
  auto make = [](double lat, double lng, double km) {
    auto area = std::make_unique<AlertArea>();
    area->AddCap(MakeCircle(S2LatLng::FromDegrees(lat, lng), km));
    area->Finalize();
    return area;
  };
  auto large = make(29.75, -95.25, 80), small = make(29.6, -95.6, 5), none = make(0, 0, 1);
  DeliveryLists lists;
  const uint64_t* first_list_memory = nullptr;
  int step = 0;
  for (auto [area, shards] : std::vector<std::pair<const AlertArea*, uint32_t>>{
           {large.get(), 64}, {small.get(), 64}, {none.get(), 8}, {large.get(), 64},
           {small.get(), 256}}) {
    AlertExecutor::Options options;
    options.shards = shards;
    AlertSummary summary;
    ASSERT_TRUE(AlertExecutor(**index, options).Execute(*area, &lists, &summary).ok());
    const std::string context = absl::StrCat("step ", step);
    ASSERT_EQ(lists.shards.size(), shards) << context;
    ExpectWellSharded(lists, shards, context);
    ExpectSameShards(SortedShards(lists), ReferenceShards(**index, *area, shards), context);
    EXPECT_EQ(summary.matched, lists.total()) << context;
    if (step == 0) {
      ASSERT_GT(summary.matched, 1000u);
      first_list_memory = lists.shards[0].data();
    }
    // The small alert fits in the large one's memory: no new allocation.
    if (step == 1) {
      EXPECT_EQ(lists.shards[0].data(), first_list_memory) << context;
    }
    ++step;
  }
}

TEST(AlertExecutorTest, EmptyAreaMatchesNobody) {
  auto index = LocationIndex::Build(RandomUsers(3, 5000), {});
  ASSERT_TRUE(index.ok());
  AlertArea empty;
  empty.AddCap(S2Cap::Empty());
  empty.Finalize();
  for (uint32_t shards : {1u, 7u, 256u}) {
    AlertExecutor::Options options;
    options.shards = shards;
    AlertSummary summary;
    auto lists = AlertExecutor(**index, options).Execute(empty, &summary);
    ASSERT_TRUE(lists.ok());
    ASSERT_EQ(lists->shards.size(), shards);
    for (const auto& s : lists->shards) EXPECT_TRUE(s.empty());
    EXPECT_EQ(summary.matched, 0u);
  }
}

TEST(AlertExecutorTest, AreaWithoutUsersMatchesNobody) {
  // Users only in the northern hemisphere; the area is in the south.
  auto index = LocationIndex::Build(RandomUsers(4, 20000, 10, 80), {});
  ASSERT_TRUE(index.ok());
  AlertArea area;
  area.AddCap(MakeCircle(Deg(-40, 20), 500));
  auto polygon = BuildPolygon({{Deg(-30, 0), Deg(-30, 10), Deg(-20, 10), Deg(-30, 0)}},
                              EdgeModel::kPlanar);
  ASSERT_TRUE(polygon.ok());
  area.AddPolygon(*std::move(polygon));
  area.Finalize();
  AlertExecutor::Options options;
  options.shards = 7;
  auto lists = AlertExecutor(**index, options).Execute(area, nullptr);
  ASSERT_TRUE(lists.ok());
  ASSERT_EQ(lists->shards.size(), 7u);
  for (const auto& s : lists->shards) EXPECT_TRUE(s.empty());
}

TEST(AlertExecutorTest, IndexWithNoUsers) {
  auto index = LocationIndex::Build({}, {});
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->size(), 0u);
  AlertArea area;
  area.AddCap(S2Cap::Full());
  area.Finalize();
  AlertExecutor::Options options;
  options.shards = 5;
  auto lists = AlertExecutor(**index, options).Execute(area, nullptr);
  ASSERT_TRUE(lists.ok());
  ASSERT_EQ(lists->shards.size(), 5u);
  EXPECT_EQ(lists->total(), 0u);
}

TEST(AlertExecutorTest, InvalidOptionsAreRefused) {
  auto index = LocationIndex::Build(RandomUsers(5, 100), {});
  ASSERT_TRUE(index.ok());
  AlertArea area;
  area.AddCap(S2Cap::Full());
  auto expect_invalid = [&](AlertExecutor::Options options) {
    auto lists = AlertExecutor(**index, options).Execute(area, nullptr);
    EXPECT_EQ(lists.status().code(), absl::StatusCode::kInvalidArgument);
  };
  AlertExecutor::Options o;
  o.shards = 0;
  expect_invalid(o);
  o = {};
  o.shards = ShardPolicy::kMaxShards + 1;
  expect_invalid(o);
  o = {};
  o.refine_min_entries = 0;
  expect_invalid(o);
  o = {};
  o.chunk_entries = 0;
  expect_invalid(o);
  o = {};
  o.covering.max_cells = 7;
  expect_invalid(o);
  o = {};
  o.covering.max_level = 31;
  expect_invalid(o);
}

// Users exactly at the poles and on the antimeridian (lng 180 and -180) are
// found by areas that contain those places in their interior.
TEST(AlertExecutorTest, UsersAtPolesAndOnAntimeridian) {
  std::vector<UserRecord> users = RandomUsers(6, 5000);
  const std::vector<UserRecord> special = {
      UserRecord::FromDegrees(1, 90, 0),    UserRecord::FromDegrees(2, 90, 123.4),
      UserRecord::FromDegrees(3, -90, 0),   UserRecord::FromDegrees(4, -90, -77),
      UserRecord::FromDegrees(5, 0, 180),   UserRecord::FromDegrees(6, 0, -180),
      UserRecord::FromDegrees(7, 10, 180),  UserRecord::FromDegrees(8, -5, -180),
      UserRecord::FromDegrees(9, 55, 180),  UserRecord::FromDegrees(10, 55, -180),
  };
  users.insert(users.end(), special.begin(), special.end());
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok());

  auto find = [&](const AlertArea& area, const std::string& what) {
    AlertExecutor::Options options;
    options.shards = 7;
    options.refine_min_entries = 1;
    auto lists = AlertExecutor(**index, options).Execute(area, nullptr);
    EXPECT_TRUE(lists.ok());
    std::set<uint64_t> found;
    for (const auto& s : lists->shards) found.insert(s.begin(), s.end());
    ExpectSameShards(SortedShards(*lists), ReferenceShards(**index, area, 7), what);
    return found;
  };
  for (EdgeModel edges : {EdgeModel::kPlanar, EdgeModel::kGeodesic}) {
    std::string model(EdgeModelName(edges));
    {  // "80,0 80,90 80,180 80,-90 80,0": the cap north of 80.
      auto polygon = BuildPolygon(
          {{Deg(80, 0), Deg(80, 90), Deg(80, 180), Deg(80, -90), Deg(80, 0)}}, edges);
      ASSERT_TRUE(polygon.ok()) << polygon.status();
      AlertArea area;
      area.AddPolygon(*std::move(polygon));
      area.Finalize();
      auto found = find(area, "north ring " + model);
      EXPECT_EQ(found.count(1), 1u) << model;
      EXPECT_EQ(found.count(2), 1u) << model;
      EXPECT_EQ(found.count(3), 0u) << model;
    }
    {
      auto polygon = BuildPolygon(
          {{Deg(-75, 10), Deg(-75, 100), Deg(-75, -170), Deg(-75, -80), Deg(-75, 10)}}, edges);
      ASSERT_TRUE(polygon.ok()) << polygon.status();
      AlertArea area;
      area.AddPolygon(*std::move(polygon));
      area.Finalize();
      auto found = find(area, "south ring " + model);
      EXPECT_EQ(found.count(3), 1u) << model;
      EXPECT_EQ(found.count(4), 1u) << model;
      EXPECT_EQ(found.count(1), 0u) << model;
    }
    {  // Straddles the antimeridian: 20 degrees wide by the short-way rule.
      auto polygon = BuildPolygon(
          {{Deg(-10, 170), Deg(-10, -170), Deg(20, -170), Deg(20, 170), Deg(-10, 170)}}, edges);
      ASSERT_TRUE(polygon.ok()) << polygon.status();
      AlertArea area;
      area.AddPolygon(*std::move(polygon));
      area.Finalize();
      auto found = find(area, "antimeridian " + model);
      for (uint64_t id : {5, 6, 7, 8}) EXPECT_EQ(found.count(id), 1u) << model << " user " << id;
      EXPECT_EQ(found.count(9), 0u);
      // A user at lng 0 must not be in it (the long way round would be 340 degrees).
      EXPECT_LT(found.size(), 5000u * 30 / 360) << model;
    }
    {  // The CAP example "50,170 50,-170 60,-170 60,170 50,170".
      auto polygon = BuildPolygon(
          {{Deg(50, 170), Deg(50, -170), Deg(60, -170), Deg(60, 170), Deg(50, 170)}}, edges);
      ASSERT_TRUE(polygon.ok()) << polygon.status();
      AlertArea area;
      area.AddPolygon(*std::move(polygon));
      area.Finalize();
      auto found = find(area, "CAP antimeridian " + model);
      EXPECT_EQ(found.count(9), 1u) << model;
      EXPECT_EQ(found.count(10), 1u) << model;
      EXPECT_EQ(found.count(7), 0u) << model;
    }
  }
  {  // GeoJSON polar rectangles: users at the pole are inside.
    for (const char* text :
         {R"({"type":"Polygon","coordinates":[[[-180,80],[180,80],[180,90],[-180,90],[-180,80]]]})",
          R"({"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,-80],[-180,-80],[-180,-90]]]})"}) {
      auto area = ParseGeoJsonArea(text, {});
      ASSERT_TRUE(area.ok()) << area.status();
      auto found = find(**area, text);
      bool north = std::string(text).find("[180,80]") != std::string::npos;
      EXPECT_EQ(found.count(north ? 1 : 3), 1u) << text;
      EXPECT_EQ(found.count(north ? 2 : 4), 1u) << text;
      EXPECT_EQ(found.count(north ? 3 : 1), 0u) << text;
    }
  }
  {  // Circles around each pole and on the antimeridian.
    AlertArea north;
    north.AddCap(MakeCircle(Deg(90, 0), 100));
    auto found = find(north, "north circle");
    EXPECT_EQ(found.count(1) + found.count(2), 2u);
    AlertArea south;
    south.AddCap(MakeCircle(Deg(-89.5, 45), 100));
    found = find(south, "south circle");
    EXPECT_EQ(found.count(3) + found.count(4), 2u);
    AlertArea dateline;
    dateline.AddCap(MakeCircle(Deg(0, -179.9), 50));
    found = find(dateline, "dateline circle");
    EXPECT_EQ(found.count(5) + found.count(6), 2u);
  }
}

}  // namespace
}  // namespace fanout
