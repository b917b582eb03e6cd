#!/usr/bin/env bash
# Unreadable entries: a backup run as `nobody` (root reads everything) over a
# tree with files and directories it cannot read exits 3 (partial), warns once
# per unreadable entry naming it, and records a snapshot marked partial;
# restoring that snapshot as root gives every readable entry identical, the
# unreadable ones as reported placeholders, and exits 3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v setpriv >/dev/null; then
	echo "SKIP: setpriv (util-linux) is missing: cannot run the backup as a non-root user"
	exit 0
fi
[[ "$(id -u)" -eq 0 ]] || fail "this test must run as root (it switches to nobody)"
AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# `nobody` must reach the work dir (mktemp -d makes it 0700). When a parent
# of $WORK is not world-searchable (a build tree under a private home, or the
# unit tests' 0700 scratch dir), work in a fresh directory under /tmp instead.
chmod 755 "$WORK"
if ! "${AS_NOBODY[@]}" test -x "$WORK"; then
	NOBODY_DIR=$(mktemp -d /tmp/cairn-unreadable.XXXXXX)
	chmod 755 "$NOBODY_DIR"
	on_exit "rm -rf '$NOBODY_DIR'"
	WORK=$NOBODY_DIR
	REPO_DIR=$WORK/repo
	OUT_DIR=$WORK/out
	mkdir -p "$OUT_DIR"
	export CAIRN_REPO=file://$WORK/repo CAIRN_KEY_FILE=$WORK/key CAIRN_STATE_DIR=$WORK/state
fi
"${AS_NOBODY[@]}" test -x "$WORK" || fail "user nobody cannot reach $WORK (a parent is not world-searchable)"

SRC="$WORK/src"
treetool generate "$SRC" --seed 31 --big-mib 2 --small 150 >/dev/null
# explicit unreadable entries, besides those the generator makes unreadable
# for nobody (root-owned 0600 files, 0700 and 0750 directories, ...)
mkdir -p "$SRC/locked/inner" "$SRC/open"
echo "cannot read me" >"$SRC/secret-file"
echo "nor me" >"$SRC/open/secret 2"
echo "inside a locked directory" >"$SRC/locked/inner/file"
echo "readable" >"$SRC/open/readable"
chmod 000 "$SRC/secret-file" "$SRC/open/secret 2" "$SRC/locked"
manifest_of "$SRC" "$WORK/src.manifest"

