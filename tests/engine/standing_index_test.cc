// Copyright 2026 The fan-out engine authors.
//
// StandingIndex (engine/internal/standing_index.h), the update path's and
// the feed lookups' index of active areas, against brute force
// (AlertArea::Contains of every area at the leaf cell's centre) on random
// circles and polygons, including ones around a pole and across the
// antimeridian, and random points near them, at the poles and on the
// antimeridian; with the engine's refined coverings and with other
// refinements (RefineForPoints), whose result must stay a covering.

#include "engine/internal/standing_index.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/internal/standing_tracker.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"

namespace fanout {
namespace internal {
namespace {

struct Shape {
  double lat, lng, km;
  bool circle;
};

// CAP text of a ring of `n` vertices at about `km` around the centre
// (longitudes wrapped into [-180, 180], so a ring may cross the
// antimeridian), or a circle.
StandingRecipe RecipeOf(int i, const Shape& s, std::mt19937_64& rng) {
  StandingRecipe r;
  r.id = absl::StrCat("a", i);
  r.shards = 1;
  if (s.circle) {
    r.format = static_cast<uint8_t>(AlertFormat::kCircle);
    r.text = absl::StrFormat("%.7f,%.7f %.3f", s.lat, s.lng, s.km);
    return r;
  }
  r.format = static_cast<uint8_t>(AlertFormat::kPolygon);
  std::uniform_real_distribution<double> u(0.6, 1.0);
  const int n = 5 + static_cast<int>(rng() % 6);
  std::string text, first;
  for (int k = 0; k < n; ++k) {
    const double angle = 2 * M_PI * k / n;
    const double r_km = s.km * u(rng);
    const double lat = std::clamp(s.lat + r_km * std::cos(angle) / 111.2, -89.9, 89.9);
    double lng = s.lng + r_km * std::sin(angle) /
                             (111.2 * std::max(0.05, std::cos(s.lat * M_PI / 180)));
    lng = std::remainder(lng, 360.0);
    const std::string pair = absl::StrFormat("%.7f,%.7f", lat, lng);
    if (k == 0) first = pair;
    absl::StrAppend(&text, pair, " ");
  }
  r.text = text + first;
  return r;
}

std::vector<Shape> RandomShapes(std::mt19937_64& rng, int n) {
  std::uniform_real_distribution<double> lat(-60, 60), lng(-180, 180), unit(0, 1);
  std::vector<Shape> shapes;
  for (int i = 0; i < n; ++i) {
    Shape s{lat(rng), lng(rng), 0.5 + 80 * unit(rng) * unit(rng), rng() % 2 == 0};
    switch (i % 5) {
      case 0: s.lat = 90 - 3 * unit(rng); break;                       // around the north pole
      case 1: s.lat = -90 + 3 * unit(rng); break;                      // the south pole
      case 2: s.lng = (rng() % 2 ? 179.9 : -179.9) + 0.05 * unit(rng); break;  // the antimeridian
      default: break;
    }
    shapes.push_back(s);
  }
  return shapes;
}

// Points near the shapes, at the poles and along the antimeridian.
std::vector<UserRecord> RandomPoints(std::mt19937_64& rng, const std::vector<Shape>& shapes,
                                     int n) {
  std::uniform_real_distribution<double> unit(0, 1), sym(-1, 1);
  std::vector<UserRecord> points;
  for (int i = 0; i < n; ++i) {
    double lat, lng;
    switch (i % 10) {
      case 0: lat = rng() % 2 ? 90 : -90, lng = 360 * unit(rng) - 180; break;
      case 1: lat = 180 * unit(rng) - 90, lng = rng() % 2 ? 180 : -180; break;
      default: {
        const Shape& s = shapes[rng() % shapes.size()];
        const double r = 1.5 * s.km * unit(rng) / 111.2;
        lat = std::clamp(s.lat + r * sym(rng), -90.0, 90.0);
        lng = std::remainder(
            s.lng + r * sym(rng) / std::max(0.02, std::cos(lat * M_PI / 180)), 360.0);
      }
    }
    points.push_back(UserRecord::FromDegrees(static_cast<uint64_t>(i), lat, lng));
  }
  return points;
}

std::vector<uint32_t> BruteForce(const std::vector<std::shared_ptr<const ActiveArea>>& areas,
                                 S2CellId leaf) {
  std::vector<uint32_t> in;
  const S2Point p = leaf.ToPoint();
  for (uint32_t i = 0; i < areas.size(); ++i) {
    if (areas[i]->area->Contains(p)) in.push_back(i);
  }
  return in;
}

void ExpectMatchesBruteForce(const std::vector<std::shared_ptr<const ActiveArea>>& areas,
                             const std::vector<UserRecord>& points,
                             int coarse_level = StandingIndex::kCoarseLevel,
                             bool expect_inside = true) {
  auto index = StandingIndex::Build(areas, coarse_level);
  std::vector<LocationUpdate> updates;
  std::vector<uint64_t> cells;
  std::vector<StandingIndex::Hit> expected;
  size_t inside = 0;
  for (size_t k = 0; k < points.size(); ++k) {
    const UserRecord& r = points[k];
    if (k % 7 == 3) {
      updates.push_back(LocationUpdate::Remove(r.user_id));  // hits nothing
      cells.push_back(0);
      continue;
    }
    updates.push_back(LocationUpdate::Upsert(r));
    const S2CellId leaf = r.ToCellId();
    cells.push_back(leaf.id());
    const std::vector<uint32_t> want = BruteForce(areas, leaf);
    inside += !want.empty();
    for (uint32_t i : want) expected.push_back({i, static_cast<uint32_t>(k), 0});
    std::vector<uint32_t> got, at;
    index->ForEachContaining(leaf, [&](uint32_t i) { got.push_back(i); });
    index->ForEachAt(r.lat_e7, r.lng_e7, [&](uint32_t i) { at.push_back(i); });
    ASSERT_EQ(got, want) << "point " << r.lat() << "," << r.lng();
    ASSERT_EQ(at, want) << "point " << r.lat() << "," << r.lng();
  }
  if (expect_inside) {
    EXPECT_GT(inside, points.size() / 10);  // the test does probe the areas
  }
  for (bool given : {true, false}) {
    std::vector<StandingIndex::Hit> hits;
    index->CollectHits(updates, given ? absl::MakeConstSpan(cells) : absl::Span<const uint64_t>(),
                       &hits);
    ASSERT_EQ(hits.size(), expected.size());
    for (size_t h = 0; h < hits.size(); ++h) {
      ASSERT_EQ(hits[h].slot, expected[h].slot) << h;
      ASSERT_EQ(hits[h].k, expected[h].k) << h;
      // An interior hit names the interval of its cell: the cell itself is
      // in the same interior run, the cells of other updates in it only
      // when brute force puts them in the same area.
      if (hits[h].interior_run != StandingIndex::kBoundaryHit) {
        ASSERT_TRUE(index->SameInteriorRun(hits[h], cells[hits[h].k])) << h;
      } else {
        ASSERT_FALSE(index->SameInteriorRun(hits[h], cells[hits[h].k])) << h;
      }
      const size_t other = (h * 7919) % hits.size();
      if (index->SameInteriorRun(hits[h], cells[hits[other].k])) {
        const std::vector<uint32_t> in = BruteForce(areas, S2CellId(cells[hits[other].k]));
        ASSERT_TRUE(std::count(in.begin(), in.end(), hits[h].slot)) << h;
      }
    }
  }
}

TEST(StandingIndexTest, EngineCoveringsMatchBruteForce) {
  for (uint64_t seed : {1, 2, 3}) {
    std::mt19937_64 rng(seed);
    const std::vector<Shape> shapes = RandomShapes(rng, 40);
    std::vector<std::shared_ptr<const ActiveArea>> areas;
    for (size_t i = 0; i < shapes.size(); ++i) {
      auto area = BuildActiveArea(RecipeOf(static_cast<int>(i), shapes[i], rng));
      ASSERT_TRUE(area.ok()) << area.status();
      areas.push_back(*area);
    }
    ExpectMatchesBruteForce(areas, RandomPoints(rng, shapes, 20000));
  }
}

TEST(StandingIndexTest, OtherRefinementsMatchBruteForce) {
  std::mt19937_64 rng(9);
  const std::vector<Shape> shapes = RandomShapes(rng, 25);
  std::vector<std::shared_ptr<const ActiveArea>> built;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto area = BuildActiveArea(RecipeOf(static_cast<int>(i), shapes[i], rng));
    ASSERT_TRUE(area.ok()) << area.status();
    built.push_back(*area);
  }
  const std::vector<UserRecord> points = RandomPoints(rng, shapes, 10000);
  struct Refinement {
    int level;
    size_t cells;
  };
  for (const Refinement& r : {Refinement{0, 0}, Refinement{12, 16}, Refinement{20, 3000},
                              Refinement{30, 200}}) {
    SCOPED_TRACE(absl::StrCat("level ", r.level, ", cells ", r.cells));
    std::vector<std::shared_ptr<const ActiveArea>> areas;
    for (const auto& a : built) {
      auto copy = std::make_shared<ActiveArea>(*a);
      CoveringOptions options;
      options.max_cells = 16;
      copy->covering = CoverArea(*copy->area, options);
      const size_t unrefined = copy->covering.boundary.num_cells();
      if (r.level > 0) RefineForPoints(*copy->area, r.level, r.cells, &copy->covering);
      // Still a covering: the two unions are disjoint, the boundary within
      // the budget (unless the unrefined covering had more).
      EXPECT_FALSE(copy->covering.interior.Intersects(copy->covering.boundary));
      if (r.level > 0) {
        EXPECT_LE(copy->covering.boundary.num_cells(), std::max(r.cells, unrefined));
      }
      areas.push_back(std::move(copy));
    }
    ExpectMatchesBruteForce(areas, points);
  }
}

TEST(StandingIndexTest, RefinedInteriorIsInsideAndCoveringHoldsTheArea) {
  std::mt19937_64 rng(5);
  const std::vector<Shape> shapes = RandomShapes(rng, 15);
  std::uniform_real_distribution<double> unit(0, 1);
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto built = BuildActiveArea(RecipeOf(static_cast<int>(i), shapes[i], rng));
    ASSERT_TRUE(built.ok()) << built.status();
    const ActiveArea& a = **built;
    // Random leaves of interior cells are inside; random points of the
    // area are in one of the unions.
    for (int k = 0; k < 200 && a.covering.interior.num_cells() > 0; ++k) {
      const S2CellId c = a.covering.interior.cell_id(rng() % a.covering.interior.num_cells());
      const uint64_t span = c.range_max().id() - c.range_min().id();
      const S2CellId leaf(c.range_min().id() + (span == 0 ? 0 : (rng() % (span / 2 + 1)) * 2));
      ASSERT_TRUE(a.area->Contains(leaf.ToPoint())) << leaf.ToString();
    }
    for (const UserRecord& r : RandomPoints(rng, {shapes[i]}, 2000)) {
      const S2CellId leaf = r.ToCellId();
      if (!a.area->Contains(leaf.ToPoint())) continue;
      ASSERT_TRUE(a.covering.interior.Contains(leaf) || a.covering.boundary.Contains(leaf));
    }
  }
}

// The coarse table (StandingIndex::Build's coarse_level) at every kind of
// level: coarse cells wider than every area, about the engine's, finer
// than every covering cell; with the same answers.
TEST(StandingIndexTest, CoarseLevelsMatchBruteForce) {
  std::mt19937_64 rng(21);
  const std::vector<Shape> shapes = RandomShapes(rng, 30);
  std::vector<std::shared_ptr<const ActiveArea>> areas;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto area = BuildActiveArea(RecipeOf(static_cast<int>(i), shapes[i], rng));
    ASSERT_TRUE(area.ok()) << area.status();
    areas.push_back(*area);
  }
  const std::vector<UserRecord> points = RandomPoints(rng, shapes, 8000);
  for (int level : {0, 2, 6, 10, 13, 17}) {
    SCOPED_TRACE(absl::StrCat("coarse level ", level));
    ExpectMatchesBruteForce(areas, points, level);
  }
}

