// Copyright 2026 The fan-out engine authors.

#include "engine/update_log.h"

#include <signal.h>
#include <sys/resource.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::DirEntries;
using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;
using Kind = LocationUpdate::Kind;

// `n` updates, about one in five a removal (stored with coordinates 0).
std::vector<LocationUpdate> MakeUpdates(uint64_t seed, size_t n) {
  std::vector<UserRecord> users = testing::RandomUsers(seed, n);
  std::vector<LocationUpdate> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(i % 5 == 3 ? LocationUpdate::Remove(users[i].user_id)
                             : LocationUpdate::Upsert(users[i]));
  }
  return out;
}

bool Same(const LocationUpdate& a, const LocationUpdate& b) {
  return a.kind == b.kind && a.location.user_id == b.location.user_id &&
         a.location.lat_e7 == b.location.lat_e7 && a.location.lng_e7 == b.location.lng_e7;
}

struct Replayed {
  UpdateLogScan scan;
  std::vector<std::pair<uint64_t, size_t>> calls;  // (first_seq, size) per apply
  std::vector<uint64_t> seqs;
  std::vector<LocationUpdate> updates;
};

absl::StatusOr<Replayed> Replay(const std::string& path, uint64_t after_seq = 0) {
  Replayed r;
  auto scan = ReplayUpdateLog(path, after_seq,
                              [&](uint64_t first, absl::Span<const LocationUpdate> batch) {
                                r.calls.emplace_back(first, batch.size());
                                for (size_t i = 0; i < batch.size(); ++i) {
                                  r.seqs.push_back(first + i);
                                  r.updates.push_back(batch[i]);
                                }
                                return absl::OkStatus();
                              });
  if (!scan.ok()) return scan.status();
  r.scan = *scan;
  return r;
}

std::unique_ptr<UpdateLogWriter> OpenOrDie(const std::string& path, UpdateLogScan* rec = nullptr) {
  auto w = UpdateLogWriter::Open(path, {}, rec);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? std::move(*w) : nullptr;
}

// A log with three frames: seqs 1-4, 5-11, 12-16. Offsets of the frames.
struct ThreeFrames {
  std::string bytes;
  std::vector<LocationUpdate> updates;
  uint64_t frame[3];
  uint64_t frame_size[3];
};

ThreeFrames WriteThreeFrames(const std::string& path) {
  ThreeFrames t;
  t.updates = MakeUpdates(7, 16);
  auto w = OpenOrDie(path);
  const size_t sizes[3] = {4, 7, 5};
  size_t at = 0;
  for (int f = 0; f < 3; ++f) {
    t.frame[f] = w->bytes();
    EXPECT_TRUE(w->Append(at + 1, absl::MakeConstSpan(t.updates).subspan(at, sizes[f])).ok());
    t.frame_size[f] = w->bytes() - t.frame[f];
    at += sizes[f];
  }
  w.reset();
  t.bytes = ReadFileOrEmpty(path);
  return t;
}

void ExpectDataLoss(const absl::Status& status, const std::string& needle) {
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find(needle), absl::string_view::npos)
      << "'" << needle << "' not in: " << status;
}

void PutU64(std::string* bytes, size_t at, uint64_t v) { std::memcpy(&(*bytes)[at], &v, 8); }

// Recomputes both checksums of the frame at `at` (for hand-made frames).
void ResealFrame(std::string* bytes, size_t at, uint32_t count) {
  PutU64(bytes, at + 16, XXH3_64bits(bytes->data() + at, 16));
  const size_t body = 24 + 24 * size_t{count};
  PutU64(bytes, at + body, XXH3_64bits(bytes->data() + at, body));
}

