#!/usr/bin/env bash
# Cairn vs restic against a loopback S3 server (Swift s3api over HTTPS).
# See "S3 benchmark" in bench/README.md.
#
# usage: bench/run_s3.sh [--quick] [--out DIR] [--work DIR] [--tools LIST]
#                        [--port PORT] [--bin-dir DIR] [--no-build]
#                        [--no-drop-caches] [--keep-server]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")

WORK=${CAIRN_BENCH_WORK:-/tmp/cairn-bench}
OUT=""
QUICK=0
TOOLS="cairn restic"
PORT=${CAIRN_BENCH_S3_PORT:-9400}
BIN_DIR="$ROOT/build-bench"
BUILD=1
DROP=1
KEEP_SERVER=0
S3_SERVER=${CAIRN_S3_SERVER:-$(dirname "$ROOT")/shared/tools/s3-server}

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

  --quick            data set ~10x smaller (~100 MiB; smoke run)
  --out DIR          results directory (default WORK/results-s3-full or -quick)
  --work DIR         work directory: data set (shared with run.sh), S3 server
                     data, restores (default /tmp/cairn-bench or $CAIRN_BENCH_WORK)
  --tools LIST       comma-separated subset of cairn,restic (default both)
  --port PORT        first port to try for the S3 server (default 9400); it
                     uses PORT..PORT+4 and moves up by 10 while any is taken
  --bin-dir DIR      where cairn-agent and cairn-restore are (default
                     build-bench/ in the repository)
  --no-build         do not (re)build cairn in Release mode first
  --no-drop-caches   do not drop the page cache before each timed operation
  --keep-server      leave the S3 server running at the end (its env is in
                     WORK/s3-server/env; stop it with s3-server stop -d ...)
The S3 server tool is $CAIRN_S3_SERVER or ../shared/tools/s3-server.
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --out) OUT=$2; shift ;;
        --work) WORK=$2; shift ;;
        --tools) TOOLS=${2//,/ }; shift ;;
        --port) PORT=$2; shift ;;
        --bin-dir) BIN_DIR=$2; shift ;;
        --no-build) BUILD=0 ;;
        --no-drop-caches) DROP=0 ;;
        --keep-server) KEEP_SERVER=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_s3.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then SCALE=0.1; MODE=quick; else SCALE=1.0; MODE=full; fi
[ -n "$OUT" ] || OUT="$WORK/results-s3-$MODE"
mkdir -p "$WORK" "$OUT/logs"
WORK=$(cd "$WORK" && pwd)
OUT=$(cd "$OUT" && pwd)
DATA="$WORK/data"
SRV="$WORK/s3-server"
LOGS="$OUT/logs"
PY="python3 $HERE/s3_requests.py"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for t in /usr/bin/time python3 diff ss; do
    command -v "$t" >/dev/null || die "$t is missing (apt-get install -y time)"
done
[ -f "$S3_SERVER" ] || die "no S3 server tool at $S3_SERVER (set CAIRN_S3_SERVER)"
/usr/bin/python3 -c 'import boto3' 2>/dev/null || die "boto3 is missing (apt-get install -y python3-boto3)"
for t in $TOOLS; do
    case "$t" in
        cairn) ;;
        restic) command -v restic >/dev/null || die "restic is not installed" ;;
        *) die "unknown tool $t (cairn, restic)" ;;
    esac
done

# ---- build cairn -----------------------------------------------------------
# the commit the binaries are built from (the tree may move during the run)
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo -dirty)"
if [ "$BUILD" = 1 ] && [[ " $TOOLS " == *" cairn "* ]]; then
    log "building cairn (Release) in $BIN_DIR"
    cmake -S "$ROOT" -B "$BIN_DIR" -DCMAKE_BUILD_TYPE=Release >"$LOGS/build.log" 2>&1 \
        && cmake --build "$BIN_DIR" -j2 --target cairn-agent cairn-restore >>"$LOGS/build.log" 2>&1 \
        || die "cairn build failed, see $LOGS/build.log"
fi
CAIRN_AGENT="$BIN_DIR/cairn-agent"
CAIRN_RESTORE="$BIN_DIR/cairn-restore"
if [[ " $TOOLS " == *" cairn "* ]]; then
    [ -x "$CAIRN_AGENT" ] && [ -x "$CAIRN_RESTORE" ] || die "no cairn binaries in $BIN_DIR"
