// Copyright 2026 The fan-out engine authors.
//
// `fanout alert` delivery features (issue 18) end to end: --map writes an
// SVG whose counts are the alert's, --covering-geojson a covering that holds
// every delivered user, --order nearest lists nearest the incident point
// first; the lists are the same users whatever is asked, and bad values are
// refused before any work.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "engine/users_csv.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pugixml.hpp"
#include "s2/s2cell_id.h"
#include "s2/s2cell_union.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;

class DeliveryCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string err;
    ASSERT_EQ(RunFanout(absl::StrCat("generate --users 50000 --seed 9 --region us --out ", Users()),
                        nullptr, &err),
              0)
        << err;
    auto users = ReadUsersCsv(Users(), {});
    ASSERT_TRUE(users.ok()) << users.status();
    users_ = new std::map<uint64_t, UserRecord>();
    for (const UserRecord& u : *users) (*users_)[u.user_id] = u;
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete users_;
  }
  static std::string Users() { return dir_->File("users.csv"); }

  // The lists of OUT, shard by shard, in file order.
  static std::vector<std::vector<uint64_t>> Lists(const std::string& out, int shards) {
    std::vector<std::vector<uint64_t>> lists(shards);
    for (int s = 0; s < shards; ++s) {
      const std::string text = ReadFileOrEmpty(absl::StrFormat("%s/shard-%05d.csv", out, s));
      for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
        uint64_t id = 0;
        EXPECT_TRUE(absl::SimpleAtoi(line, &id)) << line;
        lists[s].push_back(id);
      }
    }
    return lists;
  }

  static TempDir* dir_;
  static std::map<uint64_t, UserRecord>* users_;
};
TempDir* DeliveryCliTest::dir_ = nullptr;
std::map<uint64_t, UserRecord>* DeliveryCliTest::users_ = nullptr;

std::vector<std::vector<uint64_t>> Sorted(std::vector<std::vector<uint64_t>> lists) {
  for (auto& l : lists) std::sort(l.begin(), l.end());
  return lists;
}

TEST_F(DeliveryCliTest, MapAndCoveringDescribeTheAlert) {
  TempDir out;
  const std::string map = out.File("map.svg"), covering = out.File("covering.geojson");
  std::string stdout_text, err;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", Users(),
                                   " --polygon '29.5,-95.8 29.5,-95.0 30.1,-95.0 30.1,-95.8 "
                                   "29.5,-95.8' --shards 4 --out ",
                                   out.File("lists"), " --map ", map, " --covering-geojson ",
                                   covering),
                      &stdout_text, &err),
            0)
      << err;
  const nlohmann::json summary =
      nlohmann::json::parse(ReadFileOrEmpty(out.File("lists/summary.json")));
  const uint64_t matched = summary["matched"].get<uint64_t>();
  ASSERT_GT(matched, 100u);
  EXPECT_EQ(summary["delivery"]["order"], "index");

  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(map.c_str()));
  const pugi::xml_node svg = doc.child("svg");
  EXPECT_EQ(svg.attribute("data-matched").as_ullong(), matched);
  EXPECT_EQ(svg.attribute("data-interior-cells").as_ullong(),
            summary["work"]["covering_interior_cells"].get<uint64_t>());
  EXPECT_EQ(svg.attribute("data-boundary-cells").as_ullong(),
            summary["work"]["covering_boundary_cells"].get<uint64_t>());
  EXPECT_TRUE(svg.find_child_by_attribute("g", "id", "outlines")
                  .find_child_by_attribute("path", "data-name", "Texas"));

  // The covering's cells hold every delivered user.
  const nlohmann::json geojson = nlohmann::json::parse(ReadFileOrEmpty(covering));
  std::vector<S2CellId> cells;
  for (const auto& f : geojson["features"]) {
    cells.push_back(S2CellId::FromToken(f["properties"]["token"].get<std::string>()));
  }
  EXPECT_EQ(cells.size(), summary["work"]["covering_interior_cells"].get<uint64_t>() +
                              summary["work"]["covering_boundary_cells"].get<uint64_t>());
  const S2CellUnion all(cells);
  uint64_t checked = 0;
  for (const auto& list : Lists(out.File("lists"), 4)) {
    for (uint64_t id : list) {
      ASSERT_TRUE(all.Contains(users_->at(id).ToCellId())) << id;
      ++checked;
    }
  }
  EXPECT_EQ(checked, matched);
}

TEST_F(DeliveryCliTest, NearestFirstListsTheSameUsersByDistance) {
  TempDir out;
  const std::string circle = " --circle '29.76,-95.37 30' --shards 3 --out ";
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", Users(), circle, out.File("index")), nullptr,
                      &err),
            0)
      << err;
  ASSERT_EQ(RunFanout(absl::StrCat("alert --users ", Users(), circle, out.File("nearest"),
                                   " --order nearest"),
                      nullptr, &err),
            0)
      << err;
  const auto index = Lists(out.File("index"), 3), nearest = Lists(out.File("nearest"), 3);
  EXPECT_EQ(Sorted(index), Sorted(nearest));
  EXPECT_NE(index, nearest);
  const S2Point origin = S2LatLng::FromDegrees(29.76, -95.37).ToPoint();
  for (const auto& list : nearest) {
    ASSERT_GT(list.size(), 10u);
    for (size_t i = 1; i < list.size(); ++i) {
      const double a = (users_->at(list[i - 1]).ToCellId().ToPoint() - origin).Norm2();
      const double b = (users_->at(list[i]).ToCellId().ToPoint() - origin).Norm2();
      ASSERT_LE(a, b) << "position " << i;
    }
  }
  const nlohmann::json summary =
      nlohmann::json::parse(ReadFileOrEmpty(out.File("nearest/summary.json")));
  EXPECT_EQ(summary["delivery"]["order"], "nearest");
  EXPECT_NEAR(summary["delivery"]["origin"][0].get<double>(), 29.76, 1e-9);
  EXPECT_NEAR(summary["delivery"]["origin"][1].get<double>(), -95.37, 1e-9);
}

TEST_F(DeliveryCliTest, BadValuesAreRefusedBeforeAnyWork) {
  TempDir out;
  const std::string base =
      absl::StrCat("alert --users ", Users(), " --circle '29.76,-95.37 30' --shards 3 --out ",
                   out.File("lists"));
  std::string err;
  EXPECT_EQ(RunFanout(base + " --order farthest", nullptr, &err), 2);
  EXPECT_NE(err.find("--order must be index or nearest"), std::string::npos) << err;
  EXPECT_EQ(RunFanout(absl::StrCat(base, " --map ", out.path()), nullptr, &err), 2) << err;
  EXPECT_EQ(RunFanout(absl::StrCat(base, " --covering-geojson /nonexistent/c.geojson"), nullptr,
                      &err),
            2)
      << err;
  EXPECT_EQ(ReadFileOrEmpty(out.File("lists/summary.json")), "") << "no output on bad usage";
}

}  // namespace
}  // namespace fanout
