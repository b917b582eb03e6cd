#!/usr/bin/env bash
# Crashes and a full disk:
#   - backups killed with SIGKILL after several delays: after each kill every
#     snapshot listed restores and equals the tree (which never changes here),
#     and a final backup completes, reusing the packs the killed runs stored
#     (the next backup indexes orphan packs);
#   - a restore killed with SIGKILL: a fresh restore works, and so does one
#     with --overwrite into the half-written target;
#   - a repository on a full filesystem (30 MiB tmpfs): the backup fails with
#     "no space", no snapshot appears, and a small backup afterwards works.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$WORK/src"
treetool generate "$SRC" --seed 21 --big-mib 300 --small 3000 >/dev/null
manifest_of "$SRC" "$WORK/src.manifest"
init_repo

# verify_points: every snapshot listed restores without error and equals the
# tree; the listing from a fresh catalog (repository alone) is the same.
# Sets POINTS_N to the number of snapshots.
VERIFIED=" "
verify_points() {
	local n i id
	assert_exit 0 restore_cmd points --json
	cp "$LAST_OUT" "$WORK/points.json"
	assert_exit 0 restore_cmd points --json --state-dir "$WORK/state-fresh-$RANDOM$RANDOM"
	assert_eq "$(json_len "$LAST_OUT")" "$(json_len "$WORK/points.json")" "snapshots seen with a fresh catalog"
	n="$(json_len "$WORK/points.json")"
	for ((i = 0; i < n; i++)); do
		id="$(json_get "$WORK/points.json" "$i.id")"
		assert_eq "$(json_get "$WORK/points.json" "$i.partial")" "false" "snapshot $id partial"
		[[ "$VERIFIED" == *" $id "* ]] && continue
		rm -rf "$WORK/t-verify"
		assert_exit 0 restore_cmd restore --quiet --snapshot "$id" --target "$WORK/t-verify"
		manifest_of "$WORK/t-verify$SRC" "$WORK/t-verify.manifest"
		compare_manifests "$WORK/src.manifest" "$WORK/t-verify.manifest"
		VERIFIED+="$id "
		log "snapshot ${id:0:8} restores and matches the tree"
	done
	rm -rf "$WORK/t-verify"
	POINTS_N=$n
}

data_bytes() {
	if [[ -d "$1/data" ]]; then
		find "$1/data" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'
	else
		echo 0
	fi
}

# ---------------------------------------------------------------- killed backups

first_stored=""
for delay in 0.2 0.5 1.0 1.5 2.5; do
	pre="$(data_bytes "$REPO_DIR")"
	# the program itself in the background (not the `agent` function: $! would be a subshell)
	"$CAIRN_AGENT" backup --json "$SRC" >"$WORK/out/killed-backup.json" 2>"$WORK/out/killed-backup.err" &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	[[ $rc -eq 137 || $rc -eq 0 ]] || { cat "$WORK/out/killed-backup.err" >&2; fail "backup exited $rc"; }
	if [[ $rc -eq 0 && -z "$first_stored" ]]; then
		# not killed in time: this is the first backup that completed
		first_stored="$(json_get "$WORK/out/killed-backup.json" stats.bytes_stored)"
		first_pre="$pre"
	fi
	verify_points
	log "backup killed after ${delay}s (exit $rc): $(data_bytes "$REPO_DIR") bytes of packs, $POINTS_N snapshot(s)"
done

pre="$(data_bytes "$REPO_DIR")"
assert_exit 0 agent backup --json "$SRC"
if [[ -z "$first_stored" ]]; then
	first_stored="$(json_get "$LAST_OUT" stats.bytes_stored)"
	first_pre="$pre"
fi
verify_points
assert_gt "$first_pre" 0 "the killed backups stored packs (kill delays too short for this machine?)"

# the same backup into an empty repository, for the full size
assert_exit 0 agent init --quiet --repo "$WORK/ref" --key-file "$WORK/refkey"
assert_exit 0 agent backup --json --repo "$WORK/ref" --key-file "$WORK/refkey" --state-dir "$WORK/refstate" "$SRC"
full_stored="$(json_get "$LAST_OUT" stats.bytes_stored)"
rm -rf "$WORK/ref"
log "first complete backup stored $first_stored bytes; packs left by killed runs: $first_pre; full backup: $full_stored"
# what the killed runs stored is not stored again (10% and 2% slack)
assert_le $((first_stored + first_pre * 9 / 10)) $((full_stored * 102 / 100)) \
	"the first complete backup stored again data that killed runs had already stored"

