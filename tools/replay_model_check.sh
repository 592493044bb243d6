#!/bin/bash
# Runs `fanout replay` on a generated timeline of ~1M users (default) and
# checks every alert's delivery against the brute-force model
# (tests/tools/replay_model_slow_test.cc, sim/standing_model.h).
#   tools/replay_model_check.sh [BUILD_DIR] [USERS] [MOVES]
# Defaults: build, 1000000 users, 2 moves per user. Exit 0 when they agree.
set -euo pipefail
build=${1:-build}
export FANOUT_REPLAY_USERS=${2:-1000000}
export FANOUT_REPLAY_MOVES=${3:-$((2 * FANOUT_REPLAY_USERS))}
cmake --build "$build" --target fanout tools_replay_model_slow_test >/dev/null
cd "$build"
/usr/bin/time -f "replay_model_check: %e s wall, %M KB peak RSS (the test process)" \
  ./tests/tools_replay_model_slow_test
