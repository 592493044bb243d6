// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_USER_RECORD_H_
#define FANOUT_ENGINE_USER_RECORD_H_

#include <cmath>
#include <cstdint>

#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"

namespace fanout {

// One user's last known location as read from a users file: the unit of
// bulk input. Coordinates are fixed point, 1e-7 degree (about 1.1 cm), which
// is the resolution of an S2 leaf cell; this is also the on-disk record of
// the binary users format (users_binary.h), so a mapped file is a
// Span<const UserRecord> without any copy.
struct UserRecord {
  uint64_t user_id;
  int32_t lat_e7;  // latitude  * 1e7, in [-900000000, 900000000]
  int32_t lng_e7;  // longitude * 1e7, in [-1800000000, 1800000000]

  static UserRecord FromDegrees(uint64_t user_id, double lat, double lng) {
    return UserRecord{user_id, static_cast<int32_t>(std::lround(lat * 1e7)),
                      static_cast<int32_t>(std::lround(lng * 1e7))};
  }
  double lat() const { return lat_e7 * 1e-7; }
  double lng() const { return lng_e7 * 1e-7; }
  bool IsValid() const {
    return lat_e7 >= -900000000 && lat_e7 <= 900000000 && lng_e7 >= -1800000000 &&
           lng_e7 <= 1800000000;
  }
  // The leaf cell that holds the location: what the index stores.
  S2CellId ToCellId() const { return S2CellId(S2LatLng::FromE7(lat_e7, lng_e7)); }
};
static_assert(sizeof(UserRecord) == 16, "UserRecord is an on-disk record");

}  // namespace fanout

#endif  // FANOUT_ENGINE_USER_RECORD_H_
