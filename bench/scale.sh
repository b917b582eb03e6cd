#!/usr/bin/env bash
# Cairn at scale: time, peak RSS, catalog and repository size as the tree and
# the repository grow. See bench/README.md, section "Scale".
#
#   bench/scale.sh [--work DIR] [--out DIR] [--bin-dir DIR]
#                  [--trees N,N,...] [--blobs N,N,...] [--tools cairn,restic]
#
#   --trees   file counts of the small-file trees (bench/gen_tree.py), each
#             backed up (first, unchanged), restored (warm state, then fresh
#             state for cairn) by every tool; default 100000
#   --blobs   blob counts of the "many blobs" repositories (cairn only), each
#             built by one backup of seeded random bytes (1 MiB files, 10 per
#             directory, so no tree is larger than ~2.5 MiB) with a crafted tiny
#             chunker (min 64, avg 128, max 512 B; pack_target 1 MiB), then:
#             a small backup into it, a restore of that small snapshot with the
#             warm catalog and with an empty state dir (index sync), a check;
#             default 100000,1000000
#   --work    where trees, repositories and restores go (default
#             /tmp/cairn-scale); repositories and restores are deleted as
#             soon as measured, generated trees are kept for the next run
#   --out     results: raw.csv, logs/ (default WORK/results)
#   --bin-dir cairn-agent and cairn-restore (default /work/bench-new)
#
# Every timed command runs under `nice -n 19 ionice -c3` (the machine is
# shared) and `/usr/bin/time -f '%e %U %S %M'`: wall s, user s, sys s, peak
# RSS KiB. Warm page cache (nothing is dropped). raw.csv columns:
#   set,tool,op,wall_s,user_s,sys_s,maxrss_kib,catalog_bytes,repo_bytes,rc
# catalog_bytes: the state dir's SQLite files (catalog.db + -wal) after the
# operation (restic: its cache dir); repo_bytes: du -sb of the repository.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=/tmp/cairn-scale
OUT=
BIN_DIR=/work/bench-new
TREES=100000
BLOBS=100000,1000000
TOOLS=cairn,restic
while [ $# -gt 0 ]; do
	case "$1" in
	--work) WORK=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--bin-dir) BIN_DIR=$2; shift 2 ;;
	--trees) TREES=$2; shift 2 ;;
	--blobs) BLOBS=$2; shift 2 ;;
	--tools) TOOLS=$2; shift 2 ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "scale.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ "$TREES" = none ] && TREES=
[ "$BLOBS" = none ] && BLOBS=
OUT=${OUT:-$WORK/results}
AGENT=$BIN_DIR/cairn-agent
RESTORE=$BIN_DIR/cairn-restore
NICE="nice -n 19 ionice -c3"
mkdir -p "$WORK" "$OUT/logs"
CSV=$OUT/raw.csv
[ -f "$CSV" ] || echo "set,tool,op,wall_s,user_s,sys_s,maxrss_kib,catalog_bytes,repo_bytes,rc" >"$CSV"
export RESTIC_PASSWORD=cairn-bench

log() { echo "[$(date +%T)] $*" >&2; }
has_tool() { [[ ",$TOOLS," == *",$1,"* ]]; }

# catalog_bytes STATE_DIR: total size of the SQLite files under a cairn state dir
catalog_bytes() {
	find "$1" -name 'catalog.db*' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'
}
dir_bytes() { du -sb "$1" 2>/dev/null | cut -f1; }

# timed SET TOOL OP CATALOG_DIR REPO_DIR CMD...: run CMD, append one CSV row
timed() {
	local set=$1 tool=$2 op=$3 cat=$4 repo=$5
	shift 5
	local tf=$OUT/logs/$set-$tool-$op.time lf=$OUT/logs/$set-$tool-$op.log rc cb rb
	log "$set $tool $op"
	/usr/bin/time -o "$tf" -f '%e %U %S %M' $NICE "$@" >"$lf" 2>&1
	rc=$?
	if [ "$tool" = cairn ]; then cb=$(catalog_bytes "$cat"); else cb=$(dir_bytes "$cat"); fi
	rb=$(dir_bytes "$repo")
	read -r e u s m <<<"$(tail -n 1 "$tf")"
	echo "$set,$tool,$op,$e,$u,$s,$m,$cb,$rb,$rc" >>"$CSV"
	log "  -> wall $e s, user $u, sys $s, maxrss $((m / 1024)) MiB, catalog $((cb / 1048576)) MiB, repo $((rb / 1048576)) MiB, rc $rc"
	return 0
}

# same_tree SRC RESTORED: file count and byte total must match (diff -r of a
# million files costs minutes; the e2e tests compare every byte)
same_tree() {
	local a b
	a=$(find "$1" -type f -printf '%s\n' | awk '{n++; s += $1} END {print n, s}')
	b=$(find "$2" -type f -printf '%s\n' | awk '{n++; s += $1} END {print n, s}')
	if [ "$a" = "$b" ]; then log "  restored tree matches ($a files/bytes)"
	else log "  RESTORED TREE DIFFERS: source $a, restored $b"; echo "$3,verify,differs,$a,$b" >>"$OUT/problems.txt"; fi
}

