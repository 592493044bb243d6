// Copyright 2026 The fan-out engine authors.
//
// Fault injection on snapshots: every truncation length and every single
// flipped byte of a small snapshot, and random truncations, flips and
// overwrites of a larger one, must be refused (kDataLoss naming a section);
// never accepted, never a crash.

#include <random>
#include <string>
#include <vector>

#include "engine/location_index.h"
#include "engine/snapshot.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

// The section a damaged byte belongs to, as the loader names it: the header,
// the table, or the section it lies in or pads (gaps belong to the section
// after them).
std::string SectionOf(size_t offset, const std::vector<SnapshotSection>& sections) {
  if (offset < kSnapshotHeaderSize) return "header";
  if (offset < kSnapshotHeaderSize + 64 * sections.size()) return "section table";
  for (const SnapshotSection& s : sections) {
    if (offset < s.offset + s.size) return s.name;
  }
  return "?";
}

class SnapshotFaultTest : public ::testing::Test {
 protected:
  void Write(size_t users) {
    auto index = LocationIndex::Build(testing::RandomUsers(users, users), {});
    ASSERT_TRUE(index.ok());
    path_ = dir_.File("s.fo");
    ASSERT_TRUE(WriteSnapshot(path_, **index, {}).ok());
    good_ = ReadFileOrEmpty(path_);
    auto snap = LoadSnapshot(path_);
    ASSERT_TRUE(snap.ok()) << snap.status();
    sections_ = snap->sections;
    damaged_ = dir_.File("damaged.fo");
  }

  // Loads `bytes` and expects a refusal; returns the message.
  std::string ExpectRefused(const std::string& bytes) {
    WriteFileOrDie(damaged_, bytes);
    auto snap = LoadSnapshot(damaged_);
    if (snap.ok()) {
      ADD_FAILURE() << "damaged snapshot accepted";
      return "";
    }
    EXPECT_EQ(snap.status().code(), absl::StatusCode::kDataLoss) << snap.status();
    return std::string(snap.status().message());
  }

  TempDir dir_;
  std::string path_, damaged_, good_;
  std::vector<SnapshotSection> sections_;
};

TEST_F(SnapshotFaultTest, EveryTruncationOfASmallSnapshotIsRefused) {
  Write(37);  // 37 users: a gap between the columns, too
  for (size_t len = 0; len < good_.size(); ++len) {
    SCOPED_TRACE(len);
    std::string message = ExpectRefused(good_.substr(0, len));
    EXPECT_NE(message.find("section '"), std::string::npos) << message;
  }
}

TEST_F(SnapshotFaultTest, EveryFlippedByteOfASmallSnapshotIsRefusedNamingItsSection) {
  Write(37);
  std::mt19937_64 rng(1);
  for (size_t i = 0; i < good_.size(); ++i) {
    SCOPED_TRACE(i);
    std::string bad = good_;
    bad[i] ^= static_cast<char>(1 + rng() % 255);
    std::string message = ExpectRefused(bad);
    EXPECT_NE(message.find("section '" + SectionOf(i, sections_) + "'"), std::string::npos)
        << message;
  }
}

TEST_F(SnapshotFaultTest, RandomDamageToALargerSnapshotIsRefused) {
  Write(200000);  // 3.2 MB
  std::mt19937_64 rng(2);
  // Random truncations.
  for (int k = 0; k < 60; ++k) {
    size_t len = rng() % good_.size();
    SCOPED_TRACE(len);
    ExpectRefused(good_.substr(0, len));
  }
  // Random flips: at least 20 in every section, and 20 anywhere.
  for (const SnapshotSection& s : sections_) {
    for (int k = 0; k < 20; ++k) {
      size_t at = s.offset + rng() % s.size;
      SCOPED_TRACE(at);
      std::string bad = good_;
      bad[at] ^= static_cast<char>(1u << (rng() % 8));
      std::string message = ExpectRefused(bad);
      EXPECT_NE(message.find("section '" + s.name + "'"), std::string::npos) << message;
    }
  }
  for (int k = 0; k < 20; ++k) {
    size_t at = rng() % good_.size();
    SCOPED_TRACE(at);
    std::string bad = good_;
    bad[at] ^= static_cast<char>(1u << (rng() % 8));
    ExpectRefused(bad);
  }
  // A zeroed 4 KiB page (a lost write), and garbage appended.
  for (int k = 0; k < 10; ++k) {
    size_t page = (rng() % (good_.size() / 4096)) * 4096;
    std::string bad = good_;
    bool changed = false;
    for (size_t i = page; i < page + 4096; ++i) {
      changed |= bad[i] != 0;
      bad[i] = 0;
    }
    if (changed) ExpectRefused(bad);
  }
  ExpectRefused(good_ + "garbage");
  // The undamaged file still loads: the refusals were about the damage.
  EXPECT_TRUE(LoadSnapshot(path_).ok());
}

}  // namespace
}  // namespace fanout
