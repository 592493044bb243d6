'use strict';
// Minimal TopoJSON -> GeoJSON geometry decoder (no dependencies).
//
// Supports:
//   - quantized topologies (topology.transform = {scale, translate}) whose arcs
//     are delta-encoded, and unquantized topologies (no transform, absolute
//     coordinates);
//   - arc references in rings, where a negative index i means arc ~i reversed;
//   - Polygon and MultiPolygon geometries (LineString / MultiLineString are
//     handled too since they share the arc-stitching logic);
//   - geometries with type null (returned as null).
//
// Coordinates are returned as [lon, lat] numbers rounded to `decimals` places
// (default 6). Rounding goes through toFixed, so JSON.stringify prints them
// without trailing zeros.

function makeRounder(decimals) {
  return function round(v) {
    const r = Number(v.toFixed(decimals));
    return r === 0 ? 0 : r; // normalise -0
  };
}

// Decode every arc of the topology into absolute [x, y] positions (already
// transformed to lon/lat and rounded).
function decodeArcs(topology, decimals) {
  const round = makeRounder(decimals);
  const t = topology.transform;
  const out = new Array(topology.arcs.length);
  for (let a = 0; a < topology.arcs.length; a++) {
    const arc = topology.arcs[a];
    const pts = new Array(arc.length);
    if (t) {
      const [sx, sy] = t.scale;
      const [tx, ty] = t.translate;
      let qx = 0;
      let qy = 0;
      for (let i = 0; i < arc.length; i++) {
        qx += arc[i][0];
        qy += arc[i][1];
        pts[i] = [round(qx * sx + tx), round(qy * sy + ty)];
      }
    } else {
      for (let i = 0; i < arc.length; i++) {
        pts[i] = [round(arc[i][0]), round(arc[i][1])];
      }
    }
    out[a] = pts;
  }
  return out;
}

// Stitch a list of arc indices into one coordinate sequence. The first point
// of every arc after the first duplicates the last point of the previous one,
// so it is dropped.
function stitch(arcIndices, arcs) {
  const coords = [];
  for (let k = 0; k < arcIndices.length; k++) {
    const idx = arcIndices[k];
    const reversed = idx < 0;
    const arc = arcs[reversed ? ~idx : idx];
    if (!arc) throw new Error('arc index out of range: ' + idx);
    const n = arc.length;
    for (let i = 0; i < n; i++) {
      if (k > 0 && i === 0) continue;
      const p = reversed ? arc[n - 1 - i] : arc[i];
      coords.push([p[0], p[1]]);
    }
  }
  return coords;
}

function decodeGeometry(geom, arcs) {
  switch (geom.type) {
    case null:
    case undefined:
      return null;
    case 'LineString':
      return { type: 'LineString', coordinates: stitch(geom.arcs, arcs) };
    case 'MultiLineString':
      return { type: 'MultiLineString', coordinates: geom.arcs.map((l) => stitch(l, arcs)) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: geom.arcs.map((r) => stitch(r, arcs)) };
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: geom.arcs.map((poly) => poly.map((r) => stitch(r, arcs))),
      };
    default:
      throw new Error('unsupported TopoJSON geometry type: ' + geom.type);
  }
}

// Returns an array of {id, properties, geometry} for a named object
// (GeometryCollection or single geometry) of the topology.
function decodeObject(topology, name, options) {
  const decimals = (options && options.decimals) != null ? options.decimals : 6;
  const obj = topology.objects[name];
  if (!obj) throw new Error('topology has no object named ' + JSON.stringify(name));
  const arcs = decodeArcs(topology, decimals);
  const geoms = obj.type === 'GeometryCollection' ? obj.geometries : [obj];
  return geoms.map((g) => ({
    id: g.id,
    properties: g.properties || {},
    geometry: decodeGeometry(g, arcs),
  }));
}

// Returns a list of problems (empty if valid): every ring must be closed and
// have at least 4 positions.
function validatePolygonal(geometry, label) {
  const problems = [];
  if (!geometry) return [label + ': null geometry'];
  let polys;
  if (geometry.type === 'Polygon') polys = [geometry.coordinates];
  else if (geometry.type === 'MultiPolygon') polys = geometry.coordinates;
  else return [label + ': not polygonal (' + geometry.type + ')'];
  polys.forEach((poly, pi) => {
    poly.forEach((ring, ri) => {
      const where = label + ' polygon ' + pi + ' ring ' + ri;
      if (ring.length < 4) problems.push(where + ': only ' + ring.length + ' positions');
      const a = ring[0];
      const b = ring[ring.length - 1];
      if (!a || a[0] !== b[0] || a[1] !== b[1]) problems.push(where + ': not closed');
    });
  });
  return problems;
}

// Twice the signed area of a closed ring (shoelace formula).
function ringArea2(ring) {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  }
  return a;
}

// Quantization and simplification can collapse small rings to a point or a
// back-and-forth segment ([a, a] or [a, b, a]). Such rings cover no area, so
// removing them changes no point-in-polygon answer. A polygon whose outer ring
// collapses is removed together with its holes. Returns
// {geometry, droppedRings}; geometry is null if nothing with area is left.
function removeDegenerateRings(geometry) {
  if (!geometry) return { geometry: null, droppedRings: 0 };
  const isPoly = geometry.type === 'Polygon';
  if (!isPoly && geometry.type !== 'MultiPolygon') return { geometry, droppedRings: 0 };
  const polys = isPoly ? [geometry.coordinates] : geometry.coordinates;
  const degenerate = (r) => r.length < 4 || Math.abs(ringArea2(r)) < 1e-12;
  let dropped = 0;
  const kept = [];
  for (const poly of polys) {
    if (poly.length === 0 || degenerate(poly[0])) {
      dropped += poly.length;
      continue;
    }
    const rings = [poly[0]];
    for (let i = 1; i < poly.length; i++) {
      if (degenerate(poly[i])) dropped++;
      else rings.push(poly[i]);
    }
    kept.push(rings);
  }
  if (kept.length === 0) return { geometry: null, droppedRings: dropped };
  return {
    geometry: isPoly
      ? { type: 'Polygon', coordinates: kept[0] }
      : { type: 'MultiPolygon', coordinates: kept },
    droppedRings: dropped,
  };
}

module.exports = {
  decodeArcs,
  decodeGeometry,
  decodeObject,
  validatePolygonal,
  removeDegenerateRings,
  ringArea2,
  stitch,
};
