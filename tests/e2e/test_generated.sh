#!/usr/bin/env bash
# Generated round trips: seeded random trees (tests/e2e/treetool.py gen-random:
# every entry type, names of any bytes up to 255, modes with setuid/setgid/
# sticky and 0000, mtimes before 1970 with nanoseconds, hardlink groups across
# directories, sparse and multi-chunk files, xattrs, owners and devices as
# root), backed up, changed (mutate-random: add, delete, rename, rewrite,
# truncate, type change, chmod, touch, same size and mtime with new content),
# backed up again, checked, and every point restored with a FRESH state
# directory and compared entry by entry, byte for byte and metadata for
# metadata. Besides the plain seeds: one deep chain (CAIRN_GEN_DEPTH levels,
# paths far beyond PATH_MAX) and one wide directory (CAIRN_GEN_WIDE entries),
# with every cairn command under `ulimit -n CAIRN_GEN_FD_LIMIT`.
#
# Every seed is printed; to replay one:
#     CAIRN_GEN_SEEDS=1234 CAIRN_GEN_CASES=seeds ctest -R e2e/test_generated
# Environment (defaults are the CI run, a few minutes):
#     CAIRN_GEN_SEEDS     seeds of the plain cases ("1 2 R": R = a random seed)
#     CAIRN_GEN_CASES     which cases run: any of "seeds deep wide" (all)
#     CAIRN_GEN_ENTRIES   random entries per plain tree (300)
#     CAIRN_GEN_DEPTH     levels of the deep chain (2500)
#     CAIRN_GEN_WIDE      entries of the wide directory (100000)
#     CAIRN_GEN_FD_LIMIT  `ulimit -n` of every cairn command (256)
#     CAIRN_GEN_TIMEOUT   seconds allowed to each cairn command (600)
#     CAIRN_GEN_OPS       changes per mutation (40)
#     CAIRN_GEN_DEEP_SEED, CAIRN_GEN_WIDE_SEED   seeds of the deep and wide cases (77, 78)
# Known limitation, documented in docs/FORMAT.md 9.4: only regular files are
# linked again on restore, so hardlinked symlinks and fifos come back as
# separate inodes (the comparison runs with --regular-links-only).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEEDS="${CAIRN_GEN_SEEDS:-1 2 R}"
CASES="${CAIRN_GEN_CASES:-seeds deep wide}"
ENTRIES="${CAIRN_GEN_ENTRIES:-300}"
DEPTH="${CAIRN_GEN_DEPTH:-2500}"
WIDE="${CAIRN_GEN_WIDE:-100000}"
FD_LIMIT="${CAIRN_GEN_FD_LIMIT:-256}"
CMD_TIMEOUT="${CAIRN_GEN_TIMEOUT:-600}"
OPS="${CAIRN_GEN_OPS:-40}"

if [[ $(id -u) -eq 0 ]]; then
	BACKUP_OK=0 COMPARE_OPTS=(--regular-links-only)
else
	# files and directories without read permission are saved as unreadable
	# placeholders: exit 3, and the comparison knows it
	BACKUP_OK=3 COMPARE_OPTS=(--regular-links-only --unreadable-placeholders)
fi

# limited CMD...: run CMD with at most FD_LIMIT open files and CMD_TIMEOUT
# seconds; the peak resident size (KiB) is appended to $OUT_DIR/rss.log
limited() {
	local rc=0
	(
		ulimit -n "$FD_LIMIT"
		exec /usr/bin/time -a -o "$OUT_DIR/rss.log" -f "%M KiB %e s: $*" timeout -k 10 "$CMD_TIMEOUT" "$@"
	) || rc=$?
	return "$rc"
}

FAILURES=()
# problem MSG: record a failure and go on with the case (the test fails at the end)
problem() {
	echo "[$TEST_NAME] PROBLEM: $*" >&2
	FAILURES+=("$*")
}

# brief FILE: the end of FILE on one line (messages naming a path thousands
# of levels deep end with the reason)
brief() {
	tr '\n' ' ' <"$1" | tail -c 400 | LC_ALL=C tr -c '[:print:]' '?'
}

# backup_point CASE SRC JSON: back up SRC; the snapshot id goes to POINT
# (empty when the backup made none); an exit code other than BACKUP_OK is a
# problem
backup_point() {
	local rc=0
	limited "$CAIRN_AGENT" backup --json "$2" >"$3" 2>"$3.err" || rc=$?
	if ((rc != BACKUP_OK)); then
		problem "case $1: backup exited $rc (expected $BACKUP_OK): $(brief "$3.err")"
	fi
	POINT="$(json_get "$3" snapshot 2>/dev/null || true)"
}

