// Copyright 2026 The fan-out engine authors.
//
// Standing alerts whose area update or sink attach fails (engine.h,
// UpdateStanding and AttachStandingSink: all or nothing): failures are
// injected into the scan (EngineOptions::standing_scan_hook_for_testing)
// and into the sink (a DeliverLate that fails on demand), and what was
// handed is checked user by user, across reopens, and against the
// brute-force model of sim/standing_model.h on random timelines.

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/engine.h"
#include "engine/standing_sink.h"
#include "geo/alert_text.h"
#include "gtest/gtest.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "sim/standing_model.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::TempDir;

// What the sinks were handed (only calls they accepted), and what they are
// told to refuse: the next n DeliverLate calls of a reason.
struct Ledger {
  std::mutex mu;
  std::map<std::string, std::vector<uint64_t>> handed;  // duplicates kept
  std::map<std::string, std::map<uint64_t, LateReason>> late_reason;
  std::map<LateReason, int> refuse;
  int refused = 0;
};

class FlakySink : public StandingSink {
 public:
  FlakySink(std::shared_ptr<Ledger> ledger, std::string id)
      : ledger_(std::move(ledger)), id_(std::move(id)) {}
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary&) override {
    std::lock_guard<std::mutex> lock(ledger_->mu);
    for (const auto& s : lists.shards) {
      for (uint64_t u : s) ledger_->handed[id_].push_back(u);
    }
    return absl::OkStatus();
  }
  absl::Status DeliverLate(absl::string_view id, LateReason reason,
                           const std::vector<std::vector<LateUser>>& shards) override {
    std::lock_guard<std::mutex> lock(ledger_->mu);
    EXPECT_EQ(id, id_);
    if (ledger_->refuse[reason] > 0) {  // all or nothing: none taken
      --ledger_->refuse[reason];
      ++ledger_->refused;
      return absl::UnavailableError("sink down");
    }
    for (const auto& s : shards) {
      for (const LateUser& u : s) {
        ledger_->handed[id_].push_back(u.user_id);
        ledger_->late_reason[id_][u.user_id] = reason;
      }
    }
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<Ledger> ledger_;
  std::string id_;
};

// The scan hook's orders: fail the next n scans of a kind ("update",
// "attach", "restore", "issue"), and run `during` (once) inside the first
// scan of a kind, before it fails or runs: a batch applied while the
// alert's change is in force but its scan has not finished.
struct ScanFaults {
  std::mutex mu;
  std::map<std::string, int> fail;
  std::map<std::string, std::function<void()>> during;
  std::map<std::string, int> seen;
};

EngineOptions FaultyOptions(const std::shared_ptr<ScanFaults>& faults) {
  EngineOptions options = ::fanout::testing::SteppedEngineOptions();
  options.standing_scan_hook_for_testing = [faults](absl::string_view,
                                                    absl::string_view scan) -> absl::Status {
    std::function<void()> during;
    bool fail = false;
    {
      std::lock_guard<std::mutex> lock(faults->mu);
      const std::string kind(scan);
      ++faults->seen[kind];
      auto it = faults->during.find(kind);
      if (it != faults->during.end()) {
        during = std::move(it->second);
        faults->during.erase(it);
      }
      if (faults->fail[kind] > 0) {
        --faults->fail[kind];
        fail = true;
      }
    }
    if (during) during();
    return fail ? absl::UnavailableError(absl::StrCat("injected ", scan, " scan failure"))
                : absl::OkStatus();
  };
  return options;
}

// Polygons over longitude -95.5 .. -94.5; users k = 1..10 sit at latitude
// 30 + k/10, longitude -95.
// Latitudes 30.05 .. 30.35: users 1, 2, 3.
constexpr char kOld[] = "30.05,-95.5 30.05,-94.5 30.35,-94.5 30.35,-95.5 30.05,-95.5";
// Latitudes 30.25 .. 30.65: users 3 .. 6.
constexpr char kNew[] = "30.25,-95.5 30.25,-94.5 30.65,-94.5 30.65,-95.5 30.25,-95.5";
constexpr double kOldOnlyLat = 30.15;  // inside kOld only
constexpr double kNewOnlyLat = 30.5;   // inside kNew only
constexpr double kOutsideLat = 35;

StandingRequest Request(const std::string& id, const std::string& text, AlertFormat format,
                        uint32_t shards) {
  StandingRequest r;
  r.id = id;
  r.alert.text = text;
  r.alert.format = format;
  r.alert.shards = shards;
  return r;
}

