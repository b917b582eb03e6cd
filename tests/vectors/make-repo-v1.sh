#!/usr/bin/env bash
# How tests/vectors/repo-v1 was made (run once, with format version 1; the
# result is committed and must restore forever: tests/e2e/test_vectors.sh).
# Re-running it makes a different repository (random nonces and ids): only do
# that for a new format version, into a new directory.
#   make-repo-v1.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: make-repo-v1.sh BUILD_DIR}
src=/tmp/cairn-vector-v1/src
out=$here/repo-v1

[ ! -e "$out" ] || { echo "$out exists; refusing to overwrite a golden repository" >&2; exit 1; }
rm -rf /tmp/cairn-vector-v1
mkdir -p "$src/docs/empty-dir" "$src/bin"
python3 - "$src" <<'PY'
import os, sys
src = sys.argv[1].encode()
def w(rel, data, mode=0o644):
    p = os.path.join(src, rel)
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, mode)
w(b"docs/readme.txt", b"Cairn golden repository, format version 1.\n")
w(b"docs/empty", b"")
# about 2.5 MiB of varied, compressible text: several chunks
lines = [("line %07d: the quick brown fox %d jumps over the lazy dog %d\n" % (i, i * 7919 % 10007, i * i % 65521)).encode() for i in range(40000)]
w(b"docs/big.txt", b"".join(lines))
w(b"bin/tool", b"#!/bin/sh\necho tool\n", 0o755)
w(b"name with spaces\tand tab", b"odd name\n")
w(b"caf\xc3\xa9-\xff\xfe", b"non-UTF-8 name\n", 0o600)
os.link(os.path.join(src, b"docs/readme.txt"), os.path.join(src, b"docs/readme-hardlink.txt"))
os.symlink(b"docs/readme.txt", os.path.join(src, b"link-to-readme"))
os.mkfifo(os.path.join(src, b"fifo"))
os.setxattr(os.path.join(src, b"docs/readme.txt"), b"user.cairn", b"v1\x00\x01")
with open(os.path.join(src, b"sparse.img"), "wb") as f:
    f.seek(4 << 20)
    f.write(b"data after a 4 MiB hole\n")
    f.truncate(8 << 20)
os.chown(os.path.join(src, b"bin/tool"), 12345, 54321)
# fixed times, directories last and deepest first
for root, dirs, files in os.walk(src, topdown=False):
    for n in files + dirs:
        os.utime(os.path.join(root, n), ns=(1764158400123456789, 1764158400123456789), follow_symlinks=False)
os.utime(src, ns=(1764158400123456789, 1764158400123456789))
PY
cp "$here/repo-v1.key" /tmp/cairn-vector-v1/key
chmod 600 /tmp/cairn-vector-v1/key
export CAIRN_REPO=$out CAIRN_KEY_FILE=/tmp/cairn-vector-v1/key CAIRN_STATE_DIR=/tmp/cairn-vector-v1/state
"$build/cairn-agent" init --quiet
"$build/cairn-agent" backup --quiet --tag golden "$src"
python3 "$here/../e2e/treetool.py" manifest "$src" --out "$here/repo-v1.manifest"
# a second point: one file changed
printf 'changed after the first snapshot\n' >"$src/docs/readme.txt"
touch -d '2026-11-26 12:00:01.5 UTC' "$src/docs/readme.txt" "$src/docs"
"$build/cairn-agent" backup --quiet --tag golden "$src"
python3 "$here/../e2e/treetool.py" manifest "$src" --out "$here/repo-v1.manifest2"
"$build/cairn-agent" snapshots --json >"$here/repo-v1.snapshots.json"
echo "made $out"
