#!/usr/bin/env python3
"""Request accounting and the report for bench/run_s3.sh (cairn vs restic on S3).

  s3_requests.py lines LOG
      number of lines in the Swift proxy log LOG (0 if it does not exist)
  s3_requests.py wait-stable LOG [--quiet-s 1.0] [--max-s 15]
      wait until LOG stops growing, then print its line count
  s3_requests.py count LOG --from N [--to M]
      JSON summary of the S3 requests logged in lines N+1..M of LOG
  s3_requests.py stored --endpoint URL --bucket B --prefix P [--region R] [--ca FILE]
      JSON {"objects": n, "bytes": b} of the keys under P/ (boto3, path style)
  s3_requests.py report OUT
      OUT/raw-s3.json -> OUT/results-s3.md (and OUT/results-s3.json)

Which log lines are S3 requests. The Swift proxy (s3-server's swift backend)
has proxy-logging twice in its pipeline; every client request gets exactly
one access line from the outer instance, e.g.

  proxy1: 127.0.0.1 127.0.0.1 27/Nov/2026/01/47/25 PUT /primary/restic/config
          HTTP/1.0 200 - <user agent> - 155 - <etag> <txid> - 0.1129 - - <t0> <t1> 0

The sub-requests s3api makes inside Swift (account/container HEADs, listing
and multipart bookkeeping on /v1/AUTH_...) are logged by the inner instance
with client and remote address "-" and a source tag (OV, VW, S3, ...); error
and warning lines (memcached misses etc.) have no such shape. A line counts
as one S3 request when it is an access line (method, path, HTTP/x, numeric
status) whose client address is not "-" and whose path is not a native Swift
path (/v1/...). Fields after the prefix "NAME:" are: client_ip remote_addr
datetime method path protocol status referer user_agent auth_token
bytes_recvd bytes_sent client_etag txid headers request_time source log_info
start_time end_time policy_index.
"""

import argparse
import json
import os
import sys
import time
import urllib.parse

METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "COPY"}


def count_lines(path):
    if not os.path.exists(path):
        return 0
    n = 0
    with open(path, "rb") as fh:
        for _ in fh:
            n += 1
    return n


def parse_access(line):
    """Fields of an access line as a dict, or None for any other line."""
    if ": " not in line:
        return None
    _, rest = line.split(": ", 1)
    f = rest.rstrip("\n").split(" ")
    if len(f) < 18 or f[3] not in METHODS or not f[5].startswith("HTTP/") or not f[6].isdigit():
        return None

    def num(v):
        return int(v) if v.isdigit() else 0

    return {"client": f[0], "remote": f[1], "method": f[3], "path": f[4], "status": int(f[6]),
            "agent": urllib.parse.unquote(f[8]), "bytes_in": num(f[10]), "bytes_out": num(f[11]),
            "source": f[16]}


def is_s3_request(a):
    return a is not None and a["client"] != "-" and not a["path"].startswith("/v1/")


def kind(a):
    """Coarse S3 operation of an access line."""
    path = urllib.parse.unquote(a["path"])
    q = path.split("?", 1)[1] if "?" in path else ""
    key_part = path.split("?", 1)[0].lstrip("/")
    has_key = "/" in key_part and key_part.split("/", 1)[1] != ""
    m = a["method"]
    if m == "GET" and not has_key:
        return "LIST" if ("list-type" in q or "prefix" in q or q == "" or "delimiter" in q) else "GET-bucket"
    if m == "POST" and "delete" in q:
        return "DELETE-multi"
    if m == "POST" and "uploads" in q:
        return "MPU-create"
    if m == "POST" and "uploadId" in q:
        return "MPU-complete"
    if m == "PUT" and "partNumber" in q:
        return "MPU-part"
    if m == "GET" and has_key:
        return "GET-range" if a["status"] == 206 else "GET"
    return m


def summarize(path, start, end=None):
    out = {"requests": 0, "by_method": {}, "by_kind": {}, "by_status": {}, "failed": 0,
           "bytes_up": 0, "bytes_down": 0, "agents": {}, "subrequests": 0, "lines": 0,
           "from_line": start, "to_line": None}
    with open(path, "r", errors="replace") as fh:
        for i, line in enumerate(fh, 1):
            if i <= start:
                continue
            if end is not None and i > end:
                break
            out["lines"] += 1
            out["to_line"] = i
            a = parse_access(line)
            if a is None:
                continue
            if not is_s3_request(a):
                out["subrequests"] += 1
                continue
            out["requests"] += 1
            for key, val in (("by_method", a["method"]), ("by_kind", kind(a)),
                             ("by_status", str(a["status"])), ("agents", a["agent"])):
                out[key][val] = out[key].get(val, 0) + 1
            if a["status"] >= 400:
                out["failed"] += 1
            out["bytes_up"] += a["bytes_in"]
            out["bytes_down"] += a["bytes_out"]
    return out


