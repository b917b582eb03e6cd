#!/usr/bin/env bash
# Bad input on the restore side: wrong keys, unusable key files, missing or
# malformed repositories, damaged and missing packs, hostile trees written by
# hand (tests/tools/craft_repo.c), symlinks planted in the target, damaged data
# behind a hardlink; URLs of an unsupported scheme (exit 2, in every command).
#
# Every scenario runs in its own subshell, so that one failing scenario does
# not hide the others; the test fails at the end if any did.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CRAFT="${CAIRN_BUILD_DIR:?CAIRN_BUILD_DIR must name the build directory}/tests/craft_repo"
[[ -x "$CRAFT" ]] || fail "craft_repo not built: $CRAFT"

FAILED=()
# scenario NAME: run the function NAME in a subshell with errexit on
SCENARIO_N=0
scenario() {
	local rc
	log "--- scenario $1"
	# distinct assert_exit output files per scenario (the counter of lib.sh
	# does not come back from the subshell)
	SCENARIO_N=$((SCENARIO_N + 1))
	_E2E_ASSERT_SEQ=$((SCENARIO_N * 100))
	trap - ERR
	set +e
	(
		set -e
		trap _e2e_on_err ERR
		"$1"
	)
	rc=$?
	set -e
	trap _e2e_on_err ERR
	if ((rc != 0)); then
		log "scenario $1 FAILED"
		FAILED+=("$1")
	fi
}

# flip_byte FILE OFFSET: invert one byte in place
flip_byte() {
	python3 - "$1" "$2" <<'EOF'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0xFF]))
EOF
}

# largest_pack REPO_DIR: path of the biggest data/??/* object
largest_pack() {
	find "$1/data" -type f -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-
}

# object_name PACK_PATH: "data/xx/<id>"
object_name() {
	local id
	id="$(basename "$1")"
	echo "data/${id:0:2}/$id"
}

# check_damaged_restore SRC TARGET_ROOT RESULT_JSON STDERR
# After a restore that met damaged or missing data (restore --json output in
# RESULT_JSON): at least one file is reported damaged; every reported file is
# absent from the target (a reported directory may exist, but empty); every
# other entry of SRC is in the target, identical (content, mode, owner, mtime,
# xattrs, type, target); nothing else is in the target; every reported path
# with a printable name is named on stderr.
check_damaged_restore() {
	python3 - "$E2E_DIR" "$@" <<'EOF' || fail "damaged restore into $2 is not what it should be (see above)"
import json, os, sys
sys.path.insert(0, sys.argv[1])
import treetool as tt
src, dst, res_path, err_path = sys.argv[2:6]
res = json.load(open(res_path))
stderr = open(err_path, "rb").read()
probs = res.get("problems", [])
bad = [p for p in probs if p["kind"] != "damaged"]
if bad:
    sys.exit("unexpected non-damage problems: %r" % bad)
if not probs:
    sys.exit("no damaged file reported")
srcb = os.fsencode(src)
affected = set()
for p in probs:
    pb = os.fsencode(p["path"])
    if not pb.startswith(srcb + b"/"):
        sys.exit("reported path %r is not below %r" % (p["path"], src))
    rel = pb[len(srcb) + 1:]
    affected.add(tt.esc(rel))
    if p["path"].isprintable() and pb not in stderr:
        sys.exit("stderr does not name the damaged path %r" % p["path"])

def parse(lines):
    out = {}
    for line in lines:
        name, _, rest = line.partition(" ")
        out[name] = dict(kv.split("=", 1) for kv in rest.split(" "))
    return out

A = parse(tt.manifest_lines(src))
B = parse(tt.manifest_lines(dst)) if os.path.isdir(dst) else {}
errors = []
for name in sorted(set(B) - set(A)):
    errors.append("extra entry in the target: %s" % name)
compared = 0
for name, fa in sorted(A.items()):
    inside = any(name.startswith(a + "/") for a in affected)
    ancestor = name == "." or any(a.startswith(name + "/") for a in affected)
    if inside or (name in affected and fa["type"] != "d"):
        if name in B:
            errors.append("damaged entry present in the target: %s (size %s, source size %s)"
                          % (name, B[name].get("size"), fa.get("size")))
        continue
    if name not in B:
        errors.append("missing from the target although not reported damaged: %s" % name)
        continue
    fb = B[name]
    for k in sorted(set(fa) | set(fb)):
        if k == "link" or (k == "mtime_ns" and fa["type"] == "d" and ancestor):
            continue  # link groups shrink with a damaged member; a removed file touches its directory
        if name in affected and k == "mtime_ns":
            continue
        if fa.get(k) != fb.get(k):
            errors.append("differs: %s: %s: %s != %s" % (name, k, fa.get(k), fb.get(k)))
    compared += 1
if errors:
    sys.exit("\n".join(errors[:40]) + "\n%d error(s)" % len(errors))
print("%d damaged path(s) reported, %d other entries identical" % (len(affected), compared))
EOF
}

