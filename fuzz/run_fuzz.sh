#!/usr/bin/env bash
# Fuzzing of the hostile-input parsers (DESIGN §4b).
#
#   fuzz/run_fuzz.sh smoke [BUILD_DIR]     replay every seed corpus once
#                                          (any compiler; BUILD_DIR default build)
#   fuzz/run_fuzz.sh run SECONDS [TARGET]  libFuzzer for SECONDS per target,
#                                          in build-fuzz/ (needs clang and
#                                          libclang-rt-14-dev on Debian 12)
#
# `run` keeps new inputs in build-fuzz/corpus/<target> (the seed corpus in
# fuzz/corpus/ is read, never written) and crash files in
# build-fuzz/crashes/<target>/; it prints executions and crashes per target
# and exits 1 if any target crashed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=(area_resolver cap_parser geojson lat_lng_text update_log users_csv)
export FANOUT_DATA_DIR="$root/data"
# An input slower than this, or needing more memory, fails like a crash
# (the same limits as the ctest replay, fuzz/CMakeLists.txt).
timeout_s=10
rss_limit_mb=2048

case "${1:-}" in
  smoke)
    build="${2:-$root/build}"
    cmake --build "$build" -j2 --target $(printf '%s_replay ' "${targets[@]}") >/dev/null
    for t in "${targets[@]}"; do
      "$build/fuzz/${t}_replay" -timeout=$timeout_s -rss_limit_mb=$rss_limit_mb "$root/fuzz/corpus/$t"
    done
    ;;
  run)
    seconds="${2:?usage: run_fuzz.sh run SECONDS [TARGET]}"
    if [[ -n "${3:-}" ]]; then targets=("$3"); fi
    build="$root/build-fuzz"
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DFANOUT_FUZZ=ON -DFANOUT_BUILD_TESTS=OFF -DFANOUT_BUILD_BENCH=OFF >/dev/null
    cmake --build "$build" -j2 --target $(printf '%s_fuzzer ' "${targets[@]}") >/dev/null
    failed=0
    for t in "${targets[@]}"; do
      mkdir -p "$build/corpus/$t" "$build/crashes/$t"
      log="$build/$t.log"
      if "$build/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=$timeout_s -rss_limit_mb=$rss_limit_mb \
          -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" \
          "$build/corpus/$t" "$root/fuzz/corpus/$t" >"$log" 2>&1; then
        status=ok
      else
        status=CRASH
        failed=1
      fi
      execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
      [[ -z "$execs" ]] && execs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
      echo "$t: $status, ${execs:-?} executions in ${seconds}s, $(ls "$build/crashes/$t" | wc -l) crash files (log $log)"
    done
    exit "$failed"
    ;;
  *)
    sed -n '2,15p' "$0"
    exit 2
    ;;
esac
