// Copyright 2026 The fan-out engine authors.
//
// Helpers shared by the tests: temporary folders, random users, and running
// the `fanout` binary.

#ifndef FANOUT_TESTS_SUPPORT_TEST_SUPPORT_H_
#define FANOUT_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/delivery.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/user_record.h"
#include "geo/alert_area.h"
#include "s2/s2latlng_rect.h"

namespace fanout {

struct EngineOptions;  // engine/engine.h

namespace testing {

// A fresh folder under $TEST_TMPDIR or /tmp, removed (with its content) when
// the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// `n` users with distinct random ids, uniform on the sphere (or, when
// `lat_lo < lat_hi`, uniform in that latitude band and longitude range).
std::vector<UserRecord> RandomUsers(uint64_t seed, size_t n, double lat_lo = -90,
                                    double lat_hi = 90, double lng_lo = -180,
                                    double lng_hi = 180);

// A place for user `id` drawn uniformly in E7 units over the whole valid
// range, and one time in eight on its edges (a pole, the antimeridian).
UserRecord RandomPlace(std::mt19937_64& rng, uint64_t id);

// An index of (cell id, user id) entries as given, sorted (a user may appear
// twice: for tests of what refuses that). Its columns are its own.
std::unique_ptr<LocationIndex> IndexOfEntries(std::vector<std::pair<uint64_t, uint64_t>> entries);

// Runs the fanout binary with `args` (a shell-quoted string); returns the exit
// code and fills stdout/stderr when given.
int RunFanout(const std::string& args, std::string* out = nullptr, std::string* err = nullptr);

// `n` users uniform (in degrees) inside `rect`, which may cross the
// antimeridian; ids are distinct and derived from `seed` (disjoint from
// RandomUsers' ids for the same seed in practice: a different stream).
std::vector<UserRecord> UsersInRect(uint64_t seed, size_t n, const S2LatLngRect& rect);

// The reference answer written independently of the engine: every index
// entry's leaf-cell centre tested with area.Contains, put in shard
// Mix64(id) % shards; each shard sorted.
std::vector<std::vector<uint64_t>> ReferenceShards(const LocationIndex& index,
                                                   const AlertArea& area, uint32_t shards);

// The brute-force model of an index under updates: each user's last
// location, and the (cell, user) entries an index of it holds, sorted.
using UserModel = std::map<uint64_t, UserRecord>;
using IndexEntryList = std::vector<std::pair<uint64_t, uint64_t>>;
IndexEntryList ModelEntries(const UserModel& model);
IndexEntryList IndexEntries(const LocationIndex& index);
// Checks a run's hash column against its users (SortedRun: one byte of
// Mix64 per entry, and each whole block's counts of them).
void ExpectHashColumnMatches(const SortedRun& run);
// Applies `updates` in order: an upsert sets the user's location, a remove
// erases the user.
void ApplyToModel(absl::Span<const LocationUpdate> updates, UserModel* model);
// The users' attributes under updates, by the Engine's rules (engine.h,
// Engine::Apply, "User attributes"): an upsert sets updated_at to its own
// (0: none) and a nonzero lang code; lang 0 keeps the user's; a removal
// forgets both. Users with neither are absent.
struct ModelAttributes {
  uint32_t updated_at = 0;
  uint8_t lang = 0;
  bool operator==(const ModelAttributes& o) const {
    return updated_at == o.updated_at && lang == o.lang;
  }
};
using AttributeModel = std::map<uint64_t, ModelAttributes>;
void ApplyToModel(absl::Span<const LocationUpdate> updates, UserModel* model,
                  AttributeModel* attributes);

// Each shard of `lists` sorted (for comparison with ReferenceShards).
std::vector<std::vector<uint64_t>> SortedShards(const DeliveryLists& lists);

// A pid that names no running process (for temporaries of "dead" writers).
int DeadPid();

// The names in a folder, sorted.
std::vector<std::string> DirEntries(const std::string& dir);

// Whole file content ("" if missing).
std::string ReadFileOrEmpty(const std::string& path);

// The feature `id` of a GeoJSON file under data/ (say
// "boundaries/us-states.geojson", "48") as a finalized area. Fails the
// calling test (and returns an empty area) when it cannot be read.
std::unique_ptr<AlertArea> DataFeature(const std::string& file, const std::string& id);
void WriteFileOrDie(const std::string& path, const std::string& content);
// Damages a file in place: byte `offset` XORed with `mask` (non-zero).
// Fails the calling test when the file cannot be opened or is too short.
void FlipByteOrDie(const std::string& path, uint64_t offset, uint8_t mask = 0x5a);

// The options of an Engine a test drives step by step: created if missing,
// no fsync, background maintenance paused (the test runs it when it wants).
// (Declared over a forward declaration: the callers include engine.h.)
EngineOptions SteppedEngineOptions();

}  // namespace testing
}  // namespace fanout

#endif  // FANOUT_TESTS_SUPPORT_TEST_SUPPORT_H_