def cmd_lines(a):
    print(count_lines(a.log))


def cmd_wait_stable(a):
    # Swift writes an access line when it has answered; a client that has
    # exited has had all its answers, but give the logger a moment to flush.
    deadline = time.time() + a.max_s
    last = count_lines(a.log)
    stable_since = time.time()
    while time.time() < deadline:
        time.sleep(0.2)
        n = count_lines(a.log)
        if n != last:
            last, stable_since = n, time.time()
        elif time.time() - stable_since >= a.quiet_s:
            break
    print(last)


def cmd_count(a):
    json.dump(summarize(a.log, a.from_, a.to), sys.stdout, sort_keys=True)
    print()


def cmd_stored(a):
    import boto3
    from botocore.config import Config
    s3 = boto3.client("s3", endpoint_url=a.endpoint, region_name=a.region,
                      aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                      verify=a.ca or True, config=Config(s3={"addressing_style": "path"}))
    n = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=a.bucket, Prefix=a.prefix + "/"):
        for o in page.get("Contents", []):
            n += 1
            size += o["Size"]
    print(json.dumps({"objects": n, "bytes": size}))


# ---- report -------------------------------------------------------------------

def fnum(v, fmt):
    return "-" if v is None else fmt % v


def ratio(other, cairn):
    if other is None or cairn in (None, 0):
        return None
    return other / cairn


