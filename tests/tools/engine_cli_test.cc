// Copyright 2026 The fan-out engine authors.
//
// The engine-folder forms of the command line (DESIGN §7): build --dir,
// apply, checkpoint, inspect DIR, alert --dir.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

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
  EXPECT_EQ(ReadFileOrEmpty(tmp_.File("a/shard-00000.csv")).size(), std::string("1\n2\n3\n5\n").size());
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

}  // namespace
}  // namespace fanout
