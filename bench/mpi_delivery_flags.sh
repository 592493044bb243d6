#!/usr/bin/env bash
# The per-alert cost of the delivery flags under mpirun, for bench/README.md
# "Beyond one machine" ("Delivery flags under mpirun"): the same alert
# plain, with --order nearest and with --by-info, on K = 1 and 3 ranks,
# each rank loading its part of a manifest built from users with
# attributes. The variants run alternately, REPS rounds; medians.
# Columns come from each alert's summary.json (scan: the slowest rank's;
# sort_ms: the slowest rank's nearest-first sort; mpi_gather_ms: lists,
# keys and info blocks to rank 0; mpi_merge_ms: rank 0's k-way merge and
# info split) and from the "from loaded parts to written lists" line of
# stderr (alert: everything after loading, emit included).
# Usage: bench/mpi_delivery_flags.sh [USERS=2000000] [REPS=5]
# Scratch in $MPI_BENCH_DIR (default build/mpi-flags-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
N=${1:-2000000}
REPS=${2:-5}
W=${MPI_BENCH_DIR:-$B/mpi-flags-bench}
mkdir -p "$W"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN="mpirun --oversubscribe --bind-to none"
[ -f "$W/users.bin" ] || "$B/fanout" generate --users "$N" --seed 42 --region us \
  --with-attributes --out "$W/users.bin" >/dev/null
for K in 1 3; do
  [ -f "$W/p$K.manifest" ] || "$B/fanout-mpi" build --users "$W/users.bin" --out "$W/p$K" \
    --parts "$K" >/dev/null
done
# A state-sized area in three languages (Texas' bounding box, roughly).
cat > "$W/alert.xml" <<'X'
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>BENCH-1</identifier><sender>bench</sender><sent>2026-12-02T20:00:00-05:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>en-US</language><event>e</event>
    <area><areaDesc>box</areaDesc><polygon>26,-106 36,-106 36,-94 26,-94 26,-106</polygon></area></info>
  <info><language>es</language><event>e</event>
    <area><areaDesc>box</areaDesc><polygon>26,-106 36,-106 36,-94 26,-94 26,-106</polygon></area></info>
  <info><language>zh-CN</language><event>e</event>
    <area><areaDesc>box</areaDesc><polygon>26,-106 36,-106 36,-94 26,-94 26,-106</polygon></area></info>
</alert>
X
VARIANTS=("plain:" "nearest:--order nearest" "by-info:--by-info" "both:--order nearest --by-info")
R="$W/results.tsv"
: > "$R"
for rep in $(seq "$REPS"); do
  for K in 1 3; do
    for v in "${VARIANTS[@]}"; do
      name=${v%%:*}; flags=${v#*:}
      out="$W/out-$K-$name"
      # shellcheck disable=SC2086
      $MPIRUN -np "$K" "$B/fanout-mpi" alert --index "$W/p$K.manifest" --cap "$W/alert.xml" \
        --shards 64 --format bin $flags --out "$out" --force >/dev/null 2>"$W/err"
      alert=$(sed -n 's/.*: \([0-9.]*\) ms from loaded parts.*/\1/p' "$W/err")
      python3 - "$out/summary.json" "$K" "$name" "$alert" >>"$R" <<'P'
import json, sys
s = json.load(open(sys.argv[1]))
a, t, d = s["alert"], s["timings_ms"], s["delivery"]
print("\t".join([sys.argv[2], sys.argv[3], str(s["matched"]), str(t["scan"]),
                 str(d.get("sort_ms", 0)), a["mpi_gather_ms"], a.get("mpi_merge_ms", "0"),
                 str(t["emit"]), sys.argv[4]]))
P
    done
  done
done
python3 - "$R" <<'P'
import sys, statistics
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
print("| K | flags | matched | scan ms | sort ms | gather ms | merge ms | emit ms | alert ms |")
print("|---|-------|--------:|--------:|--------:|----------:|---------:|--------:|---------:|")
seen = []
for r in rows:
    if (r[0], r[1]) not in seen: seen.append((r[0], r[1]))
for k, name in seen:
    sel = [r for r in rows if r[0] == k and r[1] == name]
    med = lambda i: statistics.median(float(r[i]) for r in sel)
    print(f"| {k} | {name} | {sel[0][2]} | {med(3):.1f} | {med(4):.1f} | {med(5):.1f} | "
          f"{med(6):.1f} | {med(7):.1f} | {med(8):.1f} |")
P
