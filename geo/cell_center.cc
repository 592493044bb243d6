// Copyright 2026 The fan-out engine authors.
//
// Compiled with -ffp-contract=off (geo/CMakeLists.txt): see cell_center.h.

#include "geo/cell_center.h"

#include <array>
#include <cstdint>

#include "s2/s2coords.h"

namespace fanout {
namespace {

// S2's Hilbert curve (s2coords_internal.h): kPosToIJ[orientation][pos] is
// the (i, j) quadrant, as 2 * i + j, of the pos-th child of a cell with
// that orientation, and kPosToOrientation[pos] how the child's orientation
// differs from its parent's. Copied as constants so the table below can be
// built at compile time; cell_center_test.cc checks them against libs2's.
constexpr int kSwapMask = 1;
constexpr int kInvertMask = 2;
constexpr int kPosToIJ[4][4] = {
    {0, 1, 3, 2},  // canonical: (0,0) (0,1) (1,1) (1,0)
    {0, 2, 3, 1},  // axes swapped
    {3, 2, 0, 1},  // bits inverted
    {3, 1, 0, 2},  // swapped and inverted
};
constexpr int kPosToOrientation[4] = {kSwapMask, 0, 0, kInvertMask + kSwapMask};

// Four levels of the curve at a time, as S2's lookup_ij: index
// (pos << 2) | orientation, where pos is the 8 bits of four levels'
// child positions; value (((i << 4) | j) << 2) | orientation after them.
constexpr int kLookupBits = 4;
constexpr std::array<uint16_t, 1 << (2 * kLookupBits + 2)> MakeLookupIJ() {
  std::array<uint16_t, 1 << (2 * kLookupBits + 2)> table{};
  for (int start = 0; start < 4; ++start) {
    for (int pos = 0; pos < (1 << (2 * kLookupBits)); ++pos) {
      int orientation = start, i = 0, j = 0;
      for (int level = kLookupBits - 1; level >= 0; --level) {
        const int child = (pos >> (2 * level)) & 3;
        const int ij = kPosToIJ[orientation][child];
        i = (i << 1) | (ij >> 1);
        j = (j << 1) | (ij & 1);
        orientation ^= kPosToOrientation[child];
      }
      table[(pos << 2) | start] =
          static_cast<uint16_t>((((i << kLookupBits) | j) << 2) | orientation);
    }
  }
  return table;
}
constexpr std::array<uint16_t, 1 << (2 * kLookupBits + 2)> kLookupIJ = MakeLookupIJ();

}  // namespace

namespace internal {
// For cell_center_test.cc: the constants above against libs2's.
const int (&CellCenterPosToIJ())[4][4] { return kPosToIJ; }
const int (&CellCenterPosToOrientation())[4] { return kPosToOrientation; }
}  // namespace internal

S2Point CellCenter(S2CellId cell) {
  // S2CellId::ToFaceIJOrientation, without the orientation.
  const uint64_t id = cell.id();
  const int face = static_cast<int>(id >> S2CellId::kPosBits);
  int bits = face & kSwapMask;
  int i = 0, j = 0;
  for (int k = 7; k >= 0; --k) {
    // 30 levels: the top group holds two, the others four each.
    const int nbits = (k == 7) ? (S2CellId::kMaxLevel - 7 * kLookupBits) : kLookupBits;
    bits += (static_cast<int>(id >> (k * 2 * kLookupBits + 1)) & ((1 << (2 * nbits)) - 1)) << 2;
    bits = kLookupIJ[bits];
    i += (bits >> (kLookupBits + 2)) << (k * kLookupBits);
    j += ((bits >> 2) & ((1 << kLookupBits) - 1)) << (k * kLookupBits);
    bits &= kSwapMask | kInvertMask;
  }
  // S2CellId::GetCenterSiTi: a leaf's centre is half a leaf in; a larger
  // cell's, on the boundary of two of its leaves.
  const int delta = cell.is_leaf() ? 1 : ((i ^ (static_cast<int>(id) >> 2)) & 1) ? 2 : 0;
  const unsigned si = 2 * static_cast<unsigned>(i) + delta;
  const unsigned ti = 2 * static_cast<unsigned>(j) + delta;
  // S2::FaceSiTitoXYZ, then ToPoint()'s Normalize().
  const double u = S2::STtoUV(S2::SiTitoST(si));
  const double v = S2::STtoUV(S2::SiTitoST(ti));
  return S2::FaceUVtoXYZ(face, u, v).Normalize();
}

}  // namespace fanout