# ---------------------------------------------------------------- setup

SRC="$WORK/src"
treetool generate "$SRC" --seed 11 --big-mib 40 --small 400 >/dev/null
init_repo
agent backup --quiet "$SRC"
manifest_of "$SRC" "$WORK/src.manifest"

# ---------------------------------------------------------------- keys

wrong_key() {
	local key2="$WORK/key2"
	python3 -c 'import secrets; print("cairn-key-v1 " + secrets.token_hex(32))' >"$key2"
	chmod 600 "$key2"
	assert_exit 4 restore_cmd points --key-file "$key2"
	assert_contains "$LAST_ERR" "wrong key or passphrase"
	assert_exit 4 restore_cmd restore --key-file "$key2" --at latest --target "$WORK/t-wrongkey"
	assert_contains "$LAST_ERR" "wrong key or passphrase"
	assert_empty_dir "$WORK/t-wrongkey"
	assert_exit 4 agent backup --key-file "$key2" "$SRC/files"
	assert_contains "$LAST_ERR" "wrong key or passphrase"

	# a passphrase key, then a wrong passphrase
	printf 'correct horse battery staple\n' >"$WORK/pass"
	printf 'wrong horse battery staple\n' >"$WORK/wrongpass"
	chmod 600 "$WORK/pass" "$WORK/wrongpass"
	assert_exit 0 agent key add --quiet --new-passphrase-file "$WORK/pass"
	CAIRN_KEY_FILE="" assert_exit 0 restore_cmd points --passphrase-file "$WORK/pass"
	CAIRN_KEY_FILE="" assert_exit 4 restore_cmd points --passphrase-file "$WORK/wrongpass"
	assert_contains "$LAST_ERR" "wrong key or passphrase"
	CAIRN_KEY_FILE="" CAIRN_PASSPHRASE="not the passphrase" assert_exit 4 restore_cmd points
	assert_contains "$LAST_ERR" "wrong key or passphrase"
}

key_file_mode() {
	cp "$CAIRN_KEY_FILE" "$WORK/key644"
	chmod 644 "$WORK/key644"
	assert_exit 2 restore_cmd points --key-file "$WORK/key644"
	assert_contains "$LAST_ERR" "chmod 600"
	assert_contains "$LAST_ERR" "0644"
	assert_exit 2 agent backup --key-file "$WORK/key644" "$SRC/files"
	assert_contains "$LAST_ERR" "chmod"
}

# ---------------------------------------------------------------- repositories

