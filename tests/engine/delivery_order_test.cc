// Copyright 2026 The fan-out engine authors.
//
// Delivery features of the executor and the Engine (issue 18): nearest-first
// lists hold exactly the users of the index-ordered ones, sorted by distance
// from the incident point (ties in index order); the cells handed back beside
// the lists are each user's own; the covering handed back is the one the
// summary counts; Engine::Alert fills the map and the covering on request
// and nothing otherwise.

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/delivery_sink.h"
#include "engine/engine.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "geo/alert_area.h"
#include "geo/alert_map.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "s2/s1angle.h"
#include "s2/s2cap.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReferenceShards;
using ::fanout::testing::SortedShards;
using ::fanout::testing::TempDir;
using ::fanout::testing::UsersInRect;

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }

std::unique_ptr<AlertArea> Circle(double lat, double lng, double radius_deg) {
  auto area = std::make_unique<AlertArea>();
  area->AddCap(S2Cap(Deg(lat, lng).ToPoint(), S1Angle::Degrees(radius_deg)));
  area->Finalize();
  return area;
}

std::unique_ptr<AlertArea> Square(double lat, double lng, double half) {
  auto area = std::make_unique<AlertArea>();
  LatLngRing ring = {Deg(lat - half, lng - half), Deg(lat - half, lng + half),
                     Deg(lat + half, lng + half), Deg(lat + half, lng - half),
                     Deg(lat - half, lng - half)};
  auto polygon = BuildPolygon({ring}, EdgeModel::kPlanar);
  EXPECT_TRUE(polygon.ok());
  area->AddPolygon(std::move(*polygon));
  area->Finalize();
  return area;
}

// Users clustered around Houston, some of them at the same spot (ties).
std::vector<UserRecord> Users(size_t n) {
  std::vector<UserRecord> users =
      UsersInRect(7, n, S2LatLngRect(Deg(29.0, -96.0), Deg(30.5, -94.5)));
  for (size_t i = 0; i + 1 < users.size(); i += 97) {
    users[i + 1].lat_e7 = users[i].lat_e7;
    users[i + 1].lng_e7 = users[i].lng_e7;
  }
  return users;
}

// Each list nearest first from `origin` (distances of the users' leaf
// cells' centres, as the executor measures them), users of one cell by id.
void ExpectNearestFirst(const DeliveryLists& lists, const std::vector<UserRecord>& users,
                        const S2LatLng& origin) {
  std::unordered_map<uint64_t, S2Point> where;
  for (const UserRecord& u : users) where[u.user_id] = u.ToCellId().ToPoint();
  const S2Point o = origin.ToPoint();
  for (const UserIdList& list : lists.shards) {
    for (size_t i = 1; i < list.size(); ++i) {
      const double a = (where.at(list[i - 1]) - o).Norm2(), b = (where.at(list[i]) - o).Norm2();
      ASSERT_TRUE(a < b + 1e-15 && (a != b || list[i - 1] < list[i]))
          << "position " << i << ": " << a << " then " << b;
    }
  }
}

TEST(DeliveryOrderTest, NearestFirstHoldsTheSameUsersSortedByDistance) {
  const std::vector<UserRecord> users = Users(30000);
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok()) << index.status();
  for (const auto& area : {Circle(29.76, -95.37, 0.3), Square(29.7, -95.2, 0.4)}) {
    for (uint32_t shards : {1u, 7u}) {
      AlertExecutor::Options options;
      options.shards = shards;
      options.chunk_entries = 1000;  // many work items
      DeliveryLists plain;
      ASSERT_TRUE(AlertExecutor(**index, options).Execute(*area, &plain, nullptr).ok());
      options.order = DeliveryOrder::kNearest;
      AlertSummary summary;
      DeliveryLists nearest;
      ASSERT_TRUE(AlertExecutor(**index, options).Execute(*area, &nearest, &summary).ok());
      EXPECT_EQ(SortedShards(nearest), SortedShards(plain));
      EXPECT_EQ(SortedShards(nearest), ReferenceShards(**index, *area, shards));
      EXPECT_GT(nearest.total(), 1000u);
      const S2LatLng origin = IncidentPoint(*area);
      EXPECT_EQ(summary.order, DeliveryOrder::kNearest);
      EXPECT_NEAR(summary.origin_lat_deg, origin.lat().degrees(), 1e-12);
      ExpectNearestFirst(nearest, users, origin);
    }
  }
}

