// Copyright 2026 The fan-out engine authors.

#include "geo/cell_classifier.h"

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/r2rect.h"
#include "s2/s2cell.h"
#include "s2/s2edge_clipping.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DataFeature;
using Relation = CellClassifier::Relation;

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }

struct NamedArea {
  std::string name;
  std::unique_ptr<AlertArea> area;
};

// Small and large polygons, a hole, the antimeridian, a pole, caps, and
// areas of several parts (where the classifier rejects parts by bound).
std::vector<NamedArea> Areas() {
  std::vector<NamedArea> areas;
  auto polygon = [](std::vector<LatLngRing> rings, EdgeModel edges) {
    auto built = BuildPolygon(rings, edges);
    EXPECT_TRUE(built.ok()) << built.status();
    return built.ok() ? *std::move(built) : std::make_unique<S2Polygon>();
  };
  auto add = [&](std::string name, std::unique_ptr<AlertArea> area) {
    area->Finalize();
    areas.push_back({std::move(name), std::move(area)});
  };
  auto one = [&](std::string name, std::unique_ptr<S2Polygon> p) {
    auto area = std::make_unique<AlertArea>();
    area->AddPolygon(std::move(p));
    add(std::move(name), std::move(area));
  };
  one("square", polygon({{Deg(29, -96), Deg(29, -95), Deg(30, -95), Deg(30, -96), Deg(29, -96)}},
                        EdgeModel::kPlanar));
  one("hole", polygon({{Deg(0, 0), Deg(0, 10), Deg(10, 10), Deg(10, 0), Deg(0, 0)},
                       {Deg(4, 4), Deg(4, 6), Deg(6, 6), Deg(6, 4), Deg(4, 4)}},
                      EdgeModel::kGeodesic));
  one("antimeridian",
      polygon({{Deg(50, 170), Deg(50, -170), Deg(60, -170), Deg(60, 170), Deg(50, 170)}},
              EdgeModel::kPlanar));
  one("pole", polygon({{Deg(80, 0), Deg(80, 90), Deg(80, 180), Deg(80, -90), Deg(80, 0)}},
                      EdgeModel::kPlanar));
  auto caps = std::make_unique<AlertArea>();
  caps->AddCap(MakeCircle(Deg(-33.9, 151.2), 50));
  caps->AddCap(MakeCircle(Deg(-33.5, 151.6), 20));
  add("caps", std::move(caps));
  auto mixed = std::make_unique<AlertArea>();
  mixed->AddPolygon(polygon({{Deg(29, -96), Deg(29, -95), Deg(30, -95), Deg(30, -96), Deg(29, -96)}},
                            EdgeModel::kPlanar));
  mixed->AddPolygon(polygon({{Deg(29.5, -95.5), Deg(29.5, -94), Deg(31, -94), Deg(31, -95.5),
                              Deg(29.5, -95.5)}},
                            EdgeModel::kGeodesic));
  mixed->AddPolygon(polygon({{Deg(40, 10), Deg(40, 11), Deg(41, 11), Deg(40, 10)}},
                            EdgeModel::kPlanar));
  mixed->AddCap(MakeCircle(Deg(30.2, -95.9), 30));
  add("mixed", std::move(mixed));
  // Many parts (an alert of one circle per <info>): caps and small
  // polygons scattered over a region, some overlapping, so that trails drop
  // most parts and keep a few.
  {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> lat(30, 34), lng(-100, -94), km(0.5, 30);
    auto many = std::make_unique<AlertArea>();
    for (int i = 0; i < 400; ++i) many->AddCap(MakeCircle(Deg(lat(rng), lng(rng)), km(rng)));
    for (int i = 0; i < 100; ++i) {
      const double a = lat(rng), b = lng(rng), d = 0.01 + 0.2 * (rng() % 100) / 100.0;
      many->AddPolygon(polygon({{Deg(a, b), Deg(a, b + d), Deg(a + d, b + d), Deg(a + d, b),
                                 Deg(a, b)}},
                               i % 2 ? EdgeModel::kPlanar : EdgeModel::kGeodesic));
    }
    add("many", std::move(many));
    auto caps_only = std::make_unique<AlertArea>();
    for (int i = 0; i < 1000; ++i) {
      caps_only->AddCap(MakeCircle(Deg(lat(rng), lng(rng)), km(rng) / 3));
    }
    add("many caps", std::move(caps_only));
  }
  add("texas", DataFeature("boundaries/us-states.geojson", "48"));
  add("harris", DataFeature("boundaries/us-counties.geojson", "48201"));
  add("nation", DataFeature("boundaries/us-nation.geojson", "US"));
  return areas;
}