fi

# ---- page cache ------------------------------------------------------------
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

# ---- data set (shared with run.sh; never changed here) -----------------------
# A run.sh interrupted mid-mutation leaves WORK/undo: put the originals back.
python3 "$HERE/datasets.py" undo --undo "$WORK/undo"
log "work dir $WORK, results in $OUT, mode $MODE (scale $SCALE)"
python3 "$HERE/datasets.py" build --data "$DATA" --scale "$SCALE" --only mixed
SRC="$DATA/mixed"
cp "$DATA/mixed.done" "$OUT/dataset-mixed.json"

# ---- S3 server ---------------------------------------------------------------
port_free() { [[ -z "$(ss -Htln "sport = :$1")" ]]; }
ports_free() { local p; for p in $(seq "$1" $(($1 + 4))); do port_free "$p" || return 1; done; }
for _ in $(seq 1 20); do
    ports_free "$PORT" && break
    PORT=$((PORT + 10))
done
ports_free "$PORT" || die "no free port range found"

SERVER_UP=0
cleanup() {
    local rc=$?
    if [ "$SERVER_UP" = 1 ] && [ "$KEEP_SERVER" = 0 ]; then
        bash "$S3_SERVER" stop -d "$SRV" >/dev/null 2>&1 || true
        log "S3 server stopped"
    fi
    rm -rf "$WORK/s3-restore"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting the S3 server (swift, TLS) on 127.0.0.1:$PORT, data in $SRV"
if [ -d "$SRV" ]; then bash "$S3_SERVER" stop -d "$SRV" >/dev/null 2>&1 || true; fi
SERVER_UP=1
bash "$S3_SERVER" start -p "$PORT" -d "$SRV" --fresh --tls --single >"$OUT/s3-server.env" \
    2>"$LOGS/s3-server.log" || die "S3 server did not start, see $LOGS/s3-server.log"
# shellcheck disable=SC1091
source "$OUT/s3-server.env"
PLOG="$S3_DATA_DIR/log/proxy1.log"
[ -f "$PLOG" ] || die "no proxy access log at $PLOG"
log "S3 server up at $S3_ENDPOINT, bucket $S3_BUCKET"

export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_ENDPOINT_URL_S3=$S3_ENDPOINT AWS_REGION=$S3_REGION AWS_CA_BUNDLE=$S3_CA_BUNDLE
export RESTIC_PASSWORD=cairn-bench

# ---- raw results (one JSON document per tool and operation) -------------------
RAWD="$OUT/raw"
rm -rf "$RAWD"; mkdir -p "$RAWD"

# measured TOOL OP TIMED CMD...: (if TIMED=1, drop the page cache), take the
# proxy log's line count, run CMD under /usr/bin/time, wait for the log to
# settle, count the S3 requests in between. Writes RAWD/TOOL.OP.json.
measured() {
    local tool=$1 op=$2 timed=$3; shift 3
    local base="$LOGS/$tool.$op" rc=0 before after t0 t1 m u s wall
    [ "$timed" = 1 ] && drop_caches
    before=$($PY wait-stable "$PLOG")
    t0=$(date +%s%N)
    /usr/bin/time -f '%e %M %U %S' -o "$base.time" "$@" >"$base.log" 2>&1 || rc=$?
    t1=$(date +%s%N)
    after=$($PY wait-stable "$PLOG")
    read -r _ m u s < <(tail -n 1 "$base.time")
    [[ "$m" =~ ^[0-9]+$ ]] || m=0
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    $PY count "$PLOG" --from "$before" --to "$after" >"$base.requests.json"
    python3 - "$RAWD/$tool.$op.json" "$base.requests.json" "$wall" "$m" "$u" "$s" "$rc" <<'PY'
import json, sys
path, req, wall, rss, user, sys_, rc = sys.argv[1:]
def f(v):
    try:
        return float(v)
    except ValueError:
        return None
json.dump({"wall_s": float(wall), "rss_kib": int(rss), "user_s": f(user), "sys_s": f(sys_),
           "exit": int(rc), "s3": json.load(open(req))}, open(path, "w"), indent=1, sort_keys=True)
PY
    local nreq
    nreq=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$base.requests.json")
    log "  $tool $op: ${wall}s, $nreq S3 requests, peak RSS $((m / 1024)) MiB, exit $rc"
    if [ "$rc" != 0 ]; then
        log "  WARNING: $tool $op failed (exit $rc); see $base.log"
        tail -n 5 "$base.log" | sed 's/^/    | /' >&2
    fi
    return 0
}

tool_version() {
    case "$1" in
        cairn)  "$CAIRN_AGENT" version 2>&1 | head -n 1 ;;
        restic) restic version 2>&1 | head -n 1 ;;
    esac
}

