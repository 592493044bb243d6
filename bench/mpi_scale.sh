#!/usr/bin/env bash
# Figures of the engine over Open MPI (DESIGN §6, §9), for bench/README.md
# "Beyond one machine":
#  1. per-alert overhead of the MPI layer: `fanout alert` against
#     `mpirun -np 1 fanout-mpi alert` on the same snapshot and alerts;
#  2. scaling on this machine, K = 1, 2, 4 ranks: weak (K ranks x M users
#     each) and fixed total (K ranks x N/K users).
# Usage: bench/mpi_scale.sh [M_USERS_PER_RANK=2000000] [REPS=5]
# Needs build/fanout and build/fanout-mpi; scratch in $MPI_BENCH_DIR
# (default build/mpi-bench). Medians of REPS runs; each alert's summary.json
# gives the stage timings (scan: the slowest rank) and alert_info the MPI
# figures (mpi_collectives_ms: every collective of the alert, waiting for
# the slowest rank included; mpi_gather_ms: lists to rank 0).
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
M=${1:-2000000}
REPS=${2:-5}
W=${MPI_BENCH_DIR:-$B/mpi-bench}
mkdir -p "$W"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN="mpirun --oversubscribe"
ALERTS=("county:--fips 48201" "state:--fips 48" "nation:--same 000000")

gen() {  # users -> file
  [ -f "$W/users-$1.bin" ] || "$B/fanout" generate --users "$1" --seed 42 --region us \
    --out "$W/users-$1.bin" >/dev/null
  [ -f "$W/users-$1.fo" ] || "$B/fanout" build --users "$W/users-$1.bin" --out "$W/users-$1.fo" >/dev/null
}
parts() {  # users K -> manifest
  [ -f "$W/p-$1-$2.manifest" ] || "$B/fanout-mpi" build --users "$W/users-$1.bin" \
    --out "$W/p-$1-$2" --parts "$2" >/dev/null
}
# summary.json -> "scan gather collectives emit total wall"
fields() {
  python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
t = s["timings_ms"]; a = s.get("alert", {})
print(t["cover"] + t["plan"] + t["scan"], float(a.get("mpi_gather_ms", 0)),
      float(a.get("mpi_collectives_ms", 0)), t["emit"], sys.argv[2], s["matched"])
PY
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

# run NAME CMD... : REPS runs, prints medians of "alert mpi gather emit wall matched"
run() {
  local name=$1; shift
  local rows=()
  for r in $(seq "$REPS"); do
    local t0 t1; t0=$(now)
    "$@" --out "$W/out-$name" --force --format bin --shards 64 >/dev/null 2>"$W/err-$name" || {
      cat "$W/err-$name" >&2; exit 1; }
    t1=$(now)
    rows+=("$(fields "$W/out-$name" "$(echo "($t1 - $t0) * 1000" | bc -l)")")
  done
  local out=""
  for col in 1 3 2 4 5 6; do
    out+="$(printf '%s\n' "${rows[@]}" | awk -v c=$col '{print $c}' | median) "
  done
  echo "$out"
}

echo "== 1. overhead: fanout alert vs mpirun -np 1 fanout-mpi alert, $M users"
gen "$M"; parts "$M" 1
printf '%-8s %-10s %12s %12s %12s %10s %10s %10s\n' alert engine cover+plan+scan_ms \
  collectives_ms gather_ms emit_ms wall_ms matched
for a in "${ALERTS[@]}"; do
  name=${a%%:*}; flags=${a#*:}
  read -r s c g e w m <<<"$(run "single-$name" "$B/fanout" alert --index "$W/users-$M.fo" $flags)"
  printf '%-8s %-10s %12.3f %12s %12s %10.3f %10.0f %10s\n' "$name" fanout "$s" - - "$e" "$w" "$m"
  read -r s c g e w m <<<"$(run "mpi1-$name" $MPIRUN -np 1 "$B/fanout-mpi" alert \
    --index "$W/p-$M-1.manifest" $flags)"
  printf '%-8s %-10s %12.3f %12.3f %12.3f %10.3f %10.0f %10s\n' "$name" mpi-np1 "$s" "$c" "$g" "$e" "$w" "$m"
done

echo "== 2. scaling: weak (K ranks x $M users each) and fixed total ($((4 * M)) users / K)"
printf '%-8s %-6s %2s %10s %12s %12s %12s %10s %10s\n' alert kind K users cover+plan+scan_ms \
  collectives_ms gather_ms emit_ms matched
for K in 1 2 4; do
  for kind in weak fixed; do
    if [ $kind = weak ]; then N=$((K * M)); else N=$((4 * M)); fi
    gen "$N"; parts "$N" "$K"
    for a in "${ALERTS[@]}"; do
      name=${a%%:*}; flags=${a#*:}
      read -r s c g e w m <<<"$(run "mpi$K-$kind-$name" $MPIRUN -np "$K" "$B/fanout-mpi" alert \
        --index "$W/p-$N-$K.manifest" $flags)"
      printf '%-8s %-6s %2s %10s %12.3f %12.3f %12.3f %10.3f %10s\n' "$name" $kind "$K" "$N" "$s" "$c" "$g" "$e" "$m"
    done
  done
done
