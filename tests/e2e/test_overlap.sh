#!/usr/bin/env bash
# Overlapping runs, as cron makes them, never corrupt anything:
#   - two backups of one set at once both finish, and both snapshots restore;
#   - a backup while another run holds the repository exclusively (a prune
#     deleting) exits 6 naming the holder, or waits with --lock-wait and
#     then succeeds;
#   - a prune that would delete while a backup runs keeps its marks and
#     exits 6 (--lock-wait 0), and deletes on the next run;
#   - a lock left by a run killed with -9 does not hold anything back on its
#     host: neither a prune's exclusive lock nor a backup waits for its lease
#     to run out, and its lock object is deleted by the next run.
# (tests/tools/hold_lock holds a real lock in another process.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOLD=${CAIRN_BUILD_DIR:?}/tests/hold_lock
[[ -x $HOLD ]] || HOLD=$CAIRN_BUILD_DIR/hold_lock
[[ -x $HOLD ]] || fail "tests/tools/hold_lock was not built"
SRC=$WORK/src
treetool generate "$SRC" --seed 5 --big-mib 2 --small 40 >/dev/null
init_repo

# hold MODE PURPOSE: start hold_lock in the background, wait for "held"; sets HOLD_PID and HOLD_IN
hold() {
	local fifo=$WORK/hold.in.$RANDOM
	mkfifo "$fifo"
	"$HOLD" "$CAIRN_REPO" "$CAIRN_KEY_FILE" "$WORK/hold-state" "$1" "$2" <"$fifo" >"$OUT_DIR/hold.out" 2>&1 &
	HOLD_PID=$!
	exec {HOLD_IN}>"$fifo"
	for _ in $(seq 1 100); do
		grep -q held "$OUT_DIR/hold.out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "hold_lock did not take the lock: $(cat "$OUT_DIR/hold.out")"
}
release() { exec {HOLD_IN}>&-; wait "$HOLD_PID"; }

log "two backups at once: both saved, both restore"
agent backup "$SRC" --json >"$OUT_DIR/a.json" 2>"$OUT_DIR/a.err" &
a=$!
agent backup "$SRC" --json >"$OUT_DIR/b.json" 2>"$OUT_DIR/b.err" &
b=$!
wait "$a" || fail "first backup: $(cat "$OUT_DIR/a.err")"
wait "$b" || fail "second backup: $(cat "$OUT_DIR/b.err")"
manifest_of "$SRC" "$OUT_DIR/m"
for x in a b; do
	id=$(json_get "$OUT_DIR/$x.json" snapshot)
	assert_exit 0 restore_cmd restore --snapshot "$id" --target "$WORK/r$x" --state-dir "$WORK/fresh-$x"
	manifest_of "$WORK/r$x$SRC" "$OUT_DIR/r$x"
	compare_manifests "$OUT_DIR/m" "$OUT_DIR/r$x"
done

log "a backup while the repository is held exclusively: exit 6, or wait"
hold exclusive prune
assert_exit 6 agent backup "$SRC"
assert_contains "$LAST_ERR" "locked exclusively by prune on host"
( sleep 3; exec {HOLD_IN}>&- ) &
start=$(date +%s)
release_later=$!
exec {HOLD_IN}>&-   # the subshell keeps its copy open until it exits
assert_exit 0 agent backup "$SRC" --lock-wait 1m
wait "$release_later"
wait "$HOLD_PID"
assert_ge $(( $(date +%s) - start )) 2 "the backup waited for the holder"

log "a prune that would delete while a backup runs: exit 6, marks kept, deletes next time"
echo "to be forgotten" >"$SRC/gone.txt"
head -c 3000000 /dev/urandom >"$SRC/gone.bin"
assert_exit 0 agent backup "$SRC"
rm "$SRC/gone.txt" "$SRC/gone.bin"
assert_exit 0 agent backup "$SRC"
assert_exit 0 agent prune --keep-last 1 --grace 1h --json
assert_gt "$(json_get "$LAST_OUT" sites.0.packs_marked)" 0
packs=$(find "$REPO_DIR/data" -type f | wc -l)
hold shared backup
assert_exit 6 agent prune --no-forget --grace 0 --lock-wait 0
assert_contains "$LAST_ERR" "not deleted yet"
assert_eq "$(find "$REPO_DIR/data" -type f | wc -l)" "$packs" "nothing deleted while the backup runs"
release
assert_exit 0 agent prune --no-forget --grace 0 --json
assert_gt "$(json_get "$LAST_OUT" sites.0.packs_deleted)" 0

log "a holder killed with -9 holds nothing back on its host"
hold exclusive prune
kill -9 "$HOLD_PID"
wait "$HOLD_PID" || true
exec {HOLD_IN}>&-
assert_eq "$(ls "$REPO_DIR/locks" | wc -l)" 1 "the dead holder's lock object is still there"
assert_exit 0 agent backup "$SRC" --json
id=$(json_get "$LAST_OUT" snapshot)
assert_eq "$(ls "$REPO_DIR/locks" | wc -l)" 0 "the backup deleted the dead holder's lock object (and released its own)"
hold shared backup
kill -9 "$HOLD_PID"
wait "$HOLD_PID" || true
exec {HOLD_IN}>&-
assert_exit 0 agent prune --no-forget --grace 0 --lock-wait 0
assert_eq "$(ls "$REPO_DIR/locks" | wc -l)" 0 "prune's orphan scan looked at what the dead backup left and deleted its lock"
assert_exit 0 restore_cmd restore --snapshot "$id" --target "$WORK/rk" --state-dir "$WORK/fresh-k"
manifest_of "$SRC" "$OUT_DIR/mk"
manifest_of "$WORK/rk$SRC" "$OUT_DIR/rk"
compare_manifests "$OUT_DIR/mk" "$OUT_DIR/rk"
# a dead backup's lock says that it may have left packs behind: it stays
# until an orphan scan has looked (a backup's, or a prune's before it marks),
# then goes
hold shared backup
kill -9 "$HOLD_PID"
wait "$HOLD_PID" || true
exec {HOLD_IN}>&-
assert_exit 0 agent snapshots
assert_eq "$(ls "$REPO_DIR/locks" | wc -l)" 1 "the dead backup's lock object waits for the orphan scan"
assert_exit 0 agent backup "$SRC"
assert_eq "$(ls "$REPO_DIR/locks" | wc -l)" 0 "no lock object left behind"
log "OK"
