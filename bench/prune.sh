#!/usr/bin/env bash
# Forget + prune benchmark: cairn vs restic vs borg. See bench/README.md ("Prune").
#
# usage: bench/prune.sh [--quick | --scale F] [--out DIR] [--work DIR] [--tools LIST]
#                       [--bin-dir DIR] [--no-build] [--no-drop-caches]
#                       [--snapshots N] [--change PCT] [--big-factor K]
#                       [--big-tools LIST] [--verify newest|kept] [--keep]
#
# Builds an incompressible data set of mixed file sizes (1 GiB at scale 1),
# takes N snapshots with each tool (changing ~PCT% of the bytes before each
# one after the first), then times forget (keep the last 2) + prune on each
# tool, reports repository sizes, wall time, peak RSS and other/cairn ratios,
# and restores the kept snapshots to check that nothing was lost. Then does
# the same for cairn on a data set K times larger, to show its peak RSS.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")

WORK=/tmp/cairn-bench-prune
OUT=""
SCALE=1.0
TOOLS="cairn restic borg"
BIN_DIR="$ROOT/build-bench"
BUILD=1
DROP=1
NSNAP=8
CHANGE=15
BIG_FACTOR=4
BIG_TOOLS="cairn"
VERIFY=kept
KEEP=0
ARGS="$*"

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

  --quick            scale 0.1 (~100 MiB data set, ~400 MiB for the big one)
  --scale F          data set size in GiB (default 1.0)
  --out DIR          results directory (default WORK/results)
  --work DIR         work directory (default /tmp/cairn-bench-prune); data,
                     repositories and restores go there and are deleted at
                     the end of each data set
  --tools LIST       comma-separated subset of cairn,restic,borg (default all)
  --bin-dir DIR      where cairn-agent and cairn-restore are (default
                     build-bench/ in the repository)
  --no-build         do not (re)build cairn in Release mode first
  --no-drop-caches   do not drop the page cache before each timed step
  --snapshots N      snapshots per tool (default 8; prune keeps the last 2)
  --change PCT       share of the bytes changed between snapshots (default 15)
  --big-factor K     size of the second data set (default 4 = 4x the data);
                     0 skips it
  --big-tools LIST   tools run on the second data set (default cairn)
  --verify WHAT      after prune, restore and diff -r the newest snapshot
                     (newest) or both kept ones (kept, default)
  --keep             copy each tool's repository and cache as they are just
                     before prune, and the data set, to WORK/keep/SET/ (for
                     profiling a prune again; needs twice the disk space)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) SCALE=0.1 ;;
        --scale) SCALE=$2; shift ;;
        --out) OUT=$2; shift ;;
        --work) WORK=$2; shift ;;
        --tools) TOOLS=${2//,/ }; shift ;;
        --bin-dir) BIN_DIR=$2; shift ;;
        --no-build) BUILD=0 ;;
        --no-drop-caches) DROP=0 ;;
        --snapshots) NSNAP=$2; shift ;;
        --change) CHANGE=$2; shift ;;
        --big-factor) BIG_FACTOR=$2; shift ;;
        --big-tools) BIG_TOOLS=${2//,/ }; shift ;;
        --verify) VERIFY=$2; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "prune.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[ "$NSNAP" -ge 3 ] || { echo "prune.sh: --snapshots must be at least 3" >&2; exit 2; }
case "$VERIFY" in newest|kept) ;; *) echo "prune.sh: --verify newest|kept" >&2; exit 2 ;; esac

[ -n "$OUT" ] || OUT="$WORK/results"
mkdir -p "$WORK" "$OUT/logs"
WORK=$(cd "$WORK" && pwd)
OUT=$(cd "$OUT" && pwd)
RAW="$OUT/raw.csv"
FAILED=0
START_S=$(date +%s)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
loud() {
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
    printf '!!! FAILURE: %s\n' "$*" >&2
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
    FAILED=1
}

for t in /usr/bin/time python3; do
    command -v "$t" >/dev/null || die "$t is missing (apt-get install -y time)"
done
for t in $TOOLS $BIG_TOOLS; do
    case "$t" in
        cairn) ;;
        restic|borg) command -v "$t" >/dev/null || die "$t is not installed" ;;
        *) die "unknown tool $t" ;;
    esac
done

# ---- the Python half: data set, changes, undo, report ------------------------
read -r -d '' PY <<'PYEOF' || true
import csv, hashlib, json, math, os, random, shutil, sys

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
# (class, share of the bytes, min size, max size): random (incompressible) bytes
CLASSES = [("small", 0.15, 1 * KiB, 64 * KiB),
           ("medium", 0.35, 256 * KiB, 4 * MiB),
           ("large", 0.50, 8 * MiB, 48 * MiB)]