TEST(UpdateLogTest, FormatIsAsDocumented) {
  TempDir dir;
  auto w = OpenOrDie(dir.File("u.log"));
  std::vector<LocationUpdate> batch = {LocationUpdate::Upsert({0x1122334455667788, -5, 7}),
                                       LocationUpdate::Remove(99)};
  ASSERT_TRUE(w->Append(1000, batch).ok());
  EXPECT_EQ(w->bytes(), 64u + 32u + 48u);
  w.reset();
  const std::string b = ReadFileOrEmpty(dir.File("u.log"));
  ASSERT_EQ(b.size(), 144u);
  EXPECT_EQ(b.substr(0, 8), std::string("FOULOG\0\0", 8));
  uint32_t u32[3];
  std::memcpy(u32, &b[8], 12);
  EXPECT_EQ(u32[0], 2u);   // version
  EXPECT_EQ(u32[1], 64u);  // header size
  EXPECT_EQ(u32[2], 24u);  // record size
  EXPECT_EQ(b.substr(20, 36), std::string(36, '\0'));
  uint64_t v;
  std::memcpy(&v, &b[56], 8);
  EXPECT_EQ(v, XXH3_64bits(b.data(), 56));
  // Frame at 64.
  EXPECT_EQ(b.substr(64, 4), "FOFR");
  std::memcpy(u32, &b[68], 4);
  EXPECT_EQ(u32[0], 2u);
  std::memcpy(&v, &b[72], 8);
  EXPECT_EQ(v, 1000u);
  std::memcpy(&v, &b[80], 8);
  EXPECT_EQ(v, XXH3_64bits(b.data() + 64, 16));
  std::memcpy(&v, &b[88], 8);
  EXPECT_EQ(v, 0x1122334455667788u);
  int32_t ll[2];
  std::memcpy(ll, &b[96], 8);
  EXPECT_EQ(ll[0], -5);
  EXPECT_EQ(ll[1], 7);
  EXPECT_EQ(b.substr(104, 8), std::string(8, '\0'));  // kind 0, padding
  std::memcpy(&v, &b[112], 8);
  EXPECT_EQ(v, 99u);
  EXPECT_EQ(b.substr(120, 8), std::string(8, '\0'));  // removal: coordinates 0
  EXPECT_EQ(b.substr(128, 8), std::string("\1\0\0\0\0\0\0\0", 8));
  std::memcpy(&v, &b[136], 8);
  EXPECT_EQ(v, XXH3_64bits(b.data() + 64, 72));
}

