#!/usr/bin/env bash
# The Debian package: scripts/package.sh builds cairn_*.deb (a Release build
# and CPack, cmake/Packaging.cmake), `dpkg -i` installs it on this machine, and:
#   - the programs are in /usr/bin, the user and group cairn exist,
#     /var/lib/cairn is cairn:cairn 0700, /etc/cairn root:root 0755;
#   - the systemd units are in /lib/systemd/system, none enabled, and
#     `systemd-analyze verify` accepts them; the man pages are found by man
#     and format without a warning; the examples are in /usr/share/doc;
#   - as user cairn, with a configuration file in /etc/cairn: init, backup of
#     a configured set, restore compared byte for byte and field by field;
#   - `dpkg --purge` removes the programs and units, keeps /etc/cairn's files
#     and a repository inside /var/lib/cairn, and removes /var/lib/cairn when
#     it holds only the cache (a second install, purged at once).
# The machine is left as it was: the package is purged on any exit, and the
# user, /etc/cairn and /var/lib/cairn are removed when the test created them.
#
# Needs root, dpkg and cpack. Skipped otherwise, in a sanitizer build (the
# package is a Release build of its own, so once is enough), and when the
# package cairn, /etc/cairn or /var/lib/cairn already exist on this machine.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "$(id -u)" -eq 0 ]] || skip "needs root: it installs a package and creates a system user"
for tool in dpkg dpkg-deb dpkg-query cpack cmake runuser diff; do
	command -v "$tool" >/dev/null || skip "$tool is missing"
done
SRC_DIR="${CAIRN_SOURCE_DIR:-$(cd "$E2E_DIR/../.." && pwd)}"
if [[ -n "${CAIRN_BUILD_DIR:-}" ]] && grep -q '^CAIRN_SANITIZE:BOOL=ON' "$CAIRN_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	skip "sanitizer build: the package test runs in the normal build"
fi
status="$(dpkg-query -W -f='${Status}' cairn 2>/dev/null || true)"
if [[ -n "$status" && "$status" != *not-installed* ]]; then
	skip "a package cairn is already on this machine ($status)"
fi
[[ ! -e /etc/cairn && ! -e /var/lib/cairn ]] || skip "/etc/cairn or /var/lib/cairn already exists"

USER_EXISTED=0
getent passwd cairn >/dev/null && USER_EXISTED=1
GROUP_EXISTED=0
getent group cairn >/dev/null && GROUP_EXISTED=1
UNITS=(cairn-agent.service cairn-backup@.service cairn-backup@.timer cairn-prune.service cairn-prune.timer
	cairn-check.service cairn-check.timer)
MAN_PAGES=(man8/cairn-agent.8.gz man8/cairn-restore.8.gz man5/cairn.conf.5.gz)

cleanup_machine() {
	local st
	st="$(dpkg-query -W -f='${Status}' cairn 2>/dev/null || true)"
	if [[ -n "$st" && "$st" != *not-installed* ]]; then
		dpkg --purge cairn >>"$OUT_DIR/cleanup.log" 2>&1 || echo "[$TEST_NAME] dpkg --purge cairn failed" >&2
	fi
	rm -rf /var/lib/cairn /etc/cairn
	if [[ $USER_EXISTED -eq 0 ]] && getent passwd cairn >/dev/null; then
		userdel cairn
	fi
	if [[ $GROUP_EXISTED -eq 0 ]] && getent group cairn >/dev/null; then
		groupdel cairn
	fi
}
on_exit cleanup_machine

# install_deb: dpkg -i, then apt-get install -f only when dependencies are missing
install_deb() {
	if ! dpkg -i "$DEB" >"$OUT_DIR/dpkg-i.log" 2>&1; then
		grep -q "dependency problems" "$OUT_DIR/dpkg-i.log" || { cat "$OUT_DIR/dpkg-i.log" >&2; fail "dpkg -i failed"; }
		log "dependencies missing: apt-get install -f"
		DEBIAN_FRONTEND=noninteractive apt-get install -f -y -q >>"$OUT_DIR/dpkg-i.log" 2>&1 ||
			{ cat "$OUT_DIR/dpkg-i.log" >&2; fail "apt-get install -f failed"; }
	fi
	assert_eq "$(dpkg-query -W -f='${Status}' cairn)" "install ok installed" "package status"
}

# The test's configuration file. Not /etc/cairn/cairn.conf, the default every
# program reads: the other tests, which may run meanwhile, expect none there.
CONF=/etc/cairn/package-test.conf

# as_cairn CMD...: run CMD as user cairn, from /, with CAIRN_CONFIG=$CONF and
# without the test's other CAIRN_* variables
as_cairn() {
	(cd / && runuser -u cairn -- env -u CAIRN_REPO -u CAIRN_KEY_FILE -u CAIRN_STATE_DIR \
		-u CAIRN_PASSPHRASE -u CAIRN_PASSPHRASE_FILE CAIRN_CONFIG="$CONF" "$@")
}

