// Copyright 2026 The fan-out engine authors.

#include "geo/lat_lng_text.h"

#include <string>

#include "gtest/gtest.h"

namespace fanout {
namespace {

TEST(LatLngTextTest, ParsesCapPolygon) {
  auto ring = ParsePolygonText("29.5,-95.5 29.5,-95.0\t30.0,-95.0\n30.0,-95.5  29.5,-95.5");
  ASSERT_TRUE(ring.ok()) << ring.status();
  ASSERT_EQ(ring->size(), 5u);
  EXPECT_DOUBLE_EQ((*ring)[2].lat().degrees(), 30.0);
  EXPECT_DOUBLE_EQ((*ring)[2].lng().degrees(), -95.0);
  EXPECT_EQ(ring->front(), ring->back());
  // Extreme but valid values.
  EXPECT_TRUE(ParsePolygonText("90,180 -90,-180 0,0 90,180").ok());
}

void ExpectInvalid(absl::string_view text, absl::string_view needle) {
  auto ring = ParsePolygonText(text);
  ASSERT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_NE(ring.status().message().find(needle), absl::string_view::npos)
      << text << " -> " << ring.status();
}

TEST(LatLngTextTest, RejectsBadPolygons) {
  ExpectInvalid("", "0 pairs");
  ExpectInvalid("1,1 2,2 1,1", "3 pairs");
  ExpectInvalid("1,1 2,2 3,3 4,4", "not closed");
  ExpectInvalid("1,1 2,2 29.7;-95.1 1,1", "pair 3 \"29.7;-95.1\"");
  ExpectInvalid("1,1 2,2 3 1,1", "pair 3");
  ExpectInvalid("1,1 2,2 3,3,3 1,1", "pair 3");
  ExpectInvalid("1,1 91,2 3,3 1,1", "pair 2");
  ExpectInvalid("1,1 2,-180.5 3,3 1,1", "out of range");
  ExpectInvalid("1,1 +2,2 3,3 1,1", "pair 2");
  ExpectInvalid("1,1 2,2x 3,3 1,1", "pair 2");
  ExpectInvalid("1,1 nan,2 3,3 1,1", "pair 2");
  ExpectInvalid("1,1 2,inf 3,3 1,1", "pair 2");
  ExpectInvalid("1,1 2,2, 3,3 1,1", "pair 2");
  // A hostile megabyte is quoted shortened.
  std::string huge = "1,1 " + std::string(1 << 20, 'x') + " 3,3 1,1";
  auto ring = ParsePolygonText(huge);
  ASSERT_FALSE(ring.ok());
  EXPECT_LT(ring.status().message().size(), 300u);
}

TEST(LatLngTextTest, ParsesCircles) {
  auto circle = ParseCircleText("29.76,-95.37 50");
  ASSERT_TRUE(circle.ok()) << circle.status();
  EXPECT_DOUBLE_EQ(circle->center.lat().degrees(), 29.76);
  EXPECT_DOUBLE_EQ(circle->center.lng().degrees(), -95.37);
  EXPECT_DOUBLE_EQ(circle->radius_km, 50);
  EXPECT_TRUE(ParseCircleText(" 0,0\t0 ").ok());
  EXPECT_FALSE(ParseCircleText("29.76,-95.37 -1").ok());
  EXPECT_FALSE(ParseCircleText("29.76,-95.37").ok());
  EXPECT_FALSE(ParseCircleText("29.76,-95.37 5 6").ok());
  EXPECT_FALSE(ParseCircleText("95,0 5").ok());
  EXPECT_FALSE(ParseCircleText("0,0 nan").ok());
  EXPECT_FALSE(ParseCircleText("0,0 5km").ok());
}

TEST(LatLngTextTest, ParseDecimal) {
  double v;
  EXPECT_TRUE(ParseDecimal("-12.5", &v));
  EXPECT_EQ(v, -12.5);
  EXPECT_TRUE(ParseDecimal("1e2", &v));
  EXPECT_EQ(v, 100);
  EXPECT_FALSE(ParseDecimal("", &v));
  EXPECT_FALSE(ParseDecimal("+1", &v));
  EXPECT_FALSE(ParseDecimal("1 ", &v));
  EXPECT_FALSE(ParseDecimal("inf", &v));
  EXPECT_FALSE(ParseDecimal("1e999", &v));
}

}  // namespace
}  // namespace fanout
