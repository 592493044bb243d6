// Copyright 2026 The fan-out engine authors.
//
// The engine-folder forms of the command line (DESIGN §7): build --dir,
// apply, checkpoint, inspect DIR, alert --dir.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

// A shard file's ids, sorted (the order within a shard is not promised).
std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::sort(lines.begin(), lines.end());
  return lines;
}

class EngineCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileOrDie(tmp_.File("users.csv"),
                   "user_id,lat,lng\n1,29.76,-95.37\n2,29.70,-95.30\n3,40.71,-74.00\n"
                   "4,34.05,-118.24\n");
    ASSERT_EQ(RunFanout(absl::StrCat("build --users ", tmp_.File("users.csv"), " --dir ", dir_)), 0);
  }
  TempDir tmp_;
  std::string dir_ = tmp_.File("eng");
};

TEST_F(EngineCliTest, BuildRefusesANonEmptyFolderUnlessForced) {
  std::string err;
  EXPECT_EQ(RunFanout(absl::StrCat("build --users ", tmp_.File("users.csv"), " --dir ", dir_),
                      nullptr, &err),
            2);
  EXPECT_TRUE(absl::StrContains(err, "not empty")) << err;
  EXPECT_EQ(RunFanout(absl::StrCat("build --users ", tmp_.File("users.csv"), " --dir ", dir_,
                                   " --force")),
            0);
  EXPECT_EQ(RunFanout(absl::StrCat("build --users ", tmp_.File("users.csv"), " --dir ", dir_,
                                   " --out ", tmp_.File("x.fo"))),
            2);
}

TEST_F(EngineCliTest, ApplyAcksEachBatchAndAlertSeesTheUpdates) {
  // User 3 moves to Houston, user 4 is removed, user 5 arrives in Houston.
  WriteFileOrDie(tmp_.File("u.csv"),
                 "user_id,lat,lng\n3,29.75,-95.36\n4,,\n5,29.77,-95.35\n");
  std::string out, err;
  ASSERT_EQ(RunFanout(absl::StrCat("apply --dir ", dir_, " --updates ", tmp_.File("u.csv"),
                                   " --batch 2 --sync batch"),
                      &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "acked 2\nacked 3\n");
  ASSERT_EQ(RunFanout(absl::StrCat("inspect --json ", dir_), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "\"last_seq\": 3")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"checkpoint_seq\": 0")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"users\": 4")) << out;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --dir ", dir_, " --circle \"29.76,-95.37 50\" --shards 1 "
                                   "--out ", tmp_.File("a"))),
            0);
  EXPECT_EQ(SortedLines(ReadFileOrEmpty(tmp_.File("a/shard-00000.csv"))),
            (std::vector<std::string>{"1", "2", "3", "5"}));
  // The checkpoint is a snapshot file: alert --index gives the same answer.
  ASSERT_EQ(RunFanout(absl::StrCat("checkpoint --dir ", dir_), &out), 0);
  EXPECT_EQ(out, "checkpoint_seq 3 users 4\n");
  const std::string cp = dir_ + "/checkpoint-00000000000000000003.fo";
  ASSERT_EQ(RunFanout(absl::StrCat("inspect ", cp)), 0);
  ASSERT_EQ(RunFanout(absl::StrCat("alert --index ", cp, " --circle \"29.76,-95.37 50\" --shards 1 "
                                   "--out ", tmp_.File("b"))),
            0);
  EXPECT_EQ(ReadFileOrEmpty(tmp_.File("a/shard-00000.csv")),
            ReadFileOrEmpty(tmp_.File("b/shard-00000.csv")));
}