TEST(UpdateLogTest, AttributesAreInTheRecordAndRoundTrip) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  std::vector<LocationUpdate> batch = {
      LocationUpdate::Upsert({7, -5, 7}, /*updated_at=*/0xA1B2C3D4u, /*lang=*/9),
      LocationUpdate::Upsert({8, 1, 2}, /*updated_at=*/0, /*lang=*/3),
      LocationUpdate::Upsert({9, 1, 2}, /*updated_at=*/12345, /*lang=*/0),
      LocationUpdate::Remove(7)};
  {
    auto w = OpenOrDie(path);
    ASSERT_TRUE(w->Append(1, batch).ok());
  }
  const std::string b = ReadFileOrEmpty(path);
  // Record 0 at 64 + 24: kind at +16, lang at +17, padding, updated_at at +20.
  EXPECT_EQ(b.substr(88 + 16, 8), std::string("\0\x09\0\0\xD4\xC3\xB2\xA1", 8));
  std::vector<LocationUpdate> read;
  ASSERT_TRUE(ReplayUpdateLog(path, 0, [&](uint64_t, absl::Span<const LocationUpdate> u) {
                read.insert(read.end(), u.begin(), u.end());
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(read.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(read[i].user_id(), batch[i].user_id()) << i;
    EXPECT_EQ(read[i].kind, batch[i].kind) << i;
    EXPECT_EQ(read[i].lang, batch[i].lang) << i;
    EXPECT_EQ(read[i].updated_at, batch[i].updated_at) << i;
  }
  // A removal never carries attributes: one that does is damage.
  std::string bad = b;
  bad[64 + 24 + 3 * 24 + 17] = 2;
  ResealFrame(&bad, 64, 4);
  WriteFileOrDie(path, bad);
  ExpectDataLoss(Replay(path).status(), "a removal with attributes");
}

// A log written before attributes existed (version 1 header, records with
// zeros after the kind) still reads, as updates without attributes, and is
// appended to.
TEST(UpdateLogTest, Version1LogStillReadsAndAppends) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  {
    auto w = OpenOrDie(path);
    ASSERT_TRUE(w->Append(1, MakeUpdates(1, 10)).ok());
  }
  std::string bytes = ReadFileOrEmpty(path);
  bytes[8] = 1;
  PutU64(&bytes, 56, XXH3_64bits(bytes.data(), 56));
  WriteFileOrDie(path, bytes);
  {
    auto w = OpenOrDie(path);
    LocationUpdate u = LocationUpdate::Upsert({3, 10, 10}, 77, 0);
    ASSERT_TRUE(w->Append(11, {&u, 1}).ok());
  }
  std::vector<LocationUpdate> read;
  auto scan = ReplayUpdateLog(path, 0, [&](uint64_t, absl::Span<const LocationUpdate> u) {
    read.insert(read.end(), u.begin(), u.end());
    return absl::OkStatus();
  });
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(read.size(), 11u);
  for (size_t i = 0; i < 10; ++i) EXPECT_FALSE(read[i].has_attributes()) << i;
  EXPECT_EQ(read[10].updated_at, 77u);
}

TEST(UpdateLogTest, RoundTripManyBatches) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  std::vector<LocationUpdate> all = MakeUpdates(1, 30000);
  std::vector<std::pair<uint64_t, size_t>> batches;
  std::mt19937_64 rng(5);
  {
    auto w = OpenOrDie(path);
    EXPECT_EQ(w->next_seq(), 0u);
    for (size_t at = 0; at < all.size();) {
      size_t n = std::min<size_t>(1 + rng() % 600, all.size() - at);
      ASSERT_TRUE(w->Append(at + 1, absl::MakeConstSpan(all).subspan(at, n)).ok());
      batches.emplace_back(at + 1, n);
      at += n;
      EXPECT_EQ(w->next_seq(), at + 1);
    }
    EXPECT_EQ(w->bytes(), std::filesystem::file_size(path));
    EXPECT_EQ(w->bytes(), 64 + 32 * batches.size() + 24 * all.size());
    EXPECT_TRUE(w->Sync().ok());
  }
  auto r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->calls, batches);
  EXPECT_EQ(r->scan.frames, batches.size());
  EXPECT_EQ(r->scan.updates, all.size());
  EXPECT_EQ(r->scan.applied_updates, all.size());
  EXPECT_EQ(r->scan.first_seq, 1u);
  EXPECT_EQ(r->scan.last_seq, all.size());
  EXPECT_EQ(r->scan.torn_tail_bytes, 0u);
  EXPECT_EQ(r->scan.valid_bytes, std::filesystem::file_size(path));
  ASSERT_EQ(r->updates.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_TRUE(Same(r->updates[i], all[i])) << i;
    ASSERT_EQ(r->seqs[i], i + 1);
  }
  auto scan = ScanUpdateLog(path);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->frames, batches.size());
  EXPECT_EQ(scan->applied_updates, 0u);
}

TEST(UpdateLogTest, NewLogHoldsOnlyTheHeaderAndMayStartAtAnySeq) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  auto w = OpenOrDie(path);
  EXPECT_EQ(DirEntries(dir.path()), std::vector<std::string>{"u.log"});  // no temp file left
  EXPECT_EQ(std::filesystem::file_size(path), 64u);
  auto r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scan.frames, 0u);
  EXPECT_EQ(r->scan.last_seq, 0u);
  EXPECT_TRUE(r->calls.empty());
  ASSERT_TRUE(w->Append(5001, MakeUpdates(2, 3)).ok());
  EXPECT_EQ(w->next_seq(), 5004u);
  r = Replay(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->scan.first_seq, 5001u);
  EXPECT_EQ(r->scan.last_seq, 5003u);
}

TEST(UpdateLogTest, ReopenAndContinueAppending) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  std::vector<LocationUpdate> all = MakeUpdates(3, 300);
  uint64_t bytes;
  {
    auto w = OpenOrDie(path);
    ASSERT_TRUE(w->Append(1, absl::MakeConstSpan(all).subspan(0, 100)).ok());
    ASSERT_TRUE(w->Append(101, absl::MakeConstSpan(all).subspan(100, 50)).ok());
    bytes = w->bytes();
  }
  {
    UpdateLogScan recovered;
    auto w = OpenOrDie(path, &recovered);
    EXPECT_EQ(recovered.frames, 2u);
    EXPECT_EQ(recovered.torn_tail_bytes, 0u);
    EXPECT_EQ(w->next_seq(), 151u);
    EXPECT_EQ(w->bytes(), bytes);
    EXPECT_EQ(w->Append(150, absl::MakeConstSpan(all).subspan(149, 1)).code(),
              absl::StatusCode::kInvalidArgument);
    ASSERT_TRUE(w->Append(151, absl::MakeConstSpan(all).subspan(150)).ok());
  }
  auto r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->updates.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_TRUE(Same(r->updates[i], all[i])) << i;
  EXPECT_EQ(r->scan.frames, 3u);
}

