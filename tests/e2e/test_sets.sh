#!/usr/bin/env bash
# Backup sets from the configuration file: `backup` without paths backs up
# every [backup NAME] set, one snapshot each; --set picks some. Excludes
# (name globs and absolute path globs, from the set and from --exclude) are
# left out of the snapshot; a set's tags are recorded; a failing or hanging
# pre-hook skips its set with an error naming the set and the reason (exit
# 1) while the other sets are saved, and its post-hook still runs with the
# result in its environment; one-file-system keeps a mount point empty
# (checked only when a tmpfs can be mounted); hooks inherit neither secrets
# (CAIRN_PASSPHRASE, AWS_SECRET_ACCESS_KEY, ...) nor open descriptors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR CAIRN_CONFIG
CONF=$WORK/cairn.conf
SRC=$WORK/src
mkdir -p "$SRC/docs/.cache" "$SRC/docs/sub" "$SRC/db" "$SRC/logs"
echo "report" > "$SRC/docs/report.txt"
echo "swap" > "$SRC/docs/report.txt.swp"
echo "cached" > "$SRC/docs/.cache/blob"
echo "deep" > "$SRC/docs/sub/deep.txt"
echo "deep swap" > "$SRC/docs/sub/x.swp"
echo "rows" > "$SRC/db/table"
echo "log" > "$SRC/logs/app.log"

write_conf() { # $1 = pre-hook of set db, $2 = hook-timeout of set db
	cat > "$CONF" <<CONF
[cairn]
state-dir = $WORK/state
key-file = $WORK/key

[repository]
url = $WORK/repo

[backup docs]
path = $SRC/docs
exclude = *.swp
exclude = $SRC/docs/.cache
tag = documents
pre-hook = echo "pre \$CAIRN_BACKUP_SET \$CAIRN_HOOK" >> $OUT_DIR/hooks.log
post-hook = echo "post \$CAIRN_BACKUP_SET \$CAIRN_BACKUP_EXIT_CODE \$CAIRN_SNAPSHOT" >> $OUT_DIR/hooks.log

[backup db]
path = $SRC/db
pre-hook = $1
post-hook = echo "post \$CAIRN_BACKUP_SET \$CAIRN_BACKUP_EXIT_CODE" >> $OUT_DIR/hooks.log
hook-timeout = $2

[backup logs]
path = $SRC/logs
CONF
	chmod 640 "$CONF"
}

write_conf "true" "1m"
agent init --config "$CONF" --quiet
export CAIRN_CONFIG=$CONF

log "backup without paths: every set, one snapshot each"
assert_exit 0 agent backup --json
assert_eq "$(json_len "$LAST_OUT" sets)" 3
assert_eq "$(json_get "$LAST_OUT" sets.0.set)" docs
assert_eq "$(json_get "$LAST_OUT" sets.1.set)" db
assert_eq "$(json_get "$LAST_OUT" sets.2.set)" logs
docs_id=$(json_get "$LAST_OUT" sets.0.snapshot)
assert_eq "$(grep -c '^pre docs pre$' "$OUT_DIR/hooks.log")" 1
assert_contains "$OUT_DIR/hooks.log" "post docs 0 $docs_id"
assert_exit 0 agent snapshots --json
assert_eq "$(json_len "$LAST_OUT" "")" 3

log "excludes: name globs at any depth and absolute path globs are left out"
assert_exit 0 restore_cmd restore --snapshot "$docs_id" --target "$WORK/r1"
R=$WORK/r1$SRC/docs
[[ -f $R/report.txt && -f $R/sub/deep.txt ]] || fail "kept files missing from the restore"
[[ ! -e $R/report.txt.swp && ! -e $R/sub/x.swp ]] || fail "*.swp was not excluded"
[[ ! -e $R/.cache ]] || fail ".cache (absolute path pattern) was not excluded"
assert_eq "$(cat "$R/report.txt")" report
assert_exit 0 agent snapshots --json
python3 -c '
import json,sys
snaps=json.load(open(sys.argv[1]))
tags=[s.get("tags",[]) for s in snaps if s["id"]==sys.argv[2]]
assert tags==[["documents"]], tags' "$LAST_OUT" "$docs_id" || fail "set tag not recorded"

log "--set picks one set; --exclude adds to the set's patterns"
assert_exit 0 agent backup --set docs --exclude 'deep.*' --json
id2=$(json_get "$LAST_OUT" sets.0.snapshot)
assert_eq "$(json_len "$LAST_OUT" sets)" 1
assert_exit 0 restore_cmd restore --snapshot "$id2" --target "$WORK/r2"
[[ -f $WORK/r2$SRC/docs/report.txt && ! -e $WORK/r2$SRC/docs/sub/deep.txt ]] || fail "--exclude not applied"
assert_exit 2 agent backup --set nosuch
assert_contains "$LAST_ERR" "no backup set 'nosuch'"
assert_exit 2 agent backup --set docs "$SRC/db"
assert_contains "$LAST_ERR" "not both"
assert_exit 2 agent backup "$SRC/db" --exclude 'rel/path'
assert_contains "$LAST_ERR" "not absolute"