TEST_F(EngineCliTest, BadRowIsRefusedNamingItsLineAndItsBatchIsNotApplied) {
  WriteFileOrDie(tmp_.File("u.csv"),
                 "user_id,lat,lng\n3,29.75,-95.36\n4,,\n5,29.77,-95.35\n6,91,0\n7,1,1\n");
  std::string out, err;
  EXPECT_EQ(RunFanout(absl::StrCat("apply --dir ", dir_, " --updates ", tmp_.File("u.csv"),
                                   " --batch 2"),
                      &out, &err),
            2);
  EXPECT_TRUE(absl::StrContains(err, "u.csv:5: lat out of [-90, 90]")) << err;
  EXPECT_EQ(out, "acked 2\n");  // rows 4 and 5 (lines 4-5) were one batch: not applied
  ASSERT_EQ(RunFanout(absl::StrCat("inspect --json ", dir_), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "\"last_seq\": 2")) << out;
  for (const char* bad : {"user_id,lat\n1,2\n", "user_id,lat,lng\nx,1,1\n", "user_id,lat,lng\n1,,1\n",
                          "user_id,lat,lng\n1,1\n"}) {
    WriteFileOrDie(tmp_.File("bad.csv"), bad);
    EXPECT_EQ(RunFanout(absl::StrCat("apply --dir ", dir_, " --updates ", tmp_.File("bad.csv")),
                        nullptr, &err),
              2)
        << bad;
    EXPECT_TRUE(absl::StrContains(err, "bad.csv:")) << err;
  }
  EXPECT_EQ(RunFanout(absl::StrCat("apply --dir ", dir_, " --updates ", tmp_.File("u.csv"),
                                   " --sync sometimes")),
            2);
  EXPECT_EQ(RunFanout(absl::StrCat("apply --dir ", tmp_.File("nowhere"), " --updates ",
                                   tmp_.File("u.csv"))),
            2);
}

TEST_F(EngineCliTest, ApplyTakesTheBinaryUsersFormat) {
  ASSERT_EQ(RunFanout(absl::StrCat("generate --users 3000 --out ", tmp_.File("g.bin"))), 0);
  std::string out;
  ASSERT_EQ(RunFanout(absl::StrCat("apply --dir ", dir_, " --updates ", tmp_.File("g.bin"),
                                   " --batch 1000 --sync none"),
                      &out),
            0);
  EXPECT_EQ(out, "acked 1000\nacked 2000\nacked 3000\n");
}