Relation Reference(const AlertArea& area, const S2Cell& cell) {
  if (area.Contains(cell)) return Relation::kInside;
  return area.MayIntersect(cell) ? Relation::kBoundary : Relation::kOutside;
}

const char* Name(Relation r) {
  switch (r) {
    case Relation::kInside:
      return "inside";
    case Relation::kOutside:
      return "outside";
    case Relation::kBoundary:
      return "boundary";
  }
  return "?";
}

// A random point near the area: in its bounding rectangle, widened a little.
S2Point RandomPointNear(const AlertArea& area, std::mt19937_64& rng) {
  S2LatLngRect box = area.GetRectBound().Expanded(S2LatLng::FromDegrees(0.5, 0.5));
  std::uniform_real_distribution<double> u(0, 1);
  double lat = box.lat().lo() + u(rng) * box.lat().GetLength();
  double lng = box.lng().is_full() || box.lng().is_inverted()
                   ? -M_PI + 2 * M_PI * u(rng)
                   : box.lng().lo() + u(rng) * box.lng().GetLength();
  return S2LatLng::FromRadians(lat, lng).Normalized().ToPoint();
}

// The planner's use: walk from a face down to a leaf along a random point's
// ancestors, carrying the trail from parent to child, as long as cells are on
// the boundary. Every answer must be AlertArea's own.
// UvEdge::MeetsRect is S2::IntersectsRect inline, with the edge's part
// precomputed: the same answer on every input, including edges that touch
// a side or a corner exactly, degenerate edges and degenerate rectangles
// (coordinates drawn from a small grid make those common).
TEST(CellClassifierTest, EdgeRectTestIsS2s) {
  std::mt19937_64 rng(7);
  const double grid[] = {-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1};
  std::uniform_real_distribution<double> any(-1.1, 1.1);
  auto coord = [&] { return rng() % 2 ? grid[rng() % 9] : any(rng); };
  int differ = 0, met = 0;
  for (int n = 0; n < 2000000; ++n) {
    const R2Point a(coord(), coord()), b(coord(), coord());
    double u0 = coord(), u1 = coord(), v0 = coord(), v1 = coord();
    if (u0 > u1) std::swap(u0, u1);
    if (v0 > v1) std::swap(v0, v1);
    const R2Rect rect(R1Interval(u0, u1), R1Interval(v0, v1));
    const bool want = S2::IntersectsRect(a, b, rect);
    met += want;
    if (internal::UvEdge(a, b, true).MeetsRect(rect) != want && ++differ <= 5) {
      ADD_FAILURE() << "edge " << a << " " << b << " rect " << rect << ": S2 says " << want;
    }
  }
  EXPECT_EQ(differ, 0);
  EXPECT_GT(met, 100000);  // both answers are well represented
  EXPECT_LT(met, 1900000);
}

TEST(CellClassifierTest, AgreesWithAlertAreaAlongDescents) {
  std::mt19937_64 rng(11);
  for (const NamedArea& a : Areas()) {
    CellClassifier classifier(*a.area);
    int classified = 0, boundary = 0, settled = 0;
    for (int walk = 0; walk < 400; ++walk) {
      S2CellId leaf(RandomPointNear(*a.area, rng));
      CellClassifier::Trail trail = classifier.Root();
      for (int level = 0; level <= S2CellId::kMaxLevel; ++level) {
        S2Cell cell(leaf.parent(level));
        Relation got = classifier.Classify(cell, &trail);
        Relation want = Reference(*a.area, cell);
        ASSERT_EQ(got, want) << a.name << " cell " << cell.id().ToToken() << ": " << Name(got)
                             << ", AlertArea says " << Name(want);
        ++classified;
        if (got != Relation::kBoundary) {
          ++settled;
          break;
        }
        ++boundary;
      }
    }
    // The walks must reach both kinds of answer, or they test little.
    EXPECT_GT(boundary, 400) << a.name;
    EXPECT_GT(settled, 50) << a.name;
  }
}

