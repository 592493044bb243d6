#!/usr/bin/env bash
# The US-scale run (issue 4, DESIGN §6): generates N users (default 170M),
# builds a snapshot, reloads it warm and cold, and runs the standard alerts
# from the snapshot, each step under /usr/bin/time -v. Prints wall time and
# peak RSS per step and a summary table at the end.
#
#   ./run scale [N] [DIR]            (or tools/scale_run.sh [N] [DIR])
#
#   N     users to generate (default 170000000); DIR work folder (default
#         build/scale; needs ~6 GB of disk at 170M: 2.7 GB users + 2.7 GB
#         snapshot, plus the delivery lists).
#   FANOUT_BUILD_DIR   where the fanout binary is (default build/)
#   SCALE_REUSE=1      keep an existing users file / snapshot of the same N
#   SCALE_NATION=0     skip the nation-wide alert (writes N ids, binary lists)
#
# Peak memory at 170M is about 11 GiB (the build: the mapped users file plus
# two 1.36 GB columns and the radix sort's scratch copy); the script warns
# when less than 20 GiB is available. The cold reload drops the page cache
# first, which needs root; without root it is skipped and said so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-170000000}
DIR=${2:-$ROOT/build/scale}
BUILD=${FANOUT_BUILD_DIR:-$ROOT/build}
FANOUT=$BUILD/fanout
[ -x "$FANOUT" ] || { echo "scale_run: no $FANOUT (build first: ./run build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scale_run: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$DIR"
USERS=$DIR/users-$N.bin
SNAP=$DIR/index-$N.fo
SUMMARY=$DIR/summary.txt
: >"$SUMMARY"

avail_kib=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
if [ "$avail_kib" -lt $((20 * 1024 * 1024)) ]; then
  echo "scale_run: warning: only $((avail_kib / 1024 / 1024)) GiB available; the build needs ~11 GiB at 170M" >&2
fi

# step NAME COMMAND...: runs the command under /usr/bin/time -v, keeps its
# output in DIR/NAME.log, prints and records wall seconds and peak RSS.
step() {
  local name=$1
  shift
  local log=$DIR/$name.log
  printf '\033[1m== %s: %s\033[0m\n' "$name" "$*" >&2
  if ! /usr/bin/time -v -o "$log.time" "$@" >"$log" 2>&1; then
    cat "$log" "$log.time" >&2
    echo "scale_run: step $name failed" >&2
    exit 1
  fi
  grep -v '^\s*$' "$log" | tail -n 4 >&2
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.2f", $2/1024/1024}' "$log.time")
  printf '%-16s %9.2f s  peak RSS %6s GiB\n' "$name" "$wall" "$rss" | tee -a "$SUMMARY" >&2
}

if [ "${SCALE_REUSE:-0}" = 1 ] && [ -f "$USERS" ]; then
  echo "reusing $USERS" >&2
else
  step generate "$FANOUT" generate --users "$N" --seed 42 --region us --out "$USERS"
fi
if [ "${SCALE_REUSE:-0}" = 1 ] && [ -f "$SNAP" ]; then
  echo "reusing $SNAP" >&2
else
  step build "$FANOUT" build --users "$USERS" --out "$SNAP"
fi
step reload-warm "$FANOUT" inspect "$SNAP"
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
  sync
  echo 3 >/proc/sys/vm/drop_caches
  step reload-cold "$FANOUT" inspect "$SNAP"
else
  echo "reload-cold      skipped (dropping the page cache needs root)" | tee -a "$SUMMARY" >&2
fi
"$FANOUT" inspect "$SNAP" --json >"$DIR/inspect.json"

# The standard alerts of DESIGN §5, by code from the boundary catalogue.
step alert-county "$FANOUT" alert --index "$SNAP" --fips 48201 \
  --shards 256 --out "$DIR/out-county" --force
step alert-state "$FANOUT" alert --index "$SNAP" --fips 48 \
  --shards 256 --out "$DIR/out-state" --force
step alert-circle "$FANOUT" alert --index "$SNAP" --circle "29.76,-95.37 50" \
  --shards 256 --out "$DIR/out-circle" --force
if [ "${SCALE_NATION:-1}" = 1 ]; then
  step alert-nation "$FANOUT" alert --index "$SNAP" --same 000000 \
    --shards 256 --format bin --out "$DIR/out-nation" --force
fi

echo
echo "scale run: $N users in $DIR"
cat "$SUMMARY"
echo "build figures:  $(grep -h '^built' "$DIR/build.log" 2>/dev/null || echo '(reused)')"
for a in county state circle nation; do
  [ -f "$DIR/alert-$a.log" ] || continue
  echo "alert $a: $(grep -h '^loaded snapshot' "$DIR/alert-$a.log" | sed 's/^loaded snapshot [^:]*: //')"
  echo "   $(grep -h '^matched' "$DIR/alert-$a.log")"
  echo "   $(grep -h '^timings' "$DIR/alert-$a.log")"
done
