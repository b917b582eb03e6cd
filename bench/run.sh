#!/usr/bin/env bash
# Cairn vs restic vs borg benchmark. See bench/README.md.
#
# usage: bench/run.sh [--quick] [--out DIR] [--work DIR] [--tools LIST]
#                     [--datasets LIST] [--bin-dir DIR] [--no-build]
#                     [--no-drop-caches] [--verify all|cairn|none]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")

WORK=${CAIRN_BENCH_WORK:-/tmp/cairn-bench}
OUT=""
QUICK=0
TOOLS="cairn restic borg"
DATASETS="mixed small random"
BIN_DIR="$ROOT/build-bench"
BUILD=1
DROP=1
VERIFY=all

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

  --quick            data sets ~10x smaller (smoke run)
  --out DIR          results directory (default WORK/results-full or -quick)
  --work DIR         work directory for data sets, repositories and restores
                     (default /tmp/cairn-bench, or $CAIRN_BENCH_WORK)
  --tools LIST       comma-separated subset of cairn,restic,borg
  --datasets LIST    comma-separated subset of mixed,small,random
  --bin-dir DIR      where cairn-agent and cairn-restore are (default
                     build-bench/ in the repository)
  --no-build         do not (re)build cairn in Release mode first
  --no-drop-caches   do not drop the page cache before each timed operation
  --verify WHAT      diff -r the restore against the source for all tools
                     (default), only cairn, or none
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --out) OUT=$2; shift ;;
        --work) WORK=$2; shift ;;
        --tools) TOOLS=${2//,/ }; shift ;;
        --datasets) DATASETS=${2//,/ }; shift ;;
        --bin-dir) BIN_DIR=$2; shift ;;
        --no-build) BUILD=0 ;;
        --no-drop-caches) DROP=0 ;;
        --verify) VERIFY=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then SCALE=0.1; MODE=quick; else SCALE=1.0; MODE=full; fi
[ -n "$OUT" ] || OUT="$WORK/results-$MODE"
mkdir -p "$WORK" "$OUT/logs"
WORK=$(cd "$WORK" && pwd)
OUT=$(cd "$OUT" && pwd)
DATA="$WORK/data"
RAW="$OUT/raw.csv"
UNDO="$WORK/undo"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for t in /usr/bin/time python3; do
    command -v "$t" >/dev/null || die "$t is missing (apt-get install -y time)"
done
for t in $TOOLS; do
    case "$t" in
        cairn) ;;
        restic|borg) command -v "$t" >/dev/null || die "$t is not installed" ;;
        *) die "unknown tool $t" ;;
    esac
done

# ---- build cairn -----------------------------------------------------------
if [ "$BUILD" = 1 ] && [[ " $TOOLS " == *" cairn "* ]]; then
    log "building cairn (Release) in $BIN_DIR"
    cmake -S "$ROOT" -B "$BIN_DIR" -DCMAKE_BUILD_TYPE=Release >"$OUT/logs/build.log" 2>&1 \
        && cmake --build "$BIN_DIR" -j2 --target cairn-agent cairn-restore \
            >>"$OUT/logs/build.log" 2>&1 \
        || die "cairn build failed, see $OUT/logs/build.log"
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

# ---- results ---------------------------------------------------------------
echo "dataset,tool,metric,value" >"$RAW"
record() { echo "$1,$2,$3,$4" >>"$RAW"; }

# timed DATASET TOOL OP CMD...: drop caches, run CMD under /usr/bin/time,
# record OP_s (wall, ms resolution), OP_rss_kib (peak RSS), OP_exit.
timed() {
    local ds=$1 tool=$2 op=$3; shift 3
    local base="$OUT/logs/$ds.$tool.$op"
    local rc=0 t0 t1 e m u s
    drop_caches
    t0=$(date +%s%N)
    /usr/bin/time -f '%e %M %U %S' -o "$base.time" "$@" >"$base.log" 2>&1 || rc=$?
    t1=$(date +%s%N)
    read -r e m u s < <(tail -n 1 "$base.time")
    local wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    record "$ds" "$tool" "${op}_s" "$wall"
    record "$ds" "$tool" "${op}_time_e_s" "$e"
    record "$ds" "$tool" "${op}_rss_kib" "$m"
    record "$ds" "$tool" "${op}_user_s" "$u"
    record "$ds" "$tool" "${op}_sys_s" "$s"
    record "$ds" "$tool" "${op}_exit" "$rc"
    log "  $tool $op: ${wall}s, peak RSS $((m / 1024)) MiB, exit $rc"
    if [ "$rc" != 0 ]; then
        log "  WARNING: $tool $op failed (exit $rc); see $base.log"
        tail -n 5 "$base.log" | sed 's/^/    | /' >&2
    fi
    return 0
}

# ---- tools -----------------------------------------------------------------
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

tool_init() { # tool R
    # shellcheck disable=SC2046
    case "$1" in
        cairn)  env $(tool_env cairn "$2") "$CAIRN_AGENT" init ;;
        restic) env $(tool_env restic "$2") restic init ;;
        borg)   env $(tool_env borg "$2") borg init --encryption=repokey-blake2 ;;
    esac
}