TEST(UpdateLogTest, BadAppendsAreRefusedAndWriteNothing) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  auto w = OpenOrDie(path);
  std::vector<LocationUpdate> u = MakeUpdates(4, 10);
  EXPECT_EQ(w->Append(0, u).code(), absl::StatusCode::kInvalidArgument);  // seqs start at 1
  EXPECT_EQ(w->Append(1, {}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Append(~uint64_t{0} - 3, u).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(w->Append(1, u).ok());
  const uint64_t bytes = w->bytes();
  auto gap = w->Append(12, u);
  EXPECT_EQ(gap.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(gap.message().find("expects 11"), absl::string_view::npos) << gap;
  EXPECT_EQ(w->Append(10, u).code(), absl::StatusCode::kInvalidArgument);  // overlap
  EXPECT_EQ(w->Append(1, u).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w->bytes(), bytes);
  EXPECT_EQ(std::filesystem::file_size(path), bytes);
  // Refusals are not sticky.
  ASSERT_TRUE(w->Append(11, u).ok());
  EXPECT_EQ(w->next_seq(), 21u);
}

TEST(UpdateLogTest, InvalidKindAndCoordinatesRefused) {
  TempDir dir;
  auto w = OpenOrDie(dir.File("u.log"));
  std::vector<LocationUpdate> u = MakeUpdates(5, 4);
  u[2].kind = static_cast<Kind>(7);
  auto s = w->Append(1, u);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("kind 7"), absl::string_view::npos) << s;
  u[2] = LocationUpdate::Upsert({42, 900000001, 0});
  EXPECT_EQ(w->Append(1, u).code(), absl::StatusCode::kInvalidArgument);
  u[2] = LocationUpdate::Upsert({42, 0, -1800000001});
  EXPECT_EQ(w->Append(1, u).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w->bytes(), 64u);
  EXPECT_EQ(w->next_seq(), 0u);
  // A removal's coordinates do not matter (stored as 0).
  u[2] = LocationUpdate{{42, 2000000000, 2000000000}, Kind::kRemove};
  EXPECT_TRUE(w->Append(1, u).ok());
}

TEST(UpdateLogTest, InvalidRecordInFileIsDataLossEvenAsLastFrame) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);
  struct Case {
    size_t record;
    size_t byte;
    char value;
    std::string needle;
  };
  for (const Case& c : {Case{1, 16, 2, "invalid kind 2"}, Case{0, 18, 1, "nonzero padding"},
                        Case{3, 11, 0x7f, "coordinates out of range"}}) {
    for (int f : {1, 2}) {
      std::string bytes = t.bytes;
      const size_t at = t.frame[f] + 24 + 24 * c.record;
      bytes[at + c.byte] = c.value;
      ResealFrame(&bytes, t.frame[f], f == 1 ? 7 : 5);
      WriteFileOrDie(path, bytes);
      auto r = Replay(path);
      ExpectDataLoss(r.status(), c.needle);
      ExpectDataLoss(r.status(), absl::StrCat("frame at byte ", t.frame[f]));
      ExpectDataLoss(r.status(), absl::StrCat("record ", c.record, " at byte ", at));
      ExpectDataLoss(UpdateLogWriter::Open(path, {}).status(), c.needle);
      EXPECT_EQ(ReadFileOrEmpty(path), bytes);  // Open left it alone
    }
  }
}

TEST(UpdateLogTest, SequenceGapInFileIsDataLoss) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);
  for (int f : {1, 2}) {
    for (uint64_t seq : {uint64_t{4}, uint64_t{13}, uint64_t{0}}) {
      std::string bytes = t.bytes;
      PutU64(&bytes, t.frame[f] + 8, seq);
      ResealFrame(&bytes, t.frame[f], f == 1 ? 7 : 5);
      WriteFileOrDie(path, bytes);
      auto r = Replay(path);
      ExpectDataLoss(r.status(), absl::StrCat("frame at byte ", t.frame[f]));
      ExpectDataLoss(r.status(), seq == 0 ? "invalid first_seq" : "does not follow");
      EXPECT_EQ(UpdateLogWriter::Open(path, {}).status().code(), absl::StatusCode::kDataLoss);
    }
  }
  // A count of 0 with good checksums.
  std::string bytes = t.bytes;
  std::memset(&bytes[t.frame[1] + 4], 0, 4);
  PutU64(&bytes, t.frame[1] + 16, XXH3_64bits(bytes.data() + t.frame[1], 16));
  WriteFileOrDie(path, bytes);
  ExpectDataLoss(Replay(path).status(), "update count 0");
}

