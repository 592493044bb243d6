// Copyright 2026 The fan-out engine authors.
//
// User attributes in the durable Engine (engine.h, Engine::Apply "User
// attributes"): random update streams (moves, removes, re-adds, updates
// with and without attributes) against the brute-force model of
// tests/support (ApplyToModel with an AttributeModel); Engine alerts with
// max_age_s and by_info must equal the model before and after freezes and
// merges, checkpoints and reopening (bulk replay and writer path), and a
// log written before attributes existed must still open.

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/engine.h"
#include "engine/internal/engine_attributes.h"
#include "engine/internal/engine_directory.h"
#include "engine/shard_policy.h"
#include "engine/user_attributes.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using testing::AttributeModel;
using testing::ModelAttributes;
using testing::UserModel;

constexpr int64_t kAsOf = 1767225600;  // the alerts' time
constexpr int64_t kMaxAge = 3600;
const char kTags[][8] = {"en-US", "es", "es-MX", "fr", "de"};

std::string CapText() {
  auto info = [](const char* lang) {
    return absl::StrCat("<info>", lang[0] ? absl::StrCat("<language>", lang, "</language>") : "",
                        "<event>e</event><area><areaDesc>a</areaDesc>"
                        "<circle>29.7,-95.35 25</circle></area></info>");
  };
  return absl::StrCat(
      R"(<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>T</identifier>)",
      "<sender>s</sender><sent>2026-05-01T14:05:00-05:00</sent><status>Actual</status>",
      "<msgType>Alert</msgType><scope>Public</scope>", info("es"), info("fr-CA"), info("en-US"),
      "</alert>");
}

// Keeps what the sink is handed, each shard sorted.
struct Recorder : DeliverySink {
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary&) override {
    plain = testing::SortedShards(lists);
    return absl::OkStatus();
  }
  absl::Status DeliverByInfo(const DeliveryLists& lists, const std::vector<DeliveryLists>& split,
                             const AlertSummary&) override {
    plain = testing::SortedShards(lists);
    for (const DeliveryLists& b : split) blocks.push_back(testing::SortedShards(b));
    return absl::OkStatus();
  }
  std::vector<std::vector<uint64_t>> plain;
  std::vector<std::vector<std::vector<uint64_t>>> blocks;
};

// A random stream over users 1..users in a box around the alert's circle.
std::vector<LocationUpdate> RandomUpdates(std::mt19937_64* rng, size_t n, uint64_t users,
                                          int languages) {
  std::vector<LocationUpdate> out;
  std::uniform_real_distribution<double> lat(29.3, 30.1), lng(-95.8, -94.9);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t id = 1 + (*rng)() % users;
    if ((*rng)() % 100 < 15) {
      out.push_back(LocationUpdate::Remove(id));
      continue;
    }
    LocationUpdate u = LocationUpdate::Upsert(UserRecord::FromDegrees(id, lat(*rng), lng(*rng)));
    const int t = (*rng)() % 100;
    if (t < 30) {
      u.updated_at = 0;
    } else if (t < 65) {
      u.updated_at = static_cast<uint32_t>(kAsOf - kMaxAge - 1 - (*rng)() % 86400);  // stale
    } else {
      u.updated_at = static_cast<uint32_t>(kAsOf - kMaxAge + (*rng)() % 4000);  // fresh
    }
    if (languages > 0 && (*rng)() % 100 < 40) u.lang = 1 + (*rng)() % languages;
    out.push_back(u);
  }
  return out;
}

