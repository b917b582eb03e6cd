#!/usr/bin/env bash
# The scale benchmark's tools still work (bench/gen_tree.py, bench/scale.sh,
# bench/scale_report.py; bench/README.md "Scale"), on tiny sizes:
#   - gen_tree.py is deterministic: the same seed gives the same names and
#     bytes, another seed a different tree; the file count is the one asked;
#   - scale.sh --tools cairn on a 300-file tree and a 3,000-blob repository
#     (crafted tiny chunker) runs every step with exit 0, every restore
#     matches its source, and the repository really holds ~3,000 blobs;
#   - scale_report.py turns its raw.csv into one table per set.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH=$(cd "$E2E_DIR/../../bench" && pwd)
unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR

digest() { # DIR: one hash over every relative path, size and content
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

python3 "$BENCH/gen_tree.py" --root "$WORK/a" --files 2000 --seed 7 > "$OUT_DIR/a.json"
python3 "$BENCH/gen_tree.py" --root "$WORK/b" --files 2000 --seed 7 > "$OUT_DIR/b.json"
python3 "$BENCH/gen_tree.py" --root "$WORK/c" --files 2000 --seed 8 > "$OUT_DIR/c.json"
assert_eq "$(find "$WORK/a" -type f | wc -l)" 2000 "gen_tree.py file count"
assert_eq "$(digest "$WORK/a")" "$(digest "$WORK/b")" "same seed, same tree"
assert_ne "$(digest "$WORK/a")" "$(digest "$WORK/c")" "another seed, another tree"
assert_eq "$(json_get "$OUT_DIR/a.json" files)" 2000 "summary line"
assert_exit 1 python3 "$BENCH/gen_tree.py" --root "$WORK/a" --files 10 # refuses an existing root
rm -rf "$WORK/a" "$WORK/b" "$WORK/c"

assert_exit 0 bash "$BENCH/scale.sh" --work "$WORK/scale" --bin-dir "$(dirname "$CAIRN_AGENT")" --tools cairn \
	--trees 300 --blobs 3000
CSV=$WORK/scale/results/raw.csv
for row in tree300,cairn,backup-first tree300,cairn,backup-unchanged tree300,cairn,restore \
	tree300,cairn,restore-fresh-state tree300,cairn,check blobs3000,cairn,build-backup \
	blobs3000,cairn,small-backup blobs3000,cairn,small-restore blobs3000,cairn,small-restore-fresh-state \
	blobs3000,cairn,check; do
	assert_contains "$CSV" "$row,"
done
# every row: exit status 0 (last column), a peak RSS and a catalog size
awk -F, 'NR > 1 && ($10 != 0 || $7 <= 0 || $8 <= 0) { print "bad row: " $0; bad = 1 } END { exit bad }' "$CSV" \
	|| fail "a scale.sh step failed: $(cat "$CSV")"
[ ! -e "$WORK/scale/results/problems.txt" ] || fail "a restore differs: $(cat "$WORK/scale/results/problems.txt")"
blobs=$(json_get "$WORK/scale/results/logs/blobs3000-build-stats.json" stats.blobs_added)
assert_ge "$blobs" 2000 "tiny chunker: blobs of the 3,000-blob repository"
assert_le "$blobs" 4500 "tiny chunker: blobs of the 3,000-blob repository"
# the repositories are deleted once measured, the generated tree is kept
[ ! -e "$WORK/scale/cairn-tree300" ] && [ -d "$WORK/scale/tree300" ] || fail "scale.sh left the wrong things behind"

python3 "$BENCH/scale_report.py" "$CSV" > "$OUT_DIR/report.md"
assert_contains "$OUT_DIR/report.md" "### tree300"
assert_contains "$OUT_DIR/report.md" "| cairn | small-restore-fresh-state | 1 |"
log "ok"