log "a failing pre-hook skips its set, the others are saved, the post-hook runs"
write_conf "exit 7" "1m"
: > "$OUT_DIR/hooks.log"
before=$(agent snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_exit 1 agent backup --json
assert_contains "$LAST_ERR" "pre-hook of backup set 'db' exited with status 7; the set was skipped"
assert_eq "$(json_get "$LAST_OUT" sets.1.exit_code)" 1
assert_eq "$(json_get "$LAST_OUT" sets.0.exit_code)" 0
assert_eq "$(json_get "$LAST_OUT" sets.2.exit_code)" 0
assert_contains "$OUT_DIR/hooks.log" "post db 1"
after=$(agent snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_eq "$after" "$((before + 2))" "two sets saved, db skipped"

log "a hanging pre-hook is killed after hook-timeout and its set skipped"
write_conf "sleep 60" "1s"
start=$(date +%s)
assert_exit 1 agent backup --set db
assert_contains "$LAST_ERR" "pre-hook of backup set 'db' timed out after"
assert_le $(( $(date +%s) - start )) 20

log "one-file-system keeps a mount point empty"
if mkdir -p "$SRC/logs/mnt" && mount -t tmpfs cairn-test "$SRC/logs/mnt" 2>/dev/null; then
	on_exit "umount '$SRC/logs/mnt' 2>/dev/null || true"
	echo other > "$SRC/logs/mnt/other-fs.txt"
	assert_exit 0 agent backup --one-file-system "$SRC/logs" --json
	id3=$(json_get "$LAST_OUT" snapshot)
	assert_exit 0 restore_cmd restore --snapshot "$id3" --target "$WORK/r3"
	[[ -d $WORK/r3$SRC/logs/mnt && ! -e $WORK/r3$SRC/logs/mnt/other-fs.txt ]] || fail "crossed into the tmpfs"
	[[ -f $WORK/r3$SRC/logs/app.log ]] || fail "app.log missing"
	assert_exit 0 agent backup "$SRC/logs" --json
	id4=$(json_get "$LAST_OUT" snapshot)
	assert_exit 0 restore_cmd restore --snapshot "$id4" --target "$WORK/r4"
	[[ -f $WORK/r4$SRC/logs/mnt/other-fs.txt ]] || fail "without --one-file-system the tmpfs is backed up"
	umount "$SRC/logs/mnt"
else
	log "cannot mount a tmpfs here: one-file-system not checked"
fi

log "hooks see neither the passphrase nor S3 secrets, nor the agent's open files (catalog, lock)"
# A repository opened with CAIRN_PASSPHRASE (and S3 secrets in the
# environment): pre- and post-hook dump their environment and their open
# descriptors (ls's own: 0, 1, 2 and the directory it reads, 3) while the
# repository, its catalog and lock are open in the agent.
SCONF=$WORK/secrets.conf
cat > "$SCONF" <<CONF
[cairn]
state-dir = $WORK/state-secrets

[repository]
url = $WORK/repo-secrets

[backup docs]
path = $SRC/docs
pre-hook = env > $OUT_DIR/pre.env && ls /proc/self/fd > $OUT_DIR/pre.fds
post-hook = env > $OUT_DIR/post.env && ls /proc/self/fd > $OUT_DIR/post.fds
CONF
chmod 640 "$SCONF"
export CAIRN_PASSPHRASE=pass-e2e-Q7xv AWS_SECRET_ACCESS_KEY=secret-e2e-Z3kp AWS_SESSION_TOKEN=token-e2e-M9w
export AWS_ACCESS_KEY_ID=AKIDE2E CAIRN_TEST_VISIBLE=visible-e2e
assert_exit 0 agent init --config "$SCONF" --quiet
assert_exit 0 agent backup --config "$SCONF" --json
for h in pre post; do
	assert_not_contains "$OUT_DIR/$h.env" "pass-e2e-Q7xv"
	assert_not_contains "$OUT_DIR/$h.env" "secret-e2e-Z3kp"
	assert_not_contains "$OUT_DIR/$h.env" "token-e2e-M9w"
	assert_not_contains "$OUT_DIR/$h.env" "CAIRN_PASSPHRASE="
	assert_not_contains "$OUT_DIR/$h.env" "AWS_SECRET_ACCESS_KEY="
	assert_contains "$OUT_DIR/$h.env" "CAIRN_TEST_VISIBLE=visible-e2e"
	assert_contains "$OUT_DIR/$h.env" "AWS_ACCESS_KEY_ID=AKIDE2E"
	assert_contains "$OUT_DIR/$h.env" "CAIRN_HOOK=$h"
	assert_contains "$OUT_DIR/$h.env" "CAIRN_BACKUP_SET=docs"
	assert_eq "$(tr '\n' ' ' < "$OUT_DIR/$h.fds")" "0 1 2 3 " "descriptors the $h-hook inherited"
done
assert_contains "$OUT_DIR/post.env" "CAIRN_SNAPSHOT=$(json_get "$LAST_OUT" sets.0.snapshot)"
assert_contains "$OUT_DIR/post.env" "CAIRN_BACKUP_EXIT_CODE=0"
unset CAIRN_PASSPHRASE AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID CAIRN_TEST_VISIBLE
log "OK"
