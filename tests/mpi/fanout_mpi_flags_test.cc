// Copyright 2026 The fan-out engine authors.
//
// The delivery flags of `fanout alert` under `mpirun -np K fanout-mpi
// alert` (DESIGN §5, §9): --order nearest, --max-age with --now or a CAP
// <sent>, --by-info, --map, --covering-geojson and --verify, each compared
// byte for byte with `fanout alert` on the same users: every shard file,
// every info-<k>/ file, the map and the covering, and summary.json apart
// from timings, the mpi_* keys, the input's own keys and the per-part
// work counts (ranges and entries planned differ with the parts). The
// users are generated here, with random languages and update times, and
// many users share a location, so that nearest-first ties are common.
// Runs with 1 and 3 ranks (as fanout_mpi_cli_test.cc says why), from a users CSV (each rank reads its share,
// attributes travelling with the rows), a snapshot and a `fanout-mpi
// build` manifest; and the parts built from shares of files with
// attributes are checked against the whole-file build's.

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/user_record.h"
#include "engine/snapshot.h"
#include "gtest/gtest.h"
#include "mpi/cell_partition.h"
#include "mpi/partition_manifest.h"
#include "nlohmann/json.hpp"
#include "s2/s2earth.h"
#include "s2/s2latlng.h"
#include "tests/mpi/mpi_run.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::Mpi;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using Result = ::fanout::testing::MpiResult;

// The alert's time in the tests: every updated_at lies within two days
// before it.
constexpr int64_t kNow = 1796256000;  // 2026-12-03T00:00:00Z

// Every file under `dir`, by relative path.
std::map<std::string, std::string> FolderFiles(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    files[std::filesystem::relative(e.path(), dir).string()] = ReadFileOrEmpty(e.path().string());
  }
  return files;
}

// summary.json without what may differ between one process and K ranks:
// timings, the sort's time, the mpi_* keys, the keys naming the input,
// and the plan's work counts (each part plans its own ranges).
// Ordered: the per-language counts must come in the same order too.
nlohmann::ordered_json Comparable(const std::string& summary) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(summary);
  j.erase("timings_ms");
  j["delivery"].erase("sort_ms");
  nlohmann::ordered_json alert = nlohmann::ordered_json::object();
  for (auto it = j["alert"].begin(); it != j["alert"].end(); ++it) {
    const std::string& key = it.key();
    if (key.rfind("mpi_", 0) == 0 || key == "users_file" || key == "index_file" ||
        key == "index_manifest" || key == "duplicate_rows" || key == "skipped_bad_rows") {
      continue;
    }
    alert[key] = it.value();
  }
  j["alert"] = alert;
  for (const char* key : {"ranges", "interior_entries", "tested_entries", "worker_threads"}) {
    j["work"].erase(key);
  }
  return j;
}

// The single process's and the ranks' folders hold the same files, byte
// for byte, and the same summary.
void ExpectSameFolder(const std::string& single, const std::string& multi) {
  std::map<std::string, std::string> a = FolderFiles(single), b = FolderFiles(multi);
  ASSERT_FALSE(a.empty());
  std::vector<std::string> names_a, names_b;
  for (const auto& [name, text] : a) names_a.push_back(name);
  for (const auto& [name, text] : b) names_b.push_back(name);
  ASSERT_EQ(names_a, names_b);
  for (const auto& [name, text] : a) {
    if (name == "summary.json") continue;
    EXPECT_TRUE(text == b[name]) << name << " differs";
  }
  EXPECT_EQ(Comparable(a["summary.json"]).dump(1), Comparable(b["summary.json"]).dump(1));
  // Two empty results are equal whatever the ranks do: the area must match.
  EXPECT_GT(nlohmann::json::parse(a["summary.json"])["matched"].get<uint64_t>(), 0u)
      << single << ": nothing matched, so nothing was compared";
}

class FanoutMpiFlagsTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // 24000 users over the middle of the US, a third of them on the
    // location of an earlier user (equal distances: ties), with a random
    // language (or none) and update time (or none).
    std::mt19937_64 rng(4242);
    std::uniform_real_distribution<double> lat(30, 44), lng(-110, -85);
    const std::vector<std::string> tags = {"",   "en-US", "en-GB", "es-US", "es-MX",
                                           "fr", "fr-CA", "zh-CN", "vi",    "ko"};
    std::vector<std::pair<double, double>> points;
    std::string csv = "user_id,lat,lng,lang,updated_at\n";
    for (int i = 0; i < 24000; ++i) {
      std::pair<double, double> p = {lat(rng), lng(rng)};
      if (!points.empty() && rng() % 3 == 0) p = points[rng() % points.size()];
      points.push_back(p);
      const std::string updated =
          rng() % 10 == 0 ? "" : std::to_string(kNow - static_cast<int64_t>(rng() % 172800));
      absl::StrAppendFormat(&csv, "%d,%.7f,%.7f,%s,%s\n", uint64_t{2654435761} * i + 17, p.first,
                            p.second, tags[rng() % tags.size()], updated);
    }
    // 500 users seen again later elsewhere, with another language and
    // time: the last row wins, attributes included, wherever the two rows
    // are read.
    for (int i = 0; i < 500; ++i) {
      const uint64_t k = rng() % 24000;
      absl::StrAppendFormat(&csv, "%d,%.7f,%.7f,%s,%d\n", uint64_t{2654435761} * k + 17,
                            lat(rng), lng(rng), i % 2 ? "pt-BR" : "de",
                            kNow - static_cast<int64_t>(rng() % 3600));
    }
    testing::WriteFileOrDie(Users(), csv);
    std::string err;
    ASSERT_EQ(RunFanout(absl::StrCat("build --users ", Users(), " --out ", Snapshot()), nullptr,
                        &err),
              0)
        << err;
    // A multilingual CAP alert with a <sent> time in the population's
    // last day: English, Spanish, Chinese and French blocks over one
    // polygon and one circle.
    testing::WriteFileOrDie(Cap(), R"(<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>MPI-FLAGS-1</identifier><sender>test</sender>
  <sent>2026-12-02T20:00:00-05:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>en-US</language><event>Test</event>
    <area><areaDesc>box</areaDesc><polygon>33,-104 41,-104 41,-92 33,-92 33,-104</polygon></area>
    <area><areaDesc>ring</areaDesc><circle>37.5,-98.0 400</circle></area></info>
  <info><language>es</language><event>Prueba</event>
    <area><areaDesc>box</areaDesc><polygon>33,-104 41,-104 41,-92 33,-92 33,-104</polygon></area>
    <area><areaDesc>ring</areaDesc><circle>37.5,-98.0 400</circle></area></info>
  <info><language>zh-CN</language><event>T</event>
    <area><areaDesc>box</areaDesc><polygon>33,-104 41,-104 41,-92 33,-92 33,-104</polygon></area>
    <area><areaDesc>ring</areaDesc><circle>37.5,-98.0 400</circle></area></info>
  <info><language>fr-CA</language><event>Essai</event>
    <area><areaDesc>box</areaDesc><polygon>33,-104 41,-104 41,-92 33,-92 33,-104</polygon></area>
    <area><areaDesc>ring</areaDesc><circle>37.5,-98.0 400</circle></area></info>
</alert>
)");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string Users() { return dir_->File("users.csv"); }
  static std::string Snapshot() { return dir_->File("users.fo"); }
  static std::string Cap() { return dir_->File("multi.xml"); }
  std::string Out(const std::string& name) const {
    return dir_->File(absl::StrCat(name, "-np", GetParam()));
  }

  // This rank count's manifest, built once by `fanout-mpi build`.
  std::string Manifest() {
    const std::string prefix = dir_->File(absl::StrCat("parts-np", GetParam()));
    if (!std::filesystem::exists(prefix + ".manifest")) {
      Result built = Mpi(GetParam(), absl::StrCat("build --users ", Users(), " --out ", prefix));
      EXPECT_EQ(built.rc, 0) << built.err;
    }
    return prefix + ".manifest";
  }

  // `fanout alert --users USERS ARGS` and `fanout-mpi alert INPUT ARGS`
  // write the same folder, and the same map and covering when asked for
  // (`with_files`).
  void ExpectSameAsSingle(const std::string& name, const std::string& input,
                          const std::string& args, bool with_files = false) {
    SCOPED_TRACE(absl::StrCat(name, ": ", input, " ", args));
    const std::string single = Out(name + "-single"), multi = Out(name + "-mpi");
    auto files = [&](const std::string& base) {
      return with_files ? absl::StrCat(" --map ", base, ".svg --covering-geojson ", base,
                                       ".geojson")
                        : std::string();
    };
    std::string err;
    ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", Users(), " ", args, files(single),
                                     " --out ", single, " --force"),
                        nullptr, &err),
              0)
        << err;
    Result r = Mpi(GetParam(), absl::StrCat("alert ", input, " ", args, files(multi), " --out ",
                                            multi, " --force"));
    ASSERT_EQ(r.rc, 0) << r.err;
    ExpectSameFolder(single, multi);
    if (with_files) {
      const std::string svg = ReadFileOrEmpty(single + ".svg");
      EXPECT_GT(svg.size(), 1000u);
      EXPECT_TRUE(svg == ReadFileOrEmpty(multi + ".svg")) << "the maps differ";
      const std::string geojson = ReadFileOrEmpty(single + ".geojson");
      EXPECT_NE(geojson.find("FeatureCollection"), std::string::npos);
      EXPECT_EQ(geojson, ReadFileOrEmpty(multi + ".geojson"));
    }
  }

  // A random star-shaped polygon or circle in the population's box.
  static std::string RandomArea(std::mt19937_64& rng, bool circle) {
    std::uniform_real_distribution<double> unit(0, 1);
    const double lat = 32 + 10 * unit(rng), lng = -107 + 19 * unit(rng);
    if (circle) return absl::StrFormat("--circle \"%.5f,%.5f %.1f\"", lat, lng, 20 + 300 * unit(rng));
    const int n = 5 + rng() % 6;
    std::vector<std::string> pairs;
    for (int i = 0; i < n; ++i) {
      const double angle = 2 * M_PI * (i + 0.8 * unit(rng)) / n;
      const double r = 0.3 + 3 * unit(rng);  // degrees
      pairs.push_back(
          absl::StrFormat("%.5f,%.5f", lat + r * std::sin(angle), lng + r * std::cos(angle)));
    }
    pairs.push_back(pairs.front());
    return absl::StrCat("--polygon \"", absl::StrJoin(pairs, " "), "\"");
  }

  static TempDir* dir_;
};
TempDir* FanoutMpiFlagsTest::dir_ = nullptr;

