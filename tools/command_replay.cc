// Copyright 2026 The fan-out engine authors.
//
// fanout replay --dir DIR --events FILE --shards N --out OUT [--force]
//
// Runs a timeline of standing alerts through the engine in DIR (DESIGN §8),
// one event a line:
//   U,user_id,lat,lng   upsert          R,user_id     remove
//   A,alert_id,FILE     issue a standing alert from a CAP or GeoJSON file
//                       (relative to the events file); an id already
//                       active: its area is replaced (a CAP Update)
//   C,alert_id          end it
// DIR is an engine folder (`fanout build --dir`); a missing or empty one
// becomes an engine with no users. Blank lines and lines starting with '#' are skipped. The whole file is
// checked first (every line, every alert file resolved): a bad line is
// refused naming it (exit 2) before the engine is touched or anything is
// written. An alert stays active from its A to its C or the end of the
// timeline, whatever its <expires> says. Writes OUT/<alert_id>/shard-%05d.csv
// (everyone handed the alert over its life, each once; sorted) and
// OUT/<alert_id>/summary.json ({"initial", "late", "ended", ...}), into a
// temporary folder renamed into place.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/atomic_file.h"
#include "base/file_io.h"
#include "base/status_macros.h"
#include "engine/engine.h"
#include "engine/shard_policy.h"
#include "engine/standing_sink.h"
#include "geo/alert_text.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {
namespace {

struct Event {
  char kind = 'U';
  int line = 0;
  LocationUpdate update;
  std::string id;
  std::string text;  // A: the alert file's text
  AlertFormat format = AlertFormat::kCap;
};

// One alert's whole delivery, gathered in memory.
class CollectingSink : public StandingSink {
 public:
  explicit CollectingSink(uint32_t shards) : shards_(shards) {}
  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary&) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t s = 0; s < lists.shards.size(); ++s) {
      shards_[s].insert(shards_[s].end(), lists.shards[s].begin(), lists.shards[s].end());
      initial_ += lists.shards[s].size();
    }
    return absl::OkStatus();
  }
  absl::Status DeliverLate(absl::string_view, LateReason,
                           const std::vector<std::vector<LateUser>>& shards) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t s = 0; s < shards.size(); ++s) {
      for (const LateUser& u : shards[s]) shards_[s].push_back(u.user_id);
      late_ += shards[s].size();
    }
    return absl::OkStatus();
  }
  std::vector<std::vector<uint64_t>> shards_;
  uint64_t initial_ = 0, late_ = 0;
  bool ended_ = false;

 private:
  std::mutex mu_;
};

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > 200 || id == "." || id == "..") return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

absl::Status BadLine(const std::string& file, int line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", why));
}

// Reads and checks the whole timeline (DESIGN §8) before anything runs.
absl::StatusOr<std::vector<Event>> ReadEvents(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadText(path, size_t{8} << 30));
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  std::vector<Event> events;
  std::set<std::string> active, ended;
  std::map<std::string, std::string> texts;  // file -> text, resolved once
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    Event e;
    e.line = line_no;
    e.kind = f[0].size() == 1 ? f[0][0] : '?';
    if (e.kind == 'U') {
      uint64_t user;
      double lat, lng;
      if (f.size() != 4 || !absl::SimpleAtoi(f[1], &user) || !absl::SimpleAtod(f[2], &lat) ||
          !absl::SimpleAtod(f[3], &lng) || !(lat >= -90 && lat <= 90) ||
          !(lng >= -180 && lng <= 180)) {
        return BadLine(path, line_no, absl::StrCat("expected U,user_id,lat,lng with lat in "
                                                   "[-90, 90] and lng in [-180, 180], got ",
                                                   QuoteForMessage(line)));
      }
      e.update = LocationUpdate::Upsert(UserRecord::FromDegrees(user, lat, lng));
    } else if (e.kind == 'R') {
      uint64_t user;
      if (f.size() != 2 || !absl::SimpleAtoi(f[1], &user)) {
        return BadLine(path, line_no, absl::StrCat("expected R,user_id, got ", QuoteForMessage(line)));
      }
      e.update = LocationUpdate::Remove(user);
    } else if (e.kind == 'A' || e.kind == 'C') {
      if ((e.kind == 'A' && f.size() != 3) || (e.kind == 'C' && f.size() != 2)) {
        return BadLine(path, line_no,
                       absl::StrCat(e.kind == 'A' ? "expected A,alert_id,FILE" : "expected C,alert_id",
                                    ", got ", QuoteForMessage(line)));
      }
      e.id = std::string(f[1]);
      if (!ValidId(e.id)) {
        return BadLine(path, line_no, absl::StrCat("alert id ", QuoteForMessage(e.id),
                                                   ": use letters, digits, '-', '_' and '.'"));
      }
      if (ended.count(e.id)) {
        return BadLine(path, line_no, absl::StrCat("alert ", e.id, " has already ended"));
      }
      if (e.kind == 'C') {
        if (!active.count(e.id)) {
          return BadLine(path, line_no, absl::StrCat("C of alert ", e.id, ", which is not active"));
        }
        active.erase(e.id);
        ended.insert(e.id);
      } else {
        const std::string file = (base / std::string(f[2])).string();
        if (!texts.count(file)) {
          auto t = ReadText(file, size_t{16} << 20);
          if (!t.ok()) return BadLine(path, line_no, t.status().message());
          texts[file] = *t;
        }
        e.text = texts[file];
        const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(e.text);
        e.format = !trimmed.empty() && trimmed[0] == '<' ? AlertFormat::kCap : AlertFormat::kGeoJson;
        auto resolved = ResolveAlertText(e.text, e.format);
        if (!resolved.ok()) {
          return BadLine(path, line_no, absl::StrCat(f[2], ": ", resolved.status().message()));
        }
        active.insert(e.id);
      }
    } else {
      return BadLine(path, line_no, absl::StrCat("unknown event ", QuoteForMessage(f[0]),
                                                 " (expected U, R, A or C)"));
    }
    events.push_back(std::move(e));
  }
  return events;
}

