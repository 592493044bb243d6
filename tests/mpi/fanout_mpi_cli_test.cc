// Copyright 2026 The fan-out engine authors.
//
// End-to-end tests of `mpirun -np K build/fanout-mpi` (DESIGN §9) against
// the single-process `build/fanout alert` on the same users and areas:
// random polygons and circles over a generated population, a FIPS code,
// binary lists, every input form (--users, --index snapshot, --index
// manifest, --dir), and the failures: a manifest for another rank count or
// with a damaged part refused on every rank (exit 2), a rank that runs out
// of memory or is killed mid-alert failing the alert loudly, naming it,
// with no output written. Runs with 1 and 3 ranks (3 oversubscribe a
// 2-core machine: --oversubscribe), as root too (CI): one rank, and
// several with uneven shares. 4 ranks added no case of their own: the
// merge is unit-tested for 1 to 5 ranks (delivery_merge_test.cc), and the
// load test still runs 4.

#include <cstdlib>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/snapshot.h"
#include "engine/users_binary.h"
#include "gtest/gtest.h"
#include "mpi/partition_manifest.h"
#include "nlohmann/json.hpp"
#include "tests/mpi/mpi_run.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DirEntries;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;

using Result = ::fanout::testing::MpiResult;
using ::fanout::testing::Mpi;

// Both folders hold the same files, every shard file byte for byte, and
// the same counts in summary.json.
void ExpectSameDelivery(const std::string& single, const std::string& multi) {
  std::vector<std::string> names = DirEntries(single);
  ASSERT_EQ(names, DirEntries(multi));
  for (const std::string& name : names) {
    if (name == "summary.json") continue;
    EXPECT_EQ(ReadFileOrEmpty(single + "/" + name), ReadFileOrEmpty(multi + "/" + name)) << name;
  }
  auto a = nlohmann::json::parse(ReadFileOrEmpty(single + "/summary.json"));
  auto b = nlohmann::json::parse(ReadFileOrEmpty(multi + "/summary.json"));
  EXPECT_EQ(a["matched"], b["matched"]);
  EXPECT_EQ(a["shards"], b["shards"]);
  EXPECT_EQ(a["per_shard"], b["per_shard"]);
  EXPECT_EQ(a["work"]["index_users"], b["work"]["index_users"]);
}

class FanoutMpiTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string err;
    ASSERT_EQ(RunFanout(absl::StrCat("generate --users 40000 --seed 23 --region us --out ",
                                     Users()),
                        nullptr, &err),
              0)
        << err;
    // A CSV of the same kind of users in which 300 users are seen again
    // later somewhere else in Texas: the last row wins, so a user's two
    // rows may lie in two ranks' ranges and must still count once.
    ASSERT_EQ(RunFanout(absl::StrCat("generate --users 20000 --seed 29 --region us --out ",
                                     dir_->File("users.csv")),
                        nullptr, &err),
              0)
        << err;
    std::string csv = ReadFileOrEmpty(dir_->File("users.csv"));
    std::mt19937_64 rng(31);
    std::vector<std::string> lines;
    size_t pos = csv.find('\n') + 1;
    for (int i = 0; i < 300; ++i) {
      size_t end = csv.find('\n', pos);
      std::string id = csv.substr(pos, csv.find(',', pos) - pos);
      pos = end + 1;
      std::uniform_real_distribution<double> lat(26, 36), lng(-106, -94);
      lines.push_back(absl::StrFormat("%s,%.6f,%.6f", id, lat(rng), lng(rng)));
    }
    testing::WriteFileOrDie(dir_->File("users-moved.csv"),
                            csv + absl::StrJoin(lines, "\n") + "\n");
    auto file = UsersBinaryFile::Open(Users());
    ASSERT_TRUE(file.ok()) << file.status();
    records_ = new std::vector<UserRecord>((*file)->records().begin(), (*file)->records().end());
  }
  static void TearDownTestSuite() {
    delete records_;
    delete dir_;
  }
  static std::string Users() { return dir_->File("users.bin"); }
  std::string Out(const std::string& name) const {
    return dir_->File(absl::StrCat(name, "-np", GetParam()));
  }

  // `fanout alert ARGS --out A` and `mpirun -np K fanout-mpi alert ARGS
  // --out B` write the same delivery.
  void ExpectSameAsSingle(const std::string& name, const std::string& input,
                          const std::string& area_and_options) {
    const std::string single = Out(name + "-single"), multi = Out(name + "-mpi");
    std::string err;
    ASSERT_EQ(RunFanout(absl::StrCat("alert ", input, " ", area_and_options, " --out ", single,
                                     " --force"),
                        nullptr, &err),
              0)
        << err;
    Result r = Mpi(GetParam(), absl::StrCat("alert ", input, " ", area_and_options, " --out ",
                                            multi, " --force"));
    ASSERT_EQ(r.rc, 0) << r.err;
    ExpectSameDelivery(single, multi);
  }

  // A random star-shaped polygon or circle around a random user.
  std::string RandomArea(std::mt19937_64& rng, bool circle) {
    const UserRecord& u = (*records_)[rng() % records_->size()];
    std::uniform_real_distribution<double> unit(0, 1);
    if (circle) {
      return absl::StrFormat("--circle \"%.5f,%.5f %.1f\"", u.lat(), u.lng(),
                             5 + 300 * unit(rng));
    }
    const int n = 5 + rng() % 6;
    std::vector<std::string> pairs;
    for (int i = 0; i < n; ++i) {
      const double angle = 2 * M_PI * (i + 0.8 * unit(rng)) / n;
      const double r = 0.1 + 2.5 * unit(rng);  // degrees
      pairs.push_back(absl::StrFormat("%.5f,%.5f", u.lat() + r * std::sin(angle),
                                      u.lng() + r * std::cos(angle)));
    }
    pairs.push_back(pairs.front());
    return absl::StrCat("--polygon \"", absl::StrJoin(pairs, " "), "\"");
  }

  static TempDir* dir_;
  static std::vector<UserRecord>* records_;
};
TempDir* FanoutMpiTest::dir_ = nullptr;
std::vector<UserRecord>* FanoutMpiTest::records_ = nullptr;

TEST_P(FanoutMpiTest, RandomPolygonsAndCirclesEqualTheSingleProcessAlert) {
  std::mt19937_64 rng(1000 + GetParam());
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    ExpectSameAsSingle(absl::StrCat("random", i), "--users " + Users(),
                       RandomArea(rng, i % 2 == 1) + " --shards 16");
  }
}

TEST_P(FanoutMpiTest, FipsCodeWithBinaryListsEqualsTheSingleProcessAlert) {
  ExpectSameAsSingle("fips", "--users " + Users(), "--fips 48 --shards 7 --format bin");
}

TEST_P(FanoutMpiTest, UsersSeenTwiceInDifferentRangesCountOnce) {
  ExpectSameAsSingle("moved", "--users " + dir_->File("users-moved.csv"),
                     "--fips 48 --shards 5");
}

TEST_P(FanoutMpiTest, SnapshotAndManifestInputsEqualTheSingleProcessAlert) {
  std::string err;
  const std::string snapshot = dir_->File("users.fo");
  ASSERT_EQ(RunFanout(absl::StrCat("build --users ", Users(), " --out ", snapshot), nullptr, &err),
            0)
      << err;
  std::mt19937_64 rng(2000 + GetParam());
  const std::string area = RandomArea(rng, false) + " --shards 9";
  ExpectSameAsSingle("snapshot", "--index " + snapshot, area);
  const std::string engine_dir = dir_->File(absl::StrCat("engine-np", GetParam()));
  ASSERT_EQ(RunFanout(absl::StrCat("build --users ", Users(), " --dir ", engine_dir), nullptr,
                      &err),
            0)
      << err;
  ExpectSameAsSingle("engine-dir", "--dir " + engine_dir, area);

  const std::string prefix = dir_->File(absl::StrCat("parts-np", GetParam(), "/p"));
  std::filesystem::create_directories(dir_->File(absl::StrCat("parts-np", GetParam())));
  Result built = Mpi(GetParam(), absl::StrCat("build --users ", Users(), " --out ", prefix));
  ASSERT_EQ(built.rc, 0) << built.err;
  const std::string multi = Out("manifest-mpi");
  Result r = Mpi(GetParam(), absl::StrCat("alert --index ", prefix, ".manifest ", area,
                                          " --out ", multi));
  ASSERT_EQ(r.rc, 0) << r.err;
  ExpectSameDelivery(Out("snapshot-single"), multi);
}

