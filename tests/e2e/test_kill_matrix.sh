#!/usr/bin/env bash
# The kill -9 matrix, short (scripts/kill-matrix.sh has the full one):
#   - the object accounting (tests/tools/account_objects) counts a clean
#     repository exactly, and fails on a missing pack, an orphan pack that
#     does not open and a name outside the layout;
#   - backup, replicate and prune killed with SIGKILL at 3 seeded points each
#     on a local repository, and at 1 on S3 through s3-faults when the suite's
#     S3 server is there: after each kill the next run succeeds, check
#     --read-data passes, every snapshot restores equal to its tree, and every
#     object is accounted for, with no orphan pack and no lock left.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ACCOUNT=${CAIRN_BUILD_DIR:?CAIRN_BUILD_DIR must name the build directory}/tests/account_objects
[[ -x "$ACCOUNT" ]] || fail "no $ACCOUNT (tests/tools/account_objects.c)"
MATRIX=$E2E_DIR/../../scripts/kill-matrix.sh

log "the accounting: a clean repository, then a missing pack, a damaged orphan, a foreign name"
mkdir -p "$WORK/small"
head -c 3000000 /dev/urandom >"$WORK/small/a.bin"
echo hello >"$WORK/small/b.txt"
init_repo
assert_exit 0 agent backup --quiet "$WORK/small"
assert_exit 0 "$ACCOUNT" "$REPO_DIR" "$CAIRN_KEY_FILE" "$WORK/acct1"
assert_eq "$(json_get "$LAST_OUT" config)" 1
assert_eq "$(json_get "$LAST_OUT" keys)" 1
assert_eq "$(json_get "$LAST_OUT" snapshots)" 1
assert_eq "$(json_get "$LAST_OUT" index)" 1
assert_eq "$(json_get "$LAST_OUT" packs_indexed)" "$(find "$REPO_DIR/data" -type f | wc -l)"
assert_eq "$(json_get "$LAST_OUT" packs_orphan)" 0
assert_eq "$(json_get "$LAST_OUT" locks)" 0
assert_eq "$(json_get "$LAST_OUT" unaccounted)" 0
pack=$(find "$REPO_DIR/data" -type f | head -1)
mv "$pack" "$WORK/pack.away"
assert_exit 1 "$ACCOUNT" "$REPO_DIR" "$CAIRN_KEY_FILE" "$WORK/acct2"
assert_contains "$LAST_ERR" "missing: pack $(basename "$pack")"
assert_eq "$(json_get "$LAST_OUT" packs_missing)" 1
mv "$WORK/pack.away" "$pack"
# an orphan pack (no index lists it) whose header does not open
bogus=$(head -c 100 /dev/urandom | sha256sum | cut -c1-64)
mkdir -p "$REPO_DIR/data/${bogus:0:2}"
head -c 5000 /dev/urandom >"$REPO_DIR/data/${bogus:0:2}/$bogus"
echo junk >"$REPO_DIR/index/not-an-id"
assert_exit 1 "$ACCOUNT" "$REPO_DIR" "$CAIRN_KEY_FILE" "$WORK/acct3"
assert_eq "$(json_get "$LAST_OUT" packs_orphan_bad)" 1
assert_eq "$(json_get "$LAST_OUT" other)" 1
assert_contains "$LAST_ERR" "index/not-an-id: not a name of the repository layout"
rm -f "$REPO_DIR/data/${bogus:0:2}/$bogus" "$REPO_DIR/index/not-an-id"
assert_exit 0 "$ACCOUNT" "$REPO_DIR" "$CAIRN_KEY_FILE" "$WORK/acct4"

stores=local
if [[ -n "${CAIRN_TEST_S3_ENDPOINT:-}" && -n "${CAIRN_TEST_S3_FAULTS:-}" ]]; then
	stores=local,s3
	: "${CAIRN_TEST_S3_ACCESS_KEY:=${AWS_ACCESS_KEY_ID:-}}" "${CAIRN_TEST_S3_SECRET_KEY:=${AWS_SECRET_ACCESS_KEY:-}}"
	export CAIRN_TEST_S3_ACCESS_KEY CAIRN_TEST_S3_SECRET_KEY
else
	log "no S3 test server (CAIRN_TEST_S3_ENDPOINT or CAIRN_TEST_S3_FAULTS unset): local store only"
fi

# 3 runs per op on the local store, 1 on S3 (each S3 run costs ~20 s here)
matrix() { # OUT ARGS
	local out=$1 rc=0
	shift
	# kill points within the first half of a run: the CI data set is small
	# (a local replicate takes some 30 ms), so a later point often finds the
	# run finished, and every op must really be killed here
	KM_KILL_MAX=0.5 bash "$MATRIX" --seed 7 --keep-going --size-mib 24 --small 600 --build "$CAIRN_BUILD_DIR" \
		--work "$WORK/matrix" --keep-work "$@" >"$out" 2>"$out.err" || rc=$?
	cat "$out" >&2
	[[ $rc -eq 0 ]] || { tail -20 "$out.err" >&2; fail "kill-matrix.sh $* exited $rc"; }
}
log "kill matrix: 3 runs per op on the local store"
matrix "$OUT_DIR/local.out" --runs 3 --store local
assert_contains "$OUT_DIR/local.out" "9 passed, 0 failed"
if [[ $stores == *s3* ]]; then
	log "kill matrix: 1 run per op on S3"
	matrix "$OUT_DIR/s3.out" --runs 1 --store s3
	assert_contains "$OUT_DIR/s3.out" "3 passed, 0 failed"
fi
# the runs were really killed, not just run (each op, each store)
for s in ${stores//,/ }; do
	for op in backup replicate prune; do
		n=$(cat "$OUT_DIR"/*.out | grep -c "op=$op store=$s .*killed-rc=137 " || true)
		assert_gt "$n" 0 "runs of $op on $s killed"
	done
done
rm -rf "$WORK/matrix"