def seed(*parts):
    h = hashlib.sha256("\0".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big")


def write_random(path, size, rng):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 4 * MiB)
            fh.write(rng.randbytes(n))
            left -= n


def path_for(root, cls, i):
    if cls == "small":
        return os.path.join(root, "small", "d%03d" % (i // 100), "s%06d.bin" % i)
    if cls == "medium":
        return os.path.join(root, "medium", "d%02d" % (i // 50), "m%05d.bin" % i)
    return os.path.join(root, "large", "l%04d.bin" % i)


def files_of(root, cls):
    out = []
    for dp, dns, fns in os.walk(os.path.join(root, cls)):
        dns.sort()
        out.extend(os.path.join(dp, f) for f in sorted(fns))
    return out


def build(root, scale):
    info = {"scale": scale, "files": 0, "bytes": 0}
    for cls, share, lo, hi in CLASSES:
        rng = random.Random(seed("prune-sizes", cls, scale))
        budget = int(GiB * scale * share)
        total = i = 0
        while total < budget:
            size = min(rng.randint(lo, hi), budget - total)
            if size < lo and i > 0:
                break
            write_random(path_for(root, cls, i), size, random.Random(seed("prune-data", cls, i)))
            total += size
            i += 1
        info[cls + "_files"] = i
        info[cls + "_bytes"] = total
        info["files"] += i
        info["bytes"] += total
    return info


def mutate(root, step, pct, undo):
    """Change ~pct% of the bytes: rewrite pct% of the small and medium files
    (a tenth of the chosen small files are deleted and as many new ones
    created), and overwrite a region of 2*pct% in half of the large files.
    With undo, the originals are saved there first."""
    p = pct / 100.0
    rng = random.Random(seed("prune-mutate", step))
    manifest = {"saved": [], "created": []}
    if undo:
        os.makedirs(undo)

    def save(path):
        if undo:
            keep = os.path.join(undo, "%06d" % len(manifest["saved"]))
            shutil.copy2(path, keep)
            manifest["saved"].append([path, keep])

    st = {"step": step, "rewritten": 0, "deleted": 0, "created": 0, "regions": 0,
          "bytes_written": 0}
    small = files_of(root, "small")
    chosen = rng.sample(small, max(1, round(len(small) * p)))
    ndel = len(chosen) // 10
    for f in chosen[:ndel]:
        save(f)
        os.unlink(f)
        st["deleted"] += 1
    for f in chosen[ndel:]:
        save(f)
        size = rng.randint(1 * KiB, 64 * KiB)
        write_random(f, size, random.Random(seed("prune-new", step, f)))
        st["rewritten"] += 1
        st["bytes_written"] += size
    ndirs = max(1, math.ceil(len(small) / 100))
    for j in range(ndel):
        f = os.path.join(root, "small", "d%03d" % rng.randrange(ndirs), "n%02d_%05d.bin" % (step, j))
        size = rng.randint(1 * KiB, 64 * KiB)
        write_random(f, size, random.Random(seed("prune-new", step, f)))
        manifest["created"].append(f)
        st["created"] += 1
        st["bytes_written"] += size
    medium = files_of(root, "medium")
    for f in rng.sample(medium, max(1, round(len(medium) * p))):
        save(f)
        size = os.path.getsize(f)
        write_random(f, size, random.Random(seed("prune-new", step, f)))
        st["rewritten"] += 1
        st["bytes_written"] += size
    large = files_of(root, "large")
    for f in rng.sample(large, max(1, math.ceil(len(large) / 2))):
        save(f)
        size = os.path.getsize(f)
        region = min(size, int(size * 2 * p))
        off = rng.randrange(0, size - region + 1)
        r = random.Random(seed("prune-region", step, f))
        with open(f, "r+b") as fh:
            fh.seek(off)
            left = region
            while left:
                n = min(left, 4 * MiB)
                fh.write(r.randbytes(n))
                left -= n
        st["regions"] += 1
        st["bytes_written"] += region
    if undo:
        with open(os.path.join(undo, "manifest.json"), "w") as fh:
            json.dump(manifest, fh)
    return st


def undo(undo_dir):
    with open(os.path.join(undo_dir, "manifest.json")) as fh:
        m = json.load(fh)
    for f in m["created"]:
        os.unlink(f)
    for orig, keep in m["saved"]:
        os.makedirs(os.path.dirname(orig), exist_ok=True)
        shutil.copy2(keep, orig)
    shutil.rmtree(undo_dir)


# ---------------------------------------------------------------- report
TOOLS = ["cairn", "restic", "borg"]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, kind):
    if v is None:
        return "-"
    return {"s": "%.2f", "kib": "%.0f", "bytes": "%.1f", "n": "%.0f"}[kind] % (
        v / 1024 if kind == "kib" else v / MiB if kind == "bytes" else v)


def rat(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fr(r):
    return "-" if r is None else "%.2f" % r


def report(out):
    raw = {}
    with open(os.path.join(out, "raw.csv")) as fh:
        for row in csv.DictReader(fh):
            raw.setdefault(row["set"], {}).setdefault(row["tool"], {})[row["metric"]] = row["value"]
    with open(os.path.join(out, "meta.json")) as fh:
        meta = json.load(fh)
    sets = {}
    for s in ("base", "big"):
        p = os.path.join(out, "dataset-%s.json" % s)
        if os.path.exists(p):
            with open(p) as fh:
                sets[s] = json.load(fh)
    res = {"meta": meta, "datasets": sets, "values": raw, "ratios": {}, "problems": []}
    md = ["# Cairn forget + prune benchmark", ""]
    md.append("- date: %s; cairn %s; %s" % (meta["date"], meta["cairn_commit"],
                                           "; ".join(meta["tools"].values())))
    md.append("- machine: %s CPUs, %.1f GiB RAM, kernel %s; load average at start %s, "
              "at end %s (shared, noisy)" % (meta["cpus"], meta["mem_kib"] / 2**20,
                                             meta["kernel"], meta["load_start"],
                                             meta.get("load_end", "?")))
    md.append("- command: `%s`; total run %s s" % (meta["command"], meta.get("total_s", "?")))
    md.append("- page cache dropped before every timed step: %s"
              % ("yes" if meta["page_cache_dropped"] else "NO"))
    md.append("- one run per step; times are wall seconds; peak RSS from `/usr/bin/time -v`; "
              "ratios are other/cairn, so **> 1 means cairn is better** (faster, less "
              "memory, smaller repository)")
    md.append("")
    spec = [("prune_s", "forget + prune (s)", "s"),
            ("prune_rss_kib", "forget + prune peak RSS (MiB)", "kib"),
            ("prune_user_s", "forget + prune user CPU (s)", "s"),
            ("prune_sys_s", "forget + prune system CPU (s)", "s"),
            ("prune_read_kib", "forget + prune read from disk (MiB)", "kib"),
            ("prune_written_kib", "forget + prune written to disk (MiB)", "kib"),
            ("repo_bytes_before", "repository before (MiB)", "bytes"),
            ("repo_bytes_after", "repository after (MiB)", "bytes"),
            ("freed_bytes", "freed (MiB)", "bytes"),
            ("repo_files_before", "repository files before", "n"),
            ("repo_files_after", "repository files after", "n"),
            ("restore_newest_s", "restore newest, after prune (s)", "s"),
            ("backups_s", "the %s backups, not timed cold (s)" % meta["snapshots"], "s")]
    lower_better = {"prune_s", "prune_rss_kib", "prune_user_s", "prune_sys_s",
                    "repo_bytes_after", "restore_newest_s", "backups_s"}
    for s in ("base", "big"):
        if s not in raw:
            continue
        info = sets.get(s, {})
        tools = [t for t in TOOLS if t in raw[s]]
        others = [t for t in tools if t != "cairn" and "cairn" in tools]
        for t in tools:
            v = raw[s][t]
            b, a = num(v.get("repo_bytes_before")), num(v.get("repo_bytes_after"))
            if b is not None and a is not None:
                v["freed_bytes"] = str(b - a)
        ch = []
        p = os.path.join(out, "logs", "%s.changes.jsonl" % s)
        if os.path.exists(p):
            with open(p) as fh:
                ch = [json.loads(l) for l in fh if l.strip()]
        info["changes"] = ch
        mean = sum(c["bytes_written"] for c in ch) / len(ch) if ch else 0
        md.append("## %s data set: %.1f MiB in %s files (%s small, %s medium, %s large); "
                  "%s snapshots, %.1f MiB (%.1f%%) written before each after the first" % (
                      s, info.get("bytes", 0) / MiB, info.get("files"), info.get("small_files"),
                      info.get("medium_files"), info.get("large_files"), meta["snapshots"],
                      mean / MiB, 100.0 * mean / max(1, info.get("bytes", 1))))
        md.append("")
        md.append("| metric | " + " | ".join(tools + ["%s/cairn" % t for t in others]) + " |")
        md.append("|" + "---|" * (1 + len(tools) + len(others)))
        res["ratios"][s] = {}
        for key, label, kind in spec:
            vals = {t: num(raw[s][t].get(key)) for t in tools}
            if all(x is None for x in vals.values()):
                continue
            rats = {t: rat(vals[t], vals["cairn"]) for t in others} if key in lower_better else {}
            res["ratios"][s][key] = rats
            md.append("| %s | %s |" % (label, " | ".join([fmt(vals[t], kind) for t in tools] +
                                                       [fr(rats.get(t)) for t in others])))
        md.append("")
        for t in tools:
            v = raw[s][t]
            if "borg" == t and "forget_s" in v:
                md.append("borg: `borg prune` %.2f s (%s MiB), `borg compact` %.2f s (%s MiB)."
                          % (num(v["forget_s"]), fmt(num(v["forget_rss_kib"]), "kib"),
                             num(v["compact_s"]), fmt(num(v["compact_rss_kib"]), "kib")))
            if t == "cairn" and "packs_repacked" in v:
                md.append("cairn prune: after forget, %.1f MiB of the %s packs' %.1f MiB unused; "
                          "%s packs repacked (%.1f MiB copied), %s packs deleted (%.1f MiB)."
                          % (num(v["bytes_unused"]) / MiB, v["packs"], num(v["bytes"]) / MiB,
                             v["packs_repacked"], num(v["bytes_repacked"]) / MiB,
                             v["packs_deleted"], num(v["bytes_deleted"]) / MiB))
            for k, x in sorted(v.items()):
                if k.endswith("_exit") and x != "0":
                    res["problems"].append("%s/%s: %s = %s" % (s, t, k, x))
                if k.startswith("verify") and x != "ok":
                    res["problems"].append("%s/%s: %s: restore differs from the data" % (s, t, k))
            if v.get("snapshots_after") not in (None, "2"):
                res["problems"].append("%s/%s: %s snapshots after prune, expected 2"
                                       % (s, t, v.get("snapshots_after")))
        ver = "; ".join("%s %s" % (t, ", ".join("%s %s" % (k[7:], x) for k, x in sorted(raw[s][t].items())
                                               if k.startswith("verify_")))
                        for t in tools)
        md.append("Restores after prune, `diff -r` against the data (newest = snapshot %s, "
                  "previous = snapshot %s): %s." % (meta["snapshots"], int(meta["snapshots"]) - 1, ver))
        md.append("")
    if "big" in raw and "base" in raw and "cairn" in raw["big"] and "cairn" in raw["base"]:
        b, g = raw["base"]["cairn"], raw["big"]["cairn"]
        md.append("## Memory bound: cairn prune on both repositories")
        md.append("")
        md.append("| | base | big | big/base |")
        md.append("|---|---|---|---|")
        rows = [("data set (MiB)", num(sets["base"]["bytes"]), num(sets["big"]["bytes"]), "bytes"),
                ("repository before prune (MiB)", num(b.get("repo_bytes_before")), num(g.get("repo_bytes_before")), "bytes"),
                ("repository files before prune", num(b.get("repo_files_before")), num(g.get("repo_files_before")), "n"),
                ("blobs used after forget", num(b.get("blobs_used")), num(g.get("blobs_used")), "n"),
                ("forget + prune (s)", num(b.get("prune_s")), num(g.get("prune_s")), "s"),
                ("forget + prune peak RSS (MiB)", num(b.get("prune_rss_kib")), num(g.get("prune_rss_kib")), "kib")]
        for t in ("restic", "borg"):
            if t in raw["big"] and t in raw["base"]:
                rows.append(("%s peak RSS (MiB)" % t, num(raw["base"][t].get("prune_rss_kib")),
                             num(raw["big"][t].get("prune_rss_kib")), "kib"))
        res["memory_bound"] = {}
        for label, x, y, kind in rows:
            r = rat(y, x)
            res["memory_bound"][label] = {"base": x, "big": y, "big/base": r}
            md.append("| %s | %s | %s | %s |" % (label, fmt(x, kind), fmt(y, kind), fr(r)))
        md.append("")
    if res["problems"]:
        md.append("## Problems")
        md.append("")
        md.extend("- " + p for p in res["problems"])
        md.append("")
    with open(os.path.join(out, "results.md"), "w") as fh:
        fh.write("\n".join(md))
    with open(os.path.join(out, "results.json"), "w") as fh:
        json.dump(res, fh, indent=1, sort_keys=True)
    print("\n".join(md))
    return 1 if res["problems"] else 0


def main():
    cmd = sys.argv[1]
    if cmd == "build":
        print(json.dumps(build(sys.argv[2], float(sys.argv[3]))))
    elif cmd == "mutate":
        print(json.dumps(mutate(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
                                sys.argv[5] if len(sys.argv) > 5 else None)))
    elif cmd == "undo":
        undo(sys.argv[2])
    elif cmd == "report":
        sys.exit(report(sys.argv[2]))
    elif cmd == "cairn-stats":  # cairn prune --json on stdin -> metric,value lines
        d = json.load(sys.stdin)["sites"][0]
        for k in ("blobs_used", "packs", "bytes", "bytes_unused", "packs_repacked", "bytes_repacked", "packs_deleted",
                  "bytes_deleted", "packs_marked", "index_written", "index_deleted"):
            print("%s,%s" % (k, d.get(k)))
    elif cmd == "count":  # JSON list on stdin -> its length
        print(len(json.load(sys.stdin)))
    elif cmd == "nth-newest":  # cairn/restic snapshots --json on stdin, N -> id
        snaps = sorted(json.load(sys.stdin), key=lambda s: s["time"])
        print(snaps[-int(sys.argv[2])]["id"])
    else:
        sys.exit("prune.sh: unknown helper command %s" % cmd)


main()
PYEOF
py() { python3 -c "$PY" "$@"; }

# ---- build cairn -------------------------------------------------------------
if [ "$BUILD" = 1 ] && [[ " $TOOLS $BIG_TOOLS " == *" cairn "* ]]; then
    log "building cairn (Release) in $BIN_DIR"
    cmake -S "$ROOT" -B "$BIN_DIR" -DCMAKE_BUILD_TYPE=Release >"$OUT/logs/build.log" 2>&1 \
        && cmake --build "$BIN_DIR" -j2 --target cairn-agent cairn-restore \
            >>"$OUT/logs/build.log" 2>&1 \
        || die "cairn build failed, see $OUT/logs/build.log"
fi
CAIRN_AGENT="$BIN_DIR/cairn-agent"
CAIRN_RESTORE="$BIN_DIR/cairn-restore"
if [[ " $TOOLS $BIG_TOOLS " == *" cairn "* ]]; then
    [ -x "$CAIRN_AGENT" ] && [ -x "$CAIRN_RESTORE" ] || die "no cairn binaries in $BIN_DIR"
fi

# ---- page cache ----------------------------------------------------------------
DROP_OK=0
if [ "$DROP" = 1 ]; then
    if sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
        DROP_OK=1
    else
        log "WARNING: cannot write /proc/sys/vm/drop_caches (not root?): page cache NOT dropped"
    fi
fi
drop_caches() {
    sync
    if [ "$DROP_OK" = 1 ]; then echo 3 >/proc/sys/vm/drop_caches; fi
}

# ---- results -------------------------------------------------------------------
echo "set,tool,metric,value" >"$RAW"
record() { echo "$1,$2,$3,$4" >>"$RAW"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# timed SET TOOL OP CMD...: (drop caches unless NODROP=1), run CMD under
# /usr/bin/time -v; record OP_s (wall, from date +%s%N), OP_rss_kib (peak
# RSS), OP_user_s, OP_sys_s, OP_exit, OP_load1 (load average at the start).
# Sets LAST_S, LAST_RSS, LAST_RC.
timed() {
    local set=$1 tool=$2 op=$3; shift 3
    local base="$OUT/logs/$set.$tool.$op"
    local rc=0 t0 t1 m u s fin fout
    [ "${NODROP:-0}" = 1 ] || drop_caches
    record "$set" "$tool" "${op}_load1" "$(load1)"
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$base.time" "$@" >"$base.log" 2>&1 || rc=$?
    t1=$(date +%s%N)
    m=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$base.time")
    u=$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$base.time")
    s=$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$base.time")
    fin=$(awk -F': ' '/File system inputs/ {print $2}' "$base.time")
    fout=$(awk -F': ' '/File system outputs/ {print $2}' "$base.time")
    LAST_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    LAST_RSS=${m:-0}
    LAST_RC=$rc
    record "$set" "$tool" "${op}_s" "$LAST_S"
    record "$set" "$tool" "${op}_rss_kib" "$LAST_RSS"
    record "$set" "$tool" "${op}_user_s" "$u"
    record "$set" "$tool" "${op}_sys_s" "$s"
    record "$set" "$tool" "${op}_exit" "$rc"
    record "$set" "$tool" "${op}_read_kib" "$((${fin:-0} / 2))"
    record "$set" "$tool" "${op}_written_kib" "$((${fout:-0} / 2))"
    [ "${QUIETLOG:-0}" = 1 ] || log "  $tool $op: ${LAST_S}s, peak RSS $((LAST_RSS / 1024)) MiB, exit $rc"
    if [ "$rc" != 0 ]; then
        log "  WARNING: $tool $op failed (exit $rc); see $base.log"
        tail -n 5 "$base.log" | sed 's/^/    | /' >&2
    fi
    return 0
}

# ---- tools ---------------------------------------------------------------------
# Each tool gets its own directory R: R/repo (measured with du -sb) and its
# local cache (cairn state dir, restic cache, borg base dir), measured apart.
export RESTIC_PASSWORD=cairn-bench
export BORG_PASSPHRASE=cairn-bench
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no

tool_env() { # tool R -> env assignments for `env`
    case "$1" in
        cairn)  echo "CAIRN_REPO=$2/repo CAIRN_KEY_FILE=$2/cache/key CAIRN_STATE_DIR=$2/cache/state" ;;
        restic) echo "RESTIC_REPOSITORY=$2/repo RESTIC_CACHE_DIR=$2/cache" ;;
        borg)   echo "BORG_REPO=$2/repo BORG_BASE_DIR=$2/cache" ;;
    esac
}

# shellcheck disable=SC2046
tool_init() { # tool R
    case "$1" in
        cairn)  env $(tool_env cairn "$2") "$CAIRN_AGENT" init ;;
        restic) env $(tool_env restic "$2") restic init ;;
        borg)   env $(tool_env borg "$2") borg init --encryption=repokey-blake2 ;;
    esac
}

