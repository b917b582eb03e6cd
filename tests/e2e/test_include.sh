#!/usr/bin/env bash
# --include restores only the selected entries (a directory with everything
# below it, or what a glob matches) and the directories leading to them, with
# their metadata; nothing else is created in the target.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$WORK/src"
OUT="$OUT_DIR"
init_repo --quiet

treetool generate "$SRC" --seed 61 --small 250 >/dev/null
treetool manifest "$SRC" --out "$OUT/manifest"
assert_exit 0 agent backup --json --quiet "$SRC"

# check_include NAME "ONLY..." INCLUDE-PATTERN...
#   ONLY: space-separated paths relative to $SRC that must be restored (with
#   everything below them and the directories leading to them), nothing else.
check_include() {
	local name=$1 only=$2 target="$WORK/r-$1" rel args=()
	shift 2
	for rel in $only; do
		args+=(--only "$rel")
	done
	local inc=()
	for rel in "$@"; do
		inc+=(--include "$rel")
	done
	log "include $name: $*"
	assert_exit 0 restore_cmd restore --at latest "${inc[@]}" --target "$target" --json --quiet
	cp "$LAST_OUT" "$OUT/r-$name.json"
	assert_eq "$(json_get "$OUT/r-$name.json" restored.errors)" 0 "$name: errors"
	# Everything in the target is on the way to $SRC or below it.
	local stray
	stray="$(python3 - "$target" "$SRC" <<'EOF'
import os, sys
target, src = (os.fsencode(a) for a in sys.argv[1:3])
for d, dirs, files in os.walk(target):
    for n in dirs + files:
        p = os.path.join(d, n)[len(target):]
        if not (src.startswith(p + b"/") or p == src or p.startswith(src + b"/")):
            print(repr(p))
EOF
)"
	assert_eq "$stray" "" "$name: entries outside $SRC in the target"
	treetool manifest "$SRC" "${args[@]}" --with-parents --out "$OUT/expected-$name"
	treetool manifest "$target$SRC" --out "$OUT/restored-$name"
	treetool compare "$OUT/expected-$name" "$OUT/restored-$name" ||
		fail "$name: restored entries differ from the selection (expected $only)"
	# The number of restored regular files matches the selection.
	local want
	want="$(grep -c ' type=f ' "$OUT/expected-$name" || true)"
	assert_eq "$(json_get "$OUT/r-$name.json" restored.files)" "$want" "$name: restored.files"
}

# One subdirectory (with everything below it).
check_include subdir "deep/a/b" "$SRC/deep/a/b"
# A trailing-slash-free directory that contains the awkward names.
check_include names "names" "$SRC/names"
# A glob: matches files/small_4k files/exact_4k files/text_3m.txt
# files/random_2m.bin files/mixed_1m files/small_zeros, not files/empty or files/one.
check_include glob "files/small_4k files/exact_4k files/text_3m.txt files/random_2m.bin files/mixed_1m files/small_zeros" \
	"$SRC/files/*_*"
# A glob on a single character class, in a deeper directory.
check_include glob2 "small/d001/f00100 small/d001/f00101 small/d001/f00102 small/d001/f00103 small/d001/f00104 small/d001/f00105 small/d001/f00106 small/d001/f00107 small/d001/f00108 small/d001/f00109" \
	"$SRC/small/d001/f0010[0-9]"
# Several patterns at once, including a special file and a symlink.
check_include several "special/fifo links/rel modes/sticky" \
	"$SRC/special/fifo" "$SRC/links/rel" "$SRC/modes/sticky"
# Hardlinks whose other links are not selected still get their content, and
# the selected links of one inode stay one inode.
check_include hardlinks "hard/pair_b hard/tri_2 hard/sub/tri_3" \
	"$SRC/hard/pair_b" "$SRC/hard/tri_2" "$SRC/hard/sub"
# A pattern that matches nothing is an error (exit 2) and restores nothing.
assert_exit 2 restore_cmd restore --at latest --include "$SRC/no/such/entry" --target "$WORK/r-none" --quiet
assert_contains "$LAST_ERR" "matches the include patterns"
assert_empty_dir "$WORK/r-none"