TEST(UpdateLogTest, ReplayAfterSeq) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);  // 1-4, 5-11, 12-16
  using Calls = std::vector<std::pair<uint64_t, size_t>>;
  struct Case {
    uint64_t after;
    Calls calls;
  };
  for (const Case& c : {Case{0, {{1, 4}, {5, 7}, {12, 5}}}, Case{4, {{5, 7}, {12, 5}}},
                        Case{8, {{9, 3}, {12, 5}}}, Case{11, {{12, 5}}}, Case{15, {{16, 1}}},
                        Case{16, {}}, Case{1000, {}}}) {
    auto r = Replay(path, c.after);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->calls, c.calls) << "after " << c.after;
    const uint64_t expected = 16 - std::min<uint64_t>(c.after, 16);
    EXPECT_EQ(r->scan.applied_updates, expected);
    EXPECT_EQ(r->scan.updates, 16u);  // the whole log is still verified
    ASSERT_EQ(r->updates.size(), expected);
    for (size_t i = 0; i < r->updates.size(); ++i) {
      EXPECT_EQ(r->seqs[i], c.after + 1 + i);
      EXPECT_TRUE(Same(r->updates[i], t.updates[c.after + i]));
    }
  }
}

TEST(UpdateLogTest, ApplyErrorStopsReplay) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  WriteThreeFrames(path);
  int calls = 0;
  auto r = ReplayUpdateLog(path, 0, [&](uint64_t first, absl::Span<const LocationUpdate>) {
    ++calls;
    return first == 5 ? absl::AbortedError("stop here") : absl::OkStatus();
  });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(calls, 2);
}

TEST(UpdateLogTest, TornTailAtEveryOffsetIsIgnoredAndCutByOpen) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);
  const uint64_t last = t.frame[2];
  ASSERT_EQ(last + t.frame_size[2], t.bytes.size());
  for (uint64_t len = last; len < t.bytes.size(); ++len) {
    SCOPED_TRACE(len);
    WriteFileOrDie(path, t.bytes.substr(0, len));
    auto r = Replay(path);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->scan.frames, 2u);
    EXPECT_EQ(r->scan.last_seq, 11u);
    EXPECT_EQ(r->updates.size(), 11u);
    EXPECT_EQ(r->scan.torn_tail_bytes, len - last);
    EXPECT_EQ(r->scan.valid_bytes, last);
    if (len > last) {
      EXPECT_NE(r->scan.torn_tail_detail.find(absl::StrCat("at byte ", last)), std::string::npos)
          << r->scan.torn_tail_detail;
    }
    UpdateLogScan recovered;
    auto w = OpenOrDie(path, &recovered);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(recovered.torn_tail_bytes, len - last);
    EXPECT_EQ(std::filesystem::file_size(path), last);
    EXPECT_EQ(w->next_seq(), 12u);
    ASSERT_TRUE(w->Append(12, absl::MakeConstSpan(t.updates).subspan(11)).ok());
    w.reset();
    EXPECT_EQ(ReadFileOrEmpty(path), t.bytes);  // exactly the original log again
  }
}

TEST(UpdateLogTest, ZeroFilledTailIsTorn) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);
  // A crash after the size grew but before the data reached the disk.
  WriteFileOrDie(path, t.bytes + std::string(4096, '\0'));
  auto r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scan.frames, 3u);
  EXPECT_EQ(r->scan.torn_tail_bytes, 4096u);
  // The last frame's records zeroed too (its header survived).
  std::string bytes = t.bytes;
  std::memset(&bytes[t.frame[2] + 24], 0, bytes.size() - t.frame[2] - 24);
  WriteFileOrDie(path, bytes + std::string(100, '\0'));
  r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scan.frames, 2u);
  EXPECT_EQ(r->scan.torn_tail_bytes, t.frame_size[2] + 100);
}