// The users file's attributes go into the engine folder; `fanout apply`
// reads lang and updated_at columns; `fanout alert --dir` applies
// --max-age and --by-info to them; a bad attribute is refused naming its
// line and column, and nothing of its batch is applied.
TEST(EngineAttributesCliTest, BuildApplyAlertWithAttributes) {
  TempDir tmp;
  const std::string dir = tmp.File("eng");
  WriteFileOrDie(tmp.File("users.csv"),
                 "user_id,lat,lng,lang,updated_at\n"
                 "1,29.76,-95.37,en-US,1767225600\n"  // fresh
                 "2,29.77,-95.36,es,1767200000\n"     // stale, then removed
                 "3,29.75,-95.38,,\n"                 // no attributes, then moved with some
                 "4,29.74,-95.35,fr,1767225000\n");   // moved without updated_at: unknown
  ASSERT_EQ(RunFanout(absl::StrCat("build --users ", tmp.File("users.csv"), " --dir ", dir)), 0);
  WriteFileOrDie(tmp.File("u.csv"),
                 "user_id,lat,lng,updated_at,lang\n"
                 "3,29.76,-95.36,1767225500,es-MX\n"
                 "4,29.75,-95.37,,\n"
                 "5,29.76,-95.37,1767220000,\n"  // stale
                 "2,,,,\n"
                 "6,29.761,-95.371,1767225600,de\n");
  std::string out, err;
  ASSERT_EQ(RunFanout(absl::StrCat("apply --dir ", dir, " --updates ", tmp.File("u.csv")), &out,
                      &err),
            0)
      << err;
  EXPECT_EQ(ReadFileOrEmpty(dir + "/languages"), "en-US\nes\nfr\nes-MX\nde\n");
  WriteFileOrDie(tmp.File("cap.xml"),
                 R"(<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>T</identifier>
  <sender>s</sender><sent>2026-01-01T00:00:00Z</sent><status>Actual</status>
  <msgType>Alert</msgType><scope>Public</scope>
  <info><language>en-US</language><event>e</event><area><areaDesc>a</areaDesc>
    <circle>29.76,-95.37 10</circle></area></info>
  <info><language>es</language><event>e</event><area><areaDesc>a</areaDesc>
    <circle>29.76,-95.37 10</circle></area></info></alert>)");
  const std::string o = tmp.File("o");
  ASSERT_EQ(RunFanout(absl::StrCat("alert --dir ", dir, " --cap ", tmp.File("cap.xml"),
                                   " --shards 1 --out ", o, " --max-age 1h --by-info"),
                      &out, &err),
            0)
      << err;
  // <sent> is 1767225600: users 1, 3, 4 and 6 kept (4 of unknown age), 5 stale.
  const std::string summary = ReadFileOrEmpty(o + "/summary.json");
  EXPECT_TRUE(absl::StrContains(summary, "\"matched\": 4")) << summary;
  EXPECT_TRUE(absl::StrContains(summary, "\"stale_skipped\": 1")) << summary;
  EXPECT_TRUE(absl::StrContains(summary, "\"unknown_age_kept\": 1")) << summary;
  // en-US gets users 1, 4 (fr: block 0), 6 (de); es gets 3 (es-MX).
  EXPECT_EQ(SortedLines(ReadFileOrEmpty(o + "/info-0/shard-00000.csv")),
            (std::vector<std::string>{"1", "4", "6"}));
  EXPECT_EQ(ReadFileOrEmpty(o + "/info-1/shard-00000.csv"), "3\n");

  // A bad attribute: named by line and column; its batch not applied.
  WriteFileOrDie(tmp.File("bad.csv"),
                 "user_id,lat,lng,lang,updated_at\n7,29.76,-95.37,en,12\n"
                 "8,29.76,-95.37,en,-5\n");
  EXPECT_EQ(RunFanout(absl::StrCat("apply --dir ", dir, " --updates ", tmp.File("bad.csv")),
                      &out, &err),
            2);
  EXPECT_TRUE(absl::StrContains(err, "bad.csv:3: column 5 (updated_at)")) << err;
  EXPECT_EQ(out, "");
  WriteFileOrDie(tmp.File("bad.csv"), "user_id,lat,lng,lang\n7,29.76,-95.37,e_n\n");
  EXPECT_EQ(RunFanout(absl::StrCat("apply --dir ", dir, " --updates ", tmp.File("bad.csv")),
                      &out, &err),
            2);
  EXPECT_TRUE(absl::StrContains(err, "bad.csv:2: column 4 (lang)")) << err;
  // The refused batches' tags ("en") did not enter the dictionary.
  EXPECT_EQ(ReadFileOrEmpty(dir + "/languages"), "en-US\nes\nfr\nes-MX\nde\n");
  // Nor do a batch's new tags when they would take the engine past 255:
  // the batch is refused naming the row of the 256th, and nothing of it
  // stays.
  std::string many = "user_id,lat,lng,lang\n";
  for (int i = 0; i < 251; ++i) {
    absl::StrAppend(&many, 100 + i, ",29.76,-95.37,q", std::string(1, 'a' + i / 26),
                    std::string(1, 'a' + i % 26), "\n");
  }
  WriteFileOrDie(tmp.File("many.csv"), many);
  EXPECT_EQ(RunFanout(absl::StrCat("apply --dir ", dir, " --updates ", tmp.File("many.csv")),
                      &out, &err),
            2);
  EXPECT_TRUE(absl::StrContains(err, "many.csv:252: column 4 (lang): language qjq")) << err;
  EXPECT_TRUE(absl::StrContains(err, "more than 255 language tags")) << err;
  EXPECT_EQ(ReadFileOrEmpty(dir + "/languages"), "en-US\nes\nfr\nes-MX\nde\n");
  ASSERT_EQ(RunFanout(absl::StrCat("inspect --json ", dir), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "\"last_seq\": 5")) << out;
  // Users 1 (en-US), 3 (es-MX), 4 (fr, kept by a move without one), 5 (a
  // time) and 6 (de); 2 was removed.
  EXPECT_TRUE(absl::StrContains(out, "\"attribute_users\": 5")) << out;
  EXPECT_TRUE(absl::StrContains(out, R"("languages": ["en-US", "es", "fr", "es-MX", "de"])"))
      << out;
  ASSERT_EQ(RunFanout(absl::StrCat("inspect ", dir), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "attributes     5 users with a language or an update "
                                     "time; languages: en-US es fr es-MX de\n"))
      << out;

  // A checkpoint keeps them: `fanout alert --index CHECKPOINT` sees them.
  ASSERT_EQ(RunFanout(absl::StrCat("checkpoint --dir ", dir)), 0);
  const std::string o2 = tmp.File("o2");
  ASSERT_EQ(RunFanout(absl::StrCat("alert --index ", dir, "/checkpoint-00000000000000000005.fo",
                                   " --cap ", tmp.File("cap.xml"), " --shards 1 --out ", o2,
                                   " --max-age 1h --by-info"),
                      &out, &err),
            0)
      << err;
  EXPECT_EQ(ReadFileOrEmpty(o2 + "/info-1/shard-00000.csv"), "3\n");
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(o2 + "/summary.json"), "\"stale_skipped\": 1"));
}

}  // namespace
}  // namespace fanout
