#!/usr/bin/env bash
# Disaster recovery from a replica: how long a fresh machine takes to rebuild
# its catalog from a replica holding N snapshots' worth of index objects.
#
# usage: bench/catalog_rebuild.sh [--snapshots N] [--work DIR] [--port PORT] [--bin-dir DIR]
#
# Makes a local repository with N small snapshots (each one pack, one index
# object, one snapshot object: a repository of frequent backups), replicates
# it to the second region of a loopback S3 server (Swift's s3api), then times
# `cairn-restore points --from s3://...` with an empty state directory: the
# listing, every index and snapshot object fetched, verified, decrypted and
# loaded. Prints one line of results; keeps the repository in WORK for reruns.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
N=10000
WORK=${CAIRN_BENCH_WORK:-/tmp/cairn-bench}/catalog-rebuild
PORT=${CAIRN_BENCH_S3_PORT:-9500}
BIN_DIR=$ROOT/build
S3_SERVER=${CAIRN_S3_SERVER:-$(dirname "$ROOT")/shared/tools/s3-server}

while [ $# -gt 0 ]; do
	case $1 in
	--snapshots) N=$2; shift 2 ;;
	--work) WORK=$2; shift 2 ;;
	--port) PORT=$2; shift 2 ;;
	--bin-dir) BIN_DIR=$2; shift 2 ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "catalog_rebuild: unknown option '$1'" >&2; exit 2 ;;
	esac
done
for p in cairn-agent cairn-restore tests/many_snapshots; do
	[ -x "$BIN_DIR/$p" ] || { echo "catalog_rebuild: no $BIN_DIR/$p (build with -DCAIRN_TESTS=ON)" >&2; exit 2; }
done

mkdir -p "$WORK"
export CAIRN_KEY_FILE=$WORK/key CAIRN_REPO=$WORK/repo CAIRN_STATE_DIR=$WORK/state
if [ ! -f "$WORK/repo.done.$N" ]; then
	rm -rf "$WORK/repo" "$WORK/state" "$WORK/src" "$WORK/key" "$WORK"/repo.done.*
	mkdir -p "$WORK/src"
	"$BIN_DIR/cairn-agent" init --quiet
	start=$(date +%s)
	"$BIN_DIR/tests/many_snapshots" "$CAIRN_REPO" "$CAIRN_KEY_FILE" "$CAIRN_STATE_DIR" "$WORK/src" "$N"
	echo "catalog_rebuild: $N snapshots made in $(($(date +%s) - start)) s" >&2
	touch "$WORK/repo.done.$N"
fi

bash "$S3_SERVER" start -p "$PORT" -d "$WORK/s3" --fresh >"$WORK/s3.env"
trap 'bash "$S3_SERVER" stop -d "$WORK/s3" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
source "$WORK/s3.env"
export AWS_ENDPOINT_URL_S3=$S3_ENDPOINT2 AWS_REGION=$S3_REGION2
REPLICA="s3://$S3_BUCKET2/rebuild"

start=$(date +%s.%N)
"$BIN_DIR/cairn-agent" replicate --to "$REPLICA" --transfers 8 --quiet
rep=$(echo "$(date +%s.%N) - $start" | bc)

objects=$(find "$WORK/repo/index" "$WORK/repo/snapshots" -type f | wc -l)
rm -rf "$WORK/fresh-state"
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$WORK/rss" "$BIN_DIR/cairn-restore" points --from "$REPLICA" \
	--state-dir "$WORK/fresh-state" --json >"$WORK/points.json"
rebuild=$(echo "$(date +%s.%N) - $start" | bc)
points=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/points.json")
[ "$points" = "$N" ] || { echo "catalog_rebuild: $points points listed, expected $N" >&2; exit 1; }
printf 'catalog rebuild from an S3 replica: %d snapshots, %d index+snapshot objects: replicate %.1f s, ' \
	"$N" "$objects" "$rep"
printf 'rebuild (points on a fresh machine) %.1f s, %.0f objects/s, peak RSS %d MiB\n' "$rebuild" \
	"$(echo "$objects / $rebuild" | bc -l)" $(($(cat "$WORK/rss") / 1024))
