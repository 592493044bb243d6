// Copyright 2026 The fan-out engine authors.
//
// User attributes (issue 18): language tags and their matching, the CSV
// columns, the users binary version 2 and the snapshot attrs section, each
// round-tripped with and without attributes, old files still read, and
// damaged or malformed values refused naming where.

#include "engine/user_attributes.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/location_index.h"
#include "base/mapped_file.h"
#include "engine/snapshot.h"
#include "engine/users_binary.h"
#include "engine/users_csv.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

const std::vector<std::string> kTags = {"en-US", "es-US", "zh-CN", "vi", "fr-CA", "ko"};

// Random attributes for n rows: a lang code in 0..kTags.size(), an
// updated_at of 0 (unknown) or around 1.7e9.
std::shared_ptr<const UserAttributes> RandomAttributes(uint64_t seed, size_t n,
                                                       UserAttributes::Kinds kinds = {true, true}) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> lang(kinds.lang ? n : 0);
  std::vector<uint32_t> updated(kinds.updated_at ? n : 0);
  for (size_t i = 0; i < n; ++i) {
    if (kinds.lang) lang[i] = static_cast<uint8_t>(rng() % (kTags.size() + 1));
    if (kinds.updated_at) updated[i] = rng() % 10 == 0 ? 0 : 1700000000 + rng() % 1000000;
  }
  return UserAttributes::Own(kinds, kTags, std::move(lang), std::move(updated), n);
}

void ExpectSameAttributes(const UserAttributes& a, const UserAttributes& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.has_lang(), b.has_lang());
  ASSERT_EQ(a.has_updated_at(), b.has_updated_at());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a.LanguageOf(i), b.LanguageOf(i)) << i;
    if (a.has_updated_at()) {
      ASSERT_EQ(a.updated_at()[i], b.updated_at()[i]) << i;
    }
  }
}

