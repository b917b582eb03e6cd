# shellcheck shell=bash
# Shared helpers for the end-to-end tests (tests/e2e/test_*.sh).
#
# Usage, at the top of a test script:
#     #!/usr/bin/env bash
#     source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Environment read (set by CTest, see tests/CMakeLists.txt):
#     CAIRN_AGENT, CAIRN_RESTORE   the programs (required)
#     CAIRN_TEST_TMP               parent of the per-test work dir (default /tmp)
#     CAIRN_SOURCE_DIR, CAIRN_BUILD_DIR   passed through, not required
#
# Sourcing this file:
#   - turns on `set -Eeuo pipefail`; a failing command aborts the test and its
#     line and text are printed;
#   - creates WORK=$(mktemp -d "$CAIRN_TEST_TMP/<test name>.XXXXXX");
#   - exports CAIRN_REPO=file://$WORK/repo, CAIRN_KEY_FILE=$WORK/key,
#     CAIRN_STATE_DIR=$WORK/state (nothing is created: call init_repo);
#     unsets CAIRN_PASSPHRASE and CAIRN_PASSPHRASE_FILE;
#   - on exit: runs the on_exit hooks (in reverse order), then removes WORK
#     if the exit status is 0, otherwise keeps it and prints its path.
#
# Variables:
#     E2E_DIR        directory holding lib.sh and treetool.py
#     TREETOOL       path of treetool.py (use the `treetool` function)
#     WORK           the per-test work dir
#     OUT_DIR        $WORK/out, for scratch files (assert_exit output goes there too).
#                    A snapshot records the metadata of the parents of a backed-up
#                    path, so creating files directly in $WORK between two backups
#                    of $WORK/src changes the snapshot's directory metadata.
#     REPO_DIR       $WORK/repo (the path inside CAIRN_REPO)
#     LAST_OUT, LAST_ERR   files holding stdout/stderr of the last assert_exit
#     TEST_NAME      basename of the test script without .sh
#     E2E_SKIP       77, the exit code of a skipped test
#
# Functions:
#     agent ARGS...              run $CAIRN_AGENT ARGS...
#     restore_cmd ARGS...        run $CAIRN_RESTORE ARGS...
#     treetool ARGS...           run python3 treetool.py ARGS...
#     init_repo [ARGS...]        `agent init --quiet ARGS...` (uses the env), fails the test on error
#     log MSG...                 print "[test] MSG" on stderr
#     fail MSG...                print "FAIL: MSG" on stderr and exit 1
#     skip MSG...                print "SKIP: MSG" and exit $E2E_SKIP (77), which CTest reports as
#                                skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt); WORK is removed
#     assert_eq A B [MSG]        fail unless the strings A and B are equal
#     assert_ne A B [MSG]        fail if equal
#     assert_le A B [MSG]        fail unless integer A <= integer B (also assert_lt, assert_ge, assert_gt)
#     assert_exit CODE CMD...    run CMD with stdout > $LAST_OUT, stderr > $LAST_ERR
#                                (files under $WORK/out/), fail unless its exit code is CODE
#                                (prints both outputs on failure)
#     assert_contains FILE TEXT  fail unless FILE contains the fixed string TEXT
#     assert_not_contains FILE TEXT
#     assert_empty_dir DIR       fail unless DIR is missing or an empty directory
#     json_get FILE PATH         print a value from a JSON file; PATH is dotted,
#                                list indexes are numbers (stats.bytes_read, keys.0.id);
#                                strings print raw, true/false/null as such, numbers as
#                                in JSON, objects/lists as compact JSON; missing -> fails
#     json_len FILE PATH         length of the list/object at PATH ("" or "." = top level)
#     now_rfc3339                current UTC time, e.g. 2026-11-26T12:00:00.123456789Z
#     rfc3339_add TIME SECONDS   TIME (RFC 3339, Z, optional fraction) plus SECONDS (may be
#                                negative/fractional), printed with nanoseconds
#     du_bytes PATH              apparent size in bytes of a tree (du -sb)
#     on_exit CMD                run the shell command CMD when the test exits (e.g. kill a pid)
#     manifest_of DIR OUT        treetool manifest DIR --out OUT
#     compare_manifests A B      treetool compare A B (fails the test if they differ)

