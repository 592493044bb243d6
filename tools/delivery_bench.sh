#!/usr/bin/env bash
# Cost of the delivery features of `fanout alert` (issue 18), each side by
# side with it off in the same session, runs alternated so that the shared
# machine's noise falls on both: --order nearest, --map and
# --covering-geojson, against the plain alert. With BASE=path/to/old/fanout
# the plain alert of that binary is run too (the default path before the
# features existed). Prints the median of each figure over RUNS runs.
#
#   tools/delivery_bench.sh INDEX.fo [RUNS]        (figures in bench/README.md)
set -euo pipefail
INDEX=$1
RUNS=${2:-7}
FANOUT=${FANOUT:-build/fanout}
BASE=${BASE:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() {  # field FILE KEY: a number of summary.json's timings_ms or delivery
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); t=j['timings_ms']; d=j.get('delivery',{}); \
print({'scan':t['scan'],'alert':t['cover']+t['plan']+t['scan'],'sort':d.get('sort_ms',0)}[sys.argv[2]])" "$1" "$2"
}

for name in county state circle nation; do
  case $name in
    county) area=(--fips 48201) ;;
    state) area=(--fips 48) ;;
    circle) area=(--circle "29.76,-95.37 50") ;;
    nation) area=(--same 000000) ;;
  esac
  declare -A col=()
  for ((r = 0; r < RUNS; r++)); do
    for variant in base plain nearest map covering; do
      bin=$FANOUT extra=()
      case $variant in
        base) [[ -z $BASE ]] && continue; bin=$BASE ;;
        nearest) extra=(--order nearest) ;;
        map) extra=(--map "$WORK/m.svg") ;;
        covering) extra=(--covering-geojson "$WORK/c.geojson") ;;
      esac
      out=$("$bin" alert --index "$INDEX" "${area[@]}" --shards 256 --out "$WORK/o" --force \
              "${extra[@]}" 2>/dev/null)
      col[$variant.alert]+="$(field "$WORK/o/summary.json" alert) "
      [[ $variant == nearest ]] && col[$variant.sort]+="$(field "$WORK/o/summary.json" sort) "
      if [[ $variant == map ]]; then
        col[map.render]+="$(sed -n 's/^map: .*(\(.*\) ms)$/\1/p' <<<"$out") "
      fi
      if [[ $variant == covering ]]; then
        col[covering.write]+="$(sed -n 's/^covering: .*(\(.*\) ms)$/\1/p' <<<"$out") "
      fi
      matched=$(python3 -c "import json; print(json.load(open('$WORK/o/summary.json'))['matched'])")
    done
  done
  printf '%-7s matched %9d |' "$name" "$matched"
  for key in base.alert plain.alert nearest.alert nearest.sort map.alert map.render covering.alert covering.write; do
    [[ -z ${col[$key]:-} ]] && continue
    printf ' %s %.2f' "$key" "$(tr ' ' '\n' <<<"${col[$key]}" | grep -v '^$' | median)"
  done
  printf ' (ms, median of %d)\n' "$RUNS"
  unset col
done