# shellcheck disable=SC2046
tool_backup() { # set tool R path n
    local set=$1 tool=$2 r=$3 path=$4 n=$5
    case "$tool" in
        cairn)  timed "$set" cairn "backup$n" env $(tool_env cairn "$r") \
                    "$CAIRN_AGENT" backup --json --quiet "$path" ;;
        restic) timed "$set" restic "backup$n" env $(tool_env restic "$r") \
                    restic backup --host bench "$path" ;;
        borg)   timed "$set" borg "backup$n" env $(tool_env borg "$r") \
                    borg create --compression zstd,3 "::b$n" "$path" ;;
    esac
}

# shellcheck disable=SC2046
tool_count() { # tool R -> number of snapshots
    case "$1" in
        cairn)  env $(tool_env cairn "$2") "$CAIRN_AGENT" snapshots --json | py count ;;
        restic) env $(tool_env restic "$2") restic snapshots --json --no-lock | py count ;;
        borg)   env $(tool_env borg "$2") borg list --short | wc -l ;;
    esac
}

# shellcheck disable=SC2046
tool_prune() { # set tool R: the timed forget + prune
    local set=$1 tool=$2 r=$3
    case "$tool" in
        cairn)
            timed "$set" cairn prune env $(tool_env cairn "$r") \
                "$CAIRN_AGENT" prune --keep-last 2 --grace 0 --json
            # stats from the --json report (stdout; stderr has the job line)
            grep '^{"sites"' "$OUT/logs/$set.cairn.prune.log" | py cairn-stats 2>/dev/null \
                | while IFS=, read -r k v; do record "$set" cairn "$k" "$v"; done || true
            ;;
        restic)
            timed "$set" restic prune env $(tool_env restic "$r") \
                restic forget --host bench --keep-last 2 --prune
            ;;
        borg)
            # one logical step: no cache drop between prune and compact
            timed "$set" borg forget env $(tool_env borg "$r") borg prune --keep-last 2
            local fs=$LAST_S frss=$LAST_RSS frc=$LAST_RC
            NODROP=1 timed "$set" borg compact env $(tool_env borg "$r") borg compact
            record "$set" borg prune_s "$(awk -v a="$fs" -v b="$LAST_S" 'BEGIN { printf "%.3f", a + b }')"
            record "$set" borg prune_rss_kib "$((frss > LAST_RSS ? frss : LAST_RSS))"
            for k in user_s sys_s read_kib written_kib; do
                record "$set" borg "prune_$k" "$(awk -v a="$(grep "^$set,borg,forget_$k," "$RAW" | cut -d, -f4)" \
                    -v b="$(grep "^$set,borg,compact_$k," "$RAW" | cut -d, -f4)" 'BEGIN { printf "%.2f", a + b }')"
            done
            record "$set" borg prune_exit "$((frc != 0 ? frc : LAST_RC))"
            ;;
    esac
}