// The Engine's alert with max_age_s and by_info against the model.
void ExpectAlertMatchesModel(Engine& engine, const UserModel& model, const AttributeModel& attrs,
                             const std::string& where) {
  SCOPED_TRACE(where);
  const std::string text = CapText();
  auto resolved = ResolveAlertText(text, AlertFormat::kCap, {});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const std::vector<std::string>& infos = resolved->info_languages;
  ASSERT_EQ(infos.size(), 3u);
  const std::vector<std::string> dictionary = engine.Languages();
  constexpr uint32_t kShards = 4;
  std::vector<std::vector<uint64_t>> plain(kShards);
  std::vector<std::vector<std::vector<uint64_t>>> blocks(
      infos.size(), std::vector<std::vector<uint64_t>>(kShards));
  std::vector<uint64_t> block_users(infos.size(), 0);
  uint64_t stale = 0, unknown = 0;
  for (const auto& [id, record] : model) {
    if (!resolved->area->Contains(S2CellId(record.ToCellId()).ToPoint())) continue;
    ModelAttributes a;
    if (auto it = attrs.find(id); it != attrs.end()) a = it->second;
    if (a.updated_at != 0 && a.updated_at < kAsOf - kMaxAge) {
      ++stale;
      continue;
    }
    unknown += a.updated_at == 0;
    const uint32_t shard = Mix64(id) % kShards;
    plain[shard].push_back(id);
    const std::string tag = a.lang == 0 ? "" : dictionary[a.lang - 1];
    const size_t k = MatchInfoBlock(tag, infos);
    blocks[k][shard].push_back(id);
    ++block_users[k];
  }
  for (auto& s : plain) std::sort(s.begin(), s.end());
  for (auto& b : blocks) {
    for (auto& s : b) std::sort(s.begin(), s.end());
  }
  AlertRequest request;
  request.text = text;
  request.shards = kShards;
  request.max_age_s = kMaxAge;
  request.as_of_unix_s = kAsOf;
  request.by_info = true;
  Recorder sink;
  auto summary = engine.Alert(request, sink);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(sink.plain, plain);
  EXPECT_EQ(sink.blocks, blocks);
  EXPECT_EQ(summary->stale_skipped, stale);
  EXPECT_EQ(summary->unknown_age_kept, unknown);
  uint64_t matched = 0;
  for (const auto& s : plain) matched += s.size();
  EXPECT_EQ(summary->matched, matched);
  ASSERT_EQ(summary->by_info.size(), infos.size());
  for (size_t k = 0; k < infos.size(); ++k) {
    EXPECT_EQ(summary->by_info[k].users, block_users[k]) << k;
  }
  // The stream must exercise every case.
  EXPECT_GT(stale, 0u);
  EXPECT_GT(unknown, 0u);
  EXPECT_GT(block_users[0], 0u);
  EXPECT_GT(block_users[2], 0u);
}

// The state Open recovers, both ways, as a static index with attributes,
// against the model.
void ExpectRecoveredMatchesModel(const std::string& dir, const UserModel& model,
                                 const AttributeModel& attrs) {
  for (auto mode : {internal::ReplayMode::kBulk, internal::ReplayMode::kWriterPath}) {
    SCOPED_TRACE(mode == internal::ReplayMode::kBulk ? "bulk" : "writer path");
    LiveIndex::Options live_options;
    live_options.background_maintenance = false;
    auto recovered = internal::RecoverEngineDirectory(dir, live_options, mode);
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    std::unique_ptr<LocationIndex> index =
        internal::MaterialiseSnapshot(recovered->live->View());
    EXPECT_EQ(testing::IndexEntries(*index), testing::ModelEntries(model));
    std::shared_ptr<const UserAttributes> aligned =
        recovered->attributes->AlignedTo(index->run());
    ASSERT_NE(aligned, nullptr);
    const SortedRun run = index->run();
    size_t wrong = 0;
    for (size_t i = 0; i < run.size(); ++i) {
      ModelAttributes want;
      if (auto it = attrs.find(run.users[i]); it != attrs.end()) want = it->second;
      const uint32_t t = aligned->has_updated_at() ? aligned->updated_at()[i] : 0;
      const std::string tag(aligned->LanguageOf(i));
      const std::vector<std::string> dictionary = recovered->attributes->Languages();
      const std::string want_tag = want.lang == 0 ? "" : dictionary[want.lang - 1];
      wrong += t != want.updated_at || tag != want_tag;
    }
    EXPECT_EQ(wrong, 0u);
  }
}

EngineOptions TestOptions() {
  EngineOptions o;
  o.create_if_missing = true;
  o.sync = SyncPolicy::kNone;
  o.pause_maintenance_for_testing = true;
  o.checkpoint_log_bytes = 0;
  return o;
}

