#!/usr/bin/env bash
# Cost of the user-attribute delivery features of `fanout alert` (issue 18),
# each side by side with it off in the same session, runs alternated so that
# the shared machine's noise falls on all of them:
#   v1     the plain alert over a snapshot without attributes (PLAIN_INDEX)
#   plain  the plain alert over the snapshot with attributes (INDEX)
#   age    --max-age 6h (at the alert's <sent>)
#   info   --by-info, over an alert of four <info> blocks
#   both   --max-age 6h --by-info
# Every alert is a CAP text of four info blocks (en-US, es-US, zh-CN, vi-VN)
# written here, so that all variants parse the same text. Prints the median
# of cover + plan + scan (summary.json; parse and writing the lists
# excluded) and of emit over RUNS runs.
#
#   tools/attributes_bench.sh INDEX.fo PLAIN_INDEX.fo [RUNS]  (figures in bench/README.md)
set -euo pipefail
INDEX=$1
PLAIN_INDEX=$2
RUNS=${3:-7}
FANOUT=${FANOUT:-build/fanout}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() {  # field FILE KEY
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); t=j['timings_ms']; \
print({'alert':t['cover']+t['plan']+t['scan'],'emit':t['emit'],'matched':j['matched']}[sys.argv[2]])" "$1" "$2"
}
cap() {  # cap NAME AREA_XML: a CAP alert of four info blocks over the area
  {
    echo '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
    echo "<identifier>BENCH-$1</identifier><sender>bench@example.org</sender>"
    echo '<sent>2026-05-01T14:05:00-05:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>'
    for lang in en-US es-US zh-CN vi-VN; do
      echo "<info><language>$lang</language><category>Safety</category><event>Bench</event>"
      echo '<urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>'
      echo "<area><areaDesc>$1</areaDesc>$2</area></info>"
    done
    echo '</alert>'
  } >"$WORK/$1.xml"
}
cap county '<geocode><valueName>SAME</valueName><value>048201</value></geocode>'
cap state '<geocode><valueName>SAME</valueName><value>048000</value></geocode>'
cap circle '<circle>29.76,-95.37 50</circle>'
cap nation '<geocode><valueName>SAME</valueName><value>000000</value></geocode>'

for name in county state circle nation; do
  declare -A col=()
  for ((r = 0; r < RUNS; r++)); do
    for variant in v1 plain age info both; do
      index=$INDEX extra=()
      case $variant in
        v1) index=$PLAIN_INDEX ;;
        age) extra=(--max-age 6h) ;;
        info) extra=(--by-info) ;;
        both) extra=(--max-age 6h --by-info) ;;
      esac
      "$FANOUT" alert --index "$index" --cap "$WORK/$name.xml" --shards 256 --out "$WORK/o" \
        --force "${extra[@]}" >/dev/null 2>&1
      col[$variant.alert]+="$(field "$WORK/o/summary.json" alert) "
      col[$variant.emit]+="$(field "$WORK/o/summary.json" emit) "
      col[$variant.matched]="$(field "$WORK/o/summary.json" matched)"
    done
  done
  printf '%-7s matched %9d, fresh %9d |' "$name" "${col[plain.matched]}" "${col[age.matched]}"
  for key in v1.alert plain.alert age.alert info.alert both.alert plain.emit info.emit; do
    printf ' %s %.2f' "$key" "$(tr ' ' '\n' <<<"${col[$key]}" | grep -v '^$' | median)"
  done
  printf ' (ms, median of %d)\n' "$RUNS"
  unset col
done