# shellcheck disable=SC2046
tool_restore() { # set tool R target which(1 = newest, 2 = previous) op
    local set=$1 tool=$2 r=$3 target=$4 which=$5 op=$6 id
    case "$tool" in
        cairn)
            id=$(env $(tool_env cairn "$r") "$CAIRN_AGENT" snapshots --json | py nth-newest "$which") || true
            timed "$set" cairn "$op" env $(tool_env cairn "$r") \
                "$CAIRN_RESTORE" restore --snapshot "$id" --target "$target" --json --quiet ;;
        restic)
            id=$(env $(tool_env restic "$r") restic snapshots --json --no-lock | py nth-newest "$which") || true
            timed "$set" restic "$op" env $(tool_env restic "$r") \
                restic restore "$id" --target "$target" ;;
        borg)
            timed "$set" borg "$op" env -C "$target" $(tool_env borg "$r") \
                borg extract "::b$((NSNAP + 1 - which))" ;;
    esac
}

tool_version() {
    case "$1" in
        cairn)  "$CAIRN_AGENT" version 2>&1 | head -n 1 ;;
        restic) restic version 2>&1 | head -n 1 ;;
        borg)   borg --version 2>&1 | head -n 1 ;;
    esac
}

# verify SET TOOL R WHICH LABEL: restore snapshot WHICH (1 = newest) into an
# empty directory and diff -r it against the data as it is now.
verify() {
    local set=$1 tool=$2 r=$3 which=$4 label=$5 src=$WORK/data
    local target=$WORK/restore
    rm -rf "$target"
    mkdir -p "$target"
    local vlog="$OUT/logs/$set.$tool.verify_$label.log"
    tool_restore "$set" "$tool" "$r" "$target" "$which" "restore_$label"
    echo "restore exit $LAST_RC" >"$vlog"
    if [ "$LAST_RC" = 0 ] && diff -r "$src" "$target$src" >>"$vlog" 2>&1; then
        record "$set" "$tool" "verify_$label" ok
        log "  $tool: snapshot $((NSNAP + 1 - which)) restored identical to the data (diff -r)"
    else
        record "$set" "$tool" "verify_$label" FAIL
        loud "$set/$tool: snapshot $((NSNAP + 1 - which)) restored after prune DIFFERS from the data" \
             "(or its restore failed): see $vlog"
        head -n 10 "$vlog" | sed 's/^/    | /' >&2 || true
    fi
    rm -rf "$target"
}

