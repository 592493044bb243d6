// Copyright 2026 The fan-out engine authors.
//
// fanout checkpoint --dir DIR
//
// Opens the engine folder (recovering it), writes a checkpoint of its state
// at its last sequence number, and deletes the log segments and older
// checkpoints it makes redundant (engine/engine.h). A later Open then loads
// the checkpoint and replays nothing. Killing it at any moment leaves a
// folder that opens with nothing acknowledged lost.

#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "engine/engine.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {

absl::Status RunCheckpoint(int argc, char** argv) {
  CliFlags flags({"dir"}, {});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(std::string dir, flags.Require("dir"));
  EngineOptions options;
  options.sync = SyncPolicy::kBatch;
  options.checkpoint_log_bytes = 0;  // the one checkpoint is this command's
  const int64_t start = absl::GetCurrentTimeNanos();
  ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Open(dir, options));
  const double open_s = MillisSince(start) / 1000;
  const Engine::Stats before = engine->GetStats();
  if (before.open.torn_tail_bytes > 0) {
    std::fprintf(stderr, "cut a torn log tail of %llu bytes: %s\n",
                 static_cast<unsigned long long>(before.open.torn_tail_bytes),
                 before.open.torn_tail_detail.c_str());
  }
  const int64_t cp_start = absl::GetCurrentTimeNanos();
  RETURN_IF_ERROR(engine->Checkpoint());
  const double cp_s = MillisSince(cp_start) / 1000;
  const Engine::Stats after = engine->GetStats();
  std::printf("checkpoint_seq %llu users %llu\n",
              static_cast<unsigned long long>(after.checkpoint_seq),
              static_cast<unsigned long long>(after.users));
  std::fprintf(stderr,
               "%s: opened in %.2f s (%llu updates replayed), checkpoint at %llu in %.2f s "
               "(was at %llu); log now %llu bytes in %llu segments\n",
               dir.c_str(), open_s, static_cast<unsigned long long>(before.open.updates_replayed),
               static_cast<unsigned long long>(after.checkpoint_seq), cp_s,
               static_cast<unsigned long long>(before.checkpoint_seq),
               static_cast<unsigned long long>(after.log_bytes),
               static_cast<unsigned long long>(after.segments));
  return absl::OkStatus();
}

}  // namespace fanout