log "building the package (Release build in $WORK/build-package)"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
DEB="$("$SRC_DIR/scripts/package.sh" "$WORK/build-package" 2>"$OUT_DIR/package.log")" ||
	{ tail -n 60 "$OUT_DIR/package.log" >&2; fail "scripts/package.sh failed"; }
[[ -f "$DEB" ]] || fail "scripts/package.sh printed '$DEB', which is not a file"
log "built $DEB"

VERSION="$("$CAIRN_AGENT" --version | awk '{print $2}')"
assert_eq "$(dpkg-deb -f "$DEB" Package)" cairn "Package field"
assert_eq "$(dpkg-deb -f "$DEB" Version)" "$VERSION-1" "Version field"
depends="$(dpkg-deb -f "$DEB" Depends)"
for dep in adduser libc6 libcurl4 libzstd1 libsodium23 libsqlite3-0 libjansson4 libexpat1 libinih1 libssl3; do
	[[ ", $depends," == *", $dep "* || ", $depends," == *", $dep,"* ]] || fail "Depends lacks $dep: $depends"
done
dpkg-deb -c "$DEB" >"$OUT_DIR/contents"
grep -Eq '^drwxr-xr-x root/root +0 .* \./etc/cairn/$' "$OUT_DIR/contents" ||
	{ cat "$OUT_DIR/contents" >&2; fail "the package lacks /etc/cairn, mode 0755"; }
assert_not_contains "$OUT_DIR/contents" "./var/lib/cairn"
assert_not_contains "$OUT_DIR/contents" "./etc/cairn/cairn.conf"

log "installing"
install_deb
assert_eq "$(/usr/bin/cairn-agent --version)" "$("$CAIRN_AGENT" --version)" "installed cairn-agent --version"
assert_eq "$(/usr/bin/cairn-restore --version | awk '{print $2}')" "$VERSION" "installed cairn-restore version"
getent passwd cairn >"$OUT_DIR/passwd" || fail "no user cairn after install"
assert_eq "$(cut -d: -f6 "$OUT_DIR/passwd")" /var/lib/cairn "home of cairn"
assert_eq "$(id -gn cairn)" cairn "primary group of cairn"
assert_eq "$(stat -c '%a %U %G' /var/lib/cairn)" "700 cairn cairn" "/var/lib/cairn"
assert_eq "$(stat -c '%a %U %G' /etc/cairn)" "755 root root" "/etc/cairn"
assert_empty_dir /etc/cairn
for unit in "${UNITS[@]}"; do
	[[ -f "/lib/systemd/system/$unit" ]] || fail "unit $unit is not in /lib/systemd/system"
done
if compgen -G "/etc/systemd/system/*/cairn*" >/dev/null; then
	fail "the package enabled a unit: $(echo /etc/systemd/system/*/cairn*)"
fi
for f in cairn.conf cron.example; do
	[[ -s "/usr/share/doc/cairn/examples/$f" ]] || fail "/usr/share/doc/cairn/examples/$f is missing"
done

if command -v systemd-analyze >/dev/null; then
	log "systemd-analyze verify"
	(cd /lib/systemd/system && systemd-analyze verify "${UNITS[@]}" cairn-backup@system.service) \
		>"$OUT_DIR/verify.log" 2>&1 || { cat "$OUT_DIR/verify.log" >&2; fail "systemd-analyze verify failed"; }
	# unknown keys and bad values are warnings, with exit status 0
	[[ ! -s "$OUT_DIR/verify.log" ]] || { cat "$OUT_DIR/verify.log" >&2; fail "systemd-analyze verify warned"; }
else
	log "systemd-analyze missing: units not verified"
fi

if grep -rqs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
	log "dpkg excludes /usr/share/man on this machine: man pages not checked"
else
	for page in "${MAN_PAGES[@]}"; do
		[[ -f "/usr/share/man/$page" ]] || fail "/usr/share/man/$page is missing"
		if command -v groff >/dev/null; then
			zcat "/usr/share/man/$page" | groff -man -Tutf8 -ww -z 2>"$OUT_DIR/groff.log" || fail "groff failed on $page"
			[[ ! -s "$OUT_DIR/groff.log" ]] || { cat "$OUT_DIR/groff.log" >&2; fail "groff warns on $page"; }
		fi
	done
	if command -v man >/dev/null; then
		assert_eq "$(man -w cairn-agent)" /usr/share/man/man8/cairn-agent.8.gz "man -w cairn-agent"
		assert_eq "$(man -w cairn-restore)" /usr/share/man/man8/cairn-restore.8.gz "man -w cairn-restore"
		assert_eq "$(man -w 5 cairn.conf)" /usr/share/man/man5/cairn.conf.5.gz "man -w 5 cairn.conf"
	else
		log "man-db missing: man -w not checked"
	fi
fi