StandingRequest Polygon(const std::string& id, const std::string& text) {
  return Request(id, text, AlertFormat::kPolygon, 3);
}

class StandingFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open(/*first=*/true);
    std::vector<LocationUpdate> batch;
    for (int u = 1; u <= 10; ++u) batch.push_back(Move(u, 30 + u * 0.1));
    ASSERT_TRUE(engine_->Apply(batch).ok());
  }
  void Open(bool first = false) {
    engine_.reset();
    EngineOptions options = FaultyOptions(faults_);
    options.create_if_missing = first;
    auto e = Engine::Open(dir_.path(), options);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = std::move(*e);
  }
  static LocationUpdate Move(uint64_t user, double lat) {
    return LocationUpdate::Upsert(UserRecord::FromDegrees(user, lat, -95));
  }
  void Apply(std::vector<LocationUpdate> batch) {
    auto st = engine_->Apply(batch);
    ASSERT_TRUE(st.ok()) << st.status();
  }
  std::shared_ptr<FlakySink> Sink(const std::string& id) {
    return std::make_shared<FlakySink>(ledger_, id);
  }
  std::vector<uint64_t> Handed(const std::string& id) {
    std::lock_guard<std::mutex> lock(ledger_->mu);
    std::vector<uint64_t> v = ledger_->handed[id];
    std::sort(v.begin(), v.end());
    return v;
  }
  // The engine's record: which of users 1..10 (plus `more`) it holds as
  // handed `id`.
  std::vector<uint64_t> Recorded(const std::string& id, std::vector<uint64_t> more = {}) {
    std::vector<uint64_t> out;
    for (uint64_t u = 1; u <= 10; ++u) more.push_back(u);
    std::sort(more.begin(), more.end());
    more.erase(std::unique(more.begin(), more.end()), more.end());
    for (uint64_t u : more) {
      std::vector<std::string> ids;
      engine_->ActiveAlertsForUser(u, &ids);
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) out.push_back(u);
    }
    return out;
  }
  size_t AlertsAtLat(double lat) {
    std::vector<std::string> ids;
    const UserRecord r = UserRecord::FromDegrees(0, lat, -95);
    return engine_->ActiveAlertsAt(r.lat_e7, r.lng_e7, &ids);
  }
  bool HasSink(const std::string& id) {
    for (const StandingAlertInfo& info : engine_->ListStanding()) {
      if (info.id == id) return info.has_sink;
    }
    ADD_FAILURE() << id << " not active";
    return false;
  }
  void Issue(const std::string& id, const std::string& text) {
    auto s = engine_->IssueStanding(Polygon(id, text), Sink(id));
    ASSERT_TRUE(s.ok()) << s.status();
  }

  TempDir dir_;
  std::shared_ptr<ScanFaults> faults_ = std::make_shared<ScanFaults>();
  std::shared_ptr<Ledger> ledger_ = std::make_shared<Ledger>();
  std::unique_ptr<Engine> engine_;
};

using U = std::vector<uint64_t>;

// An update whose scan fails leaves the previous area in force, handing
// nothing of the new one, across a reopen; the retry hands exactly the new
// area's users not yet handed.
TEST_F(StandingFailureTest, FailedUpdateScanKeepsThePreviousArea) {
  Issue("A", kOld);
  EXPECT_EQ(Handed("A"), (U{1, 2, 3}));
  faults_->fail["update"] = 1;
  auto failed = engine_->UpdateStanding("A", Polygon("A", kNew));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_EQ(Handed("A"), (U{1, 2, 3}));
  EXPECT_EQ(Recorded("A"), (U{1, 2, 3}));
  EXPECT_EQ(AlertsAtLat(kOldOnlyLat), 1u);
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 0u);
  EXPECT_TRUE(HasSink("A"));
  // The previous area is the one checked: 7 moving into its own part is
  // handed, 8 moving into the new area's is not.
  Apply({Move(7, kOldOnlyLat), Move(8, kNewOnlyLat)});
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 7}));

  // The journal has the previous area too.
  Open();
  EXPECT_EQ(AlertsAtLat(kOldOnlyLat), 1u);
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 0u);
  auto attached = engine_->AttachStandingSink("A", Sink("A"));
  ASSERT_TRUE(attached.ok()) << attached.status();
  EXPECT_EQ(attached->handed, 0u);
  Apply({Move(9, kOldOnlyLat + 0.01), Move(10, kNewOnlyLat + 0.01)});
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 7, 9}));

  // The retry hands the new area's users not handed yet: 4, 5, 6, 8, 10.
  auto retried = engine_->UpdateStanding("A", Polygon("A", kNew));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->handed, 5u);
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 1u);
  EXPECT_EQ(AlertsAtLat(kOldOnlyLat), 0u);
  EXPECT_EQ(faults_->seen["restore"], 1);
}

