#!/usr/bin/env bash
# forget and prune with the real programs, on a local primary and a local
# replica configured with their own retention:
#   - forget --dry-run lists what would go and why, and removes nothing;
#   - prune applies each site's policy, then deletes unused packs; every
#     remaining point restores byte for byte from the primary and from the
#     replica, each from a fresh state directory;
#   - the replica keeps snapshots younger than its delete-grace, keeps packs
#     the primary still has, and replication does not copy back what was
#     forgotten there;
#   - a prune that runs while a backup is running (the backup deduplicates
#     against a pack prune has marked unused) waits for it, keeps that pack,
#     and the backup's snapshot restores afterwards;
#   - a version 1 repository (the golden one) is refused: nothing deleted;
#   - with an S3 test server (CAIRN_TEST_S3_ENDPOINT): prune of an S3
#     primary repacks and deletes, and what is kept restores from a fresh
#     state directory and passes check --read-data.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR CAIRN_CONFIG
CONF=$WORK/cairn.conf
SRC=$WORK/src
mkdir -p "$SRC"
cat > "$CONF" <<CONF
[cairn]
state-dir = $WORK/state
key-file = $WORK/key

[repository]
url = $WORK/primary
keep-last = 2

[replica usb]
url = $WORK/usb
keep-last = 1
delete-grace = 0s
CONF
chmod 640 "$CONF"
export CAIRN_CONFIG=$CONF
agent init --quiet

count() { find "$1" -type f | wc -l; }
snap_ids() { agent snapshots --json "$@" | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))'; }

log "four backups of changing data, replicated"
for i in 1 2 3 4; do
	head -c $((3 * 1024 * 1024)) /dev/urandom > "$SRC/gen$i.bin"
	rm -f "$SRC/gen$((i - 1)).bin"
	echo "round $i" > "$SRC/round.txt"
	assert_exit 0 agent backup "$SRC" --json
	ids[$i]=$(json_get "$LAST_OUT" snapshot)
	manifest_of "$SRC" "$OUT_DIR/m$i"
done
assert_exit 0 agent replicate
assert_eq "$(count "$WORK/usb/snapshots")" 4

log "forget --dry-run: reasons, nothing removed"
assert_exit 0 agent forget --dry-run --json
assert_eq "$(json_get "$LAST_OUT" sites.0.site)" primary
assert_eq "$(json_get "$LAST_OUT" sites.0.kept)" 2
assert_eq "$(json_get "$LAST_OUT" sites.0.forgotten)" 2
assert_eq "$(json_get "$LAST_OUT" sites.0.snapshots.0.id)" "${ids[4]}"
assert_eq "$(json_get "$LAST_OUT" sites.0.snapshots.0.reasons.0)" last
assert_eq "$(json_get "$LAST_OUT" sites.0.snapshots.3.keep)" false
assert_eq "$(json_get "$LAST_OUT" sites.1.site)" usb
assert_eq "$(json_get "$LAST_OUT" sites.1.forgotten)" 3
assert_exit 0 agent forget --dry-run
assert_contains "$LAST_OUT" "site primary: 4 snapshots, keep 2, would forget 2 (policy: last 2)"
assert_eq "$(count "$WORK/primary/snapshots")" 4
assert_eq "$(count "$WORK/usb/snapshots")" 4

log "prune: retention, then unused packs deleted on both sites"
packs_before=$(count "$WORK/primary/data")
assert_exit 0 agent prune --grace 0 --json
assert_eq "$(json_get "$LAST_OUT" sites.0.site)" primary
assert_gt "$(json_get "$LAST_OUT" sites.0.packs_deleted)" 0
assert_eq "$(count "$WORK/primary/snapshots")" 2
assert_lt "$(count "$WORK/primary/data")" "$packs_before"
# the replica keeps one snapshot; its other packs are gone from the primary too, except those the primary keeps
assert_eq "$(count "$WORK/usb/snapshots")" 1
assert_gt "$(json_get "$LAST_OUT" sites.1.packs_on_primary)" 0

log "every remaining point restores, from fresh state directories"
for i in 3 4; do
	assert_exit 0 restore_cmd restore --snapshot "${ids[$i]}" --target "$WORK/p$i" --state-dir "$WORK/fresh-p$i"
	manifest_of "$WORK/p$i$SRC" "$OUT_DIR/r$i"
	compare_manifests "$OUT_DIR/m$i" "$OUT_DIR/r$i"
done
assert_exit 0 restore_cmd restore --from usb --snapshot "${ids[4]}" --target "$WORK/u4" --state-dir "$WORK/fresh-u"
manifest_of "$WORK/u4$SRC" "$OUT_DIR/u4"
compare_manifests "$OUT_DIR/m4" "$OUT_DIR/u4"
assert_exit 9 restore_cmd restore --from usb --snapshot "${ids[3]}" --target "$WORK/u3" --state-dir "$WORK/fresh-u"

log "replication does not copy back what the replica forgot"
assert_exit 0 agent replicate --full
assert_eq "$(count "$WORK/usb/snapshots")" 1

