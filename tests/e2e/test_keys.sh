#!/usr/bin/env bash
# Keys: a repository created with a passphrase opens with it (file or
# CAIRN_PASSPHRASE) and refuses a wrong one (exit 4); a second key (a key
# file) added with `key add` opens the same repository and data; `key remove`
# refuses the key in use and removes another; a removed key no longer opens
# the repository. Against planted objects (issue 11): key objects declaring
# a huge Argon2id cost are skipped with a warning (and named when nothing
# opens), the key that opened last is tried first, `key list` names unusable
# key objects (exit 8) and lists the others, an oversized config is refused
# unread (exit 5), and init refuses an existing repository or a non-empty
# directory (exit 2) without touching it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$WORK/src"
OUT="$OUT_DIR"
PASS="$WORK/passphrase"
KEY2="$WORK/key2"
printf 'correct horse battery staple\n' >"$PASS"
printf 'correct horse battery stapler\n' >"$WORK/wrong"
chmod 600 "$PASS" "$WORK/wrong"
unset CAIRN_KEY_FILE
export CAIRN_PASSPHRASE_FILE="$PASS"

log "init with a passphrase file"
assert_exit 0 agent init --quiet
[[ ! -e "$WORK/key" ]] || fail "init with a passphrase created a key file"
treetool generate "$SRC" --seed 71 --small 30 >/dev/null
treetool manifest "$SRC" --out "$OUT/manifest"
assert_exit 0 agent backup --json --quiet "$SRC"
SNAP="$(json_get "$LAST_OUT" snapshot)"

log "wrong passphrase"
for cmd in "agent snapshots" "agent backup --quiet $SRC" "restore_cmd points"; do
	# shellcheck disable=SC2086
	CAIRN_PASSPHRASE_FILE="$WORK/wrong" assert_exit 4 $cmd
	assert_contains "$LAST_ERR" "wrong key or passphrase"
done
CAIRN_PASSPHRASE_FILE="$WORK/wrong" assert_exit 4 restore_cmd restore --at latest --target "$WORK/r-wrong"
assert_contains "$LAST_ERR" "wrong key or passphrase"
assert_empty_dir "$WORK/r-wrong"
# A key file of the right format but for another repository is a wrong key too.
CAIRN_REPO="file://$WORK/other-repo" CAIRN_STATE_DIR="$WORK/other-state" CAIRN_KEY_FILE="$WORK/other-key" \
	assert_exit 0 env -u CAIRN_PASSPHRASE_FILE "$CAIRN_AGENT" init --quiet
assert_exit 4 env -u CAIRN_PASSPHRASE_FILE CAIRN_KEY_FILE="$WORK/other-key" "$CAIRN_AGENT" snapshots
assert_contains "$LAST_ERR" "wrong key or passphrase"
# Only one snapshot: the failed backup stored nothing.
assert_exit 0 agent snapshots --json
assert_eq "$(json_len "$LAST_OUT")" 1 "snapshots after the wrong-passphrase attempts"

log "CAIRN_PASSPHRASE"
assert_exit 0 env -u CAIRN_PASSPHRASE_FILE CAIRN_PASSPHRASE='correct horse battery staple' "$CAIRN_AGENT" snapshots --json
assert_eq "$(json_get "$LAST_OUT" 0.id)" "$SNAP" "CAIRN_PASSPHRASE: snapshot"
assert_exit 4 env -u CAIRN_PASSPHRASE_FILE CAIRN_PASSPHRASE='correct horse' "$CAIRN_AGENT" snapshots
assert_contains "$LAST_ERR" "wrong key or passphrase"

log "key add --new-key-file"
assert_exit 0 agent key add --new-key-file "$KEY2" --label second
[[ -s "$KEY2" ]] || fail "key add did not create $KEY2"
assert_eq "$(stat -c %a "$KEY2")" 600 "mode of the new key file"
assert_exit 0 agent key list --json
cp "$LAST_OUT" "$OUT/keys.json"
assert_eq "$(json_len "$OUT/keys.json")" 2 "key list: number of keys"
read -r PASS_ID KEY2_ID < <(python3 - "$OUT/keys.json" <<'EOF'
import json, sys
keys = json.load(open(sys.argv[1]))
cur = [k for k in keys if k["current"]]
other = [k for k in keys if not k["current"]]
assert len(cur) == 1 and len(other) == 1, keys
assert cur[0]["kind"] == "passphrase", cur
assert other[0]["kind"] == "keyfile" and other[0]["label"] == "second", other
print(cur[0]["id"], other[0]["id"])
EOF
)
assert_ne "$PASS_ID" "$KEY2_ID" "key ids"