bad_repos() {
	assert_exit 5 restore_cmd points --repo "$WORK/does-not-exist"
	assert_contains "$LAST_ERR" "no repository at"
	[[ ! -e "$WORK/does-not-exist" ]] || fail "points created the missing repository directory"
	assert_exit 5 agent backup --repo "$WORK/does-not-exist" "$SRC/files"
	assert_contains "$LAST_ERR" "no repository at"

	mkdir "$WORK/noconfig"
	assert_exit 5 restore_cmd points --repo "file://$WORK/noconfig"
	assert_contains "$LAST_ERR" "no repository at"

	cp -a "$REPO_DIR" "$WORK/garbage"
	chmod u+w "$WORK/garbage/config"
	printf '{"version": 1, "id": garbage\n' >"$WORK/garbage/config"
	assert_exit 5 restore_cmd points --repo "$WORK/garbage" --state-dir "$WORK/state-garbage"
	assert_contains "$LAST_ERR" "config"
	assert_contains "$LAST_ERR" "JSON"

	cp -a "$REPO_DIR" "$WORK/v99"
	chmod u+w "$WORK/v99/config"
	python3 - "$WORK/v99/config" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["version"] = 99
open(sys.argv[1], "w").write(json.dumps(c))
EOF
	assert_exit 5 restore_cmd points --repo "$WORK/v99" --state-dir "$WORK/state-v99"
	assert_contains "$LAST_ERR" "not supported"
	assert_contains "$LAST_ERR" "99"
	assert_exit 5 restore_cmd restore --repo "$WORK/v99" --state-dir "$WORK/state-v99" --at latest \
		--target "$WORK/t-v99"
	assert_empty_dir "$WORK/t-v99"
}

# ---------------------------------------------------------------- damaged data

flipped_byte() {
	local repo="$WORK/flip" pack obj size
	cp -a "$REPO_DIR" "$repo"
	pack="$(largest_pack "$repo")"
	obj="$(object_name "$pack")"
	size="$(stat -c %s "$pack")"
	flip_byte "$pack" $((size / 2))
	log "flipped byte $((size / 2)) of $obj ($size bytes)"
	assert_exit 8 restore_cmd restore --json --repo "$repo" --state-dir "$WORK/state-flip" --at latest \
		--target "$WORK/t-flip"
	assert_contains "$LAST_ERR" "$obj"
	assert_contains "$LAST_ERR" "not restored"
	check_damaged_restore "$SRC" "$WORK/t-flip$SRC" "$LAST_OUT" "$LAST_ERR"
	assert_ge "$(json_get "$LAST_OUT" restored.damaged_objects)" 1 "damaged objects counted"
}

deleted_pack() {
	local repo="$WORK/del" pack obj
	cp -a "$REPO_DIR" "$repo"
	pack="$(largest_pack "$repo")"
	obj="$(object_name "$pack")"
	rm "$pack"
	log "deleted $obj"
	assert_exit 8 restore_cmd restore --json --repo "$repo" --state-dir "$WORK/state-del" --at latest \
		--target "$WORK/t-del"
	assert_contains "$LAST_ERR" "$obj"
	assert_contains "$LAST_ERR" "not restored"
	check_damaged_restore "$SRC" "$WORK/t-del$SRC" "$LAST_OUT" "$LAST_ERR"
	# the summary counts the missing pack and the problems name it
	assert_ge "$(json_get "$LAST_OUT" restored.damaged_objects)" 1 "missing pack counted as damaged object"
	assert_eq "$(json_get "$LAST_OUT" problems.0.object)" "$obj" "JSON problem names the missing pack"
}

# Two hardlinks to one file whose data is damaged: neither name may be left
# with partial content (the second name is linked to the first before the
# first one's content is written).
damaged_hardlink() {
	local d="$WORK/hl" pack
	mkdir -p "$d/src"
	head -c $((40 * 1024 * 1024)) /dev/urandom >"$d/src/a"
	ln "$d/src/a" "$d/src/b"
	echo "not damaged" >"$d/src/c"
	agent init --quiet --repo "$d/repo" --key-file "$d/key"
	agent backup --quiet --repo "$d/repo" --key-file "$d/key" --state-dir "$d/state" "$d/src"
	# the smallest pack is the last one written: it holds the end of the file,
	# so the restore meets the damage only after writing most of it
	pack="$(find "$d/repo/data" -type f -printf '%s %p\n' | sort -n | head -n 1 | cut -d' ' -f2-)"
	flip_byte "$pack" $(($(stat -c %s "$pack") / 2))
	assert_exit 8 restore_cmd restore --json --repo "$d/repo" --key-file "$d/key" --state-dir "$d/state" \
		--at latest --target "$d/t"
	check_damaged_restore "$d/src" "$d/t$d/src" "$LAST_OUT" "$LAST_ERR"
}