// Parts far smaller than the cells around them (50-m squares a few hundred
// metres apart): the classifier rejects a part by comparing its bounding cap
// with the cell's, and must never reject one the cell reaches. Descents start
// next to the squares' corners, where cells of every level reach them.
TEST(CellClassifierTest, TinyPartsAreNeverRejectedByTheirBounds) {
  std::mt19937_64 rng(14);
  std::uniform_real_distribution<double> u(0, 1);
  auto area = std::make_unique<AlertArea>();
  std::vector<S2LatLng> corners;
  for (int i = 0; i < 40; ++i) {
    const double lat = 35 + 0.05 * u(rng), lng = -100 + 0.05 * u(rng), d = 0.0005;
    auto p = BuildPolygon({{Deg(lat, lng), Deg(lat, lng + d), Deg(lat + d, lng + d),
                            Deg(lat + d, lng), Deg(lat, lng)}},
                          EdgeModel::kGeodesic);
    ASSERT_TRUE(p.ok()) << p.status();
    area->AddPolygon(*std::move(p));
    corners.push_back(Deg(lat, lng));
    corners.push_back(Deg(lat + d, lng + d));
  }
  area->Finalize();
  CellClassifier classifier(*area);
  std::normal_distribution<double> jitter(0, 0.0003);
  int boundary = 0;
  for (const S2LatLng& corner : corners) {
    for (int walk = 0; walk < 10; ++walk) {
      S2CellId leaf(S2LatLng::FromDegrees(corner.lat().degrees() + jitter(rng),
                                          corner.lng().degrees() + jitter(rng)));
      CellClassifier::Trail trail = classifier.Root();
      for (int level = 0; level <= S2CellId::kMaxLevel; ++level) {
        S2Cell cell(leaf.parent(level));
        Relation got = classifier.Classify(cell, &trail);
        ASSERT_EQ(got, Reference(*area, cell)) << "cell " << cell.id().ToToken();
        if (got != Relation::kBoundary) break;
        if (level >= 12) ++boundary;
      }
    }
  }
  EXPECT_GT(boundary, 400);
}

// Fresh trails (every cell located from scratch) agree too, at any level.
TEST(CellClassifierTest, AgreesWithAlertAreaFromScratch) {
  std::mt19937_64 rng(12);
  for (const NamedArea& a : Areas()) {
    CellClassifier classifier(*a.area);
    for (int i = 0; i < 2000; ++i) {
      S2CellId leaf(RandomPointNear(*a.area, rng));
      S2Cell cell(leaf.parent(static_cast<int>(rng() % 25)));
      CellClassifier::Trail trail = classifier.Root();
      Relation got = classifier.Classify(cell, &trail);
      ASSERT_EQ(got, Reference(*a.area, cell)) << a.name << " cell " << cell.id().ToToken();
    }
  }
}

// The answers the planner acts on without testing points are certain: every
// point of an inside cell is in the area, no point of an outside cell is.
TEST(CellClassifierTest, InsideAndOutsideCellsHoldTheirPoints) {
  std::mt19937_64 rng(13);
  for (const NamedArea& a : Areas()) {
    CellClassifier classifier(*a.area);
    int checked = 0;
    for (int walk = 0; walk < 200; ++walk) {
      S2CellId leaf(RandomPointNear(*a.area, rng));
      CellClassifier::Trail trail = classifier.Root();
      for (int level = 0; level <= S2CellId::kMaxLevel; ++level) {
        S2CellId id = leaf.parent(level);
        Relation got = classifier.Classify(S2Cell(id), &trail);
        if (got == Relation::kBoundary) continue;
        // Leaves at the cell's corners and random ones inside it.
        std::vector<S2CellId> samples = {id.range_min(), id.range_max()};
        for (int k = 0; k < 20; ++k) {
          uint64_t span = id.range_max().id() - id.range_min().id();
          samples.push_back(S2CellId((id.range_min().id() + (span ? rng() % span : 0)) | 1));
        }
        for (S2CellId s : samples) {
          EXPECT_EQ(a.area->Contains(s.ToPoint()), got == Relation::kInside)
              << a.name << " cell " << id.ToToken() << " leaf " << s.ToToken();
          ++checked;
        }
        break;
      }
    }
    EXPECT_GT(checked, 1000) << a.name;
  }
}

}  // namespace
}  // namespace fanout
