// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_EARTH_H_
#define FANOUT_GEO_EARTH_H_

namespace fanout {

// The sphere on which every distance in the product is measured (DESIGN §3:
// CAP circles use a sphere of radius 6371.01 km, the mean Earth radius).
inline constexpr double kEarthRadiusMeters = 6371010.0;
inline constexpr double kEarthRadiusKm = kEarthRadiusMeters / 1000.0;

}  // namespace fanout

#endif  // FANOUT_GEO_EARTH_H_