set -Eeuo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TREETOOL="$E2E_DIR/treetool.py"
TEST_NAME="$(basename "${BASH_SOURCE[1]:-$0}" .sh)"
E2E_SKIP=77

: "${CAIRN_AGENT:?CAIRN_AGENT must name the cairn-agent program}"
: "${CAIRN_RESTORE:?CAIRN_RESTORE must name the cairn-restore program}"
: "${CAIRN_TEST_TMP:=/tmp}"
export CAIRN_TEST_TMP

mkdir -p "$CAIRN_TEST_TMP"
WORK="$(mktemp -d "$CAIRN_TEST_TMP/$TEST_NAME.XXXXXX")"
REPO_DIR="$WORK/repo"
export CAIRN_REPO="file://$REPO_DIR"
export CAIRN_KEY_FILE="$WORK/key"
export CAIRN_STATE_DIR="$WORK/state"
unset CAIRN_PASSPHRASE CAIRN_PASSPHRASE_FILE
OUT_DIR="$WORK/out"
mkdir -p "$OUT_DIR"
LAST_OUT="$WORK/out/last.out"
LAST_ERR="$WORK/out/last.err"
: >"$LAST_OUT"
: >"$LAST_ERR"

_E2E_EXIT_HOOKS=()
_E2E_ASSERT_SEQ=0

on_exit() {
	_E2E_EXIT_HOOKS+=("$1")
}

_e2e_on_err() {
	local rc=$? line=${BASH_LINENO[0]} cmd=$BASH_COMMAND
	echo "[$TEST_NAME] command failed (exit $rc) at ${BASH_SOURCE[1]:-?}:$line: $cmd" >&2
}

