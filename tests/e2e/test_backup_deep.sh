#!/usr/bin/env bash
# Deep and wide trees back up with bounded resources. A chain of 3,000
# directories (its deepest paths, 6 KB, beyond PATH_MAX) backs up under
# `ulimit -n 256` with exit 0, no warning, every level and both files counted,
# and `check` accepts it; backed up again, nothing is read (the files cache
# works beyond PATH_MAX). A directory of 100,000 files backs up, then is found
# unchanged. Time and peak RSS of each backup are logged. (Every level's tree
# and the deepest file's content are checked in tests/unit/backup/test_backup_walk.c.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEPTH=3000
WIDE=100000
SRC="$WORK/src"
init_repo --quiet

# the deepest path is longer than PATH_MAX: create it relative to dir fds
python3 - "$SRC" "$DEPTH" <<'EOF'
import os, sys
root, depth = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(root, "deep"))
fd = os.open(os.path.join(root, "deep"), os.O_RDONLY | os.O_DIRECTORY)
for i in range(1, depth + 1):
    os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
    if i in (depth // 2, depth):
        f = os.open("level.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
        os.write(f, b"level %d\n" % i)
        os.close(f)
os.close(fd)
EOF

# Run a command under `ulimit -n 256`, with its time and peak RSS measured
# into $OUT_DIR/time when /usr/bin/time is there.
limited() {
	rm -f "$OUT_DIR/time"
	(
		ulimit -n 256
		if [[ -x /usr/bin/time ]]; then
			exec /usr/bin/time -f '%e s %M KiB' -o "$OUT_DIR/time" "$@"
		fi
		exec "$@"
	)
}
report_time() {
	if [[ -f "$OUT_DIR/time" ]]; then
		log "$1: $(cat "$OUT_DIR/time")"
	fi
}

# the given path and its parents are directories of the snapshot too
ancestors=$(tr -cd '/' <<<"$SRC/deep" | wc -c)

log "backup of a $DEPTH-level chain under ulimit -n 256"
assert_exit 0 limited "$CAIRN_AGENT" backup --json --quiet "$SRC/deep"
report_time "deep backup"
assert_eq "$(json_get "$LAST_OUT" stats.errors)" 0 "deep: errors"
assert_eq "$(json_get "$LAST_OUT" stats.files)" 2 "deep: files"
assert_eq "$(json_get "$LAST_OUT" stats.dirs)" $((DEPTH + ancestors)) "deep: directories"
assert_not_contains "$LAST_ERR" "warning:"

log "check"
assert_exit 0 agent check

log "again, unchanged: nothing read"
assert_exit 0 limited "$CAIRN_AGENT" backup --json --quiet "$SRC/deep"
assert_eq "$(json_get "$LAST_OUT" stats.files_unchanged)" 2 "deep again: files_unchanged"
assert_eq "$(json_get "$LAST_OUT" stats.bytes_read)" 0 "deep again: bytes_read"

log "$WIDE files in one directory"
python3 - "$SRC/wide" "$WIDE" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
for i in range(n):
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(b"file %d\n" % i)
EOF
assert_exit 0 limited "$CAIRN_AGENT" backup --json --quiet "$SRC/wide"
report_time "wide backup"
assert_eq "$(json_get "$LAST_OUT" stats.errors)" 0 "wide: errors"
assert_eq "$(json_get "$LAST_OUT" stats.files)" "$WIDE" "wide: files"
assert_exit 0 limited "$CAIRN_AGENT" backup --json --quiet "$SRC/wide"
report_time "wide backup, unchanged"
assert_eq "$(json_get "$LAST_OUT" stats.files_unchanged)" "$WIDE" "wide again: files_unchanged"
assert_eq "$(json_get "$LAST_OUT" stats.bytes_read)" 0 "wide again: bytes_read"