TEST(UpdateLogTest, FlippedByteInMiddleFrameIsDataLossNamingTheOffset) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);
  for (int f : {0, 1}) {
    for (uint64_t at = t.frame[f]; at < t.frame[f] + t.frame_size[f]; ++at) {
      SCOPED_TRACE(at);
      std::string bytes = t.bytes;
      bytes[at] ^= 0x20;
      WriteFileOrDie(path, bytes);
      auto r = Replay(path);
      ExpectDataLoss(r.status(), absl::StrCat("update log ", path, ": frame at byte ", t.frame[f]));
      auto w = UpdateLogWriter::Open(path, {});
      ExpectDataLoss(w.status(), absl::StrCat("frame at byte ", t.frame[f]));
      EXPECT_EQ(ReadFileOrEmpty(path), bytes);
    }
  }
}

TEST(UpdateLogTest, FlippedByteInLastFrameIsTorn) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);
  for (uint64_t at = t.frame[2]; at < t.bytes.size(); ++at) {
    SCOPED_TRACE(at);
    std::string bytes = t.bytes;
    bytes[at] ^= 0x01;
    WriteFileOrDie(path, bytes);
    auto r = Replay(path);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->scan.frames, 2u);
    EXPECT_EQ(r->scan.torn_tail_bytes, t.frame_size[2]);
    EXPECT_EQ(r->updates.size(), 11u);
    UpdateLogScan recovered;
    auto w = OpenOrDie(path, &recovered);
    EXPECT_EQ(recovered.torn_tail_bytes, t.frame_size[2]);
    EXPECT_EQ(std::filesystem::file_size(path), t.frame[2]);
  }
}

TEST(UpdateLogTest, BadHeaderIsDataLoss) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  ThreeFrames t = WriteThreeFrames(path);
  for (size_t at = 0; at < 64; ++at) {
    std::string bytes = t.bytes;
    bytes[at] ^= 0x04;
    WriteFileOrDie(path, bytes);
    EXPECT_EQ(Replay(path).status().code(), absl::StatusCode::kDataLoss) << at;
    EXPECT_EQ(UpdateLogWriter::Open(path, {}).status().code(), absl::StatusCode::kDataLoss) << at;
    EXPECT_EQ(ReadFileOrEmpty(path), bytes);
  }
  std::string bytes = t.bytes;
  bytes[0] = 'X';
  WriteFileOrDie(path, bytes);
  ExpectDataLoss(Replay(path).status(), "bad magic");
  bytes = t.bytes;
  bytes[8] = 3;  // version 3, checksum recomputed
  PutU64(&bytes, 56, XXH3_64bits(bytes.data(), 56));
  WriteFileOrDie(path, bytes);
  ExpectDataLoss(Replay(path).status(), "version 3");
  bytes = t.bytes;
  bytes[40] = 1;
  WriteFileOrDie(path, bytes);
  ExpectDataLoss(Replay(path).status(), "header checksum");
}

TEST(UpdateLogTest, EmptyOrShortFileIsDataLossAndLeftAlone) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  for (size_t len : {size_t{0}, size_t{8}, size_t{63}}) {
    ThreeFrames t = WriteThreeFrames(path);
    WriteFileOrDie(path, t.bytes.substr(0, len));
    ExpectDataLoss(Replay(path).status(), "too short");
    ExpectDataLoss(UpdateLogWriter::Open(path, {}).status(), "too short");
    EXPECT_EQ(std::filesystem::file_size(path), len);
    std::filesystem::remove(path);
  }
}

TEST(UpdateLogTest, MissingFile) {
  TempDir dir;
  auto r = Replay(dir.File("none.log"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
}

TEST(UpdateLogTest, RemovalsSurvive) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  std::vector<LocationUpdate> u = {LocationUpdate::Upsert({42, 10, 20}),
                                   LocationUpdate::Remove(42),
                                   LocationUpdate{{43, 5, 6}, Kind::kRemove},
                                   LocationUpdate::Upsert({42, -10, -20})};
  ASSERT_TRUE(OpenOrDie(path)->Append(1, u).ok());
  auto r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->updates.size(), 4u);
  EXPECT_TRUE(Same(r->updates[0], u[0]));
  EXPECT_TRUE(Same(r->updates[1], LocationUpdate::Remove(42)));
  EXPECT_TRUE(Same(r->updates[2], LocationUpdate::Remove(43)));
  EXPECT_TRUE(Same(r->updates[3], u[3]));
}