TEST(LanguageTagTest, NormalisesCase) {
  EXPECT_EQ(*NormalizeLanguageTag("EN-us"), "en-US");
  EXPECT_EQ(*NormalizeLanguageTag("zh-hant-tw"), "zh-Hant-TW");
  EXPECT_EQ(*NormalizeLanguageTag("fr-ca"), "fr-CA");
  EXPECT_EQ(*NormalizeLanguageTag("es-419"), "es-419");
  EXPECT_EQ(*NormalizeLanguageTag("en-x-US"), "en-x-us");  // private use: lower case
  for (const char* bad : {"", "e n", "en_US", "12", "en--US", "-en", "en-", "toolongtag",
                          "en-US-abcdefghi", "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s"}) {
    absl::StatusOr<std::string> tag = NormalizeLanguageTag(bad);
    EXPECT_EQ(tag.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(LanguageTagTest, MatchInfoBlockPrefersExactThenPrimaryThenFirst) {
  const std::vector<std::string> infos = {"en-US", "es-US", "fr-FR", "fr-CA", "zh"};
  EXPECT_EQ(MatchInfoBlock("fr-CA", infos), 3u);   // exact beats an earlier primary match
  EXPECT_EQ(MatchInfoBlock("FR-ca", infos), 3u);   // case-insensitive
  EXPECT_EQ(MatchInfoBlock("fr-BE", infos), 2u);   // primary: the first fr block
  EXPECT_EQ(MatchInfoBlock("fr", infos), 2u);
  EXPECT_EQ(MatchInfoBlock("zh-Hant-TW", infos), 4u);
  EXPECT_EQ(MatchInfoBlock("es-MX", infos), 1u);
  EXPECT_EQ(MatchInfoBlock("ko", infos), 0u);      // no match: the first block
  EXPECT_EQ(MatchInfoBlock("", infos), 0u);        // no language: the first block
}

TEST(DurationTest, UnitsAndRefusals) {
  EXPECT_EQ(*ParseDurationSeconds("6h"), 6 * 3600);
  EXPECT_EQ(*ParseDurationSeconds("90m"), 90 * 60);
  EXPECT_EQ(*ParseDurationSeconds("2d"), 2 * 86400);
  EXPECT_EQ(*ParseDurationSeconds("45s"), 45);
  EXPECT_EQ(*ParseDurationSeconds("3600"), 3600);
  for (const char* bad : {"", "0", "-5m", "6 h", "h", "1.5h", "6w", "99999999999999d"}) {
    EXPECT_EQ(ParseDurationSeconds(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(*ParseUnixTime("1767225600"), 1767225600);
  EXPECT_EQ(*ParseUnixTime("2026-01-01T00:00:00Z"), 1767225600);
  EXPECT_EQ(*ParseUnixTime("2025-12-31T19:00:00-05:00"), 1767225600);
  EXPECT_FALSE(ParseUnixTime("yesterday").ok());
  EXPECT_EQ(*AlertTime("2026-01-01T00:00:00Z", std::nullopt), 1767225600);
  EXPECT_EQ(*AlertTime("2026-01-01T00:00:00Z", 5), 5);  // --now wins
  EXPECT_FALSE(AlertTime("not a time", std::nullopt).ok());
  EXPECT_GT(*AlertTime("", std::nullopt), 1700000000);  // no <sent>: now
}

TEST(UsersCsvAttributesTest, RoundTripWithAndWithout) {
  TempDir dir;
  std::vector<UserRecord> users = testing::RandomUsers(3, 20000);
  for (UserAttributes::Kinds kinds : {UserAttributes::Kinds{true, true},
                                      UserAttributes::Kinds{true, false},
                                      UserAttributes::Kinds{false, true}}) {
    std::shared_ptr<const UserAttributes> attrs = RandomAttributes(4, users.size(), kinds);
    ASSERT_TRUE(WriteUsersCsv(dir.File("u.csv"), users, attrs.get()).ok());
    std::shared_ptr<const UserAttributes> back;
    UsersCsvStats stats;
    auto rows = ReadUsersCsv(dir.File("u.csv"), {}, &stats, &back);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), users.size());
    ASSERT_NE(back, nullptr);
    ExpectSameAttributes(*attrs, *back);
    EXPECT_LE(back->languages().size(), kTags.size());
  }
  // Without attribute columns: no attributes, and the file is as before.
  ASSERT_TRUE(WriteUsersCsv(dir.File("p.csv"), users).ok());
  EXPECT_EQ(ReadFileOrEmpty(dir.File("p.csv")).substr(0, 16), "user_id,lat,lng\n");
  std::shared_ptr<const UserAttributes> back;
  ASSERT_TRUE(ReadUsersCsv(dir.File("p.csv"), {}, nullptr, &back).ok());
  EXPECT_EQ(back, nullptr);
}

TEST(UsersCsvAttributesTest, ColumnsInAnyOrderAmongOthers) {
  const std::string text =
      "user_id,lat,lng,updated_at,device,LANG\n"
      "1,10,20,1700000000,ios,en-us\n"
      "2,11,21,,android,\n"  // empty: unknown time, no language
      "3,12,22,0,web,ES\n"   // 0: unknown
      "4,13,23,1700000500,ios\n";  // a short row: the missing lang is empty
  std::shared_ptr<const UserAttributes> attrs;
  auto rows = ParseUsersCsv(text, "t.csv", {}, nullptr, &attrs);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  ASSERT_NE(attrs, nullptr);
  EXPECT_EQ(attrs->languages(), (std::vector<std::string>{"en-US", "es"}));
  EXPECT_EQ(attrs->LanguageOf(0), "en-US");
  EXPECT_EQ(attrs->LanguageOf(1), "");
  EXPECT_EQ(attrs->LanguageOf(2), "es");
  EXPECT_EQ(attrs->LanguageOf(3), "");
  EXPECT_EQ(std::vector<uint32_t>(attrs->updated_at().begin(), attrs->updated_at().end()),
            (std::vector<uint32_t>{1700000000, 0, 0, 1700000500}));
}

TEST(UsersCsvAttributesTest, MalformedValuesNameLineAndColumn) {
  struct Case {
    std::string row;
    std::string expect;
  };
  for (const Case& c : std::vector<Case>{
           {"2,1,1,e n,5", "t.csv:3: column 4 (lang): lang \"e n\""},
           {"2,1,1,en,-5", "t.csv:3: column 5 (updated_at): updated_at \"-5\""},
           {"2,1,1,en,4294967296", "t.csv:3: column 5 (updated_at)"},
           {"2,1,1,en,1.5", "t.csv:3: column 5 (updated_at)"},
       }) {
    const std::string text = "user_id,lat,lng,lang,updated_at\n1,1,1,en,1\n" + c.row + "\n3,1,1,,\n";
    std::shared_ptr<const UserAttributes> attrs;
    auto rows = ParseUsersCsv(text, "t.csv", {}, nullptr, &attrs);
    ASSERT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument) << c.row;
    EXPECT_NE(rows.status().message().find(c.expect), std::string::npos) << rows.status();
    // Skipped with skip_bad_rows, counted, and the attributes stay parallel.
    UsersCsvOptions skip;
    skip.skip_bad_rows = true;
    UsersCsvStats stats;
    rows = ParseUsersCsv(text, "t.csv", skip, &stats, &attrs);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(stats.bad_rows, 1u);
    EXPECT_EQ(stats.first_bad_line, 3u);
    ASSERT_EQ(rows->size(), 2u);
    ASSERT_EQ(attrs->size(), 2u);
    EXPECT_EQ((*rows)[1].user_id, 3u);
    EXPECT_EQ(attrs->LanguageOf(0), "en");
    EXPECT_EQ(attrs->LanguageOf(1), "");
    // A reader that does not ask for attributes ignores the columns, as before.
    EXPECT_TRUE(ParseUsersCsv(text, "t.csv", {}).ok());
  }
}

TEST(UsersCsvAttributesTest, MoreThan255DistinctTagsIsRefusedNamingTheLimit) {
  auto tag = [](int k) { return std::string{'x', char('a' + k / 26 % 26), char('a' + k % 26)}; };
  std::string text = "user_id,lat,lng,lang\n";
  for (int k = 0; k < 255; ++k) absl::StrAppend(&text, k, ",1,1,", tag(k), "\n");
  std::shared_ptr<const UserAttributes> attrs;
  auto rows = ParseUsersCsv(text, "t.csv", {}, nullptr, &attrs);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(attrs->languages().size(), 255u);
  absl::StrAppend(&text, "999,1,1,", tag(300), "\n");  // line 257
  UsersCsvOptions skip;
  skip.skip_bad_rows = true;  // not a bad row: a limit of the whole file
  rows = ParseUsersCsv(text, "t.csv", skip, nullptr, &attrs);
  ASSERT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("t.csv:257: column 4 (lang)"), std::string::npos)
      << rows.status();
  EXPECT_NE(rows.status().message().find("at most 255 distinct tags"), std::string::npos)
      << rows.status();
}

void WriteBinary(const std::string& path, const std::vector<UserRecord>& users,
                 const UserAttributes* attrs, UserAttributes::Kinds kinds) {
  auto writer = UsersBinaryWriter::Create(path, kinds);
  ASSERT_TRUE(writer.ok()) << writer.status();
  // Two batches, the second with its own dictionary order.
  const size_t half = users.size() / 2;
  if (attrs == nullptr) {
    ASSERT_TRUE((*writer)->Append(users).ok());
  } else {
    auto first = UserAttributes::Borrow(
        attrs->kinds(), attrs->languages(),
        attrs->has_lang() ? attrs->lang().subspan(0, half) : absl::Span<const uint8_t>(),
        attrs->has_updated_at() ? attrs->updated_at().subspan(0, half) : absl::Span<const uint32_t>(),
        half, nullptr);
    ASSERT_TRUE((*writer)->Append(absl::MakeConstSpan(users).subspan(0, half), *first).ok());
    std::vector<std::string> reversed(attrs->languages().rbegin(), attrs->languages().rend());
    std::vector<uint8_t> lang;
    std::vector<uint32_t> updated;
    for (size_t i = half; i < users.size(); ++i) {
      if (attrs->has_lang()) {
        const uint8_t c = attrs->lang()[i];
        lang.push_back(c == 0 ? 0 : static_cast<uint8_t>(reversed.size() + 1 - c));
      }
      if (attrs->has_updated_at()) updated.push_back(attrs->updated_at()[i]);
    }
    auto second = UserAttributes::Own(attrs->kinds(), reversed, lang, updated, users.size() - half);
    ASSERT_TRUE((*writer)->Append(absl::MakeConstSpan(users).subspan(half), *second).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
}

TEST(UsersBinaryAttributesTest, RoundTripAndOldFiles) {
  TempDir dir;
  std::vector<UserRecord> users = testing::RandomUsers(5, 10001);
  std::shared_ptr<const UserAttributes> attrs = RandomAttributes(6, users.size());
  WriteBinary(dir.File("a.bin"), users, attrs.get(), attrs->kinds());
  auto file = UsersBinaryFile::Open(dir.File("a.bin"));
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ((*file)->records().size(), users.size());
  ASSERT_NE((*file)->attributes(), nullptr);
  ExpectSameAttributes(*attrs, *(*file)->attributes());
  EXPECT_EQ(ReadFileOrEmpty(dir.File("a.bin"))[8], 2);  // version 2

  // Without attributes: version 1, exactly 32 + 16 N bytes, as before.
  WriteBinary(dir.File("p.bin"), users, nullptr, {});
  EXPECT_EQ(std::filesystem::file_size(dir.File("p.bin")), kUsersHeaderSize + 16 * users.size());
  EXPECT_EQ(ReadFileOrEmpty(dir.File("p.bin"))[8], 1);
  file = UsersBinaryFile::Open(dir.File("p.bin"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->attributes(), nullptr);
  // The records are byte for byte the same in both versions.
  EXPECT_EQ(ReadFileOrEmpty(dir.File("p.bin")).substr(8),
            ReadFileOrEmpty(dir.File("a.bin")).substr(8, 24 + 16 * users.size()).replace(0, 1, "\1"));
}

TEST(UsersBinaryAttributesTest, DamageIsRefused) {
  TempDir dir;
  std::vector<UserRecord> users = testing::RandomUsers(7, 500);
  std::shared_ptr<const UserAttributes> attrs = RandomAttributes(8, users.size());
  WriteBinary(dir.File("a.bin"), users, attrs.get(), attrs->kinds());
  const std::string good = ReadFileOrEmpty(dir.File("a.bin"));
  const size_t a = kUsersHeaderSize + 16 * users.size();
  struct Damage {
    size_t at;
    std::string what;
  };
  for (const Damage& d : std::vector<Damage>{{good.size() - 1, "checksum mismatch"},
                                             {a + 30, "checksum mismatch"},
                                             {a, "unknown column kinds"}}) {
    std::string bad = good;
    bad[d.at] ^= 0x40;
    WriteFileOrDie(dir.File("b.bin"), bad);
    auto file = UsersBinaryFile::Open(dir.File("b.bin"));
    ASSERT_EQ(file.status().code(), absl::StatusCode::kDataLoss) << d.at;
    EXPECT_NE(file.status().message().find(d.what), std::string::npos) << file.status();
  }
  WriteFileOrDie(dir.File("t.bin"), good.substr(0, good.size() - 3));
  EXPECT_EQ(UsersBinaryFile::Open(dir.File("t.bin")).status().code(), absl::StatusCode::kDataLoss);
}

// A reader of part of a file (fanout-mpi's shares) gets exactly that slice
// of what the whole-file reader gets, for every kind of section, and the
// same refusals.
TEST(UsersBinaryAttributesTest, RangeReadsEqualSlicesOfTheWholeFile) {
  TempDir dir;
  std::vector<UserRecord> users = testing::RandomUsers(9, 3001);
  for (UserAttributes::Kinds kinds : {UserAttributes::Kinds{true, true},
                                      UserAttributes::Kinds{true, false},
                                      UserAttributes::Kinds{false, true}}) {
    std::shared_ptr<const UserAttributes> attrs = RandomAttributes(10, users.size(), kinds);
    const std::string path = dir.File("a.bin");
    WriteBinary(path, users, attrs.get(), kinds);
    auto whole = UsersBinaryFile::Open(path);
    ASSERT_TRUE(whole.ok()) << whole.status();
    auto mapped = MappedFile::Open(path);
    ASSERT_TRUE(mapped.ok()) << mapped.status();
    auto header = ReadUsersBinaryHeader(**mapped);
    ASSERT_TRUE(header.ok()) << header.status();
    EXPECT_TRUE(VerifyUsersBinaryAttributes(**mapped, *header).ok());
    std::mt19937_64 rng(kinds.lang * 2 + kinds.updated_at);
    for (int round = 0; round < 20; ++round) {
      const uint64_t first = round == 0 ? 0 : rng() % users.size();
      const uint64_t n = round == 1 ? users.size() - first : rng() % (users.size() - first + 1);
      auto part = ReadUsersBinaryAttributes(**mapped, *header, first, n);
      ASSERT_TRUE(part.ok()) << part.status();
      ASSERT_EQ((*part)->size(), n);
      ASSERT_EQ((*part)->kinds().lang, kinds.lang);
      ASSERT_EQ((*part)->kinds().updated_at, kinds.updated_at);
      for (uint64_t i = 0; i < n; ++i) {
        ASSERT_EQ((*part)->LanguageOf(i), (*whole)->attributes()->LanguageOf(first + i)) << i;
        if (kinds.updated_at) {
          ASSERT_EQ((*part)->updated_at()[i], (*whole)->attributes()->updated_at()[first + i]);
        }
      }
    }
    EXPECT_EQ(ReadUsersBinaryAttributes(**mapped, *header, users.size(), 1).status().code(),
              absl::StatusCode::kOutOfRange);
    EXPECT_EQ(ReadUsersBinaryAttributes(**mapped, *header, 1, users.size()).status().code(),
              absl::StatusCode::kOutOfRange);
  }

  // A version 1 file has no section: verifying it is a no-op, reading it
  // an error of the caller's.
  WriteBinary(dir.File("p.bin"), users, nullptr, {});
  auto plain = MappedFile::Open(dir.File("p.bin"));
  ASSERT_TRUE(plain.ok());
  auto plain_header = ReadUsersBinaryHeader(**plain);
  ASSERT_TRUE(plain_header.ok());
  EXPECT_TRUE(VerifyUsersBinaryAttributes(**plain, *plain_header).ok());
  EXPECT_EQ(ReadUsersBinaryAttributes(**plain, *plain_header, 0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Damage: a column byte fails only the checksum (the range reader does
  // not hash); a bad kinds field or a bad code fails both, naming the file.
  std::shared_ptr<const UserAttributes> attrs = RandomAttributes(11, users.size());
  WriteBinary(dir.File("a.bin"), users, attrs.get(), attrs->kinds());
  const std::string good = ReadFileOrEmpty(dir.File("a.bin"));
  const size_t a = kUsersHeaderSize + 16 * users.size();
  auto check = [&](size_t at, char value, bool range_fails, absl::string_view what) {
    std::string bad = good;
    bad[at] = value;
    WriteFileOrDie(dir.File("b.bin"), bad);
    auto mapped = MappedFile::Open(dir.File("b.bin"));
    ASSERT_TRUE(mapped.ok());
    auto header = ReadUsersBinaryHeader(**mapped);
    ASSERT_TRUE(header.ok());
    const absl::Status verified = VerifyUsersBinaryAttributes(**mapped, *header);
    EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << at;
    EXPECT_NE(verified.message().find(what), std::string::npos) << verified;
    EXPECT_NE(verified.message().find("b.bin"), std::string::npos) << verified;
    const absl::Status read = ReadUsersBinaryAttributes(**mapped, *header, 0, users.size()).status();
    if (range_fails) {
      EXPECT_EQ(read.code(), absl::StatusCode::kDataLoss) << at;
      EXPECT_NE(read.message().find("b.bin: attribute section"), std::string::npos) << read;
    } else {
      EXPECT_TRUE(read.ok()) << read;
    }
  };
  // The last byte is the last updated_at's high byte: any value is valid.
  check(good.size() - 1, static_cast<char>(good.back() ^ 0x01), false, "checksum mismatch");
  check(a, 0x40, true, "unknown column kinds");
  // The first lang code (after the dictionary, aligned to 4): 200 is past
  // the dictionary's six tags.
  const uint64_t dictionary_bytes = [&] {
    uint64_t v = 0;
    std::memcpy(&v, good.data() + a + 8, 8);
    return v;
  }();
  check((a + 24 + dictionary_bytes + 3) / 4 * 4, static_cast<char>(200), true, "checksum mismatch");
}

// The attributes of each index entry are those of its user's last row.
TEST(AlignAttributesTest, FollowsTheLastRowOfEachUser) {
  std::vector<UserRecord> rows = testing::RandomUsers(9, 30000);
  std::mt19937_64 rng(10);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].user_id = rng() % 12000;  // many repeats
  std::shared_ptr<const UserAttributes> attrs = RandomAttributes(11, rows.size());
  auto index = LocationIndex::Build(rows, {});
  ASSERT_TRUE(index.ok());
  std::map<uint64_t, size_t> last_row;
  for (size_t i = 0; i < rows.size(); ++i) last_row[rows[i].user_id] = i;
  std::shared_ptr<const UserAttributes> aligned = AlignAttributes(rows, attrs.get(), **index);
  ASSERT_NE(aligned, nullptr);
  const SortedRun run = (*index)->run();
  ASSERT_EQ(aligned->size(), run.size());
  for (size_t j = 0; j < run.size(); ++j) {
    const size_t row = last_row.at(run.users[j]);
    ASSERT_EQ(aligned->LanguageOf(j), attrs->LanguageOf(row)) << j;
    ASSERT_EQ(aligned->updated_at()[j], attrs->updated_at()[row]) << j;
  }
  EXPECT_EQ(AlignAttributes(rows, nullptr, **index), nullptr);
}

TEST(SnapshotAttributesTest, RoundTripWithAndWithout) {
  TempDir dir;
  std::vector<UserRecord> rows = testing::RandomUsers(12, 40000);
  std::shared_ptr<const UserAttributes> attrs = RandomAttributes(13, rows.size());
  auto index = LocationIndex::Build(rows, {});
  ASSERT_TRUE(index.ok());
  std::shared_ptr<const UserAttributes> aligned = AlignAttributes(rows, attrs.get(), **index);
  SnapshotMetadata meta;
  meta.created_unix_s = 1767225600;
  ASSERT_TRUE(WriteSnapshot(dir.File("a.fo"), **index, meta, {}, aligned.get()).ok());
  ASSERT_TRUE(WriteSnapshot(dir.File("p.fo"), **index, meta).ok());

  auto with = LoadSnapshot(dir.File("a.fo"));
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(with->version, kSnapshotVersionWithAttributes);
  ASSERT_EQ(with->sections.size(), 4u);
  EXPECT_EQ(with->sections[3].name, "attrs");
  ASSERT_NE(with->attributes, nullptr);
  ExpectSameAttributes(*aligned, *with->attributes);

  // Without: version 1, three sections, no attributes, and the same bytes
  // as the attributed file's first sections (the only differences being
  // the header, the table and the added section).
  auto without = LoadSnapshot(dir.File("p.fo"));
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(without->version, kSnapshotVersion);
  EXPECT_EQ(without->sections.size(), 3u);
  EXPECT_EQ(without->attributes, nullptr);
  EXPECT_EQ(without->file_size,
            without->sections[2].offset + 8 * rows.size());  // nothing after the users column
  EXPECT_EQ(without->index->MemoryBytes(), with->index->MemoryBytes());
  for (int s = 0; s < 3; ++s) EXPECT_EQ(without->sections[s].checksum, with->sections[s].checksum);
}

TEST(SnapshotAttributesTest, DamagedAttrsSectionIsRefusedByName) {
  TempDir dir;
  std::vector<UserRecord> rows = testing::RandomUsers(14, 3000);
  std::shared_ptr<const UserAttributes> attrs = RandomAttributes(15, rows.size());
  auto index = LocationIndex::Build(rows, {});
  ASSERT_TRUE(index.ok());
  std::shared_ptr<const UserAttributes> aligned = AlignAttributes(rows, attrs.get(), **index);
  ASSERT_TRUE(WriteSnapshot(dir.File("a.fo"), **index, {}, {}, aligned.get()).ok());
  std::string bytes = ReadFileOrEmpty(dir.File("a.fo"));
  bytes[bytes.size() - 2] ^= 1;
  WriteFileOrDie(dir.File("b.fo"), bytes);
  auto loaded = LoadSnapshot(dir.File("b.fo"));
  ASSERT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("'attrs'"), std::string::npos) << loaded.status();
  // Attributes of the wrong size are refused when writing.
  auto small = RandomAttributes(16, 10);
  EXPECT_EQ(WriteSnapshot(dir.File("c.fo"), **index, {}, {}, small.get()).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fanout