# scrap DIR...: remove trees holding read-only directories (as non-root too)
scrap() {
	chmod -R u+rwX "$@" 2>/dev/null || true
	rm -rf "$@"
}

# roundtrip NAME SEED GEN-OPTIONS...
roundtrip() {
	local name=$1 seed=$2
	shift 2
	local d="$WORK/$name"
	local src="$d/src" s1 s2 rc k snap what
	mkdir -p "$d"
	what="$name (seed $seed)"
	log "case $what: $*"
	treetool gen-random "$src" --seed "$seed" "$@" >"$d/gen.json" 2>"$d/gen.err" ||
		fail "gen-random $name seed $seed failed: $(cat "$d/gen.err")"
	log "case $name: generated $(json_get "$d/gen.json" stats)"

	export CAIRN_STATE_DIR="$d/state" CAIRN_REPO="file://$d/repo"
	init_repo
	backup_point "$what" "$src" "$d/b1.json"
	s1=$POINT
	treetool manifest "$src" --out "$d/m1"
	local deep_rel=()
	[[ -d "$src/deep.chain" ]] && deep_rel=(--deep-rel deep.chain)
	treetool mutate-random "$src" --seed $((seed + 1)) --ops "$OPS" "${deep_rel[@]}" >"$d/mutate.json"
	backup_point "$what" "$src" "$d/b2.json"
	s2=$POINT
	treetool manifest "$src" --out "$d/m2"
	log "case $name: points ${s1:-none} ${s2:-none}"

	rc=0
	limited "$CAIRN_AGENT" check >"$d/check.out" 2>"$d/check.err" || rc=$?
	[[ $rc -eq 0 ]] || problem "case $what: check exited $rc: $(brief "$d/check.err")"

	k=0
	for snap in "$s1" "$s2"; do
		k=$((k + 1))
		[[ -n "$snap" ]] || continue
		rc=0
		CAIRN_STATE_DIR="$d/fresh$k" limited "$CAIRN_RESTORE" restore --snapshot "$snap" \
			--target "$d/t$k" >"$d/r$k.out" 2>"$d/r$k.err" || rc=$?
		if ((rc != BACKUP_OK)); then
			problem "case $what: restore of point $k exited $rc: $(brief "$d/r$k.err")"
		fi
		if [[ ! -d "$d/t$k$src" ]]; then
			problem "case $what: point $k: nothing restored"
			continue
		fi
		treetool manifest "$d/t$k$src" --out "$d/t$k.m"
		if treetool compare "$d/m$k" "$d/t$k.m" "${COMPARE_OPTS[@]}" --max-lines 20 >"$d/diff$k"; then
			log "case $what: point $k restored identical"
		else
			cut -c1-400 "$d/diff$k" | head -n 21 >&2
			problem "case $what: point $k restored differently: $(tail -n 1 "$d/diff$k" | grep -o "^[0-9]* difference(s)"); first: $(head -n 1 "$d/diff$k" | cut -c1-200)"
		fi
		scrap "$d/t$k" "$d/fresh$k"
	done
	scrap "$src" "$d/state"
}

cd "$WORK"
for c in $CASES; do
	case $c in
	seeds)
		for seed in $SEEDS; do
			[[ "$seed" == R ]] && seed=$((RANDOM * 32768 + RANDOM))
			echo "seed $seed" >&2
			roundtrip "seed$seed" "$seed" --entries "$ENTRIES"
		done
		;;
	deep)
		roundtrip deep "${CAIRN_GEN_DEEP_SEED:-77}" --entries 40 --depth "$DEPTH" --max-file-kib 256
		;;
	wide)
		roundtrip wide "${CAIRN_GEN_WIDE_SEED:-78}" --entries 40 --wide "$WIDE" --max-file-kib 256
		;;
	*) fail "unknown case '$c' in CAIRN_GEN_CASES" ;;
	esac
done
log "peak memory and time of each cairn command:"
sort -n "$OUT_DIR/rss.log" | tail -n 5 >&2
((${#FAILURES[@]} == 0)) || fail "${#FAILURES[@]} problem(s): $(printf '\n  %s' "${FAILURES[@]}")"