# What nobody (uid/gid 65534, no other groups) cannot read, from the modes:
# files without read permission, directories without read+search permission
# (nothing below those is seen). One escaped path (manifest style) per line.
python3 - "$E2E_DIR" "$SRC" "$(id -u nobody)" "$(getent group nogroup | cut -d: -f3)" >"$WORK/unreadable.list" <<'EOF'
import os, stat, sys
sys.path.insert(0, sys.argv[1])
import treetool as tt
root, uid, gid = os.fsencode(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def can(st, bits):  # bits: 4 read, 1 search, as for "other"
    m = st.st_mode
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    return (m >> shift) & bits == bits
out = []
def walk(rel):
    base = os.path.join(root, rel) if rel else root
    for name in sorted(os.listdir(base)):
        r = os.path.join(rel, name) if rel else name
        st = os.lstat(os.path.join(root, r))
        if stat.S_ISDIR(st.st_mode):
            if can(st, 5):
                walk(r)
            else:
                out.append(r)
        elif stat.S_ISREG(st.st_mode) and not can(st, 4):
            out.append(r)
walk(b"")
for r in out:
    print(tt.esc(r))
EOF
nunread="$(wc -l <"$WORK/unreadable.list")"
log "$nunread entries unreadable for nobody"
grep -qx 'secret-file' "$WORK/unreadable.list" || fail "expected secret-file in the unreadable list"
grep -qx 'locked' "$WORK/unreadable.list" || fail "expected locked in the unreadable list"

# repository, catalog and key belong to nobody
init_repo
mkdir -p "$CAIRN_STATE_DIR"
chown -R nobody:nogroup "$REPO_DIR" "$CAIRN_STATE_DIR" "$CAIRN_KEY_FILE"

assert_exit 3 "${AS_NOBODY[@]}" "$CAIRN_AGENT" backup --json "$SRC"
cp "$LAST_OUT" "$WORK/backup.json"
cp "$LAST_ERR" "$WORK/backup.err"
snap="$(json_get "$WORK/backup.json" snapshot)"
assert_eq "$(json_get "$WORK/backup.json" partial)" "true" "backup --json partial"
assert_eq "$(json_get "$WORK/backup.json" stats.errors)" "$nunread" "backup errors = unreadable entries"
# one warning per unreadable entry, naming it
assert_eq "$(grep -c "^cairn-agent: warning: '$SRC/" "$WORK/backup.err")" "$nunread" "warnings about entries"
while IFS= read -r rel; do
	[[ "$rel" == *'\x'* ]] && continue # escaped name: not checked by text
	grep -qF -- "warning: '$SRC/$rel'" "$WORK/backup.err" || fail "no warning names $SRC/$rel"
done <"$WORK/unreadable.list"
assert_contains "$WORK/backup.err" "Permission denied"
assert_contains "$WORK/backup.err" "partial"

# listed, and marked partial (also from a fresh catalog, as root)
assert_exit 0 restore_cmd points --json --state-dir "$WORK/state-root"
assert_eq "$(json_len "$LAST_OUT")" 1
assert_eq "$(json_get "$LAST_OUT" 0.id)" "$snap"
assert_eq "$(json_get "$LAST_OUT" 0.partial)" "true" "points --json partial"

# restore as root: every readable entry identical
assert_exit 3 restore_cmd restore --json --state-dir "$WORK/state-root" --snapshot "$snap" --target "$WORK/t"
cp "$LAST_OUT" "$WORK/restore.json"
cp "$LAST_ERR" "$WORK/restore.err"
assert_eq "$(json_get "$WORK/restore.json" restored.damaged_files)" 0
manifest_of "$WORK/t$SRC" "$WORK/t.manifest"
python3 - "$WORK/src.manifest" "$WORK/t.manifest" "$WORK/unreadable.list" "$WORK/restore.json" <<'EOF' ||
import json, sys
def parse(path):
    out = {}
    for line in open(path):
        name, _, rest = line.rstrip("\n").partition(" ")
        out[name] = dict(kv.split("=", 1) for kv in rest.split(" "))
    return out
A, B = parse(sys.argv[1]), parse(sys.argv[2])
unread = set(l.rstrip("\n") for l in open(sys.argv[3]) if l.strip())
problems = json.load(open(sys.argv[4]))["problems"]
errors = []
if len(problems) != len(unread):
    errors.append("%d problems reported for %d unreadable entries" % (len(problems), len(unread)))
compared = 0
for name in sorted(set(A) | set(B)):
    below = any(name.startswith(u + "/") for u in unread)
    if below:
        if name in B:
            errors.append("entry below an unreadable directory restored: %s" % name)
        continue
    if name not in B:
        errors.append("missing from the restore: %s" % name)
        continue
    if name not in A:
        errors.append("extra entry in the restore: %s" % name)
        continue
    fa, fb = A[name], B[name]
    if name in unread:
        # a placeholder: same type and metadata, no content
        keys = ["type", "mode", "uid", "gid"]
        if fa["type"] == "f" and fb["size"] != "0":
            errors.append("unreadable file restored with content: %s" % name)
    else:
        keys = sorted(set(fa) | set(fb))
        compared += 1
    for k in keys:
        if fa.get(k) != fb.get(k):
            errors.append("differs: %s: %s: %s != %s" % (name, k, fa.get(k), fb.get(k)))
if errors:
    sys.exit("\n".join(errors[:40]) + "\n%d error(s)" % len(errors))
print("%d readable entries identical, %d unreadable entries restored as placeholders" % (compared, len(unread)))
EOF
	fail "restore of the partial snapshot differs from the readable part of the tree"
while IFS= read -r rel; do
	[[ "$rel" == *'\x'* ]] && continue
	grep -qF -- "'$SRC/$rel': the " "$WORK/restore.err" || fail "restore does not name $SRC/$rel"
done <"$WORK/unreadable.list"
assert_contains "$WORK/restore.err" "could not be read when the snapshot was taken"