TEST_P(FanoutMpiFlagsTest, NearestFirstAndMaxAgeOnRandomAreasEqualTheSingleProcess) {
  std::mt19937_64 rng(7000 + GetParam());
  const std::vector<std::string> options = {
      "--order nearest",
      absl::StrCat("--max-age 9h --now ", kNow),
      absl::StrCat("--order nearest --max-age 1d --now ", kNow, " --format bin"),
      "--order index --verify",
  };
  for (size_t i = 0; i < options.size(); ++i) {
    ExpectSameAsSingle(absl::StrCat("random", i), "--users " + Users(),
                       absl::StrCat(RandomArea(rng, i % 2 == 0), " --shards ", 3 + i * 2, " ",
                                    options[i]));
  }
}

// Ties between ranks: users in mirrored pairs about the meridian through
// the circle's centre (0, 0), whose cells' centres are equally far from it
// to the last bit (S2's face 0 is symmetric about that meridian), and
// which lie in different ranks' cell ranges (the Hilbert curve visits the
// face's halves in turn). The single process puts the pair in index
// order; the ranks' merge must too (it breaks ties by rank, and lower
// ranks hold lower cells).
TEST_P(FanoutMpiFlagsTest, NearestFirstTiesAcrossRanksKeepTheIndexOrder) {
  std::mt19937_64 rng(9100);
  std::uniform_int_distribution<int32_t> lat(-200000000, 200000000), lng(100000, 250000000);
  std::string csv = "user_id,lat,lng\n";
  std::vector<std::pair<UserRecord, UserRecord>> pairs;
  for (int i = 0; i < 3000; ++i) {
    const int32_t a = lat(rng), b = lng(rng);
    absl::StrAppendFormat(&csv, "%d,%.7f,%.7f\n", 2 * i + 1, a * 1e-7, b * 1e-7);
    absl::StrAppendFormat(&csv, "%d,%.7f,%.7f\n", 2 * i + 2, a * 1e-7, -b * 1e-7);
    pairs.emplace_back(UserRecord{uint64_t(2 * i + 1), a, b}, UserRecord{uint64_t(2 * i + 2), a, -b});
  }
  const std::string users = dir_->File(absl::StrCat("mirrored-np", GetParam(), ".csv"));
  testing::WriteFileOrDie(users, csv);
  const std::string single = Out("ties-single"), multi = Out("ties-mpi");
  const std::string args = "--circle \"0,0 3000\" --shards 3 --order nearest";
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", users, " ", args, " --out ", single,
                                   " --force"),
                      nullptr, &err),
            0)
      << err;
  Result r = Mpi(GetParam(), absl::StrCat("alert --users ", users, " ", args, " --out ", multi,
                                          " --force"));
  ASSERT_EQ(r.rc, 0) << r.err;
  ExpectSameFolder(single, multi);

  // From parts built of the same users, whose splitters the manifest
  // names: there the test can see that tied pairs really sit in different
  // ranks, which is what the merge must order.
  const std::string prefix = dir_->File(absl::StrCat("mirrored-parts-np", GetParam()));
  Result built = Mpi(GetParam(), absl::StrCat("build --users ", users, " --out ", prefix));
  ASSERT_EQ(built.rc, 0) << built.err;
  absl::StatusOr<PartitionManifest> manifest =
      PartitionManifest::Read(PartitionManifest::ManifestPath(prefix));
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  absl::StatusOr<CellPartition> partition =
      CellPartition::FromSplitters(manifest->splitters, GetParam());
  ASSERT_TRUE(partition.ok()) << partition.status();
  const S2LatLng centre = S2LatLng::FromDegrees(0, 0);
  int split_inside = 0;
  for (const auto& [east, west] : pairs) {
    const bool inside = centre.GetDistance(S2LatLng::FromE7(east.lat_e7, east.lng_e7)).radians() *
                            S2Earth::RadiusKm() < 2990;
    if (inside && partition->PartOf(east.ToCellId().id()) != partition->PartOf(west.ToCellId().id())) {
      ++split_inside;
    }
  }
  if (GetParam() > 1) {
    EXPECT_GT(split_inside, 1000) << "too few tied pairs across ranks";
  }
  const std::string from_parts = Out("ties-mpi-parts");
  r = Mpi(GetParam(), absl::StrCat("alert --index ", PartitionManifest::ManifestPath(prefix), " ",
                                   args, " --out ", from_parts, " --force"));
  ASSERT_EQ(r.rc, 0) << r.err;
  ExpectSameFolder(single, from_parts);
}