TEST(EngineAttributesTest, AlertsMatchTheModelThroughMaintenanceCheckpointsAndReopen) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("e");
  auto engine = Engine::Open(dir, TestOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  std::vector<uint8_t> codes;
  for (const char* tag : kTags) {
    auto code = (*engine)->LanguageCode(tag);
    ASSERT_TRUE(code.ok()) << code.status();
    codes.push_back(*code);
  }
  EXPECT_EQ(codes, (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(*(*engine)->LanguageCode("EN-us"), 1);  // normalised
  EXPECT_FALSE((*engine)->LanguageCode("e_n").ok());

  UserModel model;
  AttributeModel attrs;
  std::mt19937_64 rng(18);
  auto apply_round = [&](size_t n) {
    std::vector<LocationUpdate> updates = RandomUpdates(&rng, n, 3000, 5);
    for (size_t at = 0; at < updates.size();) {
      const size_t k = std::min<size_t>(1 + rng() % 700, updates.size() - at);
      auto span = absl::MakeConstSpan(updates).subspan(at, k);
      ASSERT_TRUE((*engine)->Apply(span).ok());
      testing::ApplyToModel(span, &model, &attrs);
      at += k;
    }
  };
  apply_round(6000);
  ExpectAlertMatchesModel(**engine, model, attrs, "pending updates");
  (*engine)->RunMaintenanceForTesting();
  ExpectAlertMatchesModel(**engine, model, attrs, "after freeze and merge");
  apply_round(3000);
  (*engine)->RunMaintenanceForTesting();
  apply_round(1000);
  ExpectAlertMatchesModel(**engine, model, attrs, "merged base and deltas");
  ASSERT_TRUE((*engine)->Checkpoint().ok());
  ExpectAlertMatchesModel(**engine, model, attrs, "after checkpoint");
  apply_round(3000);
  engine->reset();
  ExpectRecoveredMatchesModel(dir, model, attrs);
  engine = Engine::Open(dir, TestOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  ExpectAlertMatchesModel(**engine, model, attrs, "reopened: checkpoint and log");
  EXPECT_EQ(*(*engine)->LanguageCode("es-MX"), 3);  // codes are the folder's for good
  EXPECT_EQ(*(*engine)->LanguageCode("pt"), 6);
  apply_round(2000);
  ASSERT_TRUE((*engine)->Checkpoint().ok());
  engine->reset();
  ExpectRecoveredMatchesModel(dir, model, attrs);
  engine = Engine::Open(dir, TestOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  ExpectAlertMatchesModel(**engine, model, attrs, "reopened: checkpoint only");
  EXPECT_GT((*engine)->GetStats().attribute_users, 0u);

  // The checkpoint is a snapshot with the attrs section: a static alert
  // over it (as `fanout alert --index` runs) sees the same attributes.
  auto state = ReadEngineDirectory(dir, /*materialise=*/true);
  ASSERT_TRUE(state.ok()) << state.status();
  auto loaded = LoadSnapshot(state->report.checkpoint_path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_NE(loaded->attributes, nullptr);
  EXPECT_TRUE(loaded->attributes->has_lang());
  EXPECT_TRUE(loaded->attributes->has_updated_at());
}

// The table against a std::map over random sets and erases (few distinct
// ids, so runs, wrap-around and backward shifts are exercised; and ids
// near 0 and 2^64).
TEST(AttributeTableTest, MatchesAMapOnRandomOperations) {
  for (uint64_t seed : {1, 2, 3}) {
    std::mt19937_64 rng(seed);
    internal::AttributeTable table;
    std::map<uint64_t, std::pair<uint32_t, uint8_t>> model;
    const uint64_t ids = seed == 1 ? 50 : 5000;
    for (int step = 0; step < 200000; ++step) {
      uint64_t id = rng() % ids;
      if (id % 7 == 0) id = ~uint64_t{0} - id;
      const uint64_t op = rng() % 4;
      if (op == 0) {
        table.Erase(id);
        model.erase(id);
      } else if (op == 1) {
        // An upsert's rule: lang 0 keeps the held one; neither: erased.
        const uint32_t t = static_cast<uint32_t>(rng() % 3);
        uint8_t lang = static_cast<uint8_t>(rng() % 3);
        table.Update(id, t, lang);
        auto it = model.find(id);
        if (lang == 0 && it != model.end()) lang = it->second.second;
        if (t == 0 && lang == 0) {
          model.erase(id);
        } else {
          model[id] = {t, lang};
        }
      } else {
        uint32_t t = static_cast<uint32_t>(rng() % 3);
        uint8_t lang = static_cast<uint8_t>(rng() % 3);
        if (t == 0 && lang == 0) t = 9;
        table.Set(id, t, lang);
        model[id] = {t, lang};
      }
      if (step % 997 == 0 || step == 199999) {
        ASSERT_EQ(table.size(), model.size()) << step;
        for (uint64_t k = 0; k < ids; ++k) {
          for (uint64_t q : {k, ~uint64_t{0} - k}) {
            uint32_t t = 0;
            uint8_t lang = 0;
            const bool found = table.Find(q, &t, &lang);
            auto it = model.find(q);
            ASSERT_EQ(found, it != model.end()) << q << " at step " << step;
            if (found) {
              ASSERT_EQ(std::make_pair(t, lang), it->second) << q;
            }
          }
        }
      }
    }
  }
}

TEST(EngineAttributesTest, BadCodesAndRemovalsWithAttributesAreRefused) {
  testing::TempDir tmp;
  auto engine = Engine::Open(tmp.File("e"), TestOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  LocationUpdate u = LocationUpdate::Upsert(UserRecord::FromDegrees(1, 29.7, -95.3), 5, 1);
  auto st = (*engine)->Apply({&u, 1});
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.status().message().find("language code 1"), std::string::npos) << st.status();
  LocationUpdate r = LocationUpdate::Remove(1);
  r.updated_at = 3;
  EXPECT_EQ((*engine)->Apply({&r, 1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*engine)->GetStats().last_seq, 0u);  // nothing applied
  EXPECT_EQ((*engine)->GetStats().attribute_users, 0u);
}

// An engine never given attributes holds nothing for them, and its alerts
// with max_age_s keep everyone (as before attributes existed).
TEST(EngineAttributesTest, WithoutAttributesNothingIsHeld) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("e");
  auto engine = Engine::Open(dir, TestOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  std::mt19937_64 rng(3);
  std::vector<LocationUpdate> updates = RandomUpdates(&rng, 5000, 2000, 0);
  for (LocationUpdate& u : updates) u.updated_at = 0;
  ASSERT_TRUE((*engine)->Apply(updates).ok());
  ASSERT_TRUE((*engine)->Checkpoint().ok());
  EXPECT_EQ((*engine)->GetStats().attribute_users, 0u);
  EXPECT_FALSE(std::filesystem::exists(tmp.File("e/languages")));
  auto state = ReadEngineDirectory(dir, true);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->attributes, nullptr);
  auto loaded = LoadSnapshot(state->report.checkpoint_path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->version, 1u);  // no attrs section
}

// A log segment written before attributes existed (update-log version 1)
// still opens, its updates without attributes; later updates with them go
// on in the same folder.
TEST(EngineAttributesTest, OldLogSegmentsWithoutAttributesStillOpen) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("e");
  UserModel model;
  AttributeModel attrs;
  std::mt19937_64 rng(7);
  {
    auto engine = Engine::Open(dir, TestOptions());
    ASSERT_TRUE(engine.ok()) << engine.status();
    std::vector<LocationUpdate> updates = RandomUpdates(&rng, 4000, 3000, 0);
    for (LocationUpdate& u : updates) u.updated_at = 0;
    ASSERT_TRUE((*engine)->Apply(updates).ok());
    testing::ApplyToModel(updates, &model, &attrs);
  }
  // Make every segment a version-1 file, as an older build wrote it.
  int rewritten = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("log-", 0) != 0) continue;
    std::string bytes = testing::ReadFileOrEmpty(e.path().string());
    ASSERT_GE(bytes.size(), 64u);
    bytes[8] = 1;
    const uint64_t sum = XXH3_64bits(bytes.data(), 56);
    std::memcpy(&bytes[56], &sum, 8);
    testing::WriteFileOrDie(e.path().string(), bytes);
    ++rewritten;
  }
  ASSERT_GT(rewritten, 0);
  auto engine = Engine::Open(dir, TestOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->GetStats().users, model.size());
  for (const char* tag : kTags) ASSERT_TRUE((*engine)->LanguageCode(tag).ok());
  std::vector<LocationUpdate> updates = RandomUpdates(&rng, 4000, 3000, 5);
  ASSERT_TRUE((*engine)->Apply(updates).ok());
  testing::ApplyToModel(updates, &model, &attrs);
  ExpectAlertMatchesModel(**engine, model, attrs, "old log, then attributes");
  engine->reset();
  ExpectRecoveredMatchesModel(dir, model, attrs);
}

// Alerts reading attributes while updates (with attributes), maintenance
// and a checkpoint go on: each alert's blocks partition its lists, and no
// user is listed twice (run under ThreadSanitizer by `./run tsan`).
TEST(EngineAttributesTest, AlertsWhileUpdatesGoOn) {
  testing::TempDir tmp;
  EngineOptions o = TestOptions();
  o.pause_maintenance_for_testing = false;
  auto engine = Engine::Open(tmp.File("e"), o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  for (const char* tag : kTags) ASSERT_TRUE((*engine)->LanguageCode(tag).ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937_64 rng(11);
    for (int round = 0; round < 60; ++round) {
      std::vector<LocationUpdate> updates = RandomUpdates(&rng, 500, 3000, 5);
      EXPECT_TRUE((*engine)->Apply(updates).ok());
      if (round == 30) {
        EXPECT_TRUE((*engine)->Checkpoint().ok());
      }
    }
    done = true;
  });
  int alerts = 0;
  while (!done || alerts < 3) {
    AlertRequest request;
    request.text = CapText();
    request.shards = 3;
    request.max_age_s = kMaxAge;
    request.as_of_unix_s = kAsOf;
    request.by_info = true;
    Recorder sink;
    auto summary = (*engine)->Alert(request, sink);
    ASSERT_TRUE(summary.ok()) << summary.status();
    ASSERT_EQ(sink.blocks.size(), 3u);
    for (size_t s = 0; s < sink.plain.size(); ++s) {
      std::vector<uint64_t> joined;
      for (const auto& b : sink.blocks) joined.insert(joined.end(), b[s].begin(), b[s].end());
      std::sort(joined.begin(), joined.end());
      EXPECT_EQ(joined, sink.plain[s]);
      EXPECT_EQ(std::adjacent_find(joined.begin(), joined.end()), joined.end());
    }
    ++alerts;
  }
  writer.join();
}

}  // namespace
}  // namespace fanout