// An update whose catch-up the sink refuses: the users it was given are
// not recorded (nor after a reopen: the journal says so), the previous
// area is in force, and the retry hands them, each once.
TEST_F(StandingFailureTest, RefusedUpdateCatchUpIsNotRecorded) {
  Issue("A", kOld);
  ledger_->refuse[LateReason::kAreaUpdated] = 1;
  const uint64_t late_before = engine_->GetStats().standing_late;
  auto failed = engine_->UpdateStanding("A", Polygon("A", kNew));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_EQ(ledger_->refused, 1);
  EXPECT_EQ(Handed("A"), (U{1, 2, 3}));
  EXPECT_EQ(Recorded("A"), (U{1, 2, 3}));
  EXPECT_EQ(engine_->GetStats().standing_late, late_before);
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 0u);
  Apply({Move(7, kOldOnlyLat)});
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 7}));

  Open();
  EXPECT_EQ(Recorded("A"), (U{1, 2, 3, 7}));
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 0u);
  ASSERT_TRUE(engine_->AttachStandingSink("A", Sink("A")).ok());
  auto retried = engine_->UpdateStanding("A", Polygon("A", kNew));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->handed, 3u);
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(Recorded("A"), (U{1, 2, 3, 4, 5, 6, 7}));
}

// The window between an update's change and its failure: a user whose
// move puts them in the new area then is handed it and stays handed; one
// who moved into the previous area's own part is handed it when that area
// is put back (the restore's catch-up), though they do not move again.
TEST_F(StandingFailureTest, FailedUpdateWindowHandsEachUserOnce) {
  Issue("A", kOld);
  faults_->fail["update"] = 1;
  faults_->during["update"] = [this] { Apply({Move(7, kNewOnlyLat), Move(8, kOldOnlyLat)}); };
  auto failed = engine_->UpdateStanding("A", Polygon("A", kNew));
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 7, 8}));
  {
    std::lock_guard<std::mutex> lock(ledger_->mu);
    EXPECT_EQ(ledger_->late_reason["A"][7], LateReason::kEntered);
    EXPECT_EQ(ledger_->late_reason["A"][8], LateReason::kEntered);
  }
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 0u);
  auto retried = engine_->UpdateStanding("A", Polygon("A", kNew));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 4, 5, 6, 7, 8}));
}

// A failed restore catch-up is reported in the error; the previous area is
// still the one in force.
TEST_F(StandingFailureTest, FailedRestoreCatchUpIsReported) {
  Issue("A", kOld);
  faults_->fail["update"] = 1;
  faults_->fail["restore"] = 1;
  auto failed = engine_->UpdateStanding("A", Polygon("A", kNew));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("catch-up failed"), std::string::npos)
      << failed.status();
  EXPECT_EQ(AlertsAtLat(kOldOnlyLat), 1u);
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 0u);
  Apply({Move(7, kOldOnlyLat), Move(8, kNewOnlyLat)});
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 7}));
}

// A CAP Update goes through the same path: its failure leaves the area.
TEST_F(StandingFailureTest, FailedCapUpdateKeepsThePreviousArea) {
  auto cap = [](const std::string& identifier, const std::string& type,
                const std::string& refs, const std::string& polygon) {
    return absl::StrCat(
        "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>", identifier,
        "</identifier><sender>nws@example</sender><sent>2026-01-01T00:00:00-00:00</sent>"
        "<status>Actual</status><msgType>", type, "</msgType><scope>Public</scope>",
        refs.empty() ? "" : absl::StrCat("<references>", refs, "</references>"),
        "<info><category>Safety</category><event>AMBER</event><area><areaDesc>box</areaDesc>"
        "<polygon>", polygon, "</polygon></area></info></alert>");
  };
  StandingRequest issue;
  issue.alert.text = cap("C-1", "Alert", "", kOld);
  issue.alert.format = AlertFormat::kCap;
  ASSERT_TRUE(engine_->IssueStanding(issue, Sink("C-1")).ok());
  StandingRequest update = issue;
  update.alert.text = cap("C-2", "Update", "nws@example,C-1,2026-01-01T00:00:00-00:00", kNew);
  faults_->fail["update"] = 1;
  EXPECT_FALSE(engine_->IssueStanding(update, nullptr).ok());
  EXPECT_EQ(Handed("C-1"), (U{1, 2, 3}));
  EXPECT_EQ(AlertsAtLat(kNewOnlyLat), 0u);
  auto retried = engine_->IssueStanding(update, nullptr);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->handed, 3u);
  EXPECT_EQ(Handed("C-1"), (U{1, 2, 3, 4, 5, 6}));
}

