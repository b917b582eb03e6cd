#!/usr/bin/env bash
# Restore with the real programs: a tree 1,900 directories deep (the depth the
# backup accepts today: 3.8 KB of path) under `ulimit -n 256`, and a hardlink
# group replaced by another snapshot's with --overwrite (every name gets the
# new content, one inode, exit 0).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$WORK/src"
DEPTH=1900
init_repo --quiet

# --- a deep tree, restored under a low descriptor limit -----------------------
log "generating a $DEPTH-level tree"
mkdir -p "$SRC/deep"
python3 - "$SRC/deep" "$DEPTH" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for i in range(int(sys.argv[2])):
    os.mkdir("d", 0o750, dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    if i % 100 == 0:
        f = os.open("f", os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=nfd)
        os.write(f, b"level %d\n" % i)
        os.close(f)
    os.close(fd)
    fd = nfd
f = os.open("deepest.txt", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
os.write(f, b"the deepest file\n")
os.close(f)
EOF
assert_exit 0 agent backup --json --quiet "$SRC/deep"
cp "$LAST_OUT" "$OUT_DIR/deep-backup.json"
deep_snap="$(json_get "$OUT_DIR/deep-backup.json" snapshot)"

log "restore under ulimit -n 256"
assert_exit 0 bash -c 'ulimit -n 256 && exec "$@"' _ "$CAIRN_RESTORE" restore --snapshot "$deep_snap" \
	--target "$WORK/r-deep" --json --quiet
cp "$LAST_OUT" "$OUT_DIR/deep-restore.json"
assert_eq "$(json_get "$OUT_DIR/deep-restore.json" restored.errors)" 0 "deep: errors"
assert_eq "$(json_get "$OUT_DIR/deep-restore.json" restored.files)" $((DEPTH / 100 + 1)) "deep: files"

# Compare both trees by descriptor (the restored paths are longer than
# PATH_MAX): names, types, modes, mtimes and contents at every level.
python3 - "$SRC/deep" "$WORK/r-deep$SRC/deep" "$DEPTH" <<'EOF' || fail "deep: the restored tree differs"
import os, stat, sys
a = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
b = os.open(sys.argv[2], os.O_RDONLY | os.O_DIRECTORY)
levels = 0
while True:
    na, nb = sorted(os.listdir(a)), sorted(os.listdir(b))
    assert na == nb, (levels, na, nb)
    for n in na:
        sa = os.stat(n, dir_fd=a, follow_symlinks=False)
        sb = os.stat(n, dir_fd=b, follow_symlinks=False)
        assert stat.S_IFMT(sa.st_mode) == stat.S_IFMT(sb.st_mode), (levels, n)
        assert stat.S_IMODE(sa.st_mode) == stat.S_IMODE(sb.st_mode), (levels, n, oct(sa.st_mode), oct(sb.st_mode))
        assert sa.st_mtime_ns == sb.st_mtime_ns, (levels, n)
        if stat.S_ISREG(sa.st_mode):
            fa = os.open(n, os.O_RDONLY, dir_fd=a)
            fb = os.open(n, os.O_RDONLY, dir_fd=b)
            assert os.read(fa, 1 << 16) == os.read(fb, 1 << 16), (levels, n)
            os.close(fa)
            os.close(fb)
    if "d" not in na:
        break
    a2 = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=a)
    b2 = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=b)
    os.close(a); os.close(b)
    a, b = a2, b2
    levels += 1
assert levels == int(sys.argv[3]), levels
f = os.open("deepest.txt", os.O_RDONLY, dir_fd=b)
assert os.read(f, 100) == b"the deepest file\n"
EOF
rm -rf "$WORK/r-deep" "$SRC/deep"

# --- hardlinks replaced with --overwrite ----------------------------------------
mkdir -p "$SRC/links/sub"
printf 'old\n' >"$SRC/links/x"
ln "$SRC/links/x" "$SRC/links/y"
ln "$SRC/links/x" "$SRC/links/sub/z"
assert_exit 0 agent backup --json --quiet "$SRC/links"
old_snap="$(json_get "$LAST_OUT" snapshot)"
rm "$SRC/links/x" "$SRC/links/y" "$SRC/links/sub/z"
printf 'new content\n' >"$SRC/links/x"
ln "$SRC/links/x" "$SRC/links/y"
ln "$SRC/links/x" "$SRC/links/sub/z"
assert_exit 0 agent backup --json --quiet "$SRC/links"
new_snap="$(json_get "$LAST_OUT" snapshot)"

T="$WORK/r-links"
assert_exit 0 restore_cmd restore --snapshot "$old_snap" --target "$T" --quiet
assert_eq "$(cat "$T$SRC/links/y")" "old" "old snapshot restored"
log "restore the other snapshot over it with --overwrite"
assert_exit 0 restore_cmd restore --snapshot "$new_snap" --target "$T" --overwrite --json --quiet
cp "$LAST_OUT" "$OUT_DIR/links.json"
assert_eq "$(json_get "$OUT_DIR/links.json" restored.errors)" 0 "overwrite: errors"
ino="$(stat -c %i "$T$SRC/links/x")"
for n in x y sub/z; do
	assert_eq "$(cat "$T$SRC/links/$n")" "new content" "$n: content"
	assert_eq "$(stat -c %i "$T$SRC/links/$n")" "$ino" "$n: one inode"
done
assert_eq "$(stat -c %h "$T$SRC/links/x")" 3 "link count"
assert_eq "$(find "$T" -name '.cairn-restore-links.*' | wc -l)" 0 "no staging directory left"
log "ok"