# ---------------------------------------------------------------- hostile trees

hostile_tree() {
	local h="$WORK/hostile" t snap before after
	t="$h/l1/l2/target"
	mkdir -p "$h/canary" "$h/l1/l2"
	echo "canary" >"$h/canary/file"
	rm -f /etc/cairn-pwned
	agent init --quiet --repo "$h/repo" --key-file "$h/key"
	snap="$("$CRAFT" hostile-tree "file://$h/repo" "$h/key" "$h/state")"
	[[ "$snap" =~ ^[0-9a-f]{64}$ ]] || fail "craft_repo printed '$snap'"
	# names of everything around the target (not the catalog cache), and the canary in detail
	listing() {
		(cd "$h" && find . -path ./l1/l2/target -prune -o -path ./state -prune -o -printf '%p %y\n' | sort)
		(cd "$h/canary" && find . -printf '%p %y %s %T@\n' | sort)
	}
	before="$(listing)"

	assert_exit 8 restore_cmd restore --repo "$h/repo" --key-file "$h/key" --state-dir "$h/state" \
		--snapshot "$snap" --target "$t"
	assert_contains "$LAST_ERR" "'..' is not allowed"
	assert_contains "$LAST_ERR" "contains '/'"
	assert_contains "$LAST_ERR" "/c-escape"
	assert_contains "$LAST_ERR" "/c-absolute"
	assert_contains "$LAST_ERR" "/c-slash"
	assert_contains "$LAST_ERR" "/c-dotdot"

	after="$(listing)"
	assert_eq "$after" "$before" "entries outside the target changed"
	for p in /etc/cairn-pwned /escape /pwned-dotdot.txt /x /etc/x; do
		[[ ! -e "$p" && ! -L "$p" ]] || fail "hostile restore created $p"
	done
	[[ -z "$(find "$WORK" \( -name pwned-dotdot.txt -o -name escape -o -name cairn-pwned -o -name y \) -print)" ]] ||
		fail "hostile entries were created: $(find "$WORK" -name pwned-dotdot.txt -o -name escape -o -name y)"
	assert_eq "$(cat "$t/ok.txt")" "legitimate content of ok.txt" "ok.txt restored"
	assert_eq "$(cd "$t" && find . | sort | tr '\n' ' ')" ". ./c-absolute ./c-dotdot ./c-escape ./c-slash ./ok.txt " \
		"target holds ok.txt and the (empty) directories of the rejected trees"
	assert_eq "$(cat "$h/canary/file")" "canary"
}

planted_symlink() {
	local s="$WORK/sym" out ids s1 s2 t
	out="$s/canary"
	mkdir -p "$out"
	echo "original" >"$out/victim"
	agent init --quiet --repo "$s/repo" --key-file "$s/key"
	ids="$("$CRAFT" symlink-escape "file://$s/repo" "$s/key" "$s/state" "$out")"
	s1="$(sed -n 1p <<<"$ids")"
	s2="$(sed -n 2p <<<"$ids")"
	local ropts=(--repo "$s/repo" --key-file "$s/key" --state-dir "$s/state")
	canary_ok() {
		assert_eq "$(cd "$out" && find . | sort | tr '\n' ' ')" ". ./victim " "canary directory changed"
		assert_eq "$(cat "$out/victim")" "original" "canary file was written through a symlink"
	}
	target_ok() {
		[[ -d "$1/a" && ! -L "$1/a" ]] || fail "$1/a is not a directory"
		[[ -f "$1/f" && ! -L "$1/f" ]] || fail "$1/f is not a regular file"
		assert_eq "$(cat "$1/a/x")" "inside"
		assert_eq "$(cat "$1/f")" "inside"
	}

	# symlinks planted by hand in the target
	t="$s/t1"
	mkdir -p "$t"
	ln -s "$out" "$t/a"
	ln -s "$out/victim" "$t/f"
	assert_exit 2 restore_cmd restore "${ropts[@]}" --snapshot "$s2" --target "$t"
	assert_contains "$LAST_ERR" "not empty"
	canary_ok
	[[ -L "$t/a" && -L "$t/f" ]] || fail "a refused restore changed the target"
	assert_exit 0 restore_cmd restore "${ropts[@]}" --snapshot "$s2" --target "$t" --overwrite
	canary_ok
	target_ok "$t"

	# symlinks restored from a snapshot, then overwritten by a newer one
	t="$s/t2"
	assert_exit 0 restore_cmd restore "${ropts[@]}" --snapshot "$s1" --target "$t"
	[[ -L "$t/a" && "$(readlink "$t/a")" == "$out" ]] || fail "symlink a not restored"
	assert_exit 0 restore_cmd restore "${ropts[@]}" --snapshot "$s2" --target "$t" --overwrite
	canary_ok
	target_ok "$t"
}

