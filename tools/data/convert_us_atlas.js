#!/usr/bin/env node
'use strict';
// Convert us-atlas (npm us-atlas@3.0.1, Census cartographic boundary files
// 2017, TopoJSON, unprojected lon/lat) into plain GeoJSON FeatureCollections.
//
// usage: node tools/data/convert_us_atlas.js /path/to/us-atlas data/boundaries [--decimals N]
//
// Writes <outdir>/us-counties.geojson and <outdir>/us-states.geojson, one
// Feature per line, sorted by id, deterministic byte-for-byte.
//
// Both layers come from counties-10m.json, whose `states` object is the merge
// of its counties (shared arcs), so every state border coincides exactly with
// its counties' borders. states-10m.json is simplified independently from the
// Census state file and its borders do not line up with the county polygons
// (they differ by up to a grid step or more), so it is only used to check that
// the state ids and names agree.

const fs = require('fs');
const path = require('path');
const { decodeObject, validatePolygonal, removeDegenerateRings } = require('./decode_topojson');

function usage() {
  process.stderr.write('usage: node convert_us_atlas.js <us-atlas dir> <out dir> [--decimals N]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
let decimals = 6;
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--decimals') {
    decimals = Number(args[++i]);
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 10) usage();
  } else {
    positional.push(args[i]);
  }
}
if (positional.length !== 2) usage();
const [atlasDir, outDir] = positional;

function readTopology(file) {
  const t = JSON.parse(fs.readFileSync(path.join(atlasDir, file), 'utf8'));
  if (t.type !== 'Topology') throw new Error(file + ': not a TopoJSON Topology');
  return t;
}