TEST(DeliveryOrderTest, IncidentPointIsTheCircleCentreElseTheCentroid) {
  const S2LatLng centre = IncidentPoint(*Circle(10, 20, 1));
  EXPECT_NEAR(centre.lat().degrees(), 10, 1e-9);
  EXPECT_NEAR(centre.lng().degrees(), 20, 1e-9);
  const S2LatLng square = IncidentPoint(*Square(-30, 170, 2));
  EXPECT_NEAR(square.lat().degrees(), -30, 0.1);
  EXPECT_NEAR(square.lng().degrees(), 170, 0.05);
  // Two equal circles: midway between them (on the sphere).
  auto two = Circle(0, 10, 1);
  two->AddCap(S2Cap(Deg(0, 20).ToPoint(), S1Angle::Degrees(1)));
  two->Finalize();
  EXPECT_NEAR(IncidentPoint(*two).lng().degrees(), 15, 1e-9);
}

TEST(DeliveryOrderTest, AnExplicitOriginIsUsedAndAnInvalidOneRefused) {
  const std::vector<UserRecord> users = Users(5000);
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok());
  auto area = Square(29.7, -95.2, 0.5);
  AlertExecutor::Options options;
  options.shards = 3;
  options.order = DeliveryOrder::kNearest;
  options.order_origin = Deg(29.3, -95.6);  // a corner
  DeliveryLists lists;
  ASSERT_TRUE(AlertExecutor(**index, options).Execute(*area, &lists, nullptr).ok());
  ExpectNearestFirst(lists, users, *options.order_origin);
  options.order_origin = S2LatLng::FromDegrees(100, 0);
  EXPECT_EQ(AlertExecutor(**index, options).Execute(*area, &lists, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DeliveryOrderTest, ExtrasHandBackEachUsersCellAndTheCovering) {
  const std::vector<UserRecord> users = Users(20000);
  std::unordered_map<uint64_t, uint64_t> cell_of;
  for (const UserRecord& u : users) cell_of[u.user_id] = u.ToCellId().id();
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok());
  auto area = Square(29.7, -95.2, 0.3);
  for (DeliveryOrder order : {DeliveryOrder::kIndex, DeliveryOrder::kNearest}) {
    AlertExecutor::Options options;
    options.shards = 5;
    options.order = order;
    AreaCovering covering;
    std::vector<UserIdList> cells;
    AlertExecutor::Extras extras;
    extras.covering = &covering;
    extras.cells = &cells;
    DeliveryLists lists;
    AlertSummary summary;
    ASSERT_TRUE(AlertExecutor(**index, options).Execute(*area, &lists, &summary, extras).ok());
    ASSERT_EQ(cells.size(), lists.shards.size());
    for (size_t s = 0; s < cells.size(); ++s) {
      ASSERT_EQ(cells[s].size(), lists.shards[s].size());
      for (size_t i = 0; i < cells[s].size(); ++i) {
        ASSERT_EQ(cells[s][i], cell_of.at(lists.shards[s][i]));
      }
    }
    EXPECT_EQ(covering.interior.num_cells(), summary.covering_interior_cells);
    EXPECT_EQ(covering.boundary.num_cells(), summary.covering_boundary_cells);
    // Every matched user lies in the covering.
    for (const UserIdList& list : cells) {
      for (uint64_t c : list) {
        ASSERT_TRUE(covering.interior.Contains(S2CellId(c)) ||
                    covering.boundary.Contains(S2CellId(c)));
      }
    }
  }
}

// Over a live index (base, delta runs, pending updates) the ordering and
// the cells are the same as over a static one.
TEST(DeliveryOrderTest, NearestFirstOverALiveView) {
  std::vector<UserRecord> users = Users(20000);
  auto base = LocationIndex::Build(users, {});
  ASSERT_TRUE(base.ok());
  auto live = LiveIndex::Create(std::move(*base), {});
  ASSERT_TRUE(live.ok()) << live.status();
  std::mt19937_64 rng(3);
  std::vector<LocationUpdate> updates;
  for (int i = 0; i < 3000; ++i) {
    UserRecord& u = users[rng() % users.size()];
    u.lat_e7 += static_cast<int32_t>(rng() % 2000000) - 1000000;
    updates.push_back(LocationUpdate::Upsert(u));
  }
  ASSERT_TRUE((*live)->Apply(updates).ok());
  auto area = Circle(29.76, -95.37, 0.4);
  AlertExecutor::Options options;
  options.shards = 4;
  options.order = DeliveryOrder::kNearest;
  DeliveryLists lists;
  ASSERT_TRUE(AlertExecutor((*live)->View(), options).Execute(*area, &lists, nullptr).ok());
  auto now = LocationIndex::Build(users, {});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(SortedShards(lists), ReferenceShards(**now, *area, 4));
  ExpectNearestFirst(lists, users, Deg(29.76, -95.37));
}