TEST_P(FanoutMpiFlagsTest, MultilingualCapByInfoEqualsTheSingleProcess) {
  // <sent> is the alert's time for --max-age here (no --now).
  ExpectSameAsSingle("cap-info", "--index " + Manifest(),
                     absl::StrCat("--cap ", Cap(), " --shards 6 --by-info --max-age 12h"));
  ExpectSameAsSingle("cap-info-nearest", "--index " + Snapshot(),
                     absl::StrCat("--cap ", Cap(), " --shards 5 --by-info --order nearest"));
  ExpectSameAsSingle("cap-everything", "--users " + Users(),
                     absl::StrCat("--cap ", Cap(), " --shards 4 --by-info --order nearest ",
                                  "--max-age 20h --now ", kNow),
                     /*with_files=*/true);
  // The info folders are really there, and the counts add up.
  const auto summary = nlohmann::json::parse(
      ReadFileOrEmpty(Out("cap-everything-mpi") + "/summary.json"));
  ASSERT_EQ(summary["delivery"]["by_info"].size(), 4u);
  uint64_t in_blocks = 0;
  for (const auto& block : summary["delivery"]["by_info"]) in_blocks += block["users"].get<uint64_t>();
  EXPECT_EQ(in_blocks, summary["matched"].get<uint64_t>());
  EXPECT_GT(summary["delivery"]["stale_skipped"].get<uint64_t>(), 0u);
  EXPECT_TRUE(std::filesystem::is_directory(Out("cap-everything-mpi") + "/info-3"));
}

