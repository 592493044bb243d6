// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_LOCATION_UPDATE_H_
#define FANOUT_ENGINE_LOCATION_UPDATE_H_

#include <cstdint>

#include "engine/user_record.h"

namespace fanout {

// One change to the live index (live_index.h), and the record of the update
// log (update_log.h): a user's new location, or the user's removal, with
// the user attributes an upsert may carry (user_attributes.h; what an
// Engine does with them, and what a missing one means, is in engine.h at
// Engine::Apply). 24 bytes, the layout of an update-log record.
struct LocationUpdate {
  enum class Kind : uint8_t {
    kUpsert = 0,  // `location` is the user's new last known location
    kRemove = 1,  // the user leaves the index; `location` keeps only the id
  };

  UserRecord location;  // user id, and for kUpsert the new coordinates
  Kind kind = Kind::kUpsert;
  // kUpsert only (0 for a removal). The user's language as a code of the
  // engine's language dictionary (Engine::LanguageCode: a code, not a tag,
  // so that an update stays 24 bytes and the hot path never handles a
  // string); 0: not given.
  uint8_t lang = 0;
  uint16_t reserved = 0;  // 0
  // kUpsert only. When this location was taken, Unix seconds; 0: not given.
  uint32_t updated_at = 0;

  static LocationUpdate Upsert(const UserRecord& r) { return {r, Kind::kUpsert}; }
  static LocationUpdate Upsert(const UserRecord& r, uint32_t updated_at, uint8_t lang = 0) {
    return {r, Kind::kUpsert, lang, 0, updated_at};
  }
  static LocationUpdate Remove(uint64_t user_id) { return {UserRecord{user_id, 0, 0}, Kind::kRemove}; }
  uint64_t user_id() const { return location.user_id; }
  bool has_attributes() const { return lang != 0 || updated_at != 0; }
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_LOCATION_UPDATE_H_