function byId(a, b) {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function countPositions(geometry) {
  if (!geometry) return 0;
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let n = 0;
  for (const poly of polys) for (const ring of poly) n += ring.length;
  return n;
}

// Serialize with fixed key order; one feature per line.
function writeCollection(file, features) {
  const lines = features.map(
    (f) =>
      JSON.stringify({ type: 'Feature', id: f.id, properties: f.properties, geometry: f.geometry })
  );
  const text =
    '{"type":"FeatureCollection","features":[\n' + lines.join(',\n') + '\n]}\n';
  fs.writeFileSync(file, text);
  return Buffer.byteLength(text);
}

let problems = [];
const notes = [];

// The `states` object of counties-10m.json was built by merging counties, and
// the merge left one ring open: Illinois misses the 2-point arc it shares with
// Kentucky near Hardin County (that arc is also used twice inside Illinois, so
// the merge took it for an interior edge). The gap is exactly one quantization
// step, and the missing arc is the straight segment between the ring's last
// and first positions, so appending the first position restores it exactly.
// Only gaps of at most one grid step per axis are closed this way; anything
// larger stays open and fails validation.
let gridStep = null; // [dx, dy] in degrees, from the topology transform
function closeOneStepGaps(geometry, label) {
  if (!geometry) return geometry;
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  polys.forEach((poly, pi) =>
    poly.forEach((ring, ri) => {
      const a = ring[0];
      const b = ring[ring.length - 1];
      if (a[0] === b[0] && a[1] === b[1]) return;
      const dx = Math.abs(a[0] - b[0]);
      const dy = Math.abs(a[1] - b[1]);
      if (gridStep && dx <= gridStep[0] * 1.001 && dy <= gridStep[1] * 1.001) {
        ring.push([a[0], a[1]]);
        notes.push(`${label}: polygon ${pi} ring ${ri} open by one grid step; closed`);
      }
    })
  );
  return geometry;
}

// Drop zero-area rings (see removeDegenerateRings), then validate. A feature
// that collapses completely keeps its Feature with "geometry": null so that
// its FIPS code stays known; such features are listed on stderr and in
// data/README.md.
function clean(geometry, label) {
  const r = removeDegenerateRings(closeOneStepGaps(geometry, label));
  if (r.droppedRings) notes.push(label + ': dropped ' + r.droppedRings + ' zero-area ring(s)');
  if (r.geometry === null) {
    notes.push(label + ': ENTIRE GEOMETRY COLLAPSED at this resolution -> geometry null');
    return null;
  }
  problems = problems.concat(validatePolygonal(r.geometry, label));
  return r.geometry;
}

// --- states -----------------------------------------------------------------
const countiesTopo = readTopology('counties-10m.json');
if (countiesTopo.transform) gridStep = countiesTopo.transform.scale;
const stateFeatures = decodeObject(countiesTopo, 'states', { decimals });
{
  const check = readTopology('states-10m.json').objects.states.geometries;
  const a = stateFeatures.map((f) => f.id + '=' + f.properties.name).sort().join('|');
  const b = check.map((g) => g.id + '=' + g.properties.name).sort().join('|');
  if (a !== b) throw new Error('states in counties-10m.json and states-10m.json disagree');
}
const stateName = new Map();
const states = [];
for (const s of stateFeatures) {
  if (typeof s.id !== 'string' || !/^\d{2}$/.test(s.id)) throw new Error('bad state id ' + s.id);
  if (stateName.has(s.id)) throw new Error('duplicate state id ' + s.id);
  const name = s.properties.name;
  if (!name) throw new Error('state ' + s.id + ' has no name');
  stateName.set(s.id, name);
  const geometry = clean(s.geometry, 'state ' + s.id + ' ' + name);
  states.push({ id: s.id, properties: { fips: s.id, name }, geometry });
}
states.sort(byId);

// --- counties ---------------------------------------------------------------
const countyFeatures = decodeObject(countiesTopo, 'counties', { decimals });
const seen = new Set();
const counties = [];
for (const c of countyFeatures) {
  if (typeof c.id !== 'string' || !/^\d{5}$/.test(c.id)) throw new Error('bad county id ' + c.id);
  if (seen.has(c.id)) throw new Error('duplicate county id ' + c.id);
  seen.add(c.id);
  const sf = c.id.slice(0, 2);
  const sname = stateName.get(sf);
  if (!sname) throw new Error('county ' + c.id + ': no state with FIPS ' + sf);
  const geometry = clean(c.geometry, 'county ' + c.id + ' ' + c.properties.name);
  counties.push({
    id: c.id,
    properties: { fips: c.id, name: c.properties.name, state_fips: sf, state: sname },
    geometry,
  });
}
counties.sort(byId);

// --- nation -----------------------------------------------------------------
// The union of every state, merged by topojson from the same arcs, so a
// nation-wide alert is one polygon without the internal state borders (a
// union of 56 state polygons computed at alert time would take seconds).
const nationFeatures = decodeObject(countiesTopo, 'nation', { decimals });
if (nationFeatures.length !== 1) throw new Error('expected one nation feature');
const nation = [{
  id: 'US',
  properties: { name: 'United States' },
  geometry: clean(nationFeatures[0].geometry, 'nation'),
}];

for (const n of notes) process.stderr.write('note: ' + n + '\n');
if (problems.length) {
  for (const p of problems) process.stderr.write('INVALID: ' + p + '\n');
  process.stderr.write(problems.length + ' validation problem(s); nothing written\n');
  process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
const cFile = path.join(outDir, 'us-counties.geojson');
const sFile = path.join(outDir, 'us-states.geojson');
const cBytes = writeCollection(cFile, counties);
const sBytes = writeCollection(sFile, states);
const nFile = path.join(outDir, 'us-nation.geojson');
const nBytes = writeCollection(nFile, nation);

const cPos = counties.reduce((n, f) => n + countPositions(f.geometry), 0);
const sPos = states.reduce((n, f) => n + countPositions(f.geometry), 0);
process.stderr.write(
  `states:   ${states.length} features, ${sPos} positions, ${sBytes} bytes -> ${sFile}\n` +
    `counties: ${counties.length} features, ${cPos} positions, ${cBytes} bytes -> ${cFile}\n` +
    `nation:   1 feature, ${countPositions(nation[0].geometry)} positions, ${nBytes} bytes -> ${nFile}\n` +
    `decimals: ${decimals}; all remaining rings closed with >= 4 positions\n` +
    `null geometries: states ${states.filter((f) => !f.geometry).length}, ` +
    `counties ${counties.filter((f) => !f.geometry).length}\n`
);