# Each tool: its own prefix in the bucket, its own local dir R (key/state or
# cache), the same restore target (emptied in between).
TARGET="$WORK/s3-restore"
for tool in $TOOLS; do
    log "== mixed / $tool"
    r="$WORK/s3-run/$tool"
    rm -rf "$r" "$TARGET"
    mkdir -p "$r/cache" "$TARGET"
    prefix="bench-$tool"
    case "$tool" in
        cairn)
            export CAIRN_REPO="s3://$S3_BUCKET/$prefix" CAIRN_KEY_FILE="$r/cache/key" CAIRN_STATE_DIR="$r/cache/state"
            measured cairn init 0 "$CAIRN_AGENT" init
            measured cairn backup 1 "$CAIRN_AGENT" backup --json --quiet "$SRC"
            measured cairn restore 1 "$CAIRN_RESTORE" restore --at latest --target "$TARGET" --json --quiet
            ;;
        restic)
            export RESTIC_REPOSITORY="s3:$S3_ENDPOINT/$S3_BUCKET/$prefix" RESTIC_CACHE_DIR="$r/cache"
            measured restic init 0 restic --cacert "$S3_CA_BUNDLE" init
            measured restic backup 1 restic --cacert "$S3_CA_BUNDLE" backup --host bench "$SRC"
            measured restic restore 1 restic --cacert "$S3_CA_BUNDLE" restore latest --target "$TARGET"
            ;;
    esac
    if diff -r "$SRC" "$TARGET$SRC" >"$LOGS/$tool.verify.log" 2>&1; then
        verify=ok
        log "  $tool restore verified: diff -r identical"
    else
        verify=FAIL
        log "  WARNING: $tool restore differs from the source, see $LOGS/$tool.verify.log"
    fi
    echo "\"$verify\"" >"$RAWD/$tool.verify.json"
    # not inside a measured window, so these listing requests are not counted
    $PY stored --endpoint "$S3_ENDPOINT" --bucket "$S3_BUCKET" --prefix "$prefix" --region "$S3_REGION" \
        --ca "$S3_CA_BUNDLE" >"$RAWD/$tool.stored.json" 2>"$LOGS/$tool.stored.err" \
        || echo '{}' >"$RAWD/$tool.stored.json"
    du -sb "$r/cache" | cut -f1 >"$RAWD/$tool.cache_bytes.json"
    rm -rf "$TARGET" "$r"
done

# ---- assemble raw-s3.json and the report --------------------------------------
python3 - "$OUT" "$RAWD" "$MODE" "$SCALE" "$DROP_OK" "$COMMIT" "$(tool_version restic)" \
    "$(tool_version cairn)" "$S3_ENDPOINT" "$S3_BUCKET" "$(nproc)" "$TOOLS" <<'PY'
import json, os, sys, time
out, rawd, mode, scale, drop, commit, rv, cv, ep, bucket, cpus, tools = sys.argv[1:]
ds = json.load(open(os.path.join(out, "dataset-mixed.json")))
meta = {"mode": mode, "scale": float(scale), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "page_cache_dropped": drop == "1", "cairn_commit": commit, "cairn_version": cv,
        "restic_version": rv, "server": "OpenStack Swift s3api (s3-server --tls) at " + ep,
        "bucket": bucket, "cpus": int(cpus), "dataset": ds}
res = {}
for t in tools.split():
    d = {}
    for name in sorted(os.listdir(rawd)):
        if name.startswith(t + ".") and name.endswith(".json"):
            key = name[len(t) + 1:-5]
            with open(os.path.join(rawd, name)) as fh:
                d[key] = json.load(fh)
    res[t] = d
json.dump({"meta": meta, "tools": res}, open(os.path.join(out, "raw-s3.json"), "w"), indent=1, sort_keys=True)
PY
$PY report "$OUT" >/dev/null
log "done: $OUT/results-s3.md"
cat "$OUT/results-s3.md"