_e2e_on_exit() {
	local rc=$? i
	set +e
	trap - ERR
	for ((i = ${#_E2E_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${_E2E_EXIT_HOOKS[$i]}" || true
	done
	if [[ $rc -eq 0 ]]; then
		chmod -R u+rwX "$WORK" 2>/dev/null
		rm -rf "$WORK"
		echo "[$TEST_NAME] PASS" >&2
	elif [[ $rc -eq $E2E_SKIP ]]; then
		chmod -R u+rwX "$WORK" 2>/dev/null
		rm -rf "$WORK"
		echo "[$TEST_NAME] SKIPPED" >&2
	else
		echo "[$TEST_NAME] FAILED (exit $rc); work dir kept: $WORK" >&2
	fi
	exit "$rc"
}

trap _e2e_on_err ERR
trap _e2e_on_exit EXIT

log() {
	echo "[$TEST_NAME +${SECONDS}s] $*" >&2
}

fail() {
	echo "[$TEST_NAME] FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit "$E2E_SKIP"
}

agent() {
	"$CAIRN_AGENT" "$@"
}

restore_cmd() {
	"$CAIRN_RESTORE" "$@"
}

treetool() {
	python3 "$TREETOOL" "$@"
}

# shellcheck disable=SC2120 # arguments are optional
init_repo() {
	agent init --quiet "$@" || fail "cairn-agent init failed"
}

assert_eq() {
	[[ "$1" == "$2" ]] || fail "${3:-values differ}: expected '$2', got '$1'"
}

assert_ne() {
	[[ "$1" != "$2" ]] || fail "${3:-values are equal}: both are '$1'"
}

_e2e_int() {
	[[ "$1" =~ ^-?[0-9]+$ ]] || fail "not an integer: '$1'"
}

assert_le() {
	_e2e_int "$1"; _e2e_int "$2"
	(($1 <= $2)) || fail "${3:-expected A <= B}: $1 > $2"
}

assert_lt() {
	_e2e_int "$1"; _e2e_int "$2"
	(($1 < $2)) || fail "${3:-expected A < B}: $1 >= $2"
}

assert_ge() {
	_e2e_int "$1"; _e2e_int "$2"
	(($1 >= $2)) || fail "${3:-expected A >= B}: $1 < $2"
}

assert_gt() {
	_e2e_int "$1"; _e2e_int "$2"
	(($1 > $2)) || fail "${3:-expected A > B}: $1 <= $2"
}

assert_exit() {
	local want=$1 rc=0
	shift
	_E2E_ASSERT_SEQ=$((_E2E_ASSERT_SEQ + 1))
	LAST_OUT="$WORK/out/$_E2E_ASSERT_SEQ.out"
	LAST_ERR="$WORK/out/$_E2E_ASSERT_SEQ.err"
	"$@" >"$LAST_OUT" 2>"$LAST_ERR" || rc=$?
	if [[ "$rc" != "$want" ]]; then
		echo "[$TEST_NAME] command: $*" >&2
		echo "[$TEST_NAME] --- stdout ($LAST_OUT):" >&2
		head -c 4000 "$LAST_OUT" >&2 || true
		echo "[$TEST_NAME] --- stderr ($LAST_ERR):" >&2
		head -c 4000 "$LAST_ERR" >&2 || true
		fail "expected exit code $want, got $rc: $*"
	fi
}

assert_contains() {
	[[ -f "$1" ]] || fail "assert_contains: no file $1"
	grep -qF -- "$2" "$1" || {
		echo "[$TEST_NAME] --- $1:" >&2
		head -c 4000 "$1" >&2 || true
		fail "'$1' does not contain '$2'"
	}
}

assert_not_contains() {
	[[ -f "$1" ]] || fail "assert_not_contains: no file $1"
	if grep -qF -- "$2" "$1"; then
		echo "[$TEST_NAME] --- $1:" >&2
		head -c 4000 "$1" >&2 || true
		fail "'$1' contains '$2'"
	fi
}

assert_empty_dir() {
	if [[ -e "$1" || -L "$1" ]]; then
		[[ -d "$1" && ! -L "$1" ]] || fail "$1 exists and is not a directory"
		local n
		n="$(find "$1" -mindepth 1 -maxdepth 1 | wc -l)"
		[[ "$n" -eq 0 ]] || fail "$1 is not empty ($n entries)"
	fi
}

json_get() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
path, key = sys.argv[1], sys.argv[2]
with open(path) as f:
    v = json.load(f)
for part in [p for p in key.split(".") if p]:
    if isinstance(v, list):
        try:
            v = v[int(part)]
        except (ValueError, IndexError):
            sys.exit("json_get: no element %r in %s" % (part, key))
    elif isinstance(v, dict):
        if part not in v:
            sys.exit("json_get: no key %r in %s (have: %s)" % (part, key, ", ".join(v)))
        v = v[part]
    else:
        sys.exit("json_get: %r is not an object or list in %s" % (part, key))
if isinstance(v, bool):
    print("true" if v else "false")
elif v is None:
    print("null")
elif isinstance(v, str):
    print(v)
elif isinstance(v, (int, float)):
    print(json.dumps(v))
else:
    print(json.dumps(v, separators=(",", ":"), sort_keys=True))
EOF
}

json_len() {
	python3 - "$1" "${2:-}" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    v = json.load(f)
for part in [p for p in sys.argv[2].split(".") if p]:
    v = v[int(part)] if isinstance(v, list) else v[part]
print(len(v))
EOF
}

now_rfc3339() {
	date -u +%Y-%m-%dT%H:%M:%S.%NZ
}

rfc3339_add() {
	python3 - "$1" "$2" <<'EOF'
import sys, calendar, time
from decimal import Decimal
t, add = sys.argv[1], Decimal(sys.argv[2])
assert t.endswith("Z"), "rfc3339_add wants a UTC time ending in Z"
base, _, frac = t[:-1].partition(".")
secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
ns = secs * 10**9 + int((frac + "000000000")[:9]) + int(add * 10**9)
s, n = divmod(ns, 10**9)
print(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%09dZ" % n)
EOF
}

du_bytes() {
	du -sb "$1" | cut -f1
}

manifest_of() {
	treetool manifest "$1" --out "$2"
}

compare_manifests() {
	treetool compare "$1" "$2" || fail "trees differ: manifests $1 and $2"
}