// An attach whose catch-up scan fails takes the sink away again: users
// entering are not handed through it, a retry attaches and hands everyone
// inside not yet handed, and users handed through it in between stay
// handed, each once.
TEST_F(StandingFailureTest, FailedAttachScanDetachesAndRetryWorks) {
  Issue("A", kOld);
  Open();
  Apply({Move(4, kOldOnlyLat)});  // no sink: not handed yet
  faults_->fail["attach"] = 1;
  faults_->during["attach"] = [this] { Apply({Move(5, kOldOnlyLat + 0.01)}); };
  auto sink = Sink("A");
  auto failed = engine_->AttachStandingSink("A", sink);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_FALSE(HasSink("A"));
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 5}));  // 5 entered while it was attached
  Apply({Move(6, kOldOnlyLat + 0.02)});      // no sink again
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 5}));
  auto retried = engine_->AttachStandingSink("A", sink);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->handed, 2u);
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 4, 5, 6}));
  Apply({Move(7, kOldOnlyLat), Move(4, kOldOnlyLat + 0.03)});
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 4, 5, 6, 7}));
}

// An attach whose catch-up the sink refuses: detached, its users not
// recorded (nor after a reopen), and the retry hands them once.
TEST_F(StandingFailureTest, RefusedAttachCatchUpIsNotRecorded) {
  Issue("A", kOld);
  Open();
  Apply({Move(4, kOldOnlyLat), Move(5, kOldOnlyLat + 0.01)});
  ledger_->refuse[LateReason::kAttached] = 1;
  auto failed = engine_->AttachStandingSink("A", Sink("A"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_FALSE(HasSink("A"));
  EXPECT_EQ(Recorded("A"), (U{1, 2, 3}));
  Open();
  EXPECT_EQ(Recorded("A"), (U{1, 2, 3}));
  auto retried = engine_->AttachStandingSink("A", Sink("A"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->handed, 2u);
  EXPECT_EQ(Handed("A"), (U{1, 2, 3, 4, 5}));
  EXPECT_EQ(Recorded("A"), (U{1, 2, 3, 4, 5}));
}

// Random timelines with failed updates and attaches (scan or sink, each
// retried or not), compared with the brute-force model, in which a failed
// call changes nothing. Nobody moves while an alert has no sink, so the
// model needs no notion of sinks.
class StandingFailureModelTest : public ::testing::TestWithParam<int> {};

TEST_P(StandingFailureModelTest, AgreesWithTheModel) {
  std::mt19937_64 rng(GetParam());
  TempDir dir;
  auto faults = std::make_shared<ScanFaults>();
  auto ledger = std::make_shared<Ledger>();
  const EngineOptions options = FaultyOptions(faults);
  auto engine = Engine::Open(dir.path(), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  StandingModel model;
  std::vector<std::unique_ptr<AlertArea>> areas;  // the model's, kept alive
  std::uniform_real_distribution<double> lat(29.5, 30.5), lng(-95.5, -94.5);
  const int kUsers = 2000;
  std::vector<LocationUpdate> batch;
  uint64_t seq = 0;
  auto apply = [&](const std::vector<LocationUpdate>& b) {
    auto st = (*engine)->Apply(b);
    ASSERT_TRUE(st.ok()) << st.status();
    seq = *st;
    for (size_t k = 0; k < b.size(); ++k) {
      const LocationUpdate& u = b[k];
      if (u.kind == LocationUpdate::Kind::kUpsert) {
        model.Upsert(u.user_id(), seq - b.size() + 1 + k, u.location.lat_e7, u.location.lng_e7);
      } else {
        model.Remove(u.user_id());
      }
    }
  };
  for (int u = 1; u <= kUsers; ++u) {
    batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(u, lat(rng), lng(rng))));
  }
  apply(batch);
  auto circle = [&](std::string* text) {
    *text = absl::StrFormat("%.5f,%.5f %.3f", lat(rng), lng(rng),
                            std::uniform_real_distribution<double>(5, 40)(rng));
    auto resolved = ResolveAlertText(*text, AlertFormat::kCircle);
    EXPECT_TRUE(resolved.ok());
    areas.push_back(std::move(resolved->area));
    return areas.back().get();
  };
  auto request = [](const std::string& id, const std::string& text) {
    return Request(id, text, AlertFormat::kCircle, 4);
  };
  // One fault, of a kind chosen at random, for the next call.
  auto arm = [&](const char* scan, LateReason reason) {
    switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
      case 0: faults->fail[scan] = 1; return true;
      case 1: ledger->refuse[reason] = 1; return true;
      default: return false;
    }
  };
  auto disarm = [&] {
    faults->fail.clear();
    ledger->refuse.clear();
  };
  std::set<std::string> active;
  std::vector<std::string> all;
  int failures = 0, next = 0;
  for (int step = 0; step < 250; ++step) {
    const int what = std::uniform_int_distribution<int>(0, 99)(rng);
    if (what < 8 || active.empty()) {
      const std::string id = absl::StrCat("a", next++);
      std::string text;
      const AlertArea* area = circle(&text);
      auto s = (*engine)->IssueStanding(request(id, text), std::make_shared<FlakySink>(ledger, id));
      ASSERT_TRUE(s.ok()) << s.status();
      model.Issue(id, area, seq);
      active.insert(id);
      all.push_back(id);
    } else if (what < 20) {
      auto it = active.begin();
      std::advance(it, std::uniform_int_distribution<size_t>(0, active.size() - 1)(rng));
      const std::string id = *it;
      std::string text;
      const AlertArea* area = circle(&text);
      const bool armed = arm("update", LateReason::kAreaUpdated);
      auto s = (*engine)->UpdateStanding(id, request(id, text));
      if (s.ok()) {
        model.Issue(id, area, seq);
      } else {
        ++failures;
        ASSERT_TRUE(armed) << s.status();
        disarm();
        if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
          auto again = (*engine)->UpdateStanding(id, request(id, text));
          ASSERT_TRUE(again.ok()) << again.status();
          model.Issue(id, area, seq);
        }
      }
      disarm();
    } else if (what < 24) {
      auto it = active.begin();
      std::advance(it, std::uniform_int_distribution<size_t>(0, active.size() - 1)(rng));
      ASSERT_TRUE((*engine)->EndAlert(*it).ok());
      model.End(*it);
      active.erase(it);
    } else if (what < 28) {  // reopen; attach every sink, some after a failure
      engine->reset();
      engine = Engine::Open(dir.path(), options);
      ASSERT_TRUE(engine.ok()) << engine.status();
      for (const std::string& id : active) {
        auto sink = std::make_shared<FlakySink>(ledger, id);
        const bool armed = arm("attach", LateReason::kAttached);
        auto s = (*engine)->AttachStandingSink(id, sink);
        disarm();
        if (!s.ok()) {
          ++failures;
          ASSERT_TRUE(armed) << s.status();
          s = (*engine)->AttachStandingSink(id, sink);
        }
        ASSERT_TRUE(s.ok()) << s.status();
        EXPECT_EQ(s->handed, 0u) << "nobody moved while it had no sink";
      }
    } else if (what < 31) {
      ASSERT_TRUE((*engine)->Checkpoint().ok());
    } else {
      batch.clear();
      const int n = std::uniform_int_distribution<int>(1, 150)(rng);
      for (int k = 0; k < n; ++k) {
        const uint64_t u = std::uniform_int_distribution<uint64_t>(1, kUsers + 50)(rng);
        if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
          batch.push_back(LocationUpdate::Remove(u));
        } else {
          batch.push_back(LocationUpdate::Upsert(UserRecord::FromDegrees(u, lat(rng), lng(rng))));
        }
      }
      apply(batch);
    }
  }
  EXPECT_GT(failures, 5);
  std::lock_guard<std::mutex> lock(ledger->mu);
  uint64_t total = 0;
  for (const std::string& id : all) {
    std::vector<uint64_t> got = ledger->handed[id];
    std::sort(got.begin(), got.end());
    EXPECT_TRUE(std::adjacent_find(got.begin(), got.end()) == got.end()) << id << " handed twice";
    std::vector<uint64_t> want;
    for (const auto& [u, s] : model.handed(id)) want.push_back(u);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << id;
    total += got.size();
  }
  EXPECT_GT(total, 500u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, StandingFailureModelTest, ::testing::Values(1, 2, 3));