TEST_P(FanoutMpiFlagsTest, MapAndCoveringOfRandomAreasEqualTheSingleProcess) {
  std::mt19937_64 rng(8000 + GetParam());
  ExpectSameAsSingle("map-circle", "--index " + Manifest(),
                     RandomArea(rng, true) + " --shards 3 --order nearest", /*with_files=*/true);
  ExpectSameAsSingle("map-polygon", "--index " + Snapshot(), RandomArea(rng, false) + " --shards 3",
                     /*with_files=*/true);
}

// Refusals are agreed by every rank before any work: one rank count with
// several ranks shows it (each mpirun start of a refused job is costly).
class FanoutMpiFlagsRefusalTest : public FanoutMpiFlagsTest {};

TEST_P(FanoutMpiFlagsTest, VerifyPassesAndAFailingRankIsNamed) {
  const int ranks = GetParam();
  Result ok = Mpi(ranks, absl::StrCat("alert --index ", Manifest(), " --cap ", Cap(),
                                      " --shards 4 --verify --out ", Out("verify-ok")));
  ASSERT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.err.find("verified"), std::string::npos) << ok.err;
  // The last rank's lists lose a user: its brute force disagrees.
  Result bad = Mpi(ranks,
                   absl::StrCat("alert --index ", Manifest(), " --cap ", Cap(),
                                " --shards 4 --verify --out ", Out("verify-bad")),
                   absl::StrCat("FANOUT_MPI_TEST_VERIFY_FAIL_RANK=", ranks - 1));
  EXPECT_NE(bad.rc, 0) << bad.err;
  EXPECT_NE(bad.err.find(absl::StrCat("rank ", ranks - 1, " of ", ranks, ": verification failed")),
            std::string::npos)
      << bad.err;
  EXPECT_FALSE(std::filesystem::exists(Out("verify-bad")));
}

TEST_P(FanoutMpiFlagsRefusalTest, BadDeliveryFlagsAreRefusedWithExitTwo) {
  const std::string base =
      absl::StrCat("alert --users ", Users(), " --circle \"37,-98 50\" --shards 2 --out ", Out("refused"), " ");
  for (const auto& [flags, message] : std::vector<std::pair<std::string, std::string>>{
           {"--order farthest", "--order must be index or nearest"},
           {absl::StrCat("--now ", kNow), "--now goes with --max-age"},
           {"--map /nonexistent-folder/m.svg", "nonexistent-folder"}}) {
    SCOPED_TRACE(flags);
    Result r = Mpi(GetParam(), base + flags);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    std::string err;
    EXPECT_EQ(RunFanout(base + flags, nullptr, &err), 2) << err;
  }
  EXPECT_FALSE(std::filesystem::exists(Out("refused")));
}