TEST(UpdateLogTest, SecondWriterRefused) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  auto first = OpenOrDie(path);
  EXPECT_EQ(UpdateLogWriter::Open(path, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  first.reset();
  EXPECT_TRUE(UpdateLogWriter::Open(path, {}).ok());
}

TEST(UpdateLogTest, HugeBatchIsSplitIntoFrames) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  const size_t n = kUpdateLogMaxFrameUpdates + 5;
  std::vector<LocationUpdate> u(n, LocationUpdate::Upsert({1, 2, 3}));
  for (size_t i = 0; i < n; ++i) u[i].location.user_id = i;
  UpdateLogWriter::Options options;
  options.sync_each_append = true;
  auto w = UpdateLogWriter::Open(path, options);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Append(7, u).ok());
  EXPECT_EQ((*w)->next_seq(), 7 + n);
  auto r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  using Calls = std::vector<std::pair<uint64_t, size_t>>;
  EXPECT_EQ(r->calls, (Calls{{7, kUpdateLogMaxFrameUpdates}, {7 + kUpdateLogMaxFrameUpdates, 5}}));
  ASSERT_EQ(r->updates.size(), n);
  EXPECT_EQ(r->updates.back().location.user_id, n - 1);
}

// A write error (here: the file size limit) fails the Append, leaves no
// partial frame, and fails every later Append with the same error.
TEST(UpdateLogTest, WriteErrorIsStickyAndLeavesNoPartialFrame) {
  TempDir dir;
  const std::string path = dir.File("u.log");
  auto w = OpenOrDie(path);
  std::vector<LocationUpdate> u = MakeUpdates(9, 1000);
  ASSERT_TRUE(w->Append(1, absl::MakeConstSpan(u).subspan(0, 10)).ok());
  const uint64_t good = w->bytes();

  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = old_limit;
  limit.rlim_cur = good + 1000;  // room for part of the next frame
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  absl::Status failed = w->Append(11, absl::MakeConstSpan(u).subspan(10));
  absl::Status later = w->Append(11, absl::MakeConstSpan(u).subspan(10, 1));
  absl::Status sync = w->Sync();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal) << failed;
  EXPECT_NE(failed.message().find(path), absl::string_view::npos) << failed;
  EXPECT_EQ(later, failed);
  EXPECT_EQ(sync, failed);
  EXPECT_EQ(w->next_seq(), 11u);
  EXPECT_EQ(w->bytes(), good);
  EXPECT_EQ(std::filesystem::file_size(path), good);  // the partial frame was cut
  w.reset();
  auto r = Replay(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scan.torn_tail_bytes, 0u);
  EXPECT_EQ(r->updates.size(), 10u);
}

// Writes the seed corpus of fuzz/update_log_fuzzer.cc into
// $UPDATE_LOG_SEED_DIR: run by hand with --gtest_also_run_disabled_tests.
TEST(UpdateLogTest, DISABLED_WriteFuzzSeeds) {
  const char* out = std::getenv("UPDATE_LOG_SEED_DIR");
  ASSERT_NE(out, nullptr);
  TempDir dir;
  ThreeFrames t = WriteThreeFrames(dir.File("u.log"));
  const std::string o = out;
  WriteFileOrDie(o + "/valid.log", t.bytes);
  WriteFileOrDie(o + "/header_only.log", t.bytes.substr(0, 64));
  WriteFileOrDie(o + "/torn_tail.log", t.bytes.substr(0, t.bytes.size() - 30));
  std::string bytes = t.bytes;
  bytes[t.frame[1] + 40] ^= 1;
  WriteFileOrDie(o + "/corrupt_middle.log", bytes);
  bytes = t.bytes;
  bytes[t.frame[2] + 40] ^= 1;
  WriteFileOrDie(o + "/corrupt_last.log", bytes);
  WriteFileOrDie(o + "/zero_tail.log", t.bytes + std::string(200, '\0'));
}

}  // namespace
}  // namespace fanout
