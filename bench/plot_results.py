#!/usr/bin/env python3
"""Plots `fanout bench --json` reports: alert time against matched users for
this engine (p50) and the baselines, on log-log axes, as a dependency-free
SVG.

    bench/plot_results.py bench/results/bench-*.json -o bench/results/alerts.svg
"""
import argparse
import json
import math
import sys

SERIES = [  # (key, label, colour)
    ("ms_p50", "fanout engine (p50)", "#1f77b4"),
    ("s2pointindex_ms", "S2PointIndex query", "#ff7f0e"),
    ("bruteforce_ms", "brute-force parallel scan", "#d62728"),
    ("limit_ms", "memory limit (ids copied once)", "#2ca02c"),
]
W, H, L, R, T, B = 780, 480, 90, 220, 30, 50


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reports", nargs="+")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    points = {key: [] for key, _, _ in SERIES}
    for path in args.reports:
        with open(path) as f:
            report = json.load(f)
        for q in report["queries"]:
            for key, _, _ in SERIES:
                if q.get(key, 0) > 0 and q["matched"] > 0:
                    points[key].append((q["matched"], q[key], f'{q["name"]}@{report["users"] // 1000000}M'))
    all_pts = [p for v in points.values() for p in v]
    if not all_pts:
        sys.exit("no data")
    xs = [math.log10(p[0]) for p in all_pts]
    ys = [math.log10(p[1]) for p in all_pts]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))

    def px(x):
        return L + (math.log10(x) - x0) / (x1 - x0) * (W - L - R)

    def py(y):
        return H - B - (math.log10(y) - y0) / (y1 - y0) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>']
    for e in range(x0, x1 + 1):
        x = px(10 ** e)
        out.append(f'<line x1="{x}" y1="{T}" x2="{x}" y2="{H - B}" stroke="#ddd"/>')
        out.append(f'<text x="{x}" y="{H - B + 18}" text-anchor="middle">1e{e}</text>')
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{L}" y1="{y}" x2="{W - R}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{L - 8}" y="{y + 4}" text-anchor="end">{10 ** e:g} ms</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">users matched by the alert</text>')
    for i, (key, label, colour) in enumerate(SERIES):
        for m, ms, name in sorted(points[key]):
            out.append(f'<circle cx="{px(m):.1f}" cy="{py(ms):.1f}" r="4" fill="{colour}"><title>{name}: {ms:.2f} ms</title></circle>')
        ly = T + 10 + 20 * i
        out.append(f'<circle cx="{W - R + 15}" cy="{ly}" r="5" fill="{colour}"/>')
        out.append(f'<text x="{W - R + 25}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    with open(args.out, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