# ---------------------------------------------------------------- unsupported URL schemes

# A URL of a scheme Cairn does not speak is a usage error (exit 2) naming the
# URL, its scheme and the supported forms, wherever it comes from: --repo,
# CAIRN_REPO, --from, --to, and (FILE:LINE) the configuration file.
unsupported_scheme() {
	local u supported="supported: /path or file:///path for a directory, s3://BUCKET/PREFIX"

	for u in ftp://host/backups gs://bucket/prefix; do
		assert_exit 2 agent init --repo "$u"
		assert_contains "$LAST_ERR" "'$u': unsupported URL scheme '${u%%://*}' ($supported)"
		assert_exit 2 agent backup --repo "$u" "$SRC/files"
		assert_contains "$LAST_ERR" "--repo/--from '$u': unsupported URL scheme"
		assert_exit 2 agent snapshots --repo "$u"
		assert_contains "$LAST_ERR" "($supported)"
		assert_exit 2 env CAIRN_REPO="$u" "$CAIRN_AGENT" check
		assert_contains "$LAST_ERR" "CAIRN_REPO '$u': unsupported URL scheme"
		assert_exit 2 env CAIRN_REPO="$u" "$CAIRN_RESTORE" points
		assert_contains "$LAST_ERR" "CAIRN_REPO '$u': unsupported URL scheme"
		assert_exit 2 restore_cmd points --from "$u"
		assert_contains "$LAST_ERR" "'$u': unsupported URL scheme"
		assert_exit 2 restore_cmd restore --from "$u" --at latest --target "$WORK/t-scheme"
		assert_contains "$LAST_ERR" "'$u': unsupported URL scheme"
		assert_empty_dir "$WORK/t-scheme"
		assert_exit 2 restore_cmd drill --from "$u" --allow-primary
		assert_contains "$LAST_ERR" "'$u': unsupported URL scheme"
		assert_exit 2 agent replicate --to "$u"
		assert_contains "$LAST_ERR" "--to '$u' is neither a configured replica nor a URL"
		assert_contains "$LAST_ERR" "s3://BUCKET/PREFIX"
		assert_exit 2 agent forget --site "$u" --keep-last 1
		assert_contains "$LAST_ERR" "--site '$u' is neither"
	done
	cat >"$WORK/scheme.conf" <<CONF
[repository]
url = $REPO_DIR

[replica dr]
url = gs://bucket/prefix
CONF
	chmod 640 "$WORK/scheme.conf"
	assert_exit 2 agent config check --config "$WORK/scheme.conf"
	assert_contains "$LAST_ERR" "$WORK/scheme.conf:5: 'url' in [replica dr] must be an absolute path, file:///path or s3://BUCKET/PREFIX, not 'gs://bucket/prefix'"
	assert_exit 2 agent replicate --config "$WORK/scheme.conf"
	assert_contains "$LAST_ERR" "$WORK/scheme.conf:5:"
}

scenario wrong_key
scenario key_file_mode
scenario bad_repos
scenario flipped_byte
scenario deleted_pack
scenario hostile_tree
scenario planted_symlink
scenario damaged_hardlink
scenario unsupported_scheme

((${#FAILED[@]} == 0)) || fail "scenarios failed: ${FAILED[*]}"
