#!/usr/bin/env bash
# Copyright 2026 The fan-out engine authors.
#
# The long crash test of the engine folder (DESIGN §7):
#   tools/crash_kill_test.sh [N] [BUILD_DIR]
# SIGKILLs `fanout apply` N times in a row with --sync batch and N times
# with --sync group, at random moments, and `fanout checkpoint` every fifth
# round and N/2 times more on its own; after every kill the folder must
# recover to exactly the base plus the first last_seq updates of the file,
# with every acknowledged update there and no batch half-applied
# (tests/engine/engine_crash_test.cc, which ctest runs with 20 kills).
# N defaults to 100. The seeds are printed; FANOUT_CRASH_SEED=S replays one.
set -euo pipefail
kills="${1:-100}"
build="${2:-$(cd "$(dirname "$0")/.." && pwd)/build}"
test_binary="$build/tests/engine_engine_crash_test"
if [[ ! -x "$test_binary" ]]; then
  echo "crash_kill_test: $test_binary is missing; build it first:" >&2
  echo "  cmake --build $build --target engine_engine_crash_test fanout" >&2
  exit 2
fi
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
FANOUT_CRASH_KILLS="$kills" "$test_binary" --gtest_filter='EngineCrashTest.*' >"$log" 2>&1 || status=$?
grep -E '^(FANOUT_CRASH_SEED|batch:|group:|\[  PASSED|\[  FAILED)|Failure|differs|lost|half' "$log" || true
echo "crash_kill_test: $kills kills per sync policy, exit $status, $(( $(date +%s) - start )) s"
exit "$status"
