// Copyright 2026 The fan-out engine authors.

#include "tests/support/test_support.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <algorithm>

#include "base/data_dir.h"
#include "base/mapped_file.h"
#include "engine/engine.h"
#include "engine/shard_policy.h"
#include "geo/geojson_area.h"
#include "s2/s2cell_id.h"
#include "gtest/gtest.h"

namespace fanout {
namespace testing {
namespace {


}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/fanout-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  char* made = ::mkdtemp(buf.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = "/tmp";
    return;
  }
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
}

UserRecord RandomPlace(std::mt19937_64& rng, uint64_t id) {
  switch (rng() % 16) {
    case 0:
      return UserRecord{id, 900000000, static_cast<int32_t>(rng() % 3600000001) - 1800000000};
    case 1:
      return UserRecord{id, -900000000, 1800000000};
    case 2:
      return UserRecord{id, static_cast<int32_t>(rng() % 1800000001) - 900000000, -1800000000};
    default:
      return UserRecord{id, static_cast<int32_t>(rng() % 1800000001) - 900000000,
                        static_cast<int32_t>(rng() % 3600000001) - 1800000000};
  }
}

std::unique_ptr<LocationIndex> IndexOfEntries(std::vector<std::pair<uint64_t, uint64_t>> entries) {
  std::sort(entries.begin(), entries.end());
  struct Columns {
    std::vector<uint64_t> cells, users;
  };
  auto columns = std::make_shared<Columns>();
  for (const auto& [c, u] : entries) {
    columns->cells.push_back(c);
    columns->users.push_back(u);
  }
  auto index = LocationIndex::FromBorrowedColumns(columns->cells, columns->users, columns);
  if (!index.ok()) {
    ADD_FAILURE() << index.status();
    return nullptr;
  }
  return *std::move(index);
}

std::vector<UserRecord> RandomUsers(uint64_t seed, size_t n, double lat_lo, double lat_hi,
                                    double lng_lo, double lng_hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<UserRecord> users(n);
  // Uniform on the sphere within the band: uniform in sin(lat).
  double s_lo = std::sin(lat_lo * M_PI / 180), s_hi = std::sin(lat_hi * M_PI / 180);
  for (size_t i = 0; i < n; ++i) {
    double lat = std::asin(s_lo + (s_hi - s_lo) * u(rng)) * 180 / M_PI;
    double lng = lng_lo + (lng_hi - lng_lo) * u(rng);
    users[i] = UserRecord::FromDegrees(Mix64(seed * 0x9e3779b97f4a7c15ULL + i), lat, lng);
  }
  return users;
}

int RunFanout(const std::string& args, std::string* out, std::string* err) {
  TempDir dir;
  std::string cmd = std::string(FANOUT_BINARY) + " " + args + " >" + dir.File("out") + " 2>" +
                    dir.File("err") + " </dev/null";
  int rc = std::system(cmd.c_str());
  if (out) *out = ReadFileOrEmpty(dir.File("out"));
  if (err) *err = ReadFileOrEmpty(dir.File("err"));
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

std::vector<UserRecord> UsersInRect(uint64_t seed, size_t n, const S2LatLngRect& rect) {
  std::mt19937_64 rng(seed ^ 0x5bd1e9955bd1e995ULL);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double lat_lo = rect.lat_lo().degrees(), lat_hi = rect.lat_hi().degrees();
  double lng_lo = rect.lng_lo().degrees(), lng_hi = rect.lng_hi().degrees();
  if (rect.lng().is_full()) {
    lng_lo = -180;
    lng_hi = 180;
  } else if (lng_hi < lng_lo) {
    lng_hi += 360;  // crosses the antimeridian
  }
  lat_lo = std::max(-90.0, lat_lo);
  lat_hi = std::min(90.0, lat_hi);
  std::vector<UserRecord> users(n);
  for (size_t i = 0; i < n; ++i) {
    double lat = lat_lo + (lat_hi - lat_lo) * u(rng);
    double lng = lng_lo + (lng_hi - lng_lo) * u(rng);
    if (lng > 180) lng -= 360;
    users[i] = UserRecord::FromDegrees(Mix64(~(seed * 0xc2b2ae3d27d4eb4fULL) - i), lat, lng);
  }
  return users;
}

std::vector<std::vector<uint64_t>> ReferenceShards(const LocationIndex& index,
                                                   const AlertArea& area, uint32_t shards) {
  std::vector<std::vector<uint64_t>> out(shards);
  SortedRun run = index.run();
  for (size_t i = 0; i < run.size(); ++i) {
    S2Point p = S2CellId(run.cells[i]).ToPoint();
    if (area.Contains(p)) out[Mix64(run.users[i]) % shards].push_back(run.users[i]);
  }
  for (auto& s : out) std::sort(s.begin(), s.end());
  return out;
}

std::vector<std::vector<uint64_t>> SortedShards(const DeliveryLists& lists) {
  std::vector<std::vector<uint64_t>> out;
  for (const UserIdList& list : lists.shards) out.emplace_back(list.begin(), list.end());
  for (auto& s : out) std::sort(s.begin(), s.end());
  return out;
}

int DeadPid() {
  for (int pid = 4000000; pid > 1000; --pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return pid;
  }
  return -1;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileOrDie(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

void FlipByteOrDie(const std::string& path, uint64_t offset, uint8_t mask) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(f.is_open()) << "cannot open " << path;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  ASSERT_TRUE(f.get(c)) << path << " has no byte " << offset;
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ mask));
  ASSERT_TRUE(f.good()) << "cannot write " << path;
}

std::unique_ptr<AlertArea> DataFeature(const std::string& file, const std::string& id) {
  auto path = FindDataFile(file);
  EXPECT_TRUE(path.ok()) << path.status();
  if (!path.ok()) return std::make_unique<AlertArea>();
  auto mapped = MappedFile::Open(*path);
  EXPECT_TRUE(mapped.ok()) << mapped.status();
  if (!mapped.ok()) return std::make_unique<AlertArea>();
  GeoJsonOptions options;
  options.feature_id = id;
  auto area = ParseGeoJsonArea((*mapped)->view(), options);
  EXPECT_TRUE(area.ok()) << file << " " << id << ": " << area.status();
  return area.ok() ? *std::move(area) : std::make_unique<AlertArea>();
}

IndexEntryList ModelEntries(const UserModel& model) {
  IndexEntryList out;
  for (const auto& [id, r] : model) out.push_back({r.ToCellId().id(), id});
  std::sort(out.begin(), out.end());
  return out;
}

IndexEntryList IndexEntries(const LocationIndex& index) {
  IndexEntryList out;
  const SortedRun run = index.run();
  for (size_t i = 0; i < run.size(); ++i) out.push_back({run.cells[i], run.users[i]});
  return out;
}

void ExpectHashColumnMatches(const SortedRun& run) {
  ASSERT_EQ(run.mix_low.size(), run.size());
  for (size_t i = 0; i < run.size(); ++i) {
    ASSERT_EQ(run.mix_low[i], static_cast<uint8_t>(Mix64(run.users[i]))) << i;
  }
  // Each whole block's counts of hash bytes; none for the partial last one.
  constexpr size_t kBlock = SortedRun::kMixBlock;
  ASSERT_EQ(run.mix_low_blocks.size(), run.size() / kBlock * 256);
  for (size_t b = 0; b < run.size() / kBlock; ++b) {
    std::vector<uint16_t> want(256, 0);
    for (size_t i = b * kBlock; i < (b + 1) * kBlock; ++i) ++want[run.mix_low[i]];
    ASSERT_TRUE(std::equal(want.begin(), want.end(), run.mix_low_blocks.begin() + b * 256)) << b;
  }
}

void ApplyToModel(absl::Span<const LocationUpdate> updates, UserModel* model) {
  for (const LocationUpdate& u : updates) {
    if (u.kind == LocationUpdate::Kind::kRemove) {
      model->erase(u.user_id());
    } else {
      (*model)[u.user_id()] = u.location;
    }
  }
}

void ApplyToModel(absl::Span<const LocationUpdate> updates, UserModel* model,
                  AttributeModel* attributes) {
  ApplyToModel(updates, model);
  for (const LocationUpdate& u : updates) {
    if (u.kind == LocationUpdate::Kind::kRemove) {
      attributes->erase(u.user_id());
      continue;
    }
    ModelAttributes a;
    a.updated_at = u.updated_at;
    auto it = attributes->find(u.user_id());
    a.lang = u.lang != 0 ? u.lang : it != attributes->end() ? it->second.lang : 0;
    if (a.updated_at == 0 && a.lang == 0) {
      attributes->erase(u.user_id());
    } else {
      (*attributes)[u.user_id()] = a;
    }
  }
}

EngineOptions SteppedEngineOptions() {
  EngineOptions options;
  options.create_if_missing = true;
  options.sync = SyncPolicy::kNone;
  options.pause_maintenance_for_testing = true;
  return options;
}

}  // namespace testing
}  // namespace fanout