// `mpirun -np K fanout-mpi build` from shares of a file with attributes
// (CSV with repeated users; binary) writes the parts the whole-file build
// writes, attributes included: the same columns, the same language
// dictionary (in the whole-file reader's order) and codes; and the
// attributes of the parts, concatenated, are `fanout build`'s.
TEST_P(FanoutMpiFlagsTest, PartsBuiltFromSharesCarryTheWholeFileAttributes) {
  const int ranks = GetParam();
  std::string err;
  const std::string bin = dir_->File("users-attrs.bin");
  if (!std::filesystem::exists(bin)) {
    ASSERT_EQ(RunFanout(absl::StrCat("generate --users 20000 --seed 51 --region us "
                                     "--with-attributes --out ", bin),
                        nullptr, &err),
              0)
        << err;
  }
  for (const std::string& input : {Users(), bin}) {
    SCOPED_TRACE(input);
    const std::string tag = absl::StrCat(std::filesystem::path(input).extension().string().substr(1),
                                         "-np", ranks);
    const std::string shares = dir_->File("shares-" + tag), whole = dir_->File("whole-" + tag);
    Result r = Mpi(ranks, absl::StrCat("build --users ", input, " --out ", shares));
    ASSERT_EQ(r.rc, 0) << r.err;
    r = Mpi(1, absl::StrCat("build --users ", input, " --out ", whole, " --parts ", ranks));
    ASSERT_EQ(r.rc, 0) << r.err;
    const std::string single = dir_->File("single-" + tag + ".fo");
    ASSERT_EQ(RunFanout(absl::StrCat("build --users ", input, " --out ", single), nullptr, &err),
              0)
        << err;
    auto want = LoadSnapshot(single);
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_NE(want->attributes, nullptr);
    std::vector<uint8_t> lang;
    std::vector<uint32_t> updated_at;
    for (int k = 0; k < ranks; ++k) {
      auto a = LoadSnapshot(PartitionManifest::PartPath(shares, k, ranks));
      auto b = LoadSnapshot(PartitionManifest::PartPath(whole, k, ranks));
      ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
      ASSERT_NE(a->attributes, nullptr);
      ASSERT_NE(b->attributes, nullptr);
      ASSERT_EQ(a->sections.size(), b->sections.size());
      for (size_t i = 0; i < a->sections.size(); ++i) {
        if (a->sections[i].name == "meta") continue;  // build times differ
        EXPECT_EQ(a->sections[i].checksum, b->sections[i].checksum) << a->sections[i].name;
      }
      EXPECT_EQ(a->attributes->languages(), want->attributes->languages());
      lang.insert(lang.end(), a->attributes->lang().begin(), a->attributes->lang().end());
      updated_at.insert(updated_at.end(), a->attributes->updated_at().begin(),
                        a->attributes->updated_at().end());
    }
    EXPECT_TRUE(std::equal(lang.begin(), lang.end(), want->attributes->lang().begin(),
                           want->attributes->lang().end()));
    EXPECT_TRUE(std::equal(updated_at.begin(), updated_at.end(),
                           want->attributes->updated_at().begin(),
                           want->attributes->updated_at().end()));
  }
}

// A version 2 users file whose attribute section is damaged is refused by
// the share build, as by the whole-file reader: rank 0 checks the
// section's checksum.
TEST_P(FanoutMpiFlagsRefusalTest, DamagedAttributeSectionIsRefused) {
  std::string err;
  const std::string bin = dir_->File(absl::StrCat("damaged-attrs-np", GetParam(), ".bin"));
  ASSERT_EQ(RunFanout(absl::StrCat("generate --users 5000 --seed 53 --region us "
                                   "--with-attributes --out ", bin),
                      nullptr, &err),
            0)
      << err;
  std::string bytes = ReadFileOrEmpty(bin);
  bytes[bytes.size() - 2] ^= 0x40;  // an updated_at near the end
  testing::WriteFileOrDie(bin, bytes);
  EXPECT_NE(RunFanout(absl::StrCat("build --users ", bin, " --out ", bin, ".fo"), nullptr, &err),
            0);
  const std::string prefix = dir_->File(absl::StrCat("damaged-np", GetParam()));
  Result r = Mpi(GetParam(), absl::StrCat("build --users ", bin, " --out ", prefix));
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("rank 0 of "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("attribute section: checksum mismatch"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(prefix + ".manifest"));
}

INSTANTIATE_TEST_SUITE_P(Ranks, FanoutMpiFlagsTest, ::testing::Values(1, 3),
                         [](const auto& info) { return absl::StrCat("np", info.param); });
INSTANTIATE_TEST_SUITE_P(Ranks, FanoutMpiFlagsRefusalTest, ::testing::Values(3),
                         [](const auto& info) { return absl::StrCat("np", info.param); });

}  // namespace
}  // namespace fanout
