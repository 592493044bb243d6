#!/usr/bin/env bash
# Figures of the engine over Open MPI (DESIGN §6, §9), for bench/README.md
# "Beyond one machine":
#  1. per-alert overhead of the MPI layer: `fanout alert` against
#     `mpirun -np 1 fanout-mpi alert` on the same snapshot and alerts;
#  2. scaling on this machine, K = 1, 2, 4 ranks: weak (K ranks x M users
#     each) and fixed total (K ranks x N/K users);
#  3. live updates across ranks: `fanout-mpi loadtest` on K = 1, 2, 4 ranks
#     over 2M users (updates/s, alert latency, cross-rank moves);
#  4. per-rank work of weak scaling, each rank bound to a core: the
#     instructions of each rank's AlertExecutor::Execute (callgrind, when
#     valgrind is installed: the figure the machine's load cannot move),
#     and each rank's wall, CPU time and run-queue wait
#     (FANOUT_MPI_RANK_TIMINGS, mpi/rank_clocks.h): more work shows as
#     more instructions, a slower core as more CPU time for the same
#     instructions, a core taken by another task as run-queue wait;
#  5. the same machine without MPI: `fanout bench` pinned to core 0 alone,
#     against two of them on disjoint populations (seeds 42 and 43)
#     pinned to cores 0 and 1 at once: what two processes cost each other
#     through the memory bus and shared cache.
# Usage: bench/mpi_scale.sh [M_USERS_PER_RANK=2000000] [REPS=5]
# MPI_BIND (default none) is mpirun's --bind-to for sections 2 and 3;
# section 1 runs np 1 both with mpirun's default binding (one core, for
# np <= 2) and with --bind-to none. SECTIONS (default "1 2 3") selects;
# 4 and 5 run when named (SECTIONS="4 5").
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

