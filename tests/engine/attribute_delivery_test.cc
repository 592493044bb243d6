// Copyright 2026 The fan-out engine authors.
//
// Delivery by freshness and by language (issue 18) against a reference:
// random users with random attributes, random areas, random maximum ages
// and info languages; the executor's lists must be the brute-force area
// result minus exactly the stale users, each block's lists must hold
// exactly the users a reference matcher gives that block, and their union
// the plain lists.

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "engine/alert_executor.h"
#include "engine/delivery_sink.h"
#include "engine/engine.h"
#include "engine/live_index.h"
#include "engine/shard_policy.h"
#include "engine/user_attributes.h"
#include "gtest/gtest.h"
#include "s2/s1angle.h"
#include "s2/s2cap.h"
#include "s2/s2cell.h"
#include "s2/s2latlng.h"
#include "s2/s2latlng_rect.h"
#include "s2/s2loop.h"
#include "s2/s2polygon.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

// A deliberately plain reference matcher, written apart from
// MatchInfoBlock: lower-case both, compare whole tags, then the text
// before the first '-'.
size_t ReferenceBlock(const std::string& tag, const std::vector<std::string>& infos) {
  if (tag.empty()) return 0;
  const std::string t = absl::AsciiStrToLower(tag);
  for (size_t k = 0; k < infos.size(); ++k) {
    if (absl::AsciiStrToLower(infos[k]) == t) return k;
  }
  const std::string p = t.substr(0, t.find('-'));
  for (size_t k = 0; k < infos.size(); ++k) {
    const std::string i = absl::AsciiStrToLower(infos[k]);
    if (i.substr(0, i.find('-')) == p) return k;
  }
  return 0;
}

const std::vector<std::string> kUserTags = {"en-US", "es-US", "es-MX", "zh-CN", "zh-Hant-TW",
                                            "vi", "fr-CA", "fr", "ko", "tl"};
const std::vector<std::string> kInfoTags = {"en-US", "es-US", "es", "zh-CN", "ZH",
                                            "vi-VN", "fr-FR", "fr-CA", "de", "en"};

struct Population {
  std::vector<UserRecord> rows;
  std::unique_ptr<LocationIndex> index;
  std::shared_ptr<const UserAttributes> attributes;  // aligned to the index
  std::map<uint64_t, std::pair<std::string, uint32_t>> by_user;  // tag, updated_at
};

Population MakePopulation(uint64_t seed, size_t n, UserAttributes::Kinds kinds) {
  Population p;
  p.rows = testing::UsersInRect(seed, n, S2LatLngRect(S2LatLng::FromDegrees(25, -100),
                                                      S2LatLng::FromDegrees(35, -90)));
  std::mt19937_64 rng(seed + 1);
  std::vector<uint8_t> lang(kinds.lang ? n : 0);
  std::vector<uint32_t> updated(kinds.updated_at ? n : 0);
  for (size_t i = 0; i < n; ++i) {
    if (kinds.lang) lang[i] = static_cast<uint8_t>(rng() % (kUserTags.size() + 1));
    if (kinds.updated_at) updated[i] = rng() % 8 == 0 ? 0 : 1000000 + rng() % 200000;
  }
  auto row_attrs = UserAttributes::Own(kinds, kUserTags, lang, updated, n);
  p.index = *LocationIndex::Build(p.rows, {});
  p.attributes = AlignAttributes(p.rows, row_attrs.get(), *p.index);
  for (size_t i = 0; i < n; ++i) {
    p.by_user[p.rows[i].user_id] = {std::string(row_attrs->LanguageOf(i)),
                                    kinds.updated_at ? updated[i] : 0};
  }
  return p;
}

