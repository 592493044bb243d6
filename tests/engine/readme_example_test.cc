// Copyright 2026 The fan-out engine authors.
//
// The README's "Linking the engine" example, compiled and run, so that the
// README cannot drift from the API.

#include <atomic>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "engine/alert_executor.h"
#include "engine/delivery_sink.h"
#include "engine/location_index.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"

namespace fanout {
namespace {

constexpr char kCapXml[] = R"(<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>README-1</identifier><info><area><areaDesc>Houston</areaDesc>
  <polygon>29.5,-95.9 29.5,-94.9 30.2,-94.9 30.2,-95.9 29.5,-95.9</polygon>
  </area></info></alert>)";

absl::Status IssueAlert(const std::vector<UserRecord>& users, uint64_t* delivered) {
  const std::string cap_xml = kCapXml;
  // --- README example begins ---
  ASSIGN_OR_RETURN(auto index, LocationIndex::Build(users, {}));
  AlertTextOptions resolve;          // edges, margin, lenient, geocodes
  resolve.resolve.margin_m = 0;
  ASSIGN_OR_RETURN(ResolvedAlert alert,
                   ResolveAlertText(cap_xml, AlertFormat::kCap, resolve));
  const AlertArea& area = *alert.area;  // alert.repairs, .ignored, .header
  AlertExecutor::Options options;
  options.shards = 64;
  CallbackSink sink([&](uint32_t shard, absl::Span<const uint64_t> ids) {
    *delivered += ids.size();  // e.g. push_fleet.Enqueue(shard, ids)
    return absl::OkStatus();
  });
  AlertSummary summary;
  RETURN_IF_ERROR(AlertExecutor(*index, options).Execute(area, sink, &summary));
  // --- README example ends ---
  return absl::OkStatus();
}

TEST(ReadmeExampleTest, DeliversTheUsersInsideOnce) {
  std::vector<UserRecord> users = {
      UserRecord::FromDegrees(1, 29.76, -95.37),  // Houston: inside
      UserRecord::FromDegrees(2, 32.78, -96.80),  // Dallas: outside
      UserRecord::FromDegrees(3, 29.70, -95.40),  // inside
  };
  uint64_t delivered = 0;
  ASSERT_TRUE(IssueAlert(users, &delivered).ok());
  EXPECT_EQ(delivered, 2u);
}

}  // namespace
}  // namespace fanout
