// Copyright 2026 The fan-out engine authors.

#include "tools/alert_output.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/user_attributes.h"
#include "geo/alert_map.h"

namespace fanout {

absl::StatusOr<AgeFlags> ParseAgeFlags(const CliFlags& flags) {
  AgeFlags age;
  if (flags.Has("max-age")) {
    absl::StatusOr<int64_t> d = ParseDurationSeconds(*flags.Get("max-age"));
    if (!d.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--max-age: ", d.status().message()));
    }
    age.max_age_s = *d;
  }
  if (flags.Has("now")) {
    if (!flags.Has("max-age")) return absl::InvalidArgumentError("--now goes with --max-age");
    absl::StatusOr<int64_t> t = ParseUnixTime(*flags.Get("now"));
    if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("--now: ", t.status().message()));
    age.now = *t;
  }
  return age;
}

std::string AlertSent(const AlertSummary& summary) {
  std::string sent;
  for (const auto& [key, value] : summary.alert_info) {
    if (key == "sent") sent = value;
  }
  return sent;
}

bool SameListsAsSets(DeliveryLists a, DeliveryLists b, std::string* why) {
  if (a.shards.size() != b.shards.size()) {
    *why = "shard counts differ";
    return false;
  }
  for (size_t s = 0; s < a.shards.size(); ++s) {
    std::sort(a.shards[s].begin(), a.shards[s].end());
    std::sort(b.shards[s].begin(), b.shards[s].end());
    if (a.shards[s] != b.shards[s]) {
      *why = absl::StrFormat("shard %d: engine has %d users, brute force %d", s,
                             a.shards[s].size(), b.shards[s].size());
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> RenderOperatorMap(
    const AlertArea& area, const AreaCovering& covering,
    const std::vector<absl::Span<const uint64_t>>& matched_cells, const AlertSummary& summary) {
  AlertMapInput in;
  in.area = &area;
  in.covering = &covering;
  in.matched_cells = matched_cells;
  in.index_users = summary.index_users;
  if (summary.order == DeliveryOrder::kNearest) {
    in.incident = S2LatLng::FromDegrees(summary.origin_lat_deg, summary.origin_lng_deg);
  }
  absl::StatusOr<std::vector<MapOutline>> states = LoadStateOutlines();
  if (states.ok()) {
    in.outlines = &*states;
  } else {
    std::fprintf(stderr, "map: no state outlines: %s\n", states.status().ToString().c_str());
  }
  std::string title, source;
  for (const auto& [key, value] : summary.alert_info) {
    if (key == "identifier" && title.empty()) title = value;
    if (key == "source") source = value;  // "cap /path/file.xml": the file's name will do
  }
  if (const size_t slash = source.rfind('/'); slash != std::string::npos) {
    const size_t space = source.find(' ');
    source = source.substr(0, space == std::string::npos ? 0 : space + 1) + source.substr(slash + 1);
  }
  in.title = title.empty() ? source : title;
  if (!title.empty()) in.notes.push_back(source);
  // Each area's description and what defined it, the first few.
  for (size_t i = 0; i < summary.areas.size() && i < 4; ++i) {
    const AlertSummary::AreaCount& a = summary.areas[i];
    in.notes.push_back(a.desc.empty() ? a.defined_by : absl::StrCat(a.desc, ": ", a.defined_by));
  }
  if (summary.areas.size() > 4) {
    in.notes.push_back(absl::StrCat("and ", summary.areas.size() - 4, " more areas"));
  }
  return RenderAlertMapSvg(in);
}

void PrintAttributeDelivery(const AlertSummary& summary, const std::string& out_dir) {
  if (summary.max_age_applied) {
    std::printf("max age %llds at %lld: %llu stale users left out, %llu without updated_at kept\n",
                static_cast<long long>(summary.max_age_s),
                static_cast<long long>(summary.as_of_unix_s),
                static_cast<unsigned long long>(summary.stale_skipped),
                static_cast<unsigned long long>(summary.unknown_age_kept));
  }
  for (size_t k = 0; k < summary.by_info.size(); ++k) {
    std::printf("info[%zu] (%s): %llu users -> %s/info-%zu\n", k,
                summary.by_info[k].language.c_str(),
                static_cast<unsigned long long>(summary.by_info[k].users), out_dir.c_str(), k);
  }
}

}  // namespace fanout