std::unique_ptr<AlertArea> RandomArea(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  auto area = std::make_unique<AlertArea>();
  const int caps = 1 + rng() % 3;
  for (int c = 0; c < caps; ++c) {
    area->AddCap(S2Cap(S2LatLng::FromDegrees(26 + 8 * u(rng), -99 + 8 * u(rng)).ToPoint(),
                       S1Angle::Degrees(0.2 + 2 * u(rng))));
  }
  if (rng() % 2 == 0) {
    const S2CellId cell =
        S2CellId(S2LatLng::FromDegrees(26 + 8 * u(rng), -99 + 8 * u(rng))).parent(7 + rng() % 3);
    area->AddPolygon(std::make_unique<S2Polygon>(std::make_unique<S2Loop>(S2Cell(cell))));
  }
  area->Finalize();
  return area;
}

std::vector<uint64_t> Sorted(const UserIdList& list) {
  std::vector<uint64_t> v(list.begin(), list.end());
  std::sort(v.begin(), v.end());
  return v;
}

// Records the totals a sink is handed: the plain lists and each info
// block's. A call of Deliver (the split dropped) fails the alert, so a test
// sees whether DeliverByInfo was used.
// What one Execute asking for the split by info block hands back.
struct SplitRun {
  DeliveryLists lists;
  std::vector<DeliveryLists> by_info;
  AlertSummary summary;
};

absl::Status ExecuteSplit(const AlertExecutor& executor, const AlertArea& area, SplitRun* run) {
  AlertExecutor::Extras extras;
  extras.by_info = &run->by_info;
  return executor.Execute(area, &run->lists, &run->summary, extras);
}

struct BlockRecorder : DeliverySink {
  absl::Status Deliver(const DeliveryLists&, const AlertSummary&) override {
    return absl::InternalError("DeliverByInfo expected");
  }
  absl::Status DeliverByInfo(const DeliveryLists& lists, const std::vector<DeliveryLists>& split,
                             const AlertSummary&) override {
    plain = lists.total();
    for (const DeliveryLists& b : split) blocks.push_back(b.total());
    return absl::OkStatus();
  }
  uint64_t plain = 0;
  std::vector<uint64_t> blocks;
};

