// Copyright 2026 The fan-out engine authors.
//
// fanout bench --users N [--seed S] [--shards 256] [--json FILE]
//              [--repetitions R] [--s2pointindex-max-users M]
//              [--alerts county,state,...] [--no-baselines]
// The work is sim/scenario_bench.h; this prints and writes the report.

#include <cstdio>

#include "absl/strings/str_split.h"
#include "base/atomic_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/shard_policy.h"
#include "sim/scenario_bench.h"
#include "tools/cli_flags.h"
#include "tools/commands.h"

namespace fanout {

absl::Status RunBench(int argc, char** argv) {
  CliFlags flags(
      {"users", "seed", "shards", "json", "repetitions", "s2pointindex-max-users", "alerts"},
      {"no-baselines"});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ScenarioBenchOptions options;
  ASSIGN_OR_RETURN(options.users, flags.GetUint("users", options.users));
  ASSIGN_OR_RETURN(options.seed, flags.GetUint("seed", options.seed));
  ASSIGN_OR_RETURN(uint64_t shards,
                   flags.GetUintInRange("shards", options.shards, 1, ShardPolicy::kMaxShards));
  options.shards = static_cast<uint32_t>(shards);
  ASSIGN_OR_RETURN(uint64_t reps, flags.GetUintInRange("repetitions", options.repetitions, 1, 1000));
  options.repetitions = static_cast<int>(reps);
  ASSIGN_OR_RETURN(options.s2pointindex_max_users,
                   flags.GetUint("s2pointindex-max-users", options.s2pointindex_max_users));
  if (auto alerts = flags.Get("alerts")) {
    options.alerts = absl::StrSplit(*alerts, ',', absl::SkipEmpty());
  }
  options.skip_baselines = flags.Has("no-baselines");
  options.show_progress = Progress::DefaultEnabled();
  ASSIGN_OR_RETURN(ScenarioBenchReport report, RunScenarioBench(options));
  std::fputs(report.ToText().c_str(), stdout);
  if (auto json = flags.Get("json")) {
    std::string text = report.ToJson();
    RETURN_IF_ERROR(WriteFileAtomically(*json, [&](const AppendFn& append) { return append(text); }));
  }
  return absl::OkStatus();
}

}  // namespace fanout