log "as user cairn: init, backup of a configured set, restore"
E2E=/var/lib/cairn/e2e
as_cairn mkdir "$E2E" "$E2E/src" "$E2E/src/sub" "$E2E/src/sub/deeper" "$E2E/src/empty dir"
head -c $((5 * 1024 * 1024 + 123)) /dev/urandom >"$E2E/src/big.bin"
head -c 70000 /dev/urandom >"$E2E/src/sub/medium.bin"
printf 'hello from the package test\n' >"$E2E/src/sub/deeper/small.txt"
printf 'ünïcödé\n' >"$E2E/src/name with spaces and ü.txt"
: >"$E2E/src/empty"
chmod 0640 "$E2E/src/sub/medium.bin"
ln -s sub/deeper/small.txt "$E2E/src/link"
chown -R cairn:cairn "$E2E/src"
touch -h -d '2026-01-02 03:04:05' "$E2E/src/link" "$E2E/src/big.bin"

# User cairn reads the configuration through its group (the file is root:cairn 0640).
cat >"$CONF" <<EOF
[cairn]
state-dir = /var/lib/cairn
key-file = $E2E/key

[repository]
url = $E2E/repo

[backup e2e]
path = $E2E/src
tag = package-test
EOF
chown root:cairn "$CONF"
chmod 0640 "$CONF"

assert_exit 0 as_cairn /usr/bin/cairn-agent init --quiet
assert_eq "$(stat -c '%a %U' "$E2E/key")" "600 cairn" "key file created by init"
assert_exit 0 as_cairn /usr/bin/cairn-agent config check
assert_exit 0 as_cairn /usr/bin/cairn-agent backup --set e2e --json --quiet
assert_eq "$(json_get "$LAST_OUT" sets.0.set)" e2e "backed-up set"
SNAP="$(json_get "$LAST_OUT" sets.0.snapshot)"
assert_exit 0 as_cairn /usr/bin/cairn-agent snapshots --json
assert_eq "$(json_len "$LAST_OUT")" 1 "snapshots after one backup"
# the catalog is in the configured state directory, written by cairn
find /var/lib/cairn -path "$E2E" -prune -o -name catalog.db -user cairn -print >"$OUT_DIR/catalogs"
[[ -s "$OUT_DIR/catalogs" ]] || fail "no catalog.db of user cairn in /var/lib/cairn"

assert_exit 0 as_cairn /usr/bin/cairn-restore restore --at latest --target "$E2E/restore" --json --quiet
assert_eq "$(json_get "$LAST_OUT" point.id)" "$SNAP" "restored point"
diff -r --no-dereference "$E2E/src" "$E2E/restore$E2E/src" >"$OUT_DIR/diff" 2>&1 ||
	{ cat "$OUT_DIR/diff" >&2; fail "the restored tree differs from the source"; }
manifest_of "$E2E/src" "$OUT_DIR/manifest.src"
manifest_of "$E2E/restore$E2E/src" "$OUT_DIR/manifest.restored"
compare_manifests "$OUT_DIR/manifest.src" "$OUT_DIR/manifest.restored"

log "purge: programs and units go; /etc/cairn's files and a repository in /var/lib/cairn stay"
dpkg --purge cairn >"$OUT_DIR/purge1.log" 2>&1 || { cat "$OUT_DIR/purge1.log" >&2; fail "dpkg --purge failed"; }
gone=(/usr/bin/cairn-agent /usr/bin/cairn-restore /usr/share/doc/cairn)
for unit in "${UNITS[@]}"; do gone+=("/lib/systemd/system/$unit"); done
for page in "${MAN_PAGES[@]}"; do gone+=("/usr/share/man/$page"); done
for f in "${gone[@]}"; do
	[[ ! -e "$f" ]] || fail "$f is still there after dpkg --purge"
done
[[ -f "$CONF" && -f "$E2E/key" ]] || fail "purge deleted the configuration or the key"
[[ -d "$E2E/repo/keys" ]] || fail "purge deleted a repository inside /var/lib/cairn"
assert_contains "$OUT_DIR/purge1.log" "keeping /var/lib/cairn"
getent passwd cairn >/dev/null || fail "purge removed the user cairn (it is kept on purpose)"

log "second install over the existing user, purged at once: /var/lib/cairn and /etc/cairn go"
rm -rf /var/lib/cairn /etc/cairn
install_deb
assert_eq "$(stat -c '%a %U %G' /var/lib/cairn)" "700 cairn cairn" "/var/lib/cairn (second install)"
as_cairn mkdir /var/lib/cairn/cache-only
dpkg --purge cairn >"$OUT_DIR/purge2.log" 2>&1 || { cat "$OUT_DIR/purge2.log" >&2; fail "second dpkg --purge failed"; }
[[ ! -e /var/lib/cairn ]] || fail "/var/lib/cairn (cache only) is still there after purge"
[[ ! -e /etc/cairn ]] || fail "the empty /etc/cairn is still there after purge"
[[ ! -e /usr/bin/cairn-agent ]] || fail "/usr/bin/cairn-agent is still there after the second purge"