TEST(AttributeDeliveryTest, MatchesReferenceOnRandomInputs) {
  // The random draws must exercise the cases: stale users left out, users
  // given a block other than the first.
  uint64_t total_stale = 0, total_later_blocks = 0;
  for (UserAttributes::Kinds kinds : {UserAttributes::Kinds{true, true},
                                      UserAttributes::Kinds{true, false},
                                      UserAttributes::Kinds{false, true}}) {
    Population pop = MakePopulation(kinds.lang * 2 + kinds.updated_at, 60000, kinds);
    std::mt19937_64 rng(77);
    for (int trial = 0; trial < 12; ++trial) {
      std::unique_ptr<AlertArea> area = RandomArea(rng);
      const uint32_t shards = 1 + rng() % 9;
      AlertExecutor::Options options;
      options.shards = shards;
      options.attributes = pop.attributes;
      options.order = rng() % 3 == 0 ? DeliveryOrder::kNearest : DeliveryOrder::kIndex;
      if (rng() % 4 != 0) {
        options.max_age_s = 1 + rng() % 150000;
        options.as_of_unix_s = 1100000 + rng() % 100000;
      }
      std::vector<std::string> infos;
      if (rng() % 4 != 0) {
        const size_t blocks = 1 + rng() % 5;
        for (size_t k = 0; k < blocks; ++k) infos.push_back(kInfoTags[rng() % kInfoTags.size()]);
      }
      options.info_languages = infos;
      SCOPED_TRACE(::testing::Message() << "kinds " << kinds.lang << kinds.updated_at << " trial "
                                        << trial << " shards " << shards << " max_age "
                                        << options.max_age_s << " blocks " << infos.size());

      // Reference: the area's users by brute force, minus the stale.
      const auto in_area = testing::ReferenceShards(*pop.index, *area, shards);
      std::vector<std::vector<uint64_t>> expect(shards);
      uint64_t stale = 0, unknown = 0;
      const int64_t cutoff = options.as_of_unix_s - options.max_age_s;
      for (uint32_t s = 0; s < shards; ++s) {
        for (uint64_t user : in_area[s]) {
          const uint32_t t = pop.by_user.at(user).second;
          if (options.max_age_s > 0 && t != 0 && int64_t{t} < cutoff) {
            ++stale;
            continue;
          }
          unknown += t == 0;
          expect[s].push_back(user);
        }
      }

      SplitRun run;
      ASSERT_TRUE(ExecuteSplit(AlertExecutor(*pop.index, options), *area, &run).ok());
      const DeliveryLists& lists = run.lists;
      const std::vector<DeliveryLists>& by_info = run.by_info;
      const AlertSummary& summary = run.summary;
      ASSERT_EQ(lists.shards.size(), shards);
      for (uint32_t s = 0; s < shards; ++s) ASSERT_EQ(Sorted(lists.shards[s]), expect[s]) << s;
      EXPECT_EQ(summary.max_age_applied, options.max_age_s > 0);
      total_stale += stale;
      if (options.max_age_s > 0) {
        EXPECT_EQ(summary.stale_skipped, stale);
        EXPECT_EQ(summary.unknown_age_kept, unknown);
      }
      if (infos.empty()) {
        EXPECT_TRUE(by_info.empty());
        EXPECT_TRUE(summary.by_info.empty());
        continue;
      }
      // Every user in the block the reference picks; the union is the lists.
      ASSERT_EQ(by_info.size(), infos.size());
      ASSERT_EQ(summary.by_info.size(), infos.size());
      for (uint32_t s = 0; s < shards; ++s) {
        std::vector<std::vector<uint64_t>> want(infos.size());
        for (uint64_t user : expect[s]) {
          want[ReferenceBlock(pop.by_user.at(user).first, infos)].push_back(user);
        }
        std::vector<uint64_t> all;
        for (size_t k = 0; k < infos.size(); ++k) {
          ASSERT_EQ(by_info[k].shards.size(), shards);
          ASSERT_EQ(Sorted(by_info[k].shards[s]), want[k]) << "block " << k << " shard " << s;
          all.insert(all.end(), by_info[k].shards[s].begin(), by_info[k].shards[s].end());
        }
        std::sort(all.begin(), all.end());
        ASSERT_EQ(all, expect[s]);
        if (options.order == DeliveryOrder::kIndex) {
          // Each block's list keeps the order of the plain list.
          for (size_t k = 0; k < infos.size(); ++k) {
            std::vector<uint64_t> sub;
            for (uint64_t user : lists.shards[s]) {
              if (ReferenceBlock(pop.by_user.at(user).first, infos) == k) sub.push_back(user);
            }
            ASSERT_EQ(std::vector<uint64_t>(by_info[k].shards[s].begin(),
                                            by_info[k].shards[s].end()),
                      sub);
          }
        }
      }
      // Counts: per block, and per user language inside it.
      uint64_t total = 0;
      for (size_t k = 0; k < infos.size(); ++k) {
        EXPECT_EQ(summary.by_info[k].language, infos[k]);
        EXPECT_EQ(summary.by_info[k].users, by_info[k].total());
        uint64_t sum = 0;
        for (const auto& [tag, n] : summary.by_info[k].by_user_language) {
          EXPECT_EQ(ReferenceBlock(tag, infos), k) << tag;
          sum += n;
        }
        EXPECT_EQ(sum, summary.by_info[k].users);
        total += summary.by_info[k].users;
        if (k > 0) total_later_blocks += summary.by_info[k].users;
      }
      EXPECT_EQ(total, summary.matched);
    }
  }
  EXPECT_GT(total_stale, 0u);
  EXPECT_GT(total_later_blocks, 0u);
}