// Areas whose coverings hold cells much coarser than the table's level
// (continent-size circles): the table falls back to a coarser level within
// its budget, and answers the same.
TEST(StandingIndexTest, HugeAreasCoarsenTheTable) {
  std::mt19937_64 rng(22);
  std::vector<Shape> shapes = {{40, -100, 2500, true}, {-20, 130, 1800, false},
                               {10, 20, 300, true}, {60, 10, 3000, false}};
  std::vector<std::shared_ptr<const ActiveArea>> areas;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto area = BuildActiveArea(RecipeOf(static_cast<int>(i), shapes[i], rng));
    ASSERT_TRUE(area.ok()) << area.status();
    areas.push_back(*area);
  }
  auto index = StandingIndex::Build(areas, 20);
  EXPECT_LT(index->coarse_level(), 20);
  EXPECT_LE(index->coarse_cells(), StandingIndex::kMaxCoarseCells);
  ExpectMatchesBruteForce(areas, RandomPoints(rng, shapes, 6000), 20);
}

// No area, one, and a thousand small ones; points near the areas and
// anywhere on the globe (most far from every area).
TEST(StandingIndexTest, ZeroOneAndAThousandAreas) {
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<UserRecord> anywhere;
  for (int i = 0; i < 5000; ++i) {
    anywhere.push_back(UserRecord::FromDegrees(static_cast<uint64_t>(i), 180 * unit(rng) - 90,
                                               360 * unit(rng) - 180));
  }
  {
    auto index = StandingIndex::Build({});
    std::vector<LocationUpdate> updates;
    for (const UserRecord& r : anywhere) updates.push_back(LocationUpdate::Upsert(r));
    std::vector<StandingIndex::Hit> hits;
    index->CollectHits(updates, {}, &hits);
    EXPECT_TRUE(hits.empty());
    size_t n = 0;
    for (const UserRecord& r : anywhere) index->ForEachAt(r.lat_e7, r.lng_e7, [&](uint32_t) { ++n; });
    EXPECT_EQ(n, 0u);
  }
  for (int k : {1, 1000}) {
    SCOPED_TRACE(absl::StrCat(k, " areas"));
    std::vector<Shape> shapes;
    std::vector<std::shared_ptr<const ActiveArea>> areas;
    for (int i = 0; i < k; ++i) {
      // Clustered as the load test's are (areas at users' homes overlap).
      Shape s{30 + 10 * unit(rng), -100 + 15 * unit(rng), 0.3 + 30 * unit(rng) * unit(rng),
              rng() % 2 == 0};
      shapes.push_back(s);
      auto area = BuildActiveArea(RecipeOf(i, s, rng));
      ASSERT_TRUE(area.ok()) << area.status();
      areas.push_back(*area);
    }
    ExpectMatchesBruteForce(areas, RandomPoints(rng, shapes, 6000));
    ExpectMatchesBruteForce(areas, anywhere, StandingIndex::kCoarseLevel, /*expect_inside=*/false);
  }
}