// `mpirun -np K fanout-mpi build` reads only its share of the users file
// on each rank (mpi/users_share.h) and exchanges rows by owner; its parts
// must be those of the whole-file path: the same splitters as `fanout-mpi
// build --parts K` in one process, and the parts' columns, concatenated,
// the index `fanout build` writes, for binary input and for a CSV in
// which users appear twice in different shares (the last row wins).
TEST_P(FanoutMpiTest, BuildFromSharesWritesThePartsOfTheWholeFileBuild) {
  const int ranks = GetParam();
  for (const std::string& input : {Users(), dir_->File("users-moved.csv")}) {
    SCOPED_TRACE(input);
    const std::string tag = absl::StrCat(std::filesystem::path(input).extension().string().substr(1),
                                         "-np", ranks);
    const std::string shares = dir_->File("shares-" + tag), whole = dir_->File("whole-" + tag);
    Result r = Mpi(ranks, absl::StrCat("build --users ", input, " --out ", shares));
    ASSERT_EQ(r.rc, 0) << r.err;
    if (ranks > 1) {
      r = Mpi(1, absl::StrCat("build --users ", input, " --out ", whole, " --parts ", ranks));
      ASSERT_EQ(r.rc, 0) << r.err;
      auto a = PartitionManifest::Read(shares + ".manifest");
      auto b = PartitionManifest::Read(whole + ".manifest");
      ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
      EXPECT_EQ(a->splitters, b->splitters);
      EXPECT_EQ(a->users, b->users);
      for (int k = 0; k < ranks; ++k) EXPECT_EQ(a->parts[k].users, b->parts[k].users) << k;
    }
    std::string err;
    const std::string single = dir_->File("single-" + tag + ".fo");
    ASSERT_EQ(RunFanout(absl::StrCat("build --users ", input, " --out ", single), nullptr, &err),
              0)
        << err;
    auto want = LoadSnapshot(single);
    ASSERT_TRUE(want.ok()) << want.status();
    std::vector<uint64_t> cells, users;
    for (int k = 0; k < ranks; ++k) {
      auto part = LoadSnapshot(PartitionManifest::PartPath(shares, k, ranks));
      ASSERT_TRUE(part.ok()) << part.status();
      SortedRun run = part->index->run();
      cells.insert(cells.end(), run.cells.begin(), run.cells.end());
      users.insert(users.end(), run.users.begin(), run.users.end());
    }
    SortedRun run = want->index->run();
    EXPECT_TRUE(std::equal(cells.begin(), cells.end(), run.cells.begin(), run.cells.end()));
    EXPECT_TRUE(std::equal(users.begin(), users.end(), run.users.begin(), run.users.end()));
  }
}