tool_backup() { # ds tool R op path n
    local ds=$1 tool=$2 r=$3 op=$4 path=$5 n=$6
    # shellcheck disable=SC2046
    case "$tool" in
        cairn)  timed "$ds" cairn "$op" env $(tool_env cairn "$r") \
                    "$CAIRN_AGENT" backup --json --quiet "$path" ;;
        restic) timed "$ds" restic "$op" env $(tool_env restic "$r") \
                    restic backup --host bench "$path" ;;
        borg)   timed "$ds" borg "$op" env $(tool_env borg "$r") \
                    borg create --compression zstd,3 "::b$n" "$path" ;;
    esac
}

tool_restore() { # ds tool R target n
    local ds=$1 tool=$2 r=$3 target=$4 n=$5
    # shellcheck disable=SC2046
    case "$tool" in
        cairn)  timed "$ds" cairn restore env $(tool_env cairn "$r") \
                    "$CAIRN_RESTORE" restore --at latest --target "$target" --json --quiet ;;
        restic) timed "$ds" restic restore env $(tool_env restic "$r") \
                    restic restore latest --target "$target" ;;
        borg)   timed "$ds" borg restore env -C "$target" $(tool_env borg "$r") \
                    borg extract "::b$n" ;;
    esac
}

tool_version() {
    case "$1" in
        cairn)  "$CAIRN_AGENT" version 2>&1 | head -n 1 ;;
        restic) restic version 2>&1 | head -n 1 ;;
        borg)   borg --version 2>&1 | head -n 1 ;;
    esac
}

undo_changes() { python3 "$HERE/datasets.py" undo --undo "$UNDO"; }
trap 'undo_changes || true' EXIT

# ---- metadata --------------------------------------------------------------
{
    echo "{"
    echo "  \"mode\": \"$MODE\", \"scale\": $SCALE,"
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "  \"work\": \"$WORK\","
    echo "  \"cpus\": $(nproc), \"mem_kib\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
    echo "  \"kernel\": \"$(uname -r)\","
    echo "  \"page_cache_dropped\": $([ "$DROP_OK" = 1 ] && echo true || echo false),"
    echo "  \"cairn_commit\": \"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo -dirty)\","
    echo "  \"tools\": {"
    sep=""
    for t in $TOOLS; do
        printf '%s    "%s": "%s"' "$sep" "$t" "$(tool_version "$t" | sed 's/"/\\"/g')"
        sep=$',\n'
    done
    echo
    echo "  }"
    echo "}"
} >"$OUT/meta.json"

# ---- data sets ---------------------------------------------------------------
undo_changes
log "work dir $WORK, results in $OUT, mode $MODE (scale $SCALE)"
log "building data sets: $DATASETS"
python3 "$HERE/datasets.py" build --data "$DATA" --scale "$SCALE" --only "${DATASETS// /,}"
for ds in $DATASETS; do cp "$DATA/$ds.done" "$OUT/dataset-$ds.json"; done

# ---- the runs ----------------------------------------------------------------
for ds in $DATASETS; do
    src="$DATA/$ds"
    for tool in $TOOLS; do
        log "== $ds / $tool"
        r="$WORK/run/$ds/$tool"
        target="$WORK/restore"
        rm -rf "$r" "$target"
        mkdir -p "$r/cache"
        tool_init "$tool" "$r" >"$OUT/logs/$ds.$tool.init.log" 2>&1 \
            || die "$tool init failed, see $OUT/logs/$ds.$tool.init.log"

        tool_backup "$ds" "$tool" "$r" initial_backup "$src" 1
        record "$ds" "$tool" repo_bytes_initial "$(du -sb "$r/repo" | cut -f1)"
        tool_backup "$ds" "$tool" "$r" unchanged_backup "$src" 2

        python3 "$HERE/datasets.py" mutate --root "$src" --undo "$UNDO" >"$OUT/logs/$ds.mutate.json"
        tool_backup "$ds" "$tool" "$r" changed_backup "$src" 3
        record "$ds" "$tool" repo_bytes "$(du -sb "$r/repo" | cut -f1)"

        mkdir -p "$target"
        tool_restore "$ds" "$tool" "$r" "$target" 3
        if [ "$VERIFY" = all ] || { [ "$VERIFY" = cairn ] && [ "$tool" = cairn ]; }; then
            if diff -r "$src" "$target$src" >"$OUT/logs/$ds.$tool.verify.log" 2>&1; then
                record "$ds" "$tool" verify ok
                log "  $tool restore verified: diff -r identical"
            else
                record "$ds" "$tool" verify FAIL
                log "  WARNING: $tool restore differs from the source, see $OUT/logs/$ds.$tool.verify.log"
            fi
        fi
        rm -rf "$target"
        undo_changes
        record "$ds" "$tool" cache_bytes "$(du -sb "$r/cache" | cut -f1)"
        rm -rf "$r"
    done
done

python3 "$HERE/report.py" "$OUT"
log "done: $OUT/results.md"
