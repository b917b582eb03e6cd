#!/usr/bin/env python3
"""Markdown tables from bench/scale.sh's raw.csv files.

  scale_report.py RAW.csv [RAW.csv ...]

One table per set (tree*, blobs*): a row per tool and operation, in the order
first seen; when an operation was measured several times (several files or
rounds), the median of each column and the number of rounds are shown.
CPU = user + sys seconds; RSS, catalog and repository in MiB.
"""

import csv
import statistics
import sys


def main():
    rows = []
    for path in sys.argv[1:]:
        with open(path, newline="") as fh:
            rows.extend(r for r in csv.DictReader(fh))
    order, groups = [], {}
    for r in rows:
        key = (r["set"], r["tool"], r["op"])
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(r)
    sets = []
    for key in order:
        if key[0] not in sets:
            sets.append(key[0])
    mib = 1 << 20
    for s in sets:
        print(f"\n### {s}\n")
        print("| tool | operation | rounds | wall s | CPU s (user+sys) | peak RSS MiB | catalog MiB | repository MiB | exit |")
        print("|---|---|---|---|---|---|---|---|---|")
        for key in order:
            if key[0] != s:
                continue
            g = groups[key]

            def med(f):
                vals = [f(r) for r in g]
                return statistics.median(vals) if vals else float("nan")

            wall = med(lambda r: float(r["wall_s"]))
            cpu = med(lambda r: float(r["user_s"]) + float(r["sys_s"]))
            rss = med(lambda r: float(r["maxrss_kib"]) / 1024)
            cat = med(lambda r: float(r["catalog_bytes"] or 0) / mib)
            repo = med(lambda r: float(r["repo_bytes"] or 0) / mib)
            rcs = ",".join(sorted({r["rc"] for r in g}))
            print(f"| {key[1]} | {key[2]} | {len(g)} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {cat:.0f} | {repo:.0f} | {rcs} |")


if __name__ == "__main__":
    main()
