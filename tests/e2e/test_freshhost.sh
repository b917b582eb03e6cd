#!/usr/bin/env bash
# Fresh host: the local state (catalog) is only a cache. With the repository
# and the key alone, `points` lists every snapshot and restores match; a
# deleted catalog.db is rebuilt; a backup with a new, empty state dir does not
# upload the existing data again.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$WORK/src"
OUT="$OUT_DIR"
init_repo --quiet

treetool generate "$SRC" --seed 31 --big-mib 16 --small 500 >"$OUT/gen.json"
treetool manifest "$SRC" --out "$OUT/manifest1"
assert_exit 0 agent backup --json --quiet "$SRC"
SNAP1="$(json_get "$LAST_OUT" snapshot)"
T1="$(now_rfc3339)"
treetool mutate "$SRC" --seed 32 --percent 10 >/dev/null
treetool manifest "$SRC" --out "$OUT/manifest2"
assert_exit 0 agent backup --json --quiet "$SRC"
SNAP2="$(json_get "$LAST_OUT" snapshot)"

assert_exit 0 restore_cmd points --json
cp "$LAST_OUT" "$OUT/points.orig.json"
assert_eq "$(json_len "$OUT/points.orig.json")" 2 "points before"

# check_restore NAME MANIFEST SNAPSHOT RESTORE-ARGS...
check_restore() {
	local name=$1 manifest=$2 snap=$3 target="$WORK/restore-$1"
	shift 3
	assert_exit 0 restore_cmd restore "$@" --target "$target" --json --quiet
	assert_eq "$(json_get "$LAST_OUT" point.id)" "$snap" "$name: chosen point"
	treetool manifest "$target$SRC" --out "$OUT/restored-$name"
	compare_manifests "$manifest" "$OUT/restored-$name"
	rm -rf "$target"
}

log "fresh host: no state dir at all"
rm -rf "$CAIRN_STATE_DIR"
assert_exit 0 restore_cmd points --json
cp "$LAST_OUT" "$OUT/points.fresh.json"
assert_eq "$(json_len "$OUT/points.fresh.json")" 2 "fresh host: number of points"
assert_eq "$(json_get "$OUT/points.fresh.json" 0.id)" "$SNAP1" "fresh host: first point"
assert_eq "$(json_get "$OUT/points.fresh.json" 1.id)" "$SNAP2" "fresh host: second point"
# The rebuilt listing is the same as the one from the original catalog.
assert_eq "$(cat "$OUT/points.fresh.json")" "$(cat "$OUT/points.orig.json")" "fresh host: points --json"
check_restore fresh-latest "$OUT/manifest2" "$SNAP2" --at latest
check_restore fresh-t1 "$OUT/manifest1" "$SNAP1" --at "$T1"

log "fresh host: restore is the first command"
rm -rf "$CAIRN_STATE_DIR"
check_restore fresh-first "$OUT/manifest1" "$SNAP1" --snapshot "${SNAP1:0:12}"
assert_exit 0 agent snapshots --json
assert_eq "$(json_len "$LAST_OUT")" 2 "snapshots after a restore on a fresh host"

log "catalog.db deleted"
mapfile -t dbs < <(find "$CAIRN_STATE_DIR" -name catalog.db)
assert_eq "${#dbs[@]}" 1 "one catalog.db in the state dir"
rm -f "${dbs[0]}" "${dbs[0]}"-wal "${dbs[0]}"-shm "${dbs[0]}"-journal
assert_exit 0 restore_cmd points --json
assert_eq "$(json_len "$LAST_OUT")" 2 "points after deleting catalog.db"
[[ -s "${dbs[0]}" ]] || fail "catalog.db was not rebuilt at ${dbs[0]}"
check_restore nodb "$OUT/manifest2" "$SNAP2" --at latest

log "backup with a new, empty state dir"
export CAIRN_STATE_DIR="$WORK/state-new"
mkdir -p "$CAIRN_STATE_DIR"
size_before="$(du_bytes "$REPO_DIR")"
assert_exit 0 agent backup --json --quiet "$SRC"
cp "$LAST_OUT" "$OUT/b3.json"
size_after="$(du_bytes "$REPO_DIR")"
SNAP3="$(json_get "$OUT/b3.json" snapshot)"
log "bytes_added $(json_get "$OUT/b3.json" stats.bytes_added), repository growth $((size_after - size_before))"
assert_eq "$(json_get "$OUT/b3.json" stats.errors)" 0 "new state dir: errors"
# No files cache: every file is read again, but no data is uploaded again.
assert_le "$(json_get "$OUT/b3.json" stats.bytes_added)" $((256 * 1024)) "new state dir: bytes_added (metadata only)"
assert_le $((size_after - size_before)) $((512 * 1024)) "new state dir: repository growth"
assert_exit 0 restore_cmd points --json
assert_eq "$(json_len "$LAST_OUT")" 3 "points after the third backup"
assert_eq "$(json_get "$LAST_OUT" 2.id)" "$SNAP3" "third point"
check_restore newstate "$OUT/manifest2" "$SNAP3" --at latest