// FANOUT_MPI_RANK_TIMINGS (mpi/rank_clocks.h, read by bench/mpi_scale.sh):
// one line per rank, whose users and matches add up to the job's, and the
// same delivery as without it.
TEST_P(FanoutMpiTest, RankTimingsReportEveryRanksShareOfTheWork) {
  const std::string args = "alert --users " + Users() + " --fips 48 --shards 4 --force --out ";
  Result plain = Mpi(GetParam(), args + Out("timings-plain"));
  ASSERT_EQ(plain.rc, 0) << plain.err;
  Result r = Mpi(GetParam(), args + Out("timings"), "FANOUT_MPI_RANK_TIMINGS=1");
  ASSERT_EQ(r.rc, 0) << r.err;
  ExpectSameDelivery(Out("timings-plain"), Out("timings"));
  EXPECT_EQ(plain.err.find(" work: "), std::string::npos) << plain.err;

  const std::regex line(
      R"(rank (\d+) work: cover [\d.]+ plan [\d.]+ scan [\d.]+ )"
      R"(cpu (-?[\d.]+) runq_wait (-?[\d.]+) ms; )"
      R"(users (\d+) ranges \d+ interior \d+ tested \d+ matched (\d+); )"
      R"(monotonic ([\d.]+) to ([\d.]+) s; yield_when_idle (-?\d+))");
  std::set<int> ranks;
  uint64_t users = 0, matched = 0;
  for (auto it = std::sregex_iterator(r.err.begin(), r.err.end(), line);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    EXPECT_TRUE(ranks.insert(std::stoi(m[1])).second) << "rank " << m[1] << " twice";
    // Signs are captured so that these can fail: the alert used CPU, and
    // a clock read twice does not go back.
    EXPECT_GT(std::stod(m[2]), 0) << m[0];
    EXPECT_GE(std::stod(m[3]), 0) << m[0];
    users += std::stoull(m[4]);
    matched += std::stoull(m[5]);
    EXPECT_LE(std::stod(m[6]), std::stod(m[7]));
    // Ranks yield while they wait unless told otherwise (mpi_world.cc).
    EXPECT_EQ(m[8], "1") << m[0];
  }
  EXPECT_EQ(ranks.size(), static_cast<size_t>(GetParam())) << r.err;
  if (!ranks.empty()) {
    EXPECT_EQ(*ranks.begin(), 0);
    EXPECT_EQ(*ranks.rbegin(), GetParam() - 1);
  }
  auto summary = nlohmann::json::parse(ReadFileOrEmpty(Out("timings") + "/summary.json"));
  EXPECT_EQ(users, summary["work"]["index_users"].get<uint64_t>());
  EXPECT_EQ(matched, summary["matched"].get<uint64_t>());
  EXPECT_GT(matched, 0u);

  // A user's own choice (`--mca mpi_yield_when_idle 0` reaches the ranks
  // as this variable) is kept.
  Result spin = Mpi(GetParam(), args + Out("timings-spin"),
                    "FANOUT_MPI_RANK_TIMINGS=1 OMPI_MCA_mpi_yield_when_idle=0");
  ASSERT_EQ(spin.rc, 0) << spin.err;
  const std::regex spin_line(R"(rank \d+ work: .*; yield_when_idle (-?\d+))");
  int spinning = 0;
  for (auto it = std::sregex_iterator(spin.err.begin(), spin.err.end(), spin_line);
       it != std::sregex_iterator(); ++it) {
    EXPECT_EQ((*it)[1], "0") << (*it)[0];
    ++spinning;
  }
  EXPECT_EQ(spinning, GetParam()) << spin.err;
}

INSTANTIATE_TEST_SUITE_P(Ranks, FanoutMpiTest, ::testing::Values(1, 3),
                         [](const auto& info) { return absl::StrCat("np", info.param); });

// Failures, on 3 ranks.
class FanoutMpiFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    ASSERT_EQ(RunFanout(absl::StrCat("generate --users 20000 --seed 37 --region us --out ",
                                     dir_.File("users.bin")),
                        nullptr, &err),
              0)
        << err;
    Result built = Mpi(3, absl::StrCat("build --users ", dir_.File("users.bin"), " --out ",
                                       dir_.File("p")));
    ASSERT_EQ(built.rc, 0) << built.err;
  }
  TempDir dir_;
};

TEST_F(FanoutMpiFailureTest, ManifestForAnotherRankCountIsRefusedOnEveryRank) {
  Result r = Mpi(4, absl::StrCat("alert --index ", dir_.File("p.manifest"),
                                 " --fips 48201 --shards 4 --out ", dir_.File("out")));
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find(absl::StrCat("ranks 0, 1, 2, 3 of 4: ", dir_.File("p.manifest"),
                                    ": written for 3 ranks, but this job has 4")),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("out")));
}