log "the new key opens the repository"
export CAIRN_KEY_FILE="$KEY2"
unset CAIRN_PASSPHRASE_FILE
assert_exit 0 agent key list --json
assert_eq "$(python3 -c 'import json,sys; print([k["id"] for k in json.load(open(sys.argv[1])) if k["current"]][0])' "$LAST_OUT")" \
	"$KEY2_ID" "key list with the new key: current key"
assert_exit 0 restore_cmd restore --at latest --target "$WORK/r-key2" --json --quiet
assert_eq "$(json_get "$LAST_OUT" point.id)" "$SNAP" "new key: restored point"
treetool manifest "$WORK/r-key2$SRC" --out "$OUT/restored-key2"
compare_manifests "$OUT/manifest" "$OUT/restored-key2"
# A fresh state dir with the new key (nothing cached from the passphrase).
CAIRN_STATE_DIR="$WORK/state-key2" assert_exit 0 restore_cmd points --json
assert_eq "$(json_len "$LAST_OUT")" 1 "points with the new key and a fresh state dir"
# Both keys write to the same repository.
echo "written with key2" >"$SRC/files/key2.txt"
assert_exit 0 agent backup --json --quiet "$SRC"
SNAP2="$(json_get "$LAST_OUT" snapshot)"
CAIRN_PASSPHRASE_FILE="$PASS" assert_exit 0 env -u CAIRN_KEY_FILE "$CAIRN_RESTORE" points --json
assert_eq "$(json_get "$LAST_OUT" 1.id)" "$SNAP2" "passphrase sees the snapshot written with the key file"

log "key remove"
# The key in use is refused, by full id and by prefix.
for id in "$KEY2_ID" "${KEY2_ID:0:16}"; do
	assert_exit 2 agent key remove "$id"
	assert_contains "$LAST_ERR" "key in use"
	assert_exit 0 agent key list --json
	assert_eq "$(json_len "$LAST_OUT")" 2 "keys after refusing to remove the key in use"
done
# Removing the other key (the passphrase) works.
assert_exit 0 agent key remove "$PASS_ID"
assert_exit 0 agent key list --json
assert_eq "$(json_len "$LAST_OUT")" 1 "keys after removing the passphrase key"
assert_eq "$(json_get "$LAST_OUT" 0.id)" "$KEY2_ID" "remaining key"
# The removed passphrase no longer opens the repository; the key file still does.
assert_exit 4 env -u CAIRN_KEY_FILE CAIRN_PASSPHRASE_FILE="$PASS" "$CAIRN_AGENT" snapshots
assert_contains "$LAST_ERR" "wrong key or passphrase"
assert_exit 4 env -u CAIRN_KEY_FILE CAIRN_PASSPHRASE='correct horse battery staple' "$CAIRN_RESTORE" points
assert_exit 0 agent snapshots --json
assert_eq "$(json_len "$LAST_OUT")" 2 "snapshots with the remaining key"
# The last key cannot be removed.
assert_exit 2 agent key remove "$KEY2_ID"
assert_exit 0 agent snapshots --json
assert_exit 0 agent key list --json
assert_eq "$(json_len "$LAST_OUT")" 1 "keys after refusing to remove the last key"

# Issue 11: a party that can write to the storage but has no key must not be
# able to slow down or exhaust an open, nor stop `key list`.
log "planted key objects with a huge Argon2id cost are skipped, not run"
export CAIRN_REPO="file://$WORK/repo3" CAIRN_STATE_DIR="$WORK/state3" CAIRN_PASSPHRASE_FILE="$PASS"
unset CAIRN_KEY_FILE
assert_exit 0 agent init --quiet
assert_exit 0 agent backup --json --quiet "$SRC"
SNAP3="$(json_get "$LAST_OUT" snapshot)"
PLANT_A=3eb7b77a201dce1df84121853d7f4416dc080e0a4e893aa50c4157cec95d9322
PLANT_B=0116f4d4b218f5291e2fc2c4d234a56109ade62fa9402163eca662c238de3833
for id in $PLANT_A $PLANT_B; do
	# the format's maximum: 64 passes over 4 GiB each (minutes and 4 GiB of memory if run)
	printf '{"version": 1, "kind": "passphrase", "kdf": "argon2id13", "opslimit": 64, "memlimit": 4294967296, "salt": "%032d", "nonce": "%048d", "wrapped": "%096d", "created": "", "host": "evil", "label": "planted"}\n' 0 0 0 \
		>"$WORK/repo3/keys/$id"
