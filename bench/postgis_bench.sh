#!/usr/bin/env bash
# PostGIS side by side (issue 5): the same generated users and the same
# standard alerts as `fanout bench`, answered by PostgreSQL 15 + PostGIS 3
# with a GiST index, on loopback in a temporary folder that is removed
# afterwards.
#
#   bench/postgis_bench.sh [USERS] [SEED] [JSON_OUT]   (defaults 10M, 42)
#
# Installs postgresql-15 and postgresql-15-postgis-3 from Debian if missing
# (as root). The users are the ones `fanout generate --seed SEED` writes, so
# `fanout bench --users USERS --seed SEED` measures the engine on the same
# population. Each alert returns every matching user id to the client
# (COPY ... TO STDOUT, discarded), the equivalent of building the delivery
# list; 1 warm-up, then the median of 3 timed runs. Polygons use planar
# lon/lat edges, like the engine's default, so matched counts agree up to
# the engine's sub-metre densification and points on an edge.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
USERS=${1:-10000000}
SEED=${2:-42}
OUT=${3:-}
FANOUT=${FANOUT_BUILD_DIR:-$ROOT/build}/fanout
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$FANOUT" ] || { echo "postgis_bench: build first (./run build)" >&2; exit 1; }
if ! dpkg-query -W -f='${Status}' postgresql-15-postgis-3 2>/dev/null | grep -q "install ok installed"; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null
fi
[ "$(id -u)" -eq 0 ] || { echo "postgis_bench: run as root (the server runs as user postgres)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/fanout-postgis-XXXXXX)
PGDATA=$WORK/data
PORT=$((20000 + RANDOM % 20000))
cleanup() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
chown postgres "$WORK"

echo "== generating $USERS users (seed $SEED)" >&2
"$FANOUT" generate --users "$USERS" --seed "$SEED" --out "$WORK/users.csv" >/dev/null 2>&1
chmod 644 "$WORK/users.csv"

runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/server.log" -w \
  -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c shared_buffers=4GB -c work_mem=256MB -c max_parallel_workers_per_gather=2 -c maintenance_work_mem=2GB -c fsync=off" start >/dev/null
PSQL=(runuser -u postgres -- psql -h "$WORK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)

feature() {  # file id -> GeoJSON geometry text
  grep -F "\"id\":\"$2\"" "$ROOT/data/boundaries/$1" | sed -E 's/.*"geometry":(\{.*\})\}[,]?$/\1/'
}

echo "== loading and indexing" >&2
t0=$(date +%s.%N)
"${PSQL[@]}" <<SQL
CREATE EXTENSION postgis;
CREATE TABLE users (user_id numeric(20) PRIMARY KEY, lat float8, lng float8);
COPY users FROM '$WORK/users.csv' WITH (FORMAT csv, HEADER true);
ALTER TABLE users ADD COLUMN geom geometry(Point, 4326);
UPDATE users SET geom = ST_SetSRID(ST_MakePoint(lng, lat), 4326);
CREATE INDEX users_geom ON users USING gist (geom);
VACUUM ANALYZE users;
CREATE TABLE areas (name text PRIMARY KEY, geom geometry);
INSERT INTO areas VALUES
  ('county', ST_SetSRID(ST_GeomFromGeoJSON('$(feature us-counties.geojson 48201)'), 4326)),
  ('state', ST_SetSRID(ST_GeomFromGeoJSON('$(feature us-states.geojson 48)'), 4326)),
  ('nation', ST_SetSRID(ST_GeomFromGeoJSON('$(feature us-nation.geojson US)'), 4326)),
  ('circle', ST_Buffer(ST_SetSRID(ST_MakePoint(-95.37, 29.76), 4326)::geography, 50000, 64)::geometry);
SQL
load_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
bytes=$("${PSQL[@]}" -c "SELECT pg_total_relation_size('users')")
per_user=$(awk -v b="$bytes" -v n="$USERS" 'BEGIN {printf "%.1f", b / n}')
echo "loaded and indexed in ${load_s} s; $per_user bytes per user (table + indexes)" >&2

json="{\"users\": $USERS, \"seed\": $SEED, \"load_s\": $load_s, \"bytes_per_user\": $per_user, \"queries\": ["
sep=""
for name in county state circle nation; do
  q="COPY (SELECT u.user_id FROM users u, areas a WHERE a.name = '$name' AND ST_Intersects(a.geom, u.geom)) TO STDOUT"
  [ "$name" = circle ] && q="COPY (SELECT u.user_id FROM users u WHERE ST_DWithin(u.geom::geography, ST_SetSRID(ST_MakePoint(-95.37, 29.76), 4326)::geography, 50000, false) AND u.geom && (SELECT geom FROM areas WHERE name = 'circle')) TO STDOUT"
  reps=3; [ "$name" = nation ] && reps=1
  times=()
  for i in $(seq 0 $reps); do
    s=$(date +%s%N)
    matched=$("${PSQL[@]}" -c "$q" | wc -l)
    e=$(date +%s%N)
    [ "$i" -gt 0 ] && times+=($(( (e - s) / 1000000 )))
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-8s matched %10d  median %8d ms\n' "$name" "$matched" "$median"
  json="$json$sep{\"name\": \"$name\", \"matched\": $matched, \"ms_p50\": $median}"
  sep=", "
done
json="$json]}"
[ -n "$OUT" ] && echo "$json" > "$OUT"
