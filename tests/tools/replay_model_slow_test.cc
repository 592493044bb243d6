// Copyright 2026 The fan-out engine authors.
//
// `fanout replay` (DESIGN §8) on a large generated timeline against the
// brute-force model (sim/standing_model.h): by default 1M users in a
// 2x2-degree square moving across the boundaries of overlapping box
// alerts, with issues, area updates (an A naming an active id), cancels,
// removes and re-entries; every alert's files must hold exactly the
// model's users, each once, in the right shard. tools/replay_model_check.sh
// runs it (and sets the size: FANOUT_REPLAY_USERS, FANOUT_REPLAY_MOVES).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "engine/shard_policy.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "sim/standing_model.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::RunFanout;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t n;
  return v != nullptr && absl::SimpleAtoi(v, &n) ? n : fallback;
}

// 1e-7 degrees as exact decimal text (what replay parses back to the same e7).
std::string E7Text(int32_t e7) {
  const int64_t a = e7 < 0 ? -int64_t{e7} : e7;
  return absl::StrFormat("%s%d.%07d", e7 < 0 ? "-" : "", a / 10000000, a % 10000000);
}

std::string Box(double lat0, double lng0, double lat1, double lng1) {
  return absl::StrFormat(
      R"({"type":"Polygon","coordinates":[[[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f]]]})",
      lng0, lat0, lng1, lat0, lng1, lat1, lng0, lat1, lng0, lat0);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TEST(ReplayModelSlowTest, LargeTimelineAgreesWithTheModel) {
  const uint64_t users = EnvOr("FANOUT_REPLAY_USERS", 1000000);
  const uint64_t moves = EnvOr("FANOUT_REPLAY_MOVES", 2 * users);
  const auto t0 = std::chrono::steady_clock::now();
  TempDir tmp;
  std::mt19937_64 rng(20261202);
  std::uniform_int_distribution<int32_t> lat(290000000, 310000000), lng(-960000000, -940000000);
  std::uniform_int_distribution<int32_t> step(-30000, 30000);  // up to ~3 km
  std::vector<std::pair<int32_t, int32_t>> at(users + 1);
  std::vector<uint8_t> present(users + 1, 0);
  StandingModel model;
  std::vector<std::unique_ptr<AlertArea>> areas;  // every area ever given (the model points to them)
  std::vector<std::string> active;
  int next_alert = 0, files = 0;
  uint64_t seq = 0;
  FILE* events = std::fopen(tmp.File("events.csv").c_str(), "w");
  ASSERT_NE(events, nullptr);
  auto upsert = [&](uint64_t u, int32_t la, int32_t ln) {
    at[u] = {la, ln};
    present[u] = 1;
    model.Upsert(u, ++seq, la, ln);
    std::fprintf(events, "U,%llu,%s,%s\n", static_cast<unsigned long long>(u), E7Text(la).c_str(),
                 E7Text(ln).c_str());
  };
  auto issue = [&](const std::string& id) {
    const double la = std::uniform_real_distribution<double>(29.0, 30.8)(rng);
    const double ln = std::uniform_real_distribution<double>(-96.0, -94.2)(rng);
    const double h = std::uniform_real_distribution<double>(0.05, 0.5)(rng);
    const double w = std::uniform_real_distribution<double>(0.05, 0.5)(rng);
    const std::string text = Box(la, ln, la + h, ln + w);
    const std::string file = absl::StrCat("area", files++, ".geojson");
    WriteFileOrDie(tmp.File(file), text);
    auto resolved = ResolveAlertText(text, AlertFormat::kGeoJson);
    ASSERT_TRUE(resolved.ok()) << resolved.status();
    resolved->area->Finalize();
    areas.push_back(std::move(resolved->area));
    model.Issue(id, areas.back().get(), seq);
    std::fprintf(events, "A,%s,%s\n", id.c_str(), file.c_str());
  };
  for (uint64_t u = 1; u <= users; ++u) upsert(u, lat(rng), lng(rng));
  for (int i = 0; i < 8; ++i) {
    active.push_back(absl::StrCat("alert-", next_alert++));
    issue(active.back());
  }
  const uint64_t every = std::max<uint64_t>(1, moves / 120);  // ~120 alert events
  for (uint64_t m = 0; m < moves; ++m) {
    if (m % every == every - 1) {
      const int what = std::uniform_int_distribution<int>(0, 9)(rng);
      if (what < 4 || active.empty()) {  // a new alert
        active.push_back(absl::StrCat("alert-", next_alert++));
        issue(active.back());
      } else if (what < 7) {  // an area update of an active one
        issue(active[rng() % active.size()]);
      } else {  // a cancel
        const size_t k = rng() % active.size();
        std::fprintf(events, "C,%s\n", active[k].c_str());
        model.End(active[k]);
        active.erase(active.begin() + k);
      }
    }
    const uint64_t u = 1 + rng() % (users + users / 100);  // 1% never seen before
    if (u >= at.size()) {
      at.resize(u + 1);
      present.resize(u + 1, 0);
    }
    const int dice = std::uniform_int_distribution<int>(0, 999)(rng);
    if (dice < 10 && present[u]) {
      std::fprintf(events, "R,%llu\n", static_cast<unsigned long long>(u));
      model.Remove(u);
      present[u] = 0;
      ++seq;
    } else if (dice < 60 || !present[u]) {
      upsert(u, lat(rng), lng(rng));  // a jump (or a first or returning appearance)
    } else {
      upsert(u, std::clamp(at[u].first + step(rng), 280000000, 320000000),
             std::clamp(at[u].second + step(rng), -970000000, -930000000));
    }
  }
  std::fclose(events);
  const double generate_s = Seconds(t0);

  const auto r0 = std::chrono::steady_clock::now();
  std::string err;
  ASSERT_EQ(RunFanout(absl::StrCat("replay --dir ", tmp.File("engine"), " --events ",
                                   tmp.File("events.csv"), " --shards 4 --out ", tmp.File("out")),
                      nullptr, &err),
            0)
      << err;
  const double replay_s = Seconds(r0);

  const auto c0 = std::chrono::steady_clock::now();
  const ShardPolicy policy = ShardPolicy::Create(4).value();
  uint64_t handed = 0;
  for (const std::string& id : model.ids()) {
    const auto& want = model.handed(id);
    absl::flat_hash_set<uint64_t> got;
    uint64_t lines = 0, wrong_shard = 0, extra = 0;
    for (uint32_t s = 0; s < 4; ++s) {
      const std::string text =
          ReadFileOrEmpty(tmp.File(absl::StrFormat("out/%s/shard-%05d.csv", id, s)));
      for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
        uint64_t u;
        ASSERT_TRUE(absl::SimpleAtoi(line, &u)) << line;
        if (policy.ShardOf(u) != s) ++wrong_shard;
        if (!want.contains(u)) ++extra;
        got.insert(u);
        ++lines;
      }
    }
    uint64_t missing = 0;
    for (const auto& [u, how] : want) missing += !got.contains(u);
    EXPECT_EQ(lines, got.size()) << id << ": users handed twice";
    EXPECT_EQ(wrong_shard, 0u) << id;
    EXPECT_EQ(extra, 0u) << id << ": handed but never inside while active";
    EXPECT_EQ(missing, 0u) << id << ": inside while active but never handed";
    handed += got.size();
  }
  std::printf(
      "replay model check: %llu users, %llu moves, %zu alerts, %llu users handed in all; "
      "generate + model %.1f s, fanout replay %.1f s, compare %.1f s\n",
      static_cast<unsigned long long>(users), static_cast<unsigned long long>(moves),
      model.ids().size(), static_cast<unsigned long long>(handed), generate_s, replay_s,
      Seconds(c0));
  EXPECT_GE(model.ids().size(), 40u);
}

}  // namespace
}  // namespace fanout