repo_files() { find "$1" -type f | wc -l; }

# ---- one data set ----------------------------------------------------------------
run_set() { # SET SCALE TOOLS...
    local set=$1 scale=$2; shift 2
    local tools="$*" src=$WORK/data undo=$WORK/undo tool r n t0
    log "== $set data set: scale $scale, tools: $tools"
    rm -rf "$src" "$undo" "$WORK/run" "$WORK/restore"
    mkdir -p "$src"
    t0=$(date +%s)
    py build "$src" "$scale" >"$OUT/dataset-$set.json"
    log "  built $(cut -c1-200 "$OUT/dataset-$set.json") in $(($(date +%s) - t0)) s"
    for tool in $tools; do
        r="$WORK/run/$tool"
        mkdir -p "$r/cache"
        tool_init "$tool" "$r" >"$OUT/logs/$set.$tool.init.log" 2>&1 \
            || die "$tool init failed, see $OUT/logs/$set.$tool.init.log"
    done

    # snapshots: every tool backs up the same state before the next change
    : >"$OUT/logs/$set.changes.jsonl"
    for n in $(seq 1 "$NSNAP"); do
        if [ "$n" -gt 1 ]; then
            if [ "$n" = "$NSNAP" ]; then
                py mutate "$src" "$n" "$CHANGE" "$undo" >>"$OUT/logs/$set.changes.jsonl"
            else
                py mutate "$src" "$n" "$CHANGE" >>"$OUT/logs/$set.changes.jsonl"
            fi
        fi
        local line="  snapshot $n:"
        for tool in $tools; do
            NODROP=1 QUIETLOG=1 tool_backup "$set" "$tool" "$WORK/run/$tool" "$src" "$n"
            [ "$LAST_RC" = 0 ] || die "$tool backup $n failed, see $OUT/logs/$set.$tool.backup$n.log"
            line="$line $tool ${LAST_S}s"
        done
        log "$line"
    done
    for tool in $tools; do
        record "$set" "$tool" backups_s "$(grep "^$set,$tool,backup[0-9]*_s," "$RAW" | cut -d, -f4 \
            | awk '{ s += $1 } END { printf "%.3f", s }')"
    done

    if [ "$KEEP" = 1 ]; then
        rm -rf "$WORK/keep/$set"
        mkdir -p "$WORK/keep/$set"
        cp -a "$WORK/run/." "$WORK/keep/$set/"
        cp -a "$src" "$WORK/keep/$set/data"
        log "  kept a copy of the repositories before prune in $WORK/keep/$set"
    fi

    # forget + prune, timed
    for tool in $tools; do
        r="$WORK/run/$tool"
        log "-- $set / $tool: forget (keep last 2) + prune"
        record "$set" "$tool" snapshots_before "$(tool_count "$tool" "$r")"
        record "$set" "$tool" repo_bytes_before "$(du -sb "$r/repo" | cut -f1)"
        record "$set" "$tool" repo_files_before "$(repo_files "$r/repo")"
        tool_prune "$set" "$tool" "$r"
        [ "$LAST_RC" = 0 ] || loud "$set/$tool: prune failed (exit $LAST_RC)"
        record "$set" "$tool" repo_bytes_after "$(du -sb "$r/repo" | cut -f1)"
        record "$set" "$tool" repo_files_after "$(repo_files "$r/repo")"
        record "$set" "$tool" cache_bytes "$(du -sb "$r/cache" | cut -f1)"
        n=$(tool_count "$tool" "$r" || echo "?")
        record "$set" "$tool" snapshots_after "$n"
        [ "$n" = 2 ] || loud "$set/$tool: $n snapshots left after prune, expected 2"
        log "  $tool: repository $(du -sh "$r/repo" | cut -f1) after, $n snapshots"
    done

    # nothing lost: newest snapshot (data as it is), then the previous one
    for tool in $tools; do verify "$set" "$tool" "$WORK/run/$tool" 1 newest; done
    if [ "$VERIFY" = kept ]; then
        py undo "$undo"
        for tool in $tools; do verify "$set" "$tool" "$WORK/run/$tool" 2 previous; done
    fi
    rm -rf "$WORK/run" "$src" "$undo" "$WORK/restore"
}