# ---------------------------------------------------------------- killed restore

"$CAIRN_RESTORE" restore --quiet --at latest --target "$WORK/t-killed" >/dev/null 2>&1 &
pid=$!
sleep 1.0
kill -9 "$pid" 2>/dev/null || true
rc=0
wait "$pid" 2>/dev/null || rc=$?
log "restore killed after 1.0s (exit $rc): $(du_bytes "$WORK/t-killed") bytes written"

assert_exit 0 restore_cmd restore --quiet --at latest --target "$WORK/t-fresh"
manifest_of "$WORK/t-fresh$SRC" "$WORK/t-fresh.manifest"
compare_manifests "$WORK/src.manifest" "$WORK/t-fresh.manifest"
rm -rf "$WORK/t-fresh"

# ---------------------------------------------------------------- full disk

FS="$WORK/fs"
mkdir -p "$FS"
full_disk() {
	if ! mount -t tmpfs -o size=30m tmpfs "$FS" 2>"$WORK/out/mount.err"; then
		log "SKIP full-disk part: cannot mount a tmpfs: $(cat "$WORK/out/mount.err")"
		return 0
	fi
	on_exit "umount '$FS'"
	fsopts=(--repo "$FS/repo" --key-file "$WORK/fskey" --state-dir "$WORK/fsstate")

	mkdir -p "$WORK/smallA" "$WORK/smallB" "$WORK/big"
	for i in 1 2 3; do
		head -c 500000 /dev/urandom >"$WORK/smallA/a$i"
		head -c 700000 /dev/urandom >"$WORK/smallB/b$i"
	done
	echo "text" >"$WORK/smallB/note.txt"
	head -c $((100 * 1024 * 1024)) /dev/urandom >"$WORK/big/random.bin"

	assert_exit 0 agent init --quiet "${fsopts[@]}"
	assert_exit 0 agent backup --quiet "${fsopts[@]}" "$WORK/smallA"
	assert_exit 0 restore_cmd points --json "${fsopts[@]}"
	assert_eq "$(json_len "$LAST_OUT")" 1

	rc=0
	agent backup --quiet "${fsopts[@]}" "$WORK/big" >"$WORK/out/nospace.out" 2>"$WORK/out/nospace.err" || rc=$?
	cat "$WORK/out/nospace.err" >&2
	assert_ne "$rc" 0 "backup onto a full disk"
	assert_contains "$WORK/out/nospace.err" "no space"
	assert_exit 0 restore_cmd points --json "${fsopts[@]}"
	assert_eq "$(json_len "$LAST_OUT")" 1 "snapshots after the failed backup"
	assert_exit 0 restore_cmd points --json --repo "$FS/repo" --key-file "$WORK/fskey" --state-dir "$WORK/fsstate2"
	assert_eq "$(json_len "$LAST_OUT")" 1 "snapshots after the failed backup (fresh catalog)"
	rm -rf "$WORK/big"

	assert_exit 0 agent backup --quiet "${fsopts[@]}" "$WORK/smallB"
	assert_exit 0 restore_cmd points --json "${fsopts[@]}"
	assert_eq "$(json_len "$LAST_OUT")" 2
	for tree in smallA smallB; do
		manifest_of "$WORK/$tree" "$WORK/$tree.manifest"
	done
	idB="$(json_get "$LAST_OUT" 1.id)"
	idA="$(json_get "$LAST_OUT" 0.id)"
	assert_exit 0 restore_cmd restore --quiet "${fsopts[@]}" --snapshot "$idB" --target "$WORK/tB"
	manifest_of "$WORK/tB$WORK/smallB" "$WORK/tB.manifest"
	compare_manifests "$WORK/smallB.manifest" "$WORK/tB.manifest"
	assert_exit 0 restore_cmd restore --quiet "${fsopts[@]}" --snapshot "$idA" --target "$WORK/tA"
	manifest_of "$WORK/tA$WORK/smallA" "$WORK/tA.manifest"
	compare_manifests "$WORK/smallA.manifest" "$WORK/tA.manifest"
}
full_disk

# ---------------------------------------------------------------- killed restore, continued

# a restore with --overwrite into what the killed restore left gives the tree
# too (hardlinks included)
assert_exit 0 restore_cmd restore --quiet --at latest --target "$WORK/t-killed" --overwrite
manifest_of "$WORK/t-killed$SRC" "$WORK/t-killed.manifest"
compare_manifests "$WORK/src.manifest" "$WORK/t-killed.manifest"
