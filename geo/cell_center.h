// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_CELL_CENTER_H_
#define FANOUT_GEO_CELL_CENTER_H_

#include "s2/s2cell_id.h"
#include "s2/s2point.h"

namespace fanout {

// S2CellId::ToPoint(), bit for bit: the centre of a cell as a unit
// vector. Every exact point test of the scan starts here (a user is stored
// as its leaf cell id), and ToPoint() makes two calls into libs2
// (ToFaceIJOrientation, FaceSiTitoXYZ). This is the same arithmetic in
// one call:
// the Hilbert-curve digits are decoded four levels at a time through a
// table built at compile time from S2's own curve definition
// (cell_center.cc), then the (si, ti) centre is projected as
// S2::FaceSiTitoXYZ does, in the same operation order, and normalized as
// ToPoint() does. Measured on Texas boundary points by bench_query's
// BM_PointTest_Centre<CellCenter> against <S2ToPoint>, and by
// BM_PointTest_Tester with and without it (bench/README.md).
//
// Exactness: the tests compare it with ToPoint() on millions of random
// cells of every level and face, and on the extreme cells of each face.
// The .cc is compiled with -ffp-contract=off, so that no fused
// multiply-add changes a rounding where libs2 has none.
//
// Thread-safety: a pure function.
S2Point CellCenter(S2CellId id);

}  // namespace fanout

#endif  // FANOUT_GEO_CELL_CENTER_H_
