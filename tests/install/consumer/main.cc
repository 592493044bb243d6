// A program outside the repository, as a backend team would write it: it
// sees only the installed headers and links fanout::engine. It builds an
// index, resolves a CAP alert from its text, delivers it through a callback
// sink, makes the index live and moves a user in, then does the same through
// the durable Engine in a folder (open, apply, alert, checkpoint, reopen),
// and checks every answer against a brute-force test of the same area.
// Exit 0 when all agree.

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/delivery_sink.h"
#include "engine/engine.h"
#include "engine/live_index.h"
#include "engine/location_index.h"
#include "geo/alert_text.h"
#include "s2/s2latlng.h"

namespace {

constexpr char kCap[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>CONSUMER-1</identifier><sender>consumer@example.org</sender>
  <sent>2026-05-01T14:05:00-05:00</sent><status>Actual</status>
  <msgType>Alert</msgType><scope>Public</scope>
  <info><event>Test</event><area><areaDesc>box</areaDesc>
    <polygon>29.5,-95.9 29.5,-94.9 30.2,-94.9 30.2,-95.9 29.5,-95.9</polygon>
  </area></info>
</alert>)";

// The users the engine delivered, checked against area.Contains.
absl::Status Check(const char* what, const std::set<uint64_t>& delivered,
                   const std::vector<fanout::UserRecord>& users, const fanout::AlertArea& area) {
  std::set<uint64_t> expected;
  for (const fanout::UserRecord& u : users) {
    if (area.Contains(S2LatLng::FromDegrees(u.lat(), u.lng()).ToPoint())) {
      expected.insert(u.user_id);
    }
  }
  if (delivered != expected) {
    return absl::InternalError(std::string(what) + ": delivered " +
                               std::to_string(delivered.size()) + " users, expected " +
                               std::to_string(expected.size()));
  }
  std::printf("%s: %zu users delivered, as expected\n", what, delivered.size());
  return absl::OkStatus();
}

// The durable engine: a folder that survives the process.
absl::Status RunEngine(const std::vector<fanout::UserRecord>& users,
                       const fanout::AlertArea& area) {
  char dir_template[] = "/tmp/fanout-consumer-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return absl::InternalError("mkdtemp failed");
  const std::string dir = dir_template;
  fanout::EngineOptions options;
  options.create_if_missing = true;
  options.sync = fanout::SyncPolicy::kBatch;
  std::vector<fanout::LocationUpdate> updates;
  for (const fanout::UserRecord& u : users) updates.push_back(fanout::LocationUpdate::Upsert(u));
  std::set<uint64_t> delivered;
  fanout::CallbackSink sink([&](uint32_t shard, absl::Span<const uint64_t> ids) {
    delivered.insert(ids.begin(), ids.end());
    return absl::OkStatus();
  });
  fanout::AlertRequest request;
  request.text = kCap;
  request.format = fanout::AlertFormat::kCap;
  request.shards = 8;
  uint64_t last_seq = 0;
  {
    ASSIGN_OR_RETURN(auto engine, fanout::Engine::Open(dir, options));
    ASSIGN_OR_RETURN(last_seq, engine->Apply(updates));
    RETURN_IF_ERROR(engine->Alert(request, sink).status());
    RETURN_IF_ERROR(Check("engine", delivered, users, area));
    RETURN_IF_ERROR(engine->Checkpoint());
  }
  ASSIGN_OR_RETURN(auto reopened, fanout::Engine::Open(dir, options));
  if (reopened->GetStats().last_seq != last_seq) {
    return absl::InternalError("the reopened engine lost updates");
  }
  delivered.clear();
  RETURN_IF_ERROR(reopened->Alert(request, sink).status());
  RETURN_IF_ERROR(Check("engine reopened", delivered, users, area));
  reopened.reset();
  std::filesystem::remove_all(dir);
  return absl::OkStatus();
}

absl::Status Run() {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> lat(29.0, 30.5), lng(-96.5, -94.5);
  std::vector<fanout::UserRecord> users;
  for (uint64_t id = 1; id <= 20000; ++id) {
    users.push_back(fanout::UserRecord::FromDegrees(id, lat(rng), lng(rng)));
  }
  ASSIGN_OR_RETURN(auto index, fanout::LocationIndex::Build(users, {}));

  ASSIGN_OR_RETURN(fanout::ResolvedAlert resolved,
                   fanout::ResolveAlertText(kCap, fanout::AlertFormat::kCap));
  const fanout::AlertArea& area = *resolved.area;

  std::set<uint64_t> delivered;
  fanout::CallbackSink sink([&](uint32_t shard, absl::Span<const uint64_t> ids) {
    delivered.insert(ids.begin(), ids.end());
    return absl::OkStatus();
  });
  fanout::AlertExecutor::Options options;
  options.shards = 16;
  fanout::AlertSummary summary;
  RETURN_IF_ERROR(fanout::AlertExecutor(*index, options).Execute(area, sink, &summary));
  RETURN_IF_ERROR(Check("static index", delivered, users, area));

  // Live: a user outside moves inside; the next alert finds it.
  ASSIGN_OR_RETURN(auto live, fanout::LiveIndex::Create(std::move(index), {}));
  size_t mover = 0;
  while (area.Contains(S2LatLng::FromDegrees(users[mover].lat(), users[mover].lng()).ToPoint())) {
    ++mover;
  }
  users[mover] = fanout::UserRecord::FromDegrees(users[mover].user_id, 29.8, -95.4);
  RETURN_IF_ERROR(live->Upsert(users[mover]).status());
  delivered.clear();
  auto snapshot = live->View();
  RETURN_IF_ERROR(fanout::AlertExecutor(snapshot, options).Execute(area, sink, &summary));
  if (delivered.count(users[mover].user_id) == 0) {
    return absl::InternalError("the user who moved in was not delivered");
  }
  RETURN_IF_ERROR(Check("live index", delivered, users, area));
  return RunEngine(users, area);
}

}  // namespace

int main() {
  absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "consumer: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