TEST(AttributeDeliveryTest, WithoutAttributesEveryoneIsKeptInTheFirstBlock) {
  Population pop = MakePopulation(5, 20000, {true, true});
  std::mt19937_64 rng(6);
  std::unique_ptr<AlertArea> area = RandomArea(rng);
  AlertExecutor::Options options;
  options.shards = 4;
  options.max_age_s = 1;
  options.as_of_unix_s = 2000000000;
  options.info_languages = {"es", "en-US"};
  SplitRun run;  // an executor without attributes
  ASSERT_TRUE(ExecuteSplit(AlertExecutor(*pop.index, options), *area, &run).ok());
  const DeliveryLists& lists = run.lists;
  const std::vector<DeliveryLists>& by_info = run.by_info;
  const AlertSummary& summary = run.summary;
  EXPECT_EQ(testing::SortedShards(lists), testing::ReferenceShards(*pop.index, *area, 4));
  EXPECT_EQ(summary.stale_skipped, 0u);
  EXPECT_EQ(summary.unknown_age_kept, summary.matched);
  ASSERT_EQ(by_info.size(), 2u);
  EXPECT_EQ(testing::SortedShards(by_info[0]), testing::SortedShards(lists));
  EXPECT_EQ(by_info[1].total(), 0u);
}

// The edges of the cutoff: a user updated exactly at as_of - max_age is
// fresh, one second before is stale; a maximum age longer than as_of
// leaves everyone in.
TEST(AttributeDeliveryTest, CutoffEdges) {
  std::vector<UserRecord> rows;
  std::vector<uint32_t> updated;
  for (int k = 0; k < 5000; ++k) {
    rows.push_back(UserRecord::FromDegrees(k + 1, 30 + (k % 100) * 0.001, -95 + (k / 100) * 0.001));
    updated.push_back(k % 3 == 0 ? 999 : k % 3 == 1 ? 1000 : 0);
  }
  auto index = *LocationIndex::Build(rows, {});
  auto row_attrs = UserAttributes::Own({false, true}, {}, {}, updated, rows.size());
  auto attrs = AlignAttributes(rows, row_attrs.get(), *index);
  AlertArea area;
  area.AddCap(S2Cap(S2LatLng::FromDegrees(30, -95).ToPoint(), S1Angle::Degrees(1)));
  area.Finalize();
  for (auto [as_of, max_age, want_stale] :
       std::vector<std::tuple<int64_t, int64_t, uint64_t>>{{1100, 100, 1667},  // cutoff 1000
                                                          {1100, 101, 0},     // cutoff 999
                                                          {1100, 5000, 0},    // cutoff < 0
                                                          {1000, 1000, 0}}) { // cutoff 0
    AlertExecutor::Options options;
    options.shards = 3;
    options.attributes = attrs;
    options.max_age_s = max_age;
    options.as_of_unix_s = as_of;
    AlertSummary summary;
    auto lists = AlertExecutor(*index, options).Execute(area, &summary);
    ASSERT_TRUE(lists.ok());
    EXPECT_EQ(summary.stale_skipped, want_stale) << as_of << " " << max_age;
    EXPECT_EQ(summary.unknown_age_kept, 1666u);
    EXPECT_EQ(summary.matched + summary.stale_skipped, 5000u);
  }
}

