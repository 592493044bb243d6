// Copyright 2026 The fan-out engine authors.
//
// `fanout replay` (DESIGN §8) against a brute-force model of the same
// random timeline: every alert's files must hold exactly the model's users.

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "engine/shard_policy.h"
#include "engine/user_record.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

// A GeoJSON box (planar edges along meridians and parallels).
std::string Box(double lat0, double lng0, double lat1, double lng1) {
  return absl::StrFormat(
      R"({"type":"Polygon","coordinates":[[[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f]]]})",
      lng0, lat0, lng1, lat0, lng1, lat1, lng0, lat1, lng0, lat0);
}

TEST(ReplayCliTest, AgreesWithBruteForceOnRandomTimelines) {
  for (int seed = 1; seed <= 3; ++seed) {
    TempDir tmp;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> lat(29.5, 30.5), lng(-95.5, -94.5);
    std::map<uint64_t, S2Point> users;
    std::map<std::string, std::unique_ptr<AlertArea>> active;
    std::map<std::string, std::set<uint64_t>> delivered;
    std::map<std::string, bool> ended;
    std::string events;
    int files = 0, next = 0;
    auto move = [&](uint64_t u, double la, double ln) {
      const UserRecord r = UserRecord::FromDegrees(u, la, ln);
      users[u] = S2CellId(S2LatLng::FromE7(r.lat_e7, r.lng_e7)).ToPoint();
      absl::StrAppend(&events, "U,", u, ",", absl::StrFormat("%.7f,%.7f", la, ln), "\n");
      for (auto& [id, a] : active) {
        if (a->Contains(users[u])) delivered[id].insert(u);
      }
    };
    for (uint64_t u = 1; u <= 2000; ++u) move(u, lat(rng), lng(rng));
    for (int step = 0; step < 3000; ++step) {
      const int what = std::uniform_int_distribution<int>(0, 999)(rng);
      if (what < 8 || (what < 20 && !active.empty())) {  // issue, or update an active one
        std::string id;
        if (what < 8 || active.empty()) {
          id = absl::StrCat("alert-", next++);
        } else {
          auto it = active.begin();
          std::advance(it, std::uniform_int_distribution<size_t>(0, active.size() - 1)(rng));
          id = it->first;
        }
        const double la = lat(rng), ln = lng(rng);
        const double h = std::uniform_real_distribution<double>(0.05, 0.4)(rng);
        const std::string text = Box(la, ln, la + h, ln + h);
        const std::string file = absl::StrCat("area", files++, ".geojson");
        WriteFileOrDie(tmp.File(file), text);
        absl::StrAppend(&events, "A,", id, ",", file, "\n");
        auto resolved = ResolveAlertText(text, AlertFormat::kGeoJson);
        ASSERT_TRUE(resolved.ok()) << resolved.status();
        active[id] = std::move(resolved->area);
        ended[id] = false;
        for (const auto& [u, p] : users) {
          if (active[id]->Contains(p)) delivered[id].insert(u);
        }
      } else if (what < 26 && !active.empty()) {  // end
        const std::string id = active.begin()->first;
        absl::StrAppend(&events, "C,", id, "\n");
        active.erase(id);
        ended[id] = true;
      } else if (what < 100) {
        const uint64_t u = std::uniform_int_distribution<uint64_t>(1, 2100)(rng);
        absl::StrAppend(&events, "R,", u, "\n");
        users.erase(u);
      } else {
        move(std::uniform_int_distribution<uint64_t>(1, 2100)(rng), lat(rng), lng(rng));
      }
    }
    WriteFileOrDie(tmp.File("events.csv"), events);
    std::string err;
    ASSERT_EQ(RunFanout(absl::StrCat("replay --dir ", tmp.File("engine"), " --events ",
                                     tmp.File("events.csv"), " --shards 3 --out ", tmp.File("out")),
                        nullptr, &err),
              0)
        << err;
    const ShardPolicy policy = ShardPolicy::Create(3).value();
    for (const auto& [id, want] : delivered) {
      std::set<uint64_t> got;
      size_t lines = 0;
      for (uint32_t s = 0; s < 3; ++s) {
        const std::string text =
            ReadFileOrEmpty(tmp.File(absl::StrFormat("out/%s/shard-%05d.csv", id, s)));
        for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
          uint64_t u;
          ASSERT_TRUE(absl::SimpleAtoi(line, &u));
          EXPECT_EQ(policy.ShardOf(u), s);
          got.insert(u);
          ++lines;
        }
      }
      EXPECT_EQ(lines, got.size()) << id << ": a user twice";
      EXPECT_EQ(got, want) << "seed " << seed << " alert " << id;
      const std::string summary = ReadFileOrEmpty(tmp.File(absl::StrCat("out/", id, "/summary.json")));
      EXPECT_TRUE(absl::StrContains(summary, ended[id] ? "\"ended\": true" : "\"ended\": false"))
          << summary;
    }
    EXPECT_GE(delivered.size(), 10u);
  }
}

TEST(ReplayCliTest, BadLineIsRefusedNamingItAndWritesNothing) {
  TempDir tmp;
  WriteFileOrDie(tmp.File("a.geojson"), Box(30, -95, 30.5, -94.5));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"U,1,30,-95\nU,2,91,-95\n", ":2:"},
      {"U,1,30,-95\nA,x,a.geojson\nC,y\n", ":3:"},
      {"A,x,missing.geojson\n", ":1:"},
      {"Q,1\n", ":1:"},
      {"A,../x,a.geojson\n", ":1:"},
  };
  for (const auto& [events, where] : cases) {
    WriteFileOrDie(tmp.File("events.csv"), events);
    std::string err;
    EXPECT_EQ(RunFanout(absl::StrCat("replay --dir ", tmp.File("engine"), " --events ",
                                     tmp.File("events.csv"), " --shards 2 --out ", tmp.File("out")),
                        nullptr, &err),
              2)
        << events;
    EXPECT_TRUE(absl::StrContains(err, where)) << err;
    EXPECT_TRUE(ReadFileOrEmpty(tmp.File("out/x/summary.json")).empty());
  }
}

}  // namespace
}  // namespace fanout
