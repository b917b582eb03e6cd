#!/usr/bin/env bash
# Incremental backups: an unchanged tree is not read again and adds nothing;
# after changing 1% of the files only those are read, and the repository grows
# by about the changed bytes; a small change inside a big file costs a few
# chunks, not the file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MiB=$((1024 * 1024))
CHUNK_MAX=$((4 * MiB)) # CAIRN_CHUNK_MAX_DEFAULT
SRC="$WORK/src"
OUT="$WORK/out" # scratch files: writing into $WORK would change the metadata of a parent of $SRC
init_repo --quiet

treetool generate "$SRC" --seed 7 --big-mib 64 --small 3000 >"$OUT/gen.json"
FILES="$(json_get "$OUT/gen.json" regular_files)"
TREE_BYTES="$(json_get "$OUT/gen.json" regular_bytes)"

log "backup 1 (full)"
assert_exit 0 agent backup --json --quiet "$SRC"
cp "$LAST_OUT" "$OUT/b1.json"
assert_eq "$(json_get "$OUT/b1.json" stats.files_unchanged)" 0 "first backup: files_unchanged"
assert_ge "$(json_get "$OUT/b1.json" stats.bytes_read)" "$TREE_BYTES" "first backup reads the whole tree"

log "backup 2 (unchanged)"
size_before="$(du_bytes "$REPO_DIR")"
assert_exit 0 agent backup --json --quiet "$SRC"
cp "$LAST_OUT" "$OUT/b2.json"
size_after="$(du_bytes "$REPO_DIR")"
assert_eq "$(json_get "$OUT/b2.json" stats.bytes_read)" 0 "unchanged tree: bytes_read"
assert_eq "$(json_get "$OUT/b2.json" stats.files_unchanged)" "$FILES" "unchanged tree: files_unchanged"
assert_eq "$(json_get "$OUT/b2.json" stats.files)" "$FILES" "unchanged tree: files"
# Only tree blobs of the directories above the source may be new: their
# mtimes change when other tests write next to this one (the root tree mirrors
# absolute paths). No file data is added.
assert_le "$(json_get "$OUT/b2.json" stats.bytes_added)" 4096 "unchanged tree: bytes_added (ancestor trees only)"
assert_eq "$(json_get "$OUT/b2.json" stats.errors)" 0 "unchanged tree: errors"
assert_le $((size_after - size_before)) $((64 * 1024)) "unchanged tree: repository growth"

log "mutate 1%"
CHANGED="$(treetool mutate "$SRC" --seed 8 --percent 1 --report "$OUT/mutate.json")"
treetool manifest "$SRC" --out "$OUT/manifest3"
# Bytes the next backup must read: the changed and the added files. Changes to
# files bigger than the minimum chunk may rewrite up to two whole chunks.
read -r MUST_READ LARGE_CHANGED < <(python3 - "$OUT/mutate.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
must = sum(c["size_after"] for c in r["changed"]) + sum(a["size"] for a in r["added"])
large = sum(1 for c in r["changed"] if c["size_before"] > 256 * 1024 and c["op"] != "replace")
print(must, large)
EOF
)
log "changed $CHANGED bytes; $MUST_READ bytes to read; $LARGE_CHANGED large files changed in place"

size_before="$(du_bytes "$REPO_DIR")"
assert_exit 0 agent backup --json --quiet "$SRC"
cp "$LAST_OUT" "$OUT/b3.json"
size_after="$(du_bytes "$REPO_DIR")"
growth=$((size_after - size_before))
bytes_read="$(json_get "$OUT/b3.json" stats.bytes_read)"
log "repository grew by $growth bytes; backup read $bytes_read bytes"
assert_le "$growth" $((2 * CHANGED + MiB + LARGE_CHANGED * 2 * CHUNK_MAX)) "1% changed: repository growth"
assert_lt "$growth" $((TREE_BYTES / 10)) "1% changed: growth well below the tree size"
assert_ge "$bytes_read" "$MUST_READ" "1% changed: every changed or added file is read"
# Slack for hardlinked siblings of changed/deleted files (their ctime changes).
assert_le "$bytes_read" $((MUST_READ + 256 * 1024)) "1% changed: only changed files are read"
assert_lt "$bytes_read" $((TREE_BYTES / 10)) "1% changed: bytes_read much less than the tree"
unchanged="$(json_get "$OUT/b3.json" stats.files_unchanged)"
files3="$(json_get "$OUT/b3.json" stats.files)"
assert_ge "$unchanged" $((files3 - $(json_len "$OUT/mutate.json" changed) - $(json_len "$OUT/mutate.json" added) - 5)) \
	"1% changed: files_unchanged"

log "overwrite 4 KiB in the middle of the 64 MiB file"
python3 - "$SRC/big/big.bin" <<'EOF'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(30 * 1024 * 1024 + 777)
    f.write(os.urandom(4096))
EOF
size_before="$(du_bytes "$REPO_DIR")"
assert_exit 0 agent backup --json --quiet "$SRC"
cp "$LAST_OUT" "$OUT/b4.json"
size_after="$(du_bytes "$REPO_DIR")"
growth=$((size_after - size_before))
log "repository grew by $growth bytes"
assert_eq "$(json_get "$OUT/b4.json" stats.bytes_read)" $((64 * MiB)) "big file change: bytes_read"
assert_le "$growth" $((2 * CHUNK_MAX + MiB)) "big file change: repository growth (a few chunks)"
treetool manifest "$SRC" --out "$OUT/manifest4"

log "restore the last two snapshots"
for n in 3 4; do
	id="$(json_get "$OUT/b$n.json" snapshot)"
	assert_exit 0 restore_cmd restore --snapshot "$id" --target "$WORK/r$n" --quiet
	treetool manifest "$WORK/r$n$SRC" --out "$OUT/restored$n"
	compare_manifests "$OUT/manifest$n" "$OUT/restored$n"
	rm -rf "$WORK/r$n"
done
