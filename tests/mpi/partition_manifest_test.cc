// Copyright 2026 The fan-out engine authors.

#include "mpi/partition_manifest.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

PartitionManifest Sample() {
  PartitionManifest m;
  m.ranks = 3;
  m.splitters = {100, UINT64_C(0xfedcba9876543211)};
  m.parts = {{"p.part-0-of-3.fo", 5, 640, 1},
             {"p.part-1-of-3.fo", 6, 704, UINT64_C(0xffffffffffffffff)},
             {"p.part-2-of-3.fo", 0, 320, 3}};
  m.users = 11;
  return m;
}

TEST(PartitionManifestTest, RoundTrips) {
  TempDir dir;
  const std::string path = dir.File("p.manifest");
  ASSERT_TRUE(Sample().Write(path).ok());
  auto read = PartitionManifest::Read(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->ranks, 3);
  EXPECT_EQ(read->users, 11u);
  EXPECT_EQ(read->splitters, Sample().splitters);
  ASSERT_EQ(read->parts.size(), 3u);
  EXPECT_EQ(read->parts[1].checksum, UINT64_C(0xffffffffffffffff));
  EXPECT_EQ(read->PartFile(path, 2), dir.File("p.part-2-of-3.fo"));
  EXPECT_EQ(PartitionManifest::PartPath("x/p", 2, 3), "x/p.part-2-of-3.fo");
}

TEST(PartitionManifestTest, RefusesDamageNamingTheFile) {
  TempDir dir;
  const std::string path = dir.File("p.manifest");
  for (const char* bad : {
           "not json",
           R"({"format": "other", "version": 1})",
           R"({"format": "fanout-mpi-manifest", "version": 2})",
           R"({"format": "fanout-mpi-manifest", "version": 1, "ranks": 2, "users": 0,
               "splitters": [], "parts": []})",
           R"({"format": "fanout-mpi-manifest", "version": 1, "ranks": 3, "users": 0,
               "splitters": [5, 4], "parts": []})",
           R"({"format": "fanout-mpi-manifest", "version": 1, "ranks": 1, "users": 7,
               "splitters": [], "parts": [{"file": "a.fo", "users": 6, "bytes": 1,
               "checksum": "0000000000000001"}]})",
           R"({"format": "fanout-mpi-manifest", "version": 1, "ranks": 1, "users": 6,
               "splitters": [], "parts": [{"file": "../a.fo", "users": 6, "bytes": 1,
               "checksum": "0000000000000001"}]})",
       }) {
    WriteFileOrDie(path, bad);
    auto read = PartitionManifest::Read(path);
    ASSERT_FALSE(read.ok()) << bad;
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
    EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status();
  }
  EXPECT_EQ(PartitionManifest::Read(dir.File("missing.manifest")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fanout