TEST(AttributeDeliveryTest, RefusesBadOptionsAndLiveViews) {
  Population pop = MakePopulation(7, 5000, {true, true});
  AlertArea area;
  area.AddCap(S2Cap(S2LatLng::FromDegrees(30, -95).ToPoint(), S1Angle::Degrees(3)));
  area.Finalize();
  AlertSummary summary;
  {
    AlertExecutor::Options options;
    options.max_age_s = 60;  // no as_of
    EXPECT_EQ(AlertExecutor(*pop.index, options).Execute(area, &summary).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  {
    AlertExecutor::Options options;
    options.attributes = UserAttributes::Own({true, false}, {}, std::vector<uint8_t>(3), {}, 3);
    EXPECT_EQ(AlertExecutor(*pop.index, options).Execute(area, &summary).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  {
    auto live = LiveIndex::Create(*LocationIndex::Build(pop.rows, {}), {});
    ASSERT_TRUE(live.ok());
    AlertExecutor::Options options;
    options.attributes = pop.attributes;
    EXPECT_EQ(AlertExecutor((*live)->View(), options).Execute(area, &summary).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

// The sink's DeliverByInfo gets the split; a sink that does not override
// it gets the plain lists.
TEST(AttributeDeliveryTest, SinkReceivesTheSplit) {
  Population pop = MakePopulation(8, 20000, {true, true});
  AlertArea area;
  area.AddCap(S2Cap(S2LatLng::FromDegrees(30, -95).ToPoint(), S1Angle::Degrees(4)));
  area.Finalize();
  AlertExecutor::Options options;
  options.shards = 3;
  options.attributes = pop.attributes;
  options.info_languages = {"en-US", "es-US", "zh-CN"};
  BlockRecorder sink;
  AlertSummary summary;
  ASSERT_TRUE(AlertExecutor(*pop.index, options).Execute(area, sink, &summary).ok());
  ASSERT_EQ(sink.blocks.size(), 3u);
  EXPECT_EQ(sink.blocks[0] + sink.blocks[1] + sink.blocks[2], sink.plain);
  EXPECT_GT(sink.blocks[1], 0u);
  EXPECT_GT(sink.blocks[2], 0u);
  CallbackSink callback([](uint32_t, absl::Span<const uint64_t>) { return absl::OkStatus(); });
  EXPECT_TRUE(AlertExecutor(*pop.index, options).Execute(area, callback, &summary).ok());
}

// The Engine's requests take the features too; an engine never given
// attributes counts everyone as having none: kept, and in block 0
// (engine_attributes_test.cc has engines with them).
TEST(AttributeDeliveryTest, EngineRequestsWithoutLiveAttributes) {
  testing::TempDir tmp;
  EngineOptions o;
  o.create_if_missing = true;
  o.sync = SyncPolicy::kNone;
  auto engine = Engine::Open(tmp.File("e"), o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  std::vector<LocationUpdate> updates;
  for (int k = 0; k < 2000; ++k) {
    updates.push_back(LocationUpdate::Upsert(
        UserRecord::FromDegrees(k + 1, 29.5 + (k % 50) * 0.01, -95.5 + (k / 50) * 0.01)));
  }
  ASSERT_TRUE((*engine)->Apply(updates).ok());
  AlertRequest request;
  request.text = R"(<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
    <identifier>T</identifier><sender>s</sender><sent>2026-05-01T14:05:00-05:00</sent>
    <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
    <info><language>es-US</language><event>e</event>
      <area><areaDesc>a</areaDesc><circle>29.7,-95.3 100</circle></area></info>
    <info><event>e</event>
      <area><areaDesc>a</areaDesc><circle>29.7,-95.3 100</circle></area></info>
  </alert>)";
  request.shards = 2;
  request.max_age_s = 3600;
  request.by_info = true;
  BlockRecorder sink;
  auto summary = (*engine)->Alert(request, sink);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->matched, 2000u);
  EXPECT_TRUE(summary->max_age_applied);
  EXPECT_EQ(summary->as_of_unix_s, 1777662300);  // the <sent>
  EXPECT_EQ(summary->stale_skipped, 0u);
  EXPECT_EQ(summary->unknown_age_kept, 2000u);
  ASSERT_EQ(summary->by_info.size(), 2u);
  EXPECT_EQ(summary->by_info[0].language, "es-US");
  EXPECT_EQ(summary->by_info[1].language, "en-US");  // CAP 1.2's default
  EXPECT_EQ(summary->by_info[0].users, 2000u);
  EXPECT_EQ(sink.plain, 2000u);
  EXPECT_EQ(sink.blocks, (std::vector<uint64_t>{2000, 0}));
}

}  // namespace
}  // namespace fanout