log "a backup running during prune: the sweep waits, keeps the pack the backup reused"
head -c $((5 * 1024 * 1024)) /dev/urandom > "$OUT_DIR/x.bin"
cp "$OUT_DIR/x.bin" "$SRC/x.bin"
assert_exit 0 agent backup "$SRC" --json
x_snap=$(json_get "$LAST_OUT" snapshot)
rm "$SRC/x.bin"
assert_exit 0 agent backup "$SRC"
assert_exit 0 agent forget --site primary --keep-last 1
assert_exit 0 agent prune --site primary --no-forget --grace 1h --json
assert_gt "$(json_get "$LAST_OUT" sites.0.packs_marked)" 0   # x.bin's pack
cp "$OUT_DIR/x.bin" "$SRC/x.bin"                               # the same bytes come back
head -c $((200 * 1024 * 1024)) /dev/urandom > "$SRC/big.bin"   # and keep the backup busy
agent backup "$SRC" --threads 1 --json > "$OUT_DIR/bg.json" 2> "$OUT_DIR/bg.err" &
bg=$!
for _ in $(seq 1 200); do
	[[ -n $(ls -A "$WORK/primary/locks" 2>/dev/null) ]] && break
	sleep 0.05
done
assert_exit 0 agent prune --site primary --no-forget --grace 0 --lock-wait 2m --json
assert_ge "$(json_get "$LAST_OUT" sites.0.packs_unmarked)" 1 # x.bin's pack, used again
wait "$bg" || fail "the concurrent backup failed: $(cat "$OUT_DIR/bg.err")"
bg_snap=$(json_get "$OUT_DIR/bg.json" snapshot)
manifest_of "$SRC" "$OUT_DIR/mbg"
assert_exit 0 restore_cmd restore --snapshot "$bg_snap" --target "$WORK/bg" --state-dir "$WORK/fresh-bg"
manifest_of "$WORK/bg$SRC" "$OUT_DIR/rbg"
compare_manifests "$OUT_DIR/mbg" "$OUT_DIR/rbg"
cmp "$WORK/bg$SRC/x.bin" "$OUT_DIR/x.bin" || fail "x.bin (deduplicated against a marked pack) differs"
assert_exit 0 agent prune --site primary --grace 0 --no-forget --json
assert_eq "$(json_get "$LAST_OUT" sites.0.packs_unused)" 0

log "version 1 repositories are never pruned"
cp -a "$E2E_DIR/../vectors/repo-v1" "$WORK/v1"
cp "$E2E_DIR/../vectors/repo-v1.key" "$WORK/v1.key"
chmod 600 "$WORK/v1.key"
before=$(cd "$WORK/v1" && find . -type f | sort | md5sum)
assert_exit 5 env -u CAIRN_CONFIG "$CAIRN_AGENT" prune --repo "$WORK/v1" --key-file "$WORK/v1.key" --grace 0
assert_contains "$LAST_ERR" "format version 1"
assert_exit 5 env -u CAIRN_CONFIG "$CAIRN_AGENT" forget --repo "$WORK/v1" --key-file "$WORK/v1.key" --keep-last 1
assert_contains "$LAST_ERR" "format version 1"
assert_eq "$(cd "$WORK/v1" && find . -type f | sort | md5sum)" "$before"

if [[ -n "${CAIRN_TEST_S3_ENDPOINT:-}" ]]; then
	log "prune of an S3 primary: repack and deletion, then restore and check --read-data"
	source "$E2E_DIR/s3lib.sh"
	s3_require
	s3_use_repo prune
	unset CAIRN_CONFIG
	export CAIRN_KEY_FILE=$WORK/s3.key CAIRN_STATE_DIR=$WORK/s3-state
	S3SRC=$WORK/s3src
	treetool generate "$S3SRC" --seed 31 --big-mib 3 --small 60 >/dev/null
	init_repo
	assert_exit 0 agent backup "$S3SRC"
	# the big files and most small ones go: the first pack is mostly unused
	# and gets repacked
	rm -rf "$S3SRC/big"
	find "$S3SRC" -type f -size -64k | awk 'NR % 4 != 0' | xargs rm -f
	assert_exit 0 agent backup "$S3SRC" --json
	kept=$(json_get "$LAST_OUT" snapshot)
	assert_exit 0 agent prune --keep-last 1 --grace 0 --json
	cp "$LAST_OUT" "$OUT_DIR/s3-prune.json"
	assert_gt "$(json_get "$OUT_DIR/s3-prune.json" sites.0.packs_repacked)" 0
	assert_gt "$(json_get "$OUT_DIR/s3-prune.json" sites.0.packs_deleted)" 0
	manifest_of "$S3SRC" "$OUT_DIR/ms3"
	assert_exit 0 restore_cmd restore --snapshot "$kept" --target "$WORK/rs3" --state-dir "$WORK/fresh-s3"
	manifest_of "$WORK/rs3$S3SRC" "$OUT_DIR/rs3"
	compare_manifests "$OUT_DIR/ms3" "$OUT_DIR/rs3"
	assert_exit 0 agent check --read-data --state-dir "$WORK/fresh-s3b"
else
	log "no S3 test server (CAIRN_TEST_S3_ENDPOINT is unset): no S3 prune"
fi
log "OK"