if [[ " $SECTIONS " == *" 4 "* ]]; then
echo "== 4. per-rank work, weak scaling (K ranks x $M users), one core per rank"
# Each K in turn within every repetition, so that the machine's load falls
# on all of them alike. wall = the rank's cover + plan + scan.
BOUND="mpirun --oversubscribe --bind-to core:overload-allowed"
for K in 1 2 4; do gen $((K * M)); parts $((K * M)) "$K"; done
CG=""
command -v valgrind >/dev/null && CG=1
rm -f "$W/rankwork.txt"
for a in "state:--fips 48" "nation:--same 000000"; do
  name=${a%%:*}; flags=${a#*:}
  for K in 1 2 4; do
    N=$((K * M))
    if [ -n "$CG" ]; then
      $BOUND -np "$K" valgrind --tool=callgrind --toggle-collect='*AlertExecutor::Execute*' \
        --callgrind-out-file="$W/cg-$name-$K-%q{OMPI_COMM_WORLD_RANK}" "$B/fanout-mpi" alert \
        --index "$W/p-$N-$K.manifest" $flags --out "$W/out-cg" --force --format bin \
        --shards 64 >/dev/null 2>"$W/err-cg" || { cat "$W/err-cg" >&2; exit 1; }
    fi
  done
  for r in $(seq "$REPS"); do
    for K in 1 2 4; do
      N=$((K * M))
      FANOUT_MPI_RANK_TIMINGS=1 $BOUND -np "$K" "$B/fanout-mpi" alert --index "$W/p-$N-$K.manifest" \
        $flags --out "$W/out-rw" --force --format bin --shards 64 >/dev/null 2>"$W/err-rw" || {
        cat "$W/err-rw" >&2; exit 1; }
      grep "work:" "$W/err-rw" | sed "s/^/$name $K /" >>"$W/rankwork.txt"
    done
  done
done
python3 - "$W" <<'PY'
import collections, os, re, statistics, sys
w = sys.argv[1]
rows = collections.defaultdict(list)
for line in open(f"{w}/rankwork.txt"):
    f = line.split()
    name, k, rank = f[0], int(f[1]), int(f[3])
    v = dict(re.findall(r"(\w+) ([\d.]+)", line))
    wall = sum(float(v[s]) for s in ("cover", "plan", "scan"))
    rows[(name, k, rank)].append((wall, float(v["cpu"]), float(v["runq_wait"]), int(v["matched"])))
def instr(name, k, rank):
    p = f"{w}/cg-{name}-{k}-{rank}"
    if not os.path.exists(p): return "-"
    m = re.search(r"^summary: (\d+)", open(p).read(), re.M)
    return f"{int(m[1]) / 1e6:.1f}M" if m else "-"
print(f"{'alert':8} {'K':>2} {'rank':>4} {'instructions':>12} {'wall_ms':>9} {'cpu_ms':>9} {'runq_wait_ms':>12} {'matched':>10}")
for (name, k, rank), v in sorted(rows.items(), key=lambda x: (x[0][0] != "state", x[0][1], x[0][2])):
    med = lambda i: statistics.median(x[i] for x in v)
    print(f"{name:8} {k:>2} {rank:>4} {instr(name, k, rank):>12} {med(0):9.2f} {med(1):9.2f} {med(2):12.2f} {v[0][3]:>10}")
PY
fi

if [[ " $SECTIONS " == *" 4 "* ]] && command -v perf >/dev/null; then
echo "== 4b. who held a rank's core while it waited, during the alert: sched_switch, K = 2 nation runs"
for r in $(seq "$REPS"); do
  FANOUT_MPI_RANK_TIMINGS=1 perf record -q -k CLOCK_MONOTONIC -e sched:sched_switch -a \
    -o "$W/sched-$r.data" -- $BOUND -np 2 "$B/fanout-mpi" alert --index "$W/p-$((2 * M))-2.manifest" \
    --same 000000 --out "$W/out-rw" --force --format bin --shards 64 >/dev/null 2>"$W/sched-$r.err" ||
    { echo "(perf record failed: no sched tracepoints here?)"; break; }
  perf script -i "$W/sched-$r.data" 2>/dev/null >"$W/sched-$r.txt"
done
python3 - "$W" "$REPS" <<'PY'
import collections, os, re, sys
# A rank thread switched out while runnable (prev_state R) waits until it is
# switched back in on that CPU; whatever ran there meanwhile held its core.
# Counted only inside the ranks' alert windows (cover to scan's end).
w, reps = sys.argv[1], int(sys.argv[2])
pat = re.compile(r"\[(\d+)\]\s+([\d.]+): sched:sched_switch: prev_comm=(.*?) prev_pid=(\d+) "
                 r"prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)")
held, window_s, runs = collections.Counter(), 0.0, 0
for r in range(1, reps + 1):
    if not os.path.exists(f"{w}/sched-{r}.txt"): continue
    wins = [tuple(map(float, m)) for m in re.findall(r"monotonic ([\d.]+) to ([\d.]+) s", open(f"{w}/sched-{r}.err").read())]
    if not wins: continue
    lo, hi = min(a for a, b in wins), max(b for a, b in wins)
    window_s += hi - lo; runs += 1
    waiting, running = {}, {}
    for line in open(f"{w}/sched-{r}.txt"):
        m = pat.search(line)
        if not m: continue
        cpu, t = int(m[1]), float(m[2])
        if cpu in running and cpu in waiting:
            a, b = max(running[cpu][1], lo), min(t, hi)
            if b > a: held[running[cpu][0]] += b - a
        if m[3].startswith("fanout-mpi") and m[5].startswith("R"): waiting[cpu] = m[4]
        if m[6].startswith("fanout-mpi") and waiting.get(cpu) == m[7]: del waiting[cpu]
        running[cpu] = (m[6], t)
print(f"{runs} runs, alert windows {window_s * 1e3:.1f} ms in all; a rank's core held by:")
for comm, s in held.most_common(6): print(f"  {comm:24} {s * 1e3:9.1f} ms")
PY
fi

if [[ " $SECTIONS " == *" 5 "* ]]; then
echo "== 5. without MPI: fanout bench ($M users, nation alert) on core 0 alone, then on cores 0 and 1 at once"
# Two figures per process: its p50 alert wall (what other tasks on the
# machine also move) and its CPU time per alert, from /usr/bin/time over a
# run of 300 alerts less a run of 1 (what only the two processes' sharing
# of the memory bus and caches moves).
BENCH=("$B/fanout" bench --users "$M" --alerts nation --no-baselines)
timed() {  # core seed reps tag
  /usr/bin/time -f "%U %S" -o "$W/ctl-$4.time" taskset -c "$1" "${BENCH[@]}" --seed "$2" \
    --repetitions "$3" --json "$W/ctl-$4.json" >/dev/null 2>&1
}
for r in $(seq "$REPS"); do
  for reps in 300 1; do
    timed 0 42 $reps "alone-$reps-$r"
    timed 0 42 $reps "pair0-$reps-$r" & timed 1 43 $reps "pair1-$reps-$r"; wait
  done
done
python3 - "$W" "$REPS" <<'PY'
import json, statistics, sys
w, reps = sys.argv[1], int(sys.argv[2])
cpu = lambda tag: sum(map(float, open(f"{w}/ctl-{tag}.time").read().split()[-2:]))
print(f"{'run':16} {'p50_ms':>8} {'cpu_ms_per_alert':>17}   each run (p50 / cpu)")
for kind, label in (("alone", "core 0 alone"), ("pair0", "core 0 of pair"), ("pair1", "core 1 of pair")):
    p50 = [json.load(open(f"{w}/ctl-{kind}-300-{r}.json"))["queries"][0]["ms_p50"] for r in range(1, reps + 1)]
    per = [(cpu(f"{kind}-300-{r}") - cpu(f"{kind}-1-{r}")) * 1e3 / 299 for r in range(1, reps + 1)]
    each = " ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(p50, per))
    print(f"{label:16} {statistics.median(p50):8.2f} {statistics.median(per):17.2f}   {each}")
PY
fi