// Updates and attaches failing (scan or sink) while another thread applies
// moves. Once quiet: the engine's record is exactly who was handed, nobody
// twice, and after a last update that succeeds everyone inside its area
// has been handed.
TEST(StandingFailureConcurrencyTest, RecordIsWhoWasHandedUnderConcurrentMoves) {
  TempDir dir;
  auto faults = std::make_shared<ScanFaults>();
  auto ledger = std::make_shared<Ledger>();
  const EngineOptions options = FaultyOptions(faults);
  auto opened = Engine::Open(dir.path(), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Engine> engine = std::move(*opened);
  const int kUsers = 3000;
  std::uniform_real_distribution<double> lat(29.5, 30.5), lng(-95.5, -94.5);
  std::mt19937_64 rng(11);
  std::vector<LocationUpdate> batch;
  std::map<uint64_t, UserRecord> where;
  for (int u = 1; u <= kUsers; ++u) {
    where[u] = UserRecord::FromDegrees(u, lat(rng), lng(rng));
    batch.push_back(LocationUpdate::Upsert(where[u]));
  }
  ASSERT_TRUE(engine->Apply(batch).ok());
  auto request = [](const std::string& id, const std::string& text) {
    return Request(id, text, AlertFormat::kCircle, 2);
  };
  auto circle = [&] {
    return absl::StrFormat("%.5f,%.5f %.3f", lat(rng), lng(rng),
                           std::uniform_real_distribution<double>(10, 40)(rng));
  };
  const std::vector<std::string> ids = {"x", "y"};
  for (const std::string& id : ids) {
    ASSERT_TRUE(
        engine->IssueStanding(request(id, circle()), std::make_shared<FlakySink>(ledger, id)).ok());
  }
  std::atomic<bool> stop{false};
  std::thread mover([&] {
    std::mt19937_64 r(12);
    while (!stop.load()) {
      std::vector<LocationUpdate> b;
      for (int k = 0; k < 50; ++k) {
        const uint64_t u = std::uniform_int_distribution<uint64_t>(1, kUsers)(r);
        where[u] = UserRecord::FromDegrees(u, lat(r), lng(r));
        b.push_back(LocationUpdate::Upsert(where[u]));
      }
      ASSERT_TRUE(engine->Apply(b).ok());
    }
  });
  int failures = 0;
  for (int step = 0; step < 60; ++step) {
    const std::string& id = ids[step % 2];
    {
      std::lock_guard<std::mutex> lock(faults->mu);
      faults->fail["update"] = step % 3 == 0;
      faults->fail["restore"] = step % 7 == 0;
    }
    {
      std::lock_guard<std::mutex> lock(ledger->mu);
      ledger->refuse[LateReason::kAreaUpdated] = step % 3 == 1;
    }
    if (!engine->UpdateStanding(id, request(id, circle())).ok()) ++failures;
  }
  {
    std::lock_guard<std::mutex> lock(faults->mu);
    faults->fail.clear();
  }
  {
    std::lock_guard<std::mutex> lock(ledger->mu);
    ledger->refuse.clear();
  }
  stop.store(true);
  mover.join();
  EXPECT_GT(failures, 20);
  const std::string last = circle();
  ASSERT_TRUE(engine->UpdateStanding("x", request("x", last)).ok());
  auto area = ResolveAlertText(last, AlertFormat::kCircle);
  ASSERT_TRUE(area.ok());
  std::lock_guard<std::mutex> lock(ledger->mu);
  for (const std::string& id : ids) {
    std::vector<uint64_t> got = ledger->handed[id];
    std::sort(got.begin(), got.end());
    EXPECT_TRUE(std::adjacent_find(got.begin(), got.end()) == got.end()) << id << " handed twice";
    std::vector<uint64_t> recorded;
    for (uint64_t u = 1; u <= kUsers; ++u) {
      std::vector<std::string> on;
      engine->ActiveAlertsForUser(u, &on);
      if (std::find(on.begin(), on.end(), id) != on.end()) recorded.push_back(u);
    }
    EXPECT_EQ(recorded, got) << id;
  }
  const std::set<uint64_t> handed(ledger->handed["x"].begin(), ledger->handed["x"].end());
  int inside = 0;
  for (const auto& [u, r] : where) {
    const S2Point p = S2CellId(S2LatLng::FromE7(r.lat_e7, r.lng_e7)).ToPoint();
    if (area->area->Contains(p)) {
      ++inside;
      EXPECT_TRUE(handed.count(u)) << u;
    }
  }
  EXPECT_GT(inside, 0);
}

}  // namespace
}  // namespace fanout
