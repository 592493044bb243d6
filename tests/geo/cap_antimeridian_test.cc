// Copyright 2026 The fan-out engine authors.
//
// Areas across the antimeridian and around the poles (DESIGN §4b), run
// through the engine over populations placed there; the expected users are
// computed here from latitude/longitude alone. Users within a small band
// of a boundary are left out, since either answer is right for them.

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/alert_executor.h"
#include "engine/location_index.h"
#include "geo/alert_resolver.h"
#include "geo/earth.h"
#include "gtest/gtest.h"
#include "s2/s2latlng.h"
#include "s2/s2latlng_rect.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::UsersInRect;

// -1: on a boundary (skip), 0: outside, 1: inside.
using Truth = std::function<int(double lat, double lng)>;

AlertDocument Alert(std::vector<std::string> polygons, std::vector<std::string> circles) {
  AlertDocument alert;
  alert.infos.emplace_back();
  AlertDocumentArea area;
  area.label = "info[0].area[0]";
  area.polygons = std::move(polygons);
  area.circles = std::move(circles);
  alert.infos[0].areas.push_back(std::move(area));
  return alert;
}

void ExpectUsers(const AlertDocument& alert, const S2LatLngRect& where, const Truth& truth) {
  auto resolved = ResolveAlert(alert, {});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  std::vector<UserRecord> users;
  std::set<uint64_t> expected;
  for (const UserRecord& u : UsersInRect(17, 20000, where)) {
    int t = truth(u.lat(), u.lng());
    if (t < 0) continue;
    users.push_back(u);
    if (t == 1) expected.insert(u.user_id);
  }
  ASSERT_GT(expected.size(), 100u);
  ASSERT_LT(expected.size(), users.size() - 100);
  auto index = LocationIndex::Build(users, {});
  ASSERT_TRUE(index.ok()) << index.status();
  AlertExecutor executor(**index, {});
  auto lists = executor.Execute(*resolved->area, nullptr);
  ASSERT_TRUE(lists.ok()) << lists.status();
  std::set<uint64_t> got(lists->shards[0].begin(), lists->shards[0].end());
  EXPECT_EQ(got.size(), lists->shards[0].size()) << "a user appears twice";
  EXPECT_TRUE(got == expected) << "got " << got.size() << " users, expected " << expected.size();
}

// |lng| >= 178 and 51 <= lat <= 53, written in several ways.
int AleutianBox(double lat, double lng) {
  const double e = 1e-4;
  if (std::abs(lat - 51) < e || std::abs(lat - 53) < e || std::abs(std::abs(lng) - 178) < e)
    return -1;
  return lat > 51 && lat < 53 && std::abs(lng) > 178;
}

S2LatLngRect AroundAntimeridian() {
  return S2LatLngRect(S2LatLng::FromDegrees(50, 175), S2LatLng::FromDegrees(54, -175));
}

TEST(CapAntimeridianTest, PolygonsSplitAt180) {
  ExpectUsers(
      Alert({"51,178 53,178 53,180 51,180 51,178", "51,-180 53,-180 53,-178 51,-178 51,-180"}, {}),
      AroundAntimeridian(), AleutianBox);
}

TEST(CapAntimeridianTest, OneRingCrossingTheShortWay) {
  ExpectUsers(Alert({"51,178 53,178 53,-178 51,-178 51,178"}, {}), AroundAntimeridian(),
              AleutianBox);
}

TEST(CapAntimeridianTest, OneRingUsingBoth180AndMinus180) {
  ExpectUsers(Alert({"51,178 53,178 53,180 53,-180 53,-178 51,-178 51,-180 51,180 51,178"}, {}),
              AroundAntimeridian(), AleutianBox);
  ExpectUsers(Alert({"51,-180 51,180 51,178 53,178 53,180 53,-180 53,-178 51,-178 51,-180"}, {}),
              AroundAntimeridian(), AleutianBox);
}

Truth WithinKm(double lat0, double lng0, double km) {
  S2Point c = S2LatLng::FromDegrees(lat0, lng0).ToPoint();
  return [c, km](double lat, double lng) {
    double d = S1Angle(c, S2LatLng::FromDegrees(lat, lng).ToPoint()).radians() * kEarthRadiusKm;
    if (std::abs(d - km) < 0.01) return -1;
    return d < km ? 1 : 0;
  };
}

TEST(CapAntimeridianTest, CircleAcrossTheAntimeridian) {
  ExpectUsers(Alert({}, {"51.5,179.9 60"}), AroundAntimeridian(), WithinKm(51.5, 179.9, 60));
}

TEST(CapAntimeridianTest, CircleContainingThePole) {
  S2LatLngRect polar(S2LatLng::FromDegrees(87, -180), S2LatLng::FromDegrees(90, 180));
  ExpectUsers(Alert({}, {"89.5,45 150"}), polar, WithinKm(89.5, 45, 150));
  S2LatLngRect south(S2LatLng::FromDegrees(-90, -180), S2LatLng::FromDegrees(-87, 180));
  ExpectUsers(Alert({}, {"-89.9,-170 100"}), south, WithinKm(-89.9, -170, 100));
}

TEST(CapAntimeridianTest, PolygonAroundThePole) {
  // Planar edges along the parallel at 85 N, crossing the antimeridian the
  // short way: the smaller region is the cap north of 85.
  S2LatLngRect polar(S2LatLng::FromDegrees(83, -180), S2LatLng::FromDegrees(90, 180));
  ExpectUsers(Alert({"85,0 85,90 85,180 85,-90 85,0"}, {}), polar, [](double lat, double) {
    if (std::abs(lat - 85) < 1e-4) return -1;
    return lat > 85 ? 1 : 0;
  });
}

}  // namespace
}  // namespace fanout