cleanup() { rm -rf "$WORK/run" "$WORK/data" "$WORK/undo" "$WORK/restore"; }
trap cleanup EXIT

# ---- metadata ----------------------------------------------------------------------
META_TOOLS=""
sep=""
for t in cairn restic borg; do
    if [[ " $TOOLS $BIG_TOOLS " == *" $t "* ]]; then
        META_TOOLS="$META_TOOLS$sep\"$t\": \"$(tool_version "$t" | sed 's/"/\\"/g')\""
        sep=", "
    fi
done
write_meta() {
    {
        echo "{"
        echo "  \"command\": \"bench/prune.sh${ARGS:+ $ARGS}\","
        echo "  \"scale\": $SCALE, \"big_factor\": $BIG_FACTOR, \"snapshots\": $NSNAP, \"change_pct\": $CHANGE,"
        echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
        echo "  \"work\": \"$WORK\","
        echo "  \"cpus\": $(nproc), \"mem_kib\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
        echo "  \"kernel\": \"$(uname -r)\","
        echo "  \"load_start\": \"$LOAD_START\"${LOAD_END:+, \"load_end\": \"$LOAD_END\"},"
        echo "  ${TOTAL_S:+\"total_s\": $TOTAL_S,}"
        echo "  \"page_cache_dropped\": $([ "$DROP_OK" = 1 ] && echo true || echo false),"
        echo "  \"cairn_commit\": \"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo -dirty)\","
        echo "  \"tools\": {$META_TOOLS}"
        echo "}"
    } >"$OUT/meta.json"
}
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
write_meta

log "work dir $WORK, results in $OUT; scale $SCALE, big factor $BIG_FACTOR, $NSNAP snapshots, ${CHANGE}% changed"
run_set base "$SCALE" $TOOLS
if [ "$BIG_FACTOR" != 0 ]; then
    run_set big "$(awk -v a="$SCALE" -v b="$BIG_FACTOR" 'BEGIN { print a * b }')" $BIG_TOOLS
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
TOTAL_S=$(($(date +%s) - START_S))
write_meta
py report "$OUT" || FAILED=1
log "done in ${TOTAL_S} s: $OUT/results.md"
if [ "$FAILED" != 0 ]; then
    loud "see above and the Problems section of $OUT/results.md"
    exit 1
fi