tree_set() {
	local n=$1 set=tree$1 src=$WORK/tree$1 r
	if [ ! -f "$WORK/tree$n.json" ]; then
		rm -rf "$src"
		log "generating $src ($n files)"
		$NICE python3 "$ROOT/bench/gen_tree.py" --root "$src" --files "$n" --seed 13 >"$WORK/tree$n.json" \
			|| { rm -f "$WORK/tree$n.json"; log "gen_tree.py failed"; return 1; }
	fi
	cp "$WORK/tree$n.json" "$OUT/$set.json"
	if has_tool cairn; then
		r=$WORK/cairn-$set
		rm -rf "$r"; mkdir -p "$r"
		export CAIRN_REPO=$r/repo CAIRN_KEY_FILE=$r/key CAIRN_STATE_DIR=$r/state
		"$AGENT" init --quiet >/dev/null || return 1
		timed "$set" cairn backup-first "$r/state" "$r/repo" "$AGENT" backup --json --quiet "$src"
		timed "$set" cairn backup-unchanged "$r/state" "$r/repo" "$AGENT" backup --json --quiet "$src"
		timed "$set" cairn restore "$r/state" "$r/repo" "$RESTORE" restore --at latest --target "$r/t" --json --quiet
		same_tree "$src" "$r/t$src" "$set-cairn-restore"
		rm -rf "$r/t"
		CAIRN_STATE_DIR=$r/state-fresh timed "$set" cairn restore-fresh-state "$r/state-fresh" "$r/repo" \
			"$RESTORE" restore --at latest --target "$r/t" --json --quiet
		rm -rf "$r/t"
		timed "$set" cairn check "$r/state" "$r/repo" "$AGENT" check --json --quiet
		unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR
		rm -rf "$r"
	fi
	if has_tool restic; then
		r=$WORK/restic-$set
		rm -rf "$r"; mkdir -p "$r"
		export RESTIC_REPOSITORY=$r/repo RESTIC_CACHE_DIR=$r/cache
		restic init >/dev/null || return 1
		timed "$set" restic backup-first "$r/cache" "$r/repo" restic backup --host bench "$src"
		timed "$set" restic backup-unchanged "$r/cache" "$r/repo" restic backup --host bench "$src"
		timed "$set" restic restore "$r/cache" "$r/repo" restic restore latest --target "$r/t"
		same_tree "$src" "$r/t$src" "$set-restic-restore"
		rm -rf "$r/t"
		unset RESTIC_REPOSITORY RESTIC_CACHE_DIR
		rm -rf "$r"
	fi
}

# blob_set N: a repository of about N blobs (see the header), then the
# operations whose cost must not grow with it
blob_set() {
	local n=$1 set=blobs$1 r=$WORK/cairn-blobs$1 small=$WORK/small-tree
	if [ ! -f "$WORK/small-tree.json" ]; then
		rm -rf "$small"
		$NICE python3 "$ROOT/bench/gen_tree.py" --root "$small" --files 1000 --seed 99 >"$WORK/small-tree.json" || return 1
	fi
	rm -rf "$r"; mkdir -p "$r"
	export CAIRN_REPO=$r/repo CAIRN_KEY_FILE=$r/key CAIRN_STATE_DIR=$r/state
	"$AGENT" init --quiet >/dev/null || return 1
	python3 - "$r/repo/config" <<-'EOF' || return 1
		import json, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["chunker"] = {"avg": 128, "max": 512, "min": 64}
		c["pack_target"] = 1048576
		open(p, "w").write(json.dumps(c, indent=2, sort_keys=True) + "\n")
	EOF
	# ~152 B per chunk with this chunker (measured): N blobs from N*152 bytes
	log "generating $r/src (~$n blobs of random bytes, 1 MiB files)"
	$NICE python3 - "$r/src" "$n" <<-'EOF' || return 1
		import os, random, sys
		root, n = sys.argv[1], int(sys.argv[2])
		rng = random.Random(n)
		total = n * 152
		files = max(1, total >> 20)
		for i in range(files):
		    d = os.path.join(root, "d%04d" % (i // 10))
		    os.makedirs(d, exist_ok=True)
		    with open(os.path.join(d, "r%05d" % i), "wb") as fh:
		        fh.write(rng.randbytes(min(1 << 20, total)))
	EOF
	timed "$set" cairn build-backup "$r/state" "$r/repo" "$AGENT" backup --json --quiet "$r/src"
	cp "$OUT/logs/$set-cairn-build-backup.log" "$OUT/logs/$set-build-stats.json"
	rm -rf "$r/src"
	timed "$set" cairn small-backup "$r/state" "$r/repo" "$AGENT" backup --json --quiet "$small"
	timed "$set" cairn small-backup-unchanged "$r/state" "$r/repo" "$AGENT" backup --json --quiet "$small"
	timed "$set" cairn small-restore "$r/state" "$r/repo" "$RESTORE" restore --at latest --target "$r/t" --json --quiet
	same_tree "$small" "$r/t$small" "$set-small-restore"
	rm -rf "$r/t"
	CAIRN_STATE_DIR=$r/state-fresh timed "$set" cairn small-restore-fresh-state "$r/state-fresh" "$r/repo" \
		"$RESTORE" restore --at latest --target "$r/t" --json --quiet
	same_tree "$small" "$r/t$small" "$set-small-restore-fresh"
	rm -rf "$r/t" "$r/state-fresh"
	timed "$set" cairn check "$r/state" "$r/repo" "$AGENT" check --json --quiet
	unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR
	[ -n "${KEEP_REPO:-}" ] || rm -rf "$r"
}

{
	echo "date: $(date -u +%FT%TZ)"
	echo "cairn: $("$AGENT" version 2>&1 | head -n 1) ($BIN_DIR)"
	echo "restic: $(restic version 2>&1 | head -n 1)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "trees: $TREES  blobs: $BLOBS  tools: $TOOLS"
} >>"$OUT/meta.txt"
for n in ${TREES//,/ }; do tree_set "$n"; done
for n in ${BLOBS//,/ }; do blob_set "$n"; done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
log "results in $CSV"
