#!/usr/bin/env bash
# Figures of the engine over Open MPI (DESIGN §6, §9), for bench/README.md
# "Beyond one machine":
#  1. per-alert overhead of the MPI layer: `fanout alert` against
#     `mpirun -np 1 fanout-mpi alert` on the same snapshot and alerts;
#  2. scaling on this machine, K = 1, 2, 4 ranks: weak (K ranks x M users
#     each) and fixed total (K ranks x N/K users);
#  3. live updates across ranks: `fanout-mpi loadtest` on K = 1, 2, 4 ranks
#     over 2M users (updates/s, alert latency, cross-rank moves).
# Usage: bench/mpi_scale.sh [M_USERS_PER_RANK=2000000] [REPS=5]
# MPI_BIND (default none) is mpirun's --bind-to for sections 2 and 3;
# section 1 runs np 1 both with mpirun's default binding (one core, for
# np <= 2) and with --bind-to none. SECTIONS (default "1 2 3") selects.
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
BIND=${MPI_BIND:-none}
SECTIONS=${SECTIONS:-1 2 3}
MPIRUN="mpirun --oversubscribe --bind-to $BIND"
MPIRUN_DEFAULT="mpirun --oversubscribe"
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

if [[ " $SECTIONS " == *" 1 "* ]]; then
echo "== 1. overhead: fanout alert vs mpirun -np 1 fanout-mpi alert, $M users"
gen "$M"; parts "$M" 1
printf '%-8s %-14s %12s %12s %12s %10s %10s %10s\n' alert engine cover+plan+scan_ms \
  collectives_ms gather_ms emit_ms wall_ms matched
for a in "${ALERTS[@]}"; do
  name=${a%%:*}; flags=${a#*:}
  read -r s c g e w m <<<"$(run "single-$name" "$B/fanout" alert --index "$W/users-$M.fo" $flags)"
  printf '%-8s %-14s %12.3f %12s %12s %10.3f %10.0f %10s\n' "$name" fanout "$s" - - "$e" "$w" "$m"
  read -r s c g e w m <<<"$(run "mpi1-$name" $MPIRUN_DEFAULT -np 1 "$B/fanout-mpi" alert \
    --index "$W/p-$M-1.manifest" $flags)"
  printf '%-8s %-14s %12.3f %12.3f %12.3f %10.3f %10.0f %10s\n' "$name" mpi-np1-bound "$s" "$c" "$g" "$e" "$w" "$m"
  read -r s c g e w m <<<"$(run "mpi1n-$name" mpirun --bind-to none -np 1 "$B/fanout-mpi" alert \
    --index "$W/p-$M-1.manifest" $flags)"
  printf '%-8s %-14s %12.3f %12.3f %12.3f %10.3f %10.0f %10s\n' "$name" mpi-np1-none "$s" "$c" "$g" "$e" "$w" "$m"
done
fi

if [[ " $SECTIONS " == *" 2 "* ]]; then
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
fi

if [[ " $SECTIONS " == *" 3 "* ]]; then
echo "== 3. live updates: fanout-mpi loadtest, 2M users, 500 batches of 4096, an alert every 25 batches"
printf '%2s %12s %14s %12s %12s %12s %12s %10s\n' K updates/s cross_moves lat_p50_ms \
  lat_p99_ms scan_p50_ms scan_p99_ms users/rank
for K in 1 2 4; do
  for r in $(seq "$REPS"); do
    $MPIRUN -np "$K" "$B/fanout-mpi" loadtest --users 2000000 --seed 42 --batch 4096 \
      --batches 500 --alert-every 25 --shards 64 >"$W/loadtest-$K-$r.json" 2>"$W/err-loadtest" || {
      cat "$W/err-loadtest" >&2; exit 1; }
  done
  python3 - "$W" "$K" "$REPS" <<'PY'
import json, statistics, sys
w, k, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
rs = [json.load(open(f"{w}/loadtest-{k}-{r}.json")) for r in range(1, reps + 1)]
med = lambda f: statistics.median(f(r) for r in rs)
print(f"{k:>2} {med(lambda r: r['updates_per_second']):12.0f} {med(lambda r: r['cross_rank_moves']):14.0f}"
      f" {med(lambda r: r['alerts']['latency_ms']['p50']):12.1f} {med(lambda r: r['alerts']['latency_ms']['p99']):12.1f}"
      f" {med(lambda r: r['alerts']['scan_ms']['p50']):12.1f} {med(lambda r: r['alerts']['scan_ms']['p99']):12.1f}"
      f" {'/'.join(str(p['users']) for p in rs[0]['per_rank']):>10}")
PY
done
fi