done
# a fresh state directory (no remembered key): every key object may be looked at
start=$SECONDS
CAIRN_STATE_DIR="$WORK/state3-fresh" assert_exit 0 restore_cmd points --json
assert_eq "$(json_get "$LAST_OUT" 0.id)" "$SNAP3" "points with planted costly keys"
CAIRN_PASSPHRASE_FILE="$WORK/wrong" assert_exit 4 restore_cmd points
assert_le $((SECONDS - start)) 30 "seconds for two opens with planted costly keys"
assert_contains "$LAST_ERR" "wrong key or passphrase"
assert_contains "$LAST_ERR" "skipped 2 whose argon2id cost is above this host's limit"
assert_contains "$LAST_ERR" "${PLANT_A:0:16}"
assert_contains "$LAST_ERR" "CAIRN_KDF_MAX_OPSLIMIT"
assert_contains "$LAST_ERR" "warning: skipping key object 'keys/$PLANT_B': key object declares an argon2id opslimit of 64"
# the key that opened last on this host is tried first: no warning at all
assert_exit 0 restore_cmd points
assert_not_contains "$LAST_ERR" "skipping"
[[ -s "$WORK/state3-fresh/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/repo3/config")" ]] ||
	fail "no cache directory for repo3"
find "$WORK/state3-fresh" -name last-key | grep . >/dev/null || fail "no last-key file next to the catalog"

log "key list names an unusable key object and lists the others"
head -c 10000000 /dev/zero >"$WORK/repo3/keys/$PLANT_A"
printf '{"version": 1, "version": 1}' >"$WORK/repo3/keys/$PLANT_B"
assert_exit 8 agent key list --json
assert_eq "$(json_len "$LAST_OUT")" 3 "key list entries with two unusable key objects"
python3 - "$LAST_OUT" "$PLANT_A" "$PLANT_B" <<'PY'
import json, sys
keys = {k["id"]: k for k in json.load(open(sys.argv[1]))}
a, b = keys[sys.argv[2]], keys[sys.argv[3]]
assert a["kind"] == "unusable" and "has 10000000 bytes, more than the 65536" in a["error"], a
assert b["kind"] == "unusable" and "duplicate" in b["error"], b
good = [k for k in keys.values() if k["kind"] == "passphrase"]
assert len(good) == 1 and good[0]["current"], keys
PY
assert_contains "$LAST_ERR" "key object 'keys/$PLANT_A' is unusable"
assert_exit 8 agent key list
assert_contains "$LAST_OUT" "${PLANT_B:0:16}  unusable"
# the 10 MB key object is not read when opening either (fresh state: listing order)
CAIRN_STATE_DIR="$WORK/state3-fresh2" assert_exit 0 restore_cmd points --json
assert_eq "$(json_get "$LAST_OUT" 0.id)" "$SNAP3" "points with an oversized key object"
assert_exit 0 agent key remove "${PLANT_A:0:16}"
assert_exit 0 agent key remove "${PLANT_B:0:16}"
assert_exit 0 agent key list --json
assert_eq "$(json_len "$LAST_OUT")" 1 "keys after removing the unusable ones"

log "an oversized config is refused unread"
cp "$WORK/repo3/config" "$OUT/config3"
{ head -c 70000 /dev/zero | tr '\0' ' '; cat "$OUT/config3"; } >"$WORK/repo3/config"
assert_exit 5 restore_cmd points
assert_contains "$LAST_ERR" "config object 'config' has 70"
assert_contains "$LAST_ERR" "more than the 65536"
cp "$OUT/config3" "$WORK/repo3/config"
assert_exit 0 restore_cmd points

log "init refuses a location that is not empty"
assert_exit 2 agent init
assert_contains "$LAST_ERR" "a Cairn repository (id "
assert_contains "$LAST_ERR" "already exists at"
mkdir -p "$WORK/notrepo/docs"
echo "keep me" >"$WORK/notrepo/docs/notes.txt"
assert_exit 2 agent init --repo "$WORK/notrepo"
assert_contains "$LAST_ERR" "is not empty (it holds 'docs/notes.txt') and is not a Cairn repository"
assert_eq "$(find "$WORK/notrepo" -mindepth 1 | sort | tr '\n' ' ')" \
	"$WORK/notrepo/docs $WORK/notrepo/docs/notes.txt " "the non-empty directory after a refused init"
