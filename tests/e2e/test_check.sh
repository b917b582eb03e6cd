#!/usr/bin/env bash
# cairn-agent check: a sound repository passes (structure, all the data, a
# seeded share of it, a replica by URL) with counts that agree with
# `snapshots --json` and the files on disk; a flipped byte in a pack is found
# only by --read-data (exit 8), which names the pack and the file that a
# restore then reports damaged; a deleted pack is found without reading data;
# bad arguments are usage errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$WORK/src"
OUT="$OUT_DIR"
init_repo

treetool generate "$SRC" --seed 31 --big-mib 24 --small 300 >"$OUT/gen.json"
log "two backups"
assert_exit 0 agent backup --quiet "$SRC"
treetool mutate "$SRC" --seed 32 --percent 5 >/dev/null
assert_exit 0 agent backup --quiet "$SRC"
assert_exit 0 agent snapshots --json
cp "$LAST_OUT" "$OUT/snaps.json"

packs_on_disk() { find "$REPO_DIR/data" -type f | wc -l; }
pack_bytes_on_disk() { find "$REPO_DIR/data" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }
PACKS="$(packs_on_disk)"
PACK_BYTES="$(pack_bytes_on_disk)"
log "$PACKS packs, $PACK_BYTES bytes"

log "structure check"
assert_exit 0 agent check --json
cp "$LAST_OUT" "$OUT/check.json"
assert_eq "$(json_get "$OUT/check.json" ok)" true "ok"
assert_eq "$(json_get "$OUT/check.json" site)" primary "site"
assert_eq "$(json_get "$OUT/check.json" stats.snapshots)" "$(json_len "$OUT/snaps.json")" "snapshots agree with 'snapshots --json'"
assert_eq "$(json_get "$OUT/check.json" stats.index_objects)" "$(find "$REPO_DIR/index" -type f | wc -l)" "index objects"
assert_eq "$(json_get "$OUT/check.json" stats.packs)" "$PACKS" "packs"
assert_eq "$(json_get "$OUT/check.json" stats.pack_bytes)" "$PACK_BYTES" "pack bytes"
assert_eq "$(json_get "$OUT/check.json" stats.packs_read)" 0 "no data read"
assert_eq "$(json_get "$OUT/check.json" stats.problems)" 0 "problems"
assert_eq "$(json_len "$OUT/check.json" problems)" 0 "problem list"
assert_eq "$(json_get "$OUT/check.json" read_data)" null "read_data"
assert_gt "$(json_get "$OUT/check.json" stats.files)" 300 "files walked"
assert_lt "$(json_get "$OUT/check.json" stats.bytes_read)" $((PACK_BYTES / 4)) "the structure check reads little"

log "human output"
assert_exit 0 agent check
assert_contains "$LAST_OUT" "no problems found"
assert_contains "$LAST_OUT" "$PACKS packs"

log "all the data"
assert_exit 0 agent check --read-data --json
cp "$LAST_OUT" "$OUT/data.json"
assert_eq "$(json_get "$OUT/data.json" stats.packs_read)" "$PACKS" "every pack read"
assert_ge "$(json_get "$OUT/data.json" stats.bytes_read)" "$PACK_BYTES" "every byte read"
assert_le "$(json_get "$OUT/data.json" stats.bytes_read)" $((PACK_BYTES + PACK_BYTES / 5)) "each pack read once"
assert_eq "$(json_get "$OUT/data.json" read_data.percent)" 100.0 "percent"

log "a seeded share"
assert_exit 0 agent check --read-data=50% --seed 5 --json
cp "$LAST_OUT" "$OUT/half.json"
assert_eq "$(json_get "$OUT/half.json" read_data.seed)" 5 "seed"
assert_eq "$(json_get "$OUT/half.json" stats.packs_read)" $(((PACKS + 1) / 2)) "half the packs"
assert_exit 0 agent check --read-data=50 --seed 5 --json
assert_eq "$(json_get "$LAST_OUT" stats.bytes_read)" "$(json_get "$OUT/half.json" stats.bytes_read)" "same seed, same packs"
assert_exit 0 agent check --read-data=10
assert_contains "$LAST_OUT" "seed "

log "a replica, by URL"
assert_exit 0 agent replicate --quiet --to "file://$WORK/replica"
assert_exit 0 agent check --site "file://$WORK/replica" --read-data --json
assert_eq "$(json_get "$LAST_OUT" site)" "file://$WORK/replica" "site"
assert_eq "$(json_get "$LAST_OUT" stats.snapshots)" "$(json_len "$OUT/snaps.json")" "replica snapshots"
assert_eq "$(json_get "$LAST_OUT" stats.packs_read)" "$PACKS" "replica packs"

log "usage errors"
assert_exit 2 agent check --read-data=0
assert_exit 2 agent check --read-data=101
assert_exit 2 agent check --seed 3
assert_exit 2 agent check --site nosuchsite
assert_exit 2 agent check extra-argument
assert_exit 0 agent check --help
assert_contains "$LAST_OUT" "Exit codes:"

log "flip one byte in a pack"
# the first blob of the largest pack: file data in backup order
PACK="$(find "$REPO_DIR/data" -type f -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2)"
PACK_NAME="${PACK#"$REPO_DIR"/}"
python3 - "$PACK" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(100)
    b = f.read(1)
    f.seek(100)
    f.write(bytes([b[0] ^ 0x20]))
EOF
assert_exit 0 agent check
assert_exit 8 agent check --read-data
assert_contains "$LAST_ERR" "$PACK_NAME"
assert_contains "$LAST_ERR" "SHA-256 mismatch"
assert_contains "$LAST_ERR" "$SRC/"
assert_contains "$LAST_OUT" "1 problem found"
assert_exit 8 agent check --read-data --json
cp "$LAST_OUT" "$OUT/damaged.json"
assert_eq "$(json_get "$OUT/damaged.json" ok)" false "ok"
assert_eq "$(json_get "$OUT/damaged.json" problems.0.object)" "$PACK_NAME" "damaged object"
assert_eq "$(json_get "$OUT/damaged.json" problems.0.kind)" damaged "kind"
AFFECTED="$(json_get "$OUT/damaged.json" problems.0.affected.0.path)"
log "affected: $AFFECTED"
case "$AFFECTED" in "$SRC"/*) ;; *) fail "affected path '$AFFECTED' is not under $SRC" ;; esac
# a restore of that snapshot reports that very file damaged
SNAP="$(json_get "$OUT/damaged.json" problems.0.affected.0.snapshot)"
assert_exit 8 restore_cmd restore --snapshot "$SNAP" --target "$WORK/restored"
assert_contains "$LAST_ERR" "$AFFECTED"

log "delete a pack"
rm -f "$PACK"
assert_exit 8 agent check
assert_contains "$LAST_ERR" "$PACK_NAME"
assert_contains "$LAST_ERR" "missing"
assert_exit 8 agent check --json
assert_eq "$(json_get "$LAST_OUT" problems.0.kind)" missing "kind"
assert_gt "$(json_get "$LAST_OUT" problems.0.uses)" 0 "uses"