// An area replaced (a CAP Update) changes the union: the index of the new
// set answers for the new area, not the old one, near both.
TEST(StandingIndexTest, ReplacedAreaChangesTheUnion) {
  std::mt19937_64 rng(24);
  std::vector<Shape> shapes = {{45, 7, 20, false}, {45.1, 7.2, 8, true}, {44.8, 6.9, 3, true}};
  std::vector<std::shared_ptr<const ActiveArea>> areas;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto area = BuildActiveArea(RecipeOf(static_cast<int>(i), shapes[i], rng));
    ASSERT_TRUE(area.ok()) << area.status();
    areas.push_back(*area);
  }
  const std::vector<Shape> grown = {{45, 7, 45, false}, {44.5, 7.5, 15, true}};
  std::vector<Shape> near = shapes;
  near.insert(near.end(), grown.begin(), grown.end());
  const std::vector<UserRecord> points = RandomPoints(rng, near, 8000);
  ExpectMatchesBruteForce(areas, points);
  for (size_t g = 0; g < grown.size(); ++g) {
    auto area = BuildActiveArea(RecipeOf(static_cast<int>(g), grown[g], rng));
    ASSERT_TRUE(area.ok()) << area.status();
    areas[g] = *area;  // grown (a larger polygon), then moved (a circle elsewhere)
    ExpectMatchesBruteForce(areas, points);
  }
}

}  // namespace
}  // namespace internal
}  // namespace fanout