// README.md "Delivery features", the library example, compiled and run.
absl::Status ReadmeDeliveryExample(const LocationIndex* index, const AlertArea& area,
                                   std::string* svg_out, std::string* geojson_out) {
  DeliveryLists lists;
  AlertSummary summary;
  // --- README example begins ---
  AlertExecutor::Options options;
  options.shards = 256;
  options.order = DeliveryOrder::kNearest;     // options.order_origin overrides the point
  AreaCovering covering;
  std::vector<UserIdList> cells;               // the leaf cell of every listed user
  AlertExecutor::Extras extras{&covering, &cells};
  RETURN_IF_ERROR(AlertExecutor(*index, options).Execute(area, &lists, &summary, extras));
  AlertMapInput map;
  map.area = &area;
  map.covering = &covering;
  for (const UserIdList& c : cells) map.matched_cells.emplace_back(c.data(), c.size());
  ASSIGN_OR_RETURN(auto states, LoadStateOutlines());
  map.outlines = &states;
  ASSIGN_OR_RETURN(std::string svg, RenderAlertMapSvg(map));   // geo/alert_map.h
  std::string geojson = CoveringToGeoJson(covering);
  // --- README example ends ---
  *svg_out = svg;
  *geojson_out = geojson;
  return absl::OkStatus();
}

TEST(DeliveryOrderTest, ReadmeExampleRuns) {
  auto index = LocationIndex::Build(Users(5000), {});
  ASSERT_TRUE(index.ok());
  std::string svg, geojson;
  ASSERT_TRUE(ReadmeDeliveryExample(index->get(), *Circle(29.76, -95.37, 0.3), &svg, &geojson).ok());
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(geojson.find("FeatureCollection"), std::string::npos);
}

class CountingSink : public DeliverySink {
 public:
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary& summary) override {
    lists_ = lists;
    map_bytes_ = summary.map_svg.size();
    return absl::OkStatus();
  }
  DeliveryLists lists_;
  size_t map_bytes_ = 0;
};

TEST(DeliveryOrderTest, EngineAlertOrdersAndDrawsOnRequest) {
  TempDir dir;
  EngineOptions options;
  options.create_if_missing = true;
  options.sync = SyncPolicy::kNone;
  auto engine = Engine::Open(dir.File("engine"), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const std::vector<UserRecord> users = Users(10000);
  std::vector<LocationUpdate> updates;
  for (const UserRecord& u : users) updates.push_back(LocationUpdate::Upsert(u));
  ASSERT_TRUE((*engine)->Apply(updates).ok());

  AlertRequest request;
  request.text = "29.76,-95.37 20";
  request.format = AlertFormat::kCircle;
  request.shards = 3;
  CountingSink plain;
  auto summary = (*engine)->Alert(request, plain);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_TRUE(summary->map_svg.empty());
  EXPECT_TRUE(summary->covering_geojson.empty());
  EXPECT_EQ(summary->order, DeliveryOrder::kIndex);

  request.order = DeliveryOrder::kNearest;
  request.map_svg = true;
  request.covering_geojson = true;
  CountingSink drawn;
  summary = (*engine)->Alert(request, drawn);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(SortedShards(drawn.lists_), SortedShards(plain.lists_));
  ExpectNearestFirst(drawn.lists_, users, Deg(29.76, -95.37));
  EXPECT_NE(summary->map_svg.find(absl::StrCat("data-matched=\"", summary->matched, "\"")),
            std::string::npos);
  EXPECT_EQ(drawn.map_bytes_, summary->map_svg.size()) << "the sink sees the map too";
  EXPECT_NE(summary->covering_geojson.find("FeatureCollection"), std::string::npos);
}

}  // namespace
}  // namespace fanout