def cmd_report(a):
    out = a.out
    with open(os.path.join(out, "raw-s3.json")) as fh:
        raw = json.load(fh)
    meta = raw["meta"]
    src_bytes = meta["dataset"]["bytes"]
    gb = src_bytes / 1e9
    tools = [t for t in ("cairn", "restic") if t in raw["tools"]]
    res = {}
    for t in tools:
        r = raw["tools"][t]
        row = {}
        for op in ("backup", "restore"):
            o = r.get(op, {})
            ok = o.get("exit") == 0 and (op != "restore" or r.get("verify") == "ok")
            req = o.get("s3", {}).get("requests")
            row[op + "_s"] = o.get("wall_s") if o.get("exit") == 0 else None
            row[op + "_requests"] = req if o.get("exit") == 0 else None
            row[op + "_requests_per_gb"] = (req / gb) if (req is not None and o.get("exit") == 0) else None
            row[op + "_failed_requests"] = o.get("s3", {}).get("failed")
            row[op + "_mb_up"] = o.get("s3", {}).get("bytes_up", 0) / 1e6 if o.get("s3") else None
            row[op + "_mb_down"] = o.get("s3", {}).get("bytes_down", 0) / 1e6 if o.get("s3") else None
            row[op + "_mb_per_s"] = (src_bytes / 1e6 / o["wall_s"]) if (o.get("exit") == 0 and o.get("wall_s")) else None
            row[op + "_ok"] = ok
        row["stored_bytes"] = r.get("stored", {}).get("bytes")
        row["stored_objects"] = r.get("stored", {}).get("objects")
        row["verify"] = r.get("verify")
        res[t] = row

    def line(label, key, fmt, scale=1.0, show_ratio=True):
        vals = [res[t].get(key) for t in tools]
        cells = [fnum(None if v is None else v * scale, fmt) for v in vals]
        rr = ""
        if "cairn" in res and "restic" in res and show_ratio:
            rr = fnum(ratio(res["restic"].get(key), res["cairn"].get(key)), "%.2f")
        return "| %s | %s | %s |" % (label, " | ".join(cells), rr)

    L = []
    L.append("# Cairn vs restic on S3 (loopback Swift s3api over HTTPS)")
    L.append("")
    L.append("Data set `mixed`: %d files, %.1f MiB (%.3f GB). Mode: %s. Date: %s. Page cache dropped: %s."
             % (meta["dataset"]["files"], src_bytes / 2**20, gb, meta["mode"], meta["date"],
                "yes" if meta.get("page_cache_dropped") else "NO"))
    L.append("cairn %s; %s. Server: %s, bucket `%s`, %d CPUs."
             % (meta.get("cairn_commit", "?"), meta.get("restic_version", "restic ?"),
                meta.get("server", "?"), meta.get("bucket", "?"), meta.get("cpus", 0)))
    L.append("")
    L.append("Requests = S3 requests seen by the server (one Swift proxy access line each, "
             "failed ones included); per GB = per 10^9 bytes of source data. "
             "Ratio = restic / cairn (> 1: cairn is faster / smaller / sends fewer requests).")
    L.append("")
    L.append("| metric | %s | restic/cairn |" % " | ".join(tools))
    L.append("|---|%s---|" % ("---:|" * len(tools)))
    L.append(line("initial backup, wall (s)", "backup_s", "%.1f"))
    L.append(line("restore latest, wall (s)", "restore_s", "%.1f"))
    L.append(line("backup requests", "backup_requests", "%d"))
    L.append(line("restore requests", "restore_requests", "%d"))
    L.append(line("**backup requests per GB**", "backup_requests_per_gb", "%.0f"))
    L.append(line("**restore requests per GB**", "restore_requests_per_gb", "%.0f"))
    L.append(line("bytes stored in the bucket (MiB)", "stored_bytes", "%.1f", 1 / 2**20))
    L.append(line("objects stored", "stored_objects", "%d"))
    L.append(line("backup: MB uploaded (request bodies)", "backup_mb_up", "%.1f"))
    L.append(line("restore: MB downloaded (response bodies)", "restore_mb_down", "%.1f"))
    L.append(line("backup requests answered >= 400", "backup_failed_requests", "%d", show_ratio=False))
    L.append(line("restore requests answered >= 400", "restore_failed_requests", "%d", show_ratio=False))
    L.append("| restore verified (diff -r) | %s | |" % " | ".join(str(res[t]["verify"] or "-") for t in tools))
    L.append("")
    L.append("Requests by operation (backup / restore; GET-range = answered 206 Partial Content):")
    L.append("")
    kinds = sorted({k for t in tools for op in ("backup", "restore")
                    for k in raw["tools"][t].get(op, {}).get("s3", {}).get("by_kind", {})})
    L.append("| operation | %s |" % " | ".join(tools))
    L.append("|---|%s" % ("---:|" * len(tools)))
    for k in kinds:
        cells = []
        for t in tools:
            b = raw["tools"][t].get("backup", {}).get("s3", {}).get("by_kind", {}).get(k, 0)
            r = raw["tools"][t].get("restore", {}).get("s3", {}).get("by_kind", {}).get(k, 0)
            cells.append("%d / %d" % (b, r))
        L.append("| %s | %s |" % (k, " | ".join(cells)))
    L.append("")
    statuses = []
    for t in tools:
        for op in ("backup", "restore"):
            st = raw["tools"][t].get(op, {}).get("s3", {}).get("by_status", {})
            bad = {k: v for k, v in st.items() if int(k) >= 400}
            if bad:
                statuses.append("%s %s: %s" % (t, op, ", ".join("%s x%d" % (k, v) for k, v in sorted(bad.items()))))
    if statuses:
        L.append("Answers >= 400 (counted above): " + "; ".join(statuses) + ".")
        L.append("")
    probs = []
    for t in tools:
        for op in ("init", "backup", "restore"):
            o = raw["tools"][t].get(op, {})
            if o and o.get("exit") not in (0, None):
                probs.append("%s %s exited %s" % (t, op, o.get("exit")))
        if raw["tools"][t].get("verify") not in ("ok", None):
            probs.append("%s restore verify: %s" % (t, raw["tools"][t].get("verify")))
    if probs:
        L.append("**Problems:** " + "; ".join(probs) + ".")
        L.append("")
    with open(os.path.join(out, "results-s3.md"), "w") as fh:
        fh.write("\n".join(L) + "\n")
    with open(os.path.join(out, "results-s3.json"), "w") as fh:
        json.dump({"meta": meta, "results": res,
                   "ratios_restic_over_cairn": {k: ratio(res["restic"][k], res["cairn"][k])
                                                for k in res.get("cairn", {})
                                                if "restic" in res and isinstance(res["cairn"][k], (int, float))
                                                and not isinstance(res["cairn"][k], bool)}
                   if "cairn" in res and "restic" in res else {}},
                  fh, indent=2, sort_keys=True)
    print("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("lines")
    p.add_argument("log")
    p = sub.add_parser("wait-stable")
    p.add_argument("log")
    p.add_argument("--quiet-s", type=float, default=1.0)
    p.add_argument("--max-s", type=float, default=15.0)
    p = sub.add_parser("count")
    p.add_argument("log")
    p.add_argument("--from", dest="from_", type=int, required=True)
    p.add_argument("--to", type=int, default=None)
    p = sub.add_parser("stored")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--ca", default=None)
    p = sub.add_parser("report")
    p.add_argument("out")
    a = ap.parse_args()
    {"lines": cmd_lines, "wait-stable": cmd_wait_stable, "count": cmd_count,
     "stored": cmd_stored, "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
