// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_COMMANDS_H_
#define FANOUT_TOOLS_COMMANDS_H_

#include "absl/status/status.h"

namespace fanout {

// One function per `fanout` subcommand; argv[1] is the subcommand's name and
// flags start at argv[2]. Each returns the status whose code picks the exit
// code (cli_util.h ExitCode).
absl::Status RunGenerate(int argc, char** argv);
absl::Status RunAlert(int argc, char** argv);
absl::Status RunBuild(int argc, char** argv);
absl::Status RunInspect(int argc, char** argv);
absl::Status RunBench(int argc, char** argv);
absl::Status RunLoadTest(int argc, char** argv);
absl::Status RunApply(int argc, char** argv);
absl::Status RunCheckpoint(int argc, char** argv);
absl::Status RunReplay(int argc, char** argv);

}  // namespace fanout

#endif  // FANOUT_TOOLS_COMMANDS_H_
