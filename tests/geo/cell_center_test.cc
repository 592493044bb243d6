// Copyright 2026 The fan-out engine authors.

#include "geo/cell_center.h"

#include <cstring>
#include <random>

#include "gtest/gtest.h"
#include "s2/s2cell.h"
#include "s2/s2coords.h"
#include "s2/s2coords_internal.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace internal {
const int (&CellCenterPosToIJ())[4][4];
const int (&CellCenterPosToOrientation())[4];
}  // namespace internal
namespace {

// Bit for bit: == would take -0.0 for 0.0.
bool SameBits(const S2Point& a, const S2Point& b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

TEST(CellCenterTest, CurveConstantsAreLibs2s) {
  for (int o = 0; o < 4; ++o) {
    for (int pos = 0; pos < 4; ++pos) {
      EXPECT_EQ(internal::CellCenterPosToIJ()[o][pos], S2::internal::kPosToIJ[o][pos]);
    }
  }
  for (int pos = 0; pos < 4; ++pos) {
    EXPECT_EQ(internal::CellCenterPosToOrientation()[pos], S2::internal::kPosToOrientation[pos]);
  }
}

TEST(CellCenterTest, RandomCellsOfEveryLevelMatchToPoint) {
  std::mt19937_64 rng(20261129);
  int mismatches = 0;
  for (int n = 0; n < 3000000; ++n) {
    const int face = static_cast<int>(rng() % 6);
    const uint64_t pos = rng() & ((uint64_t{1} << S2CellId::kPosBits) - 1);
    // Leaves most often (users are leaves), every other level too.
    const int level = n % 2 == 0 ? S2CellId::kMaxLevel : static_cast<int>(rng() % 31);
    const S2CellId id = S2CellId::FromFacePosLevel(face, pos, level);
    // S2Cell::GetCenter() is the same point (the classifier's cells).
    if (n % 16 == 1 && !SameBits(CellCenter(id), S2Cell(id).GetCenter()) && ++mismatches <= 5) {
      ADD_FAILURE() << id.ToToken() << " level " << level << ": S2Cell::GetCenter differs";
    }
    if (!SameBits(CellCenter(id), id.ToPoint()) && ++mismatches <= 5) {
      ADD_FAILURE() << id.ToToken() << " level " << level << ": " << CellCenter(id) << " vs "
                    << id.ToPoint();
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(CellCenterTest, FaceCornersAndEdgesMatchToPoint) {
  const int last = S2::kLimitIJ - 1;
  for (int face = 0; face < 6; ++face) {
    for (int i : {0, 1, last / 2, last / 2 + 1, last - 1, last}) {
      for (int j : {0, 1, last / 2, last / 2 + 1, last - 1, last}) {
        const S2CellId leaf = S2CellId::FromFaceIJ(face, i, j);
        for (int level = 0; level <= S2CellId::kMaxLevel; ++level) {
          const S2CellId id = leaf.parent(level);
          EXPECT_TRUE(SameBits(CellCenter(id), id.ToPoint())) << id.ToToken();
        }
      }
    }
    EXPECT_TRUE(SameBits(CellCenter(S2CellId::FromFace(face)), S2CellId::FromFace(face).ToPoint()));
  }
}

// Users on the poles and the antimeridian, where the faces meet.
TEST(CellCenterTest, PolesAndAntimeridianMatchToPoint) {
  for (double lat : {-90.0, -89.999999, 0.0, 89.999999, 90.0}) {
    for (double lng : {-180.0, -179.9999999, 0.0, 179.9999999, 180.0}) {
      const S2CellId id(S2LatLng::FromDegrees(lat, lng));
      EXPECT_TRUE(SameBits(CellCenter(id), id.ToPoint())) << lat << "," << lng;
    }
  }
}

}  // namespace
}  // namespace fanout