absl::Status WriteAlert(const std::string& dir, const CollectingSink& sink) {
  if (::mkdir(dir.c_str(), 0755) != 0) return absl::InternalError(absl::StrCat("cannot create ", dir));
  std::string per_shard;
  for (size_t s = 0; s < sink.shards_.size(); ++s) {
    std::vector<uint64_t> ids = sink.shards_[s];
    std::sort(ids.begin(), ids.end());
    std::string body;
    for (uint64_t u : ids) absl::StrAppend(&body, u, "\n");
    char name[32];
    std::snprintf(name, sizeof(name), "/shard-%05zu.csv", s);
    FILE* f = std::fopen((dir + name).c_str(), "w");
    if (f == nullptr || std::fwrite(body.data(), 1, body.size(), f) != body.size() ||
        std::fclose(f) != 0) {
      return absl::InternalError(absl::StrCat("cannot write ", dir, name));
    }
    absl::StrAppend(&per_shard, s ? ", " : "", ids.size());
  }
  const std::string json = absl::StrCat(
      "{\"initial\": ", sink.initial_, ", \"late\": ", sink.late_,
      ", \"ended\": ", sink.ended_ ? "true" : "false", ", \"delivered\": ",
      sink.initial_ + sink.late_, ", \"shards\": ", sink.shards_.size(), ", \"per_shard\": [",
      per_shard, "]}\n");
  FILE* f = std::fopen((dir + "/summary.json").c_str(), "w");
  if (f == nullptr || std::fwrite(json.data(), 1, json.size(), f) != json.size() ||
      std::fclose(f) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", dir, "/summary.json"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunReplay(int argc, char** argv) {
  CliFlags flags({"dir", "events", "shards", "out"}, {"force"});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(std::string dir, flags.Require("dir"));
  ASSIGN_OR_RETURN(std::string events_path, flags.Require("events"));
  ASSIGN_OR_RETURN(std::string out, flags.Require("out"));
  ASSIGN_OR_RETURN(uint64_t shards, flags.GetUint("shards", 0));
  if (shards < 1 || shards > ShardPolicy::kMaxShards) {
    return absl::InvalidArgumentError("--shards must be in 1..1048576");
  }
  if (std::filesystem::exists(out) && !flags.Has("force")) {
    return absl::FailedPreconditionError(absl::StrCat(out, " exists (use --force to replace it)"));
  }
  ASSIGN_OR_RETURN(std::vector<Event> events, ReadEvents(events_path));

  EngineOptions options;
  options.sync = SyncPolicy::kNone;
  options.create_if_missing = true;  // a missing or empty DIR: an engine with no users
  ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Open(dir, options));
  std::map<std::string, std::shared_ptr<CollectingSink>> sinks;
  std::set<std::string> active;
  std::vector<LocationUpdate> batch;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    absl::Status st = engine->Apply(batch).status();
    batch.clear();
    return st;
  };
  for (const Event& e : events) {
    if (e.kind == 'U' || e.kind == 'R') {
      batch.push_back(e.update);
      if (batch.size() >= 10000) RETURN_IF_ERROR(flush());
      continue;
    }
    RETURN_IF_ERROR(flush());
    if (e.kind == 'C') {
      RETURN_IF_ERROR(engine->EndAlert(e.id));
      active.erase(e.id);
      sinks[e.id]->ended_ = true;
      continue;
    }
    StandingRequest request;
    request.id = e.id;
    request.alert.text = e.text;
    request.alert.format = e.format;
    request.alert.shards = static_cast<uint32_t>(shards);
    request.expires = absl::InfiniteFuture();  // a timeline has no wall clock
    request.follow_msg_type = false;
    if (active.count(e.id)) {
      RETURN_IF_ERROR(engine->UpdateStanding(e.id, request).status());
    } else {
      auto sink = std::make_shared<CollectingSink>(static_cast<uint32_t>(shards));
      sinks[e.id] = sink;
      auto s = engine->IssueStanding(request, sink);
      if (!s.ok()) {
        return absl::Status(s.status().code(),
                            absl::StrCat(events_path, ":", e.line, ": ", s.status().message()));
      }
      active.insert(e.id);
    }
  }
  RETURN_IF_ERROR(flush());
  for (const std::string& id : active) RETURN_IF_ERROR(engine->EndAlert(id));  // end of timeline
  engine.reset();

  const std::string tmp = out + ".tmp-" + TempSuffix();
  if (::mkdir(tmp.c_str(), 0755) != 0) return absl::InternalError(absl::StrCat("cannot create ", tmp));
  for (const auto& [id, sink] : sinks) {
    absl::Status st = WriteAlert(tmp + "/" + id, *sink);
    if (!st.ok()) {
      std::filesystem::remove_all(tmp);
      return st;
    }
  }
  std::error_code ec;
  if (std::filesystem::exists(out)) std::filesystem::remove_all(out, ec);
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove_all(tmp);
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", out, ": ", ec.message()));
  }
  std::fprintf(stderr, "replayed %zu events, %zu alerts -> %s\n", events.size(), sinks.size(),
               out.c_str());
  return absl::OkStatus();
}

}  // namespace fanout
