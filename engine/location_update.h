// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_LOCATION_UPDATE_H_
#define FANOUT_ENGINE_LOCATION_UPDATE_H_

#include <cstdint>

#include "engine/user_record.h"

namespace fanout {

// One change to the live index (live_index.h), and the record of the update
// log (update_log.h): a user's new location, or the user's removal.
struct LocationUpdate {
  enum class Kind : uint8_t {
    kUpsert = 0,  // `location` is the user's new last known location
    kRemove = 1,  // the user leaves the index; `location` keeps only the id
  };

  UserRecord location;  // user id, and for kUpsert the new coordinates
  Kind kind = Kind::kUpsert;

  static LocationUpdate Upsert(const UserRecord& r) { return {r, Kind::kUpsert}; }
  static LocationUpdate Remove(uint64_t user_id) { return {UserRecord{user_id, 0, 0}, Kind::kRemove}; }
  uint64_t user_id() const { return location.user_id; }
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_LOCATION_UPDATE_H_
