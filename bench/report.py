#!/usr/bin/env python3
"""Turn OUT/raw.csv (+ meta.json, dataset-*.json) into OUT/results.md and
OUT/results.json. usage: report.py OUT"""

import csv
import json
import os
import sys

TOOLS = ["cairn", "restic", "borg"]
OPS = [("initial_backup", "initial backup"),
       ("unchanged_backup", "unchanged re-backup"),
       ("changed_backup", "1%-changed backup"),
       ("restore", "restore latest")]
# (key, label, kind); every ratio is other/cairn, so >1 means cairn is better
METRICS = ([(op + "_s", label + " (s)", "s") for op, label in OPS]
           + [(op + "_rss_kib", label + " peak RSS (MiB)", "kib") for op, label in OPS]
           + [("repo_bytes_initial", "repo size after initial (MiB)", "bytes"),
              ("repo_bytes", "repo size after 3 backups (MiB)", "bytes")])


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, kind):
    if v is None:
        return "-"
    if kind == "s":
        return "%.2f" % v
    if kind == "kib":
        return "%.0f" % (v / 1024)
    if kind == "bytes":
        return "%.1f" % (v / 2**20)
    return str(v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fr(r):
    return "-" if r is None else "%.2f" % r


def main():
    out = sys.argv[1]
    raw = {}
    with open(os.path.join(out, "raw.csv")) as fh:
        for row in csv.DictReader(fh):
            raw.setdefault(row["dataset"], {}).setdefault(row["tool"], {})[row["metric"]] = row["value"]
    meta = {}
    if os.path.exists(os.path.join(out, "meta.json")):
        with open(os.path.join(out, "meta.json")) as fh:
            meta = json.load(fh)
    datasets = [d for d in ["mixed", "small", "random"] if d in raw] + \
               [d for d in raw if d not in ("mixed", "small", "random")]
    tools = [t for t in TOOLS if any(t in raw[d] for d in datasets)]
    others = [t for t in tools if t != "cairn"]

    result = {"meta": meta, "datasets": {}}
    md = []
    md.append("# Cairn benchmark results (%s mode)" % meta.get("mode", "?"))
    md.append("")
    md.append("- date: %s; cairn %s; %s" % (
        meta.get("date", "?"), meta.get("cairn_commit", "?"),
        "; ".join("%s" % v for v in meta.get("tools", {}).values())))
    md.append("- machine: %s CPUs, %.1f GiB RAM, kernel %s (shared, noisy)" % (
        meta.get("cpus", "?"), meta.get("mem_kib", 0) / 2**20, meta.get("kernel", "?")))
    md.append("- page cache dropped before every timed operation: %s" %
              ("yes" if meta.get("page_cache_dropped") else "NO"))
    md.append("- each operation run once; times are wall seconds; ratios are "
              "other/cairn, so **> 1 means cairn is better** (faster, less memory, "
              "smaller repository)")
    md.append("")

    problems = []
    summary = {}
    for ds in datasets:
        info = {}
        p = os.path.join(out, "dataset-%s.json" % ds)
        if os.path.exists(p):
            with open(p) as fh:
                info = json.load(fh)
        mut = {}
        p = os.path.join(out, "logs", "%s.mutate.json" % ds)
        if os.path.exists(p):
            with open(p) as fh:
                mut = json.load(fh)
        md.append("## %s: %s files, %.1f MiB%s" % (
            ds, info.get("files", "?"), info.get("bytes", 0) / 2**20,
            (", %d files changed for the 1%% backup" % mut["files_changed"]) if mut else ""))
        md.append("")
        hdr = "| metric | " + " | ".join(tools) + " | " + \
              " | ".join("%s/cairn" % t for t in others) + " |"
        md.append(hdr)
        md.append("|" + "---|" * (1 + len(tools) + len(others)))
        dsres = {"dataset": info, "mutation": mut, "values": {}, "ratios": {}}
        for key, label, kind in METRICS:
            vals = {t: num(raw[ds].get(t, {}).get(key)) for t in tools}
            # a failed operation has no valid time or memory
            op = key.rsplit("_", 2)[0] if key.endswith("_rss_kib") else key[:-2]
            for t in tools:
                ex = raw[ds].get(t, {}).get(op + "_exit")
                if ex not in (None, "0"):
                    vals[t] = None
            rats = {t: ratio(vals[t], vals.get("cairn")) for t in others}
            dsres["values"][key] = vals
            dsres["ratios"][key] = rats
            summary.setdefault(key, {})[ds] = rats
            md.append("| %s | " % label + " | ".join(fmt(vals[t], kind) for t in tools) +
                      " | " + " | ".join(fr(rats[t]) for t in others) + " |")
        md.append("")
        for t in tools:
            r = raw[ds].get(t, {})
            for k, v in sorted(r.items()):
                if k.endswith("_exit") and v != "0":
                    problems.append("%s/%s: %s = %s" % (ds, t, k, v))
            if r.get("verify") == "FAIL":
                problems.append("%s/%s: restore differs from the source" % (ds, t))
        ver = ", ".join("%s %s" % (t, raw[ds][t]["verify"]) for t in tools
                        if "verify" in raw[ds].get(t, {}))
        if ver:
            md.append("Restore verified with `diff -r` against the source: %s." % ver)
        caches = ", ".join("%s %.1f MiB" % (t, num(raw[ds][t]["cache_bytes"]) / 2**20)
                           for t in tools if "cache_bytes" in raw[ds].get(t, {}))
        if caches:
            md.append("Local cache/state after the run (not in the repo size): %s." % caches)
        md.append("")
        result["datasets"][ds] = dsres

    if others:
        md.append("## Summary of ratios (other/cairn; > 1 means cairn is better)")
        md.append("")
        md.append("| metric | " + " | ".join("%s %s" % (ds, t) for ds in datasets for t in others) + " |")
        md.append("|" + "---|" * (1 + len(datasets) * len(others)))
        for key, label, kind in METRICS:
            md.append("| %s | " % label.replace(" (s)", "").replace(" (MiB)", "") +
                      " | ".join(fr(summary[key][ds][t]) for ds in datasets for t in others) + " |")
        md.append("")
    if problems:
        md.append("## Problems")
        md.append("")
        md.extend("- " + p for p in problems)
        md.append("")
    result["problems"] = problems

    with open(os.path.join(out, "results.md"), "w") as fh:
        fh.write("\n".join(md))
    with open(os.path.join(out, "results.json"), "w") as fh:
        json.dump(result, fh, indent=1)
    print("\n".join(md))


if __name__ == "__main__":
    main()