TEST_F(FanoutMpiFailureTest, APartThatDoesNotMatchTheManifestIsRefused) {
  // Part 1 replaced by another valid snapshot: its checksum (and size)
  // no longer match the manifest.
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("build --users ", dir_.File("users.bin"), " --out ",
                                   dir_.File("p.part-1-of-3.fo")),
                      nullptr, &err),
            0)
      << err;
  Result r = Mpi(3, absl::StrCat("alert --index ", dir_.File("p.manifest"),
                                 " --fips 48201 --shards 4 --out ", dir_.File("out")));
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find(absl::StrCat("rank 1 of 3: ", dir_.File("p.part-1-of-3.fo"),
                                    " does not match ", dir_.File("p.manifest"))),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("out")));

  // A missing part: rank 2 cannot load, and says so.
  std::filesystem::remove(dir_.File("p.part-2-of-3.fo"));
  r = Mpi(3, absl::StrCat("alert --index ", dir_.File("p.manifest"),
                          " --fips 48201 --shards 4 --out ", dir_.File("out")));
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("rank 2 of 3: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("p.part-2-of-3.fo"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("out")));
}

TEST_F(FanoutMpiFailureTest, ARankOutOfMemoryFailsTheAlertNamingIt) {
  Result r = Mpi(3,
                 absl::StrCat("alert --index ", dir_.File("p.manifest"),
                              " --fips 48 --shards 4 --out ", dir_.File("out")),
                 "FANOUT_MPI_TEST_FAIL_RANK=1");
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("rank 1 of 3: out of memory"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("out")));
}

TEST_F(FanoutMpiFailureTest, AKilledRankFailsTheAlertNamingIt) {
  Result r = Mpi(3,
                 absl::StrCat("alert --index ", dir_.File("p.manifest"),
                              " --fips 48 --shards 4 --out ", dir_.File("out")),
                 "FANOUT_MPI_TEST_DIE_RANK=2");
  EXPECT_NE(r.rc, 0) << r.err;
  // mpirun's own report: "process rank 2 with PID ... exited on signal 9".
  EXPECT_NE(r.err.find("rank 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("signal 9"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("out")));
  // No temporary delivery folder left half-written either.
  for (const std::string& name : DirEntries(dir_.path())) {
    EXPECT_EQ(name.find(".out.tmp"), std::string::npos) << name;
  }
}

TEST_F(FanoutMpiFailureTest, ABadRowInAShareIsNamedByItsLineInTheWholeFile) {
  // 3,000 good rows, then a bad one at line 2,902: in the last rank's share.
  std::string csv = "user_id,lat,lng\n";
  for (int i = 0; i < 3000; ++i) {
    csv += absl::StrFormat("%d,%.4f,%.4f\n", i + 1, 30 + i * 0.001, -97 - i * 0.001);
    if (i == 2899) csv += "77777,95.5,-97\n";
  }
  testing::WriteFileOrDie(dir_.File("bad.csv"), csv);
  Result r = Mpi(3, absl::StrCat("build --users ", dir_.File("bad.csv"), " --out ",
                                 dir_.File("bad")));
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find(absl::StrCat("rank 2 of 3: ", dir_.File("bad.csv"), ":2902: ")),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("bad.manifest")));
  // With --skip-bad-rows the row is dropped and the rest is built.
  r = Mpi(3, absl::StrCat("build --users ", dir_.File("bad.csv"), " --out ", dir_.File("bad"),
                          " --skip-bad-rows"));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 3 parts of 3000 users"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(absl::StrCat(dir_.File("bad.csv"), ":2902: ")), std::string::npos) << r.err;

  // A binary file whose records do not match its checksum: refused by rank 0.
  std::string bin = ReadFileOrEmpty(dir_.File("users.bin"));
  bin[bin.size() - 3] ^= 1;
  testing::WriteFileOrDie(dir_.File("damaged.bin"), bin);
  r = Mpi(3, absl::StrCat("build --users ", dir_.File("damaged.bin"), " --out ",
                          dir_.File("damaged")));
  EXPECT_NE(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("rank 0 of 3: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("damaged.manifest")));
}

TEST_F(FanoutMpiFailureTest, BadFlagsAreRefusedOnceWithExitTwo) {
  Result r = Mpi(3, absl::StrCat("alert --users ", dir_.File("users.bin"),
                                 " --fips 48 --out ", dir_.File("out")));
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("--shards is required"), std::string::npos) << r.err;
  r = Mpi(3, absl::StrCat("alert --dir ", dir_.File("nowhere"), " --fips 48 --shards 2 --out ",
                          dir_.File("out")));
  EXPECT_EQ(r.rc, 2) << r.err;
}

}  // namespace
}  // namespace fanout
