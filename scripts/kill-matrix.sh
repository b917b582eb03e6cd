#!/usr/bin/env bash
# kill -9 matrix (issue 11): kill `backup`, `replicate` and `prune` at seeded
# random moments, on a local repository and on S3 (through s3-faults in front
# of the swift backend), and after each kill check the promise "a snapshot
# exists whole or not at all; the next run resumes":
#   1. the next run of the same operation exits 0;
#   2. `cairn-agent check --read-data` exits 0 (fresh state dir);
#   3. every snapshot restores (fresh state dir) and equals, byte for byte and
#      metadata for metadata, the tree it was taken of (treetool manifests),
#      and the snapshots present are the ones expected;
#   4. every object is accounted for (tests/tools/account_objects.c: indexed
#      packs, orphan packs the next backup indexes, index objects, snapshots,
#      keys, config, locks live or stale), no pack an index lists is missing;
#      after the next run no orphan pack and no lock is left (strict), local
#      temporary files and S3 multipart uploads are counted.
#   For prune, orphan packs left by a kill during the deletions are followed
#   further: a backup (which should index them) and a prune must remove them.
#
# usage: scripts/kill-matrix.sh [--seed N] [--runs N] [--ops backup,replicate,prune]
#            [--store local,s3] [--keep-going] [--replay SEED] [--size-mib N]
#            [--small N] [--build DIR] [--work DIR] [--keep-work] [--faults RULES]
#
#   --seed N        master seed (default 1); run i of an op/store has seed N*10000+i
#   --runs N        runs per op and store (default 50)
#   --replay SEED   run only the run with this seed (with the --ops/--store it ran with)
#   --keep-going    do not stop at the first failure
#   --size-mib N    size of the big random file of the data set (default 48; the
#                   whole set is about N+13 MiB, so 4-5 packs of 16 MiB)
#   --faults RULES  s3-faults rules during the killed and the next run (e.g.
#                   'error:503,prob=0.05'); default none
#   --build DIR     build directory with cairn-agent, cairn-restore and
#                   tests/account_objects (default ./build); CAIRN_AGENT,
#                   CAIRN_RESTORE, CAIRN_ACCOUNT override
#   --work DIR      work directory (default a new /tmp/kill-matrix.XXXXXX; removed
#                   at the end unless --keep-work or a run failed)
# S3: uses the server named by CAIRN_TEST_S3_ENDPOINT/_BUCKET/_REGION/_ACCESS_KEY/
# _SECRET_KEY (scripts/test.sh, tests/e2e/s3lib.sh) if set, else starts one with
# ../shared/tools/s3-server (CAIRN_S3_SERVER) on port KM_S3_PORT (default 9300).
# KM_KILL_MAX (default 1.1): kill points are drawn from [0, KM_KILL_MAX) times
# the calibration run's duration (above 1, some runs finish before the kill).
# s3-faults: CAIRN_TEST_S3_FAULTS, else beside s3-server.
#
# Each run prints one line: seed, op, store, variant, kill point (fraction of
# the op's calibrated duration and seconds), the killed run's exit code, then
# the checks and PASS or FAIL (with the reason); the end prints figures and
# "N passed, M failed" with the failing seeds. Exit 0 when none failed.
set -uo pipefail

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TREETOOL="$TOP/tests/e2e/treetool.py"
SEED=1 RUNS=50 OPS=backup,replicate,prune STORES=local,s3 KEEP_GOING=0 REPLAY="" SIZE_MIB=48 SMALL=1500
BUILD="$TOP/build" WORK="" KEEP_WORK=0 FAULT_RULES=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--seed) SEED=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--ops) OPS=$2; shift 2 ;;
	--store) STORES=$2; shift 2 ;;
	--keep-going) KEEP_GOING=1; shift ;;
	--replay) REPLAY=$2; shift 2 ;;
	--size-mib) SIZE_MIB=$2; shift 2 ;;
	--small) SMALL=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--work) WORK=$2; shift 2 ;;
	--keep-work) KEEP_WORK=1; shift ;;
	--faults) FAULT_RULES=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "kill-matrix: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[[ "$SEED" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ && "$SIZE_MIB" =~ ^[0-9]+$ ]] ||
	{ echo "kill-matrix: --seed, --runs and --size-mib take numbers" >&2; exit 2; }
if [[ -n "$REPLAY" ]]; then
	[[ "$REPLAY" =~ ^[0-9]+$ ]] || { echo "kill-matrix: --replay takes a run seed" >&2; exit 2; }
	SEED=$((REPLAY / 10000))
	RUNS=1
fi

AGENT=${CAIRN_AGENT:-$BUILD/cairn-agent}
RESTORE=${CAIRN_RESTORE:-$BUILD/cairn-restore}
ACCOUNT=${CAIRN_ACCOUNT:-$BUILD/tests/account_objects}
for p in "$AGENT" "$RESTORE" "$ACCOUNT"; do
	[[ -x "$p" ]] || { echo "kill-matrix: '$p' is missing: build with -DCAIRN_TESTS=ON (--build DIR)" >&2; exit 2; }
done
unset CAIRN_CONFIG CAIRN_PASSPHRASE CAIRN_PASSPHRASE_FILE CAIRN_REPO CAIRN_STATE_DIR

if [[ -z "$WORK" ]]; then
	WORK=$(mktemp -d /tmp/kill-matrix.XXXXXX)
else
	mkdir -p "$WORK"
fi
WORK=$(cd "$WORK" && pwd)
export CAIRN_KEY_FILE=$WORK/key
RUN=$WORK/run
LOG=$WORK/log
mkdir -p "$LOG"
S3_STARTED="" FAULTS_PID="" FAILED_ANY=0

say() { echo "[kill-matrix +${SECONDS}s] $*" >&2; }
die() { say "ERROR: $*"; exit 2; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

cleanup() {
	local rc=$?
	[[ -n "$FAULTS_PID" ]] && kill "$FAULTS_PID" 2>/dev/null
	if [[ -n "$S3_STARTED" ]]; then
		bash "$S3_SERVER_TOOL" stop -d "$S3_STARTED" >/dev/null 2>&1
	elif [[ -n "${S3_RUN_PREFIX:-}" ]]; then
		s3py clear "$S3_ROOT_PREFIX" >/dev/null 2>&1
	fi
	if [[ $KEEP_WORK == 0 && $FAILED_ANY == 0 && $rc -eq 0 ]]; then
		rm -rf "$WORK"
	else
		say "work dir kept: $WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- S3 helpers

# s3py CMD ARGS: clear PREFIX | copy SRC DST | uploads PREFIX (in-progress
# multipart uploads) | keys PREFIX. Talks to the server directly (not through
# s3-faults), with boto3, an independent client.
s3py() {
	/usr/bin/python3 - "$@" <<'PY'
import os, sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["CAIRN_TEST_S3_ENDPOINT"],
                  region_name=os.environ["CAIRN_TEST_S3_REGION"],
                  aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5}))
bucket = os.environ["CAIRN_TEST_S3_BUCKET"]
cmd = sys.argv[1]
def keys(prefix):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out
def uploads(prefix):
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix + "/")
    return [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
if cmd == "clear":
    for k, u in uploads(sys.argv[2]):
        s3.abort_multipart_upload(Bucket=bucket, Key=k, UploadId=u)
    for k in keys(sys.argv[2]):
        s3.delete_object(Bucket=bucket, Key=k)
elif cmd == "reset":  # reset DST BASE: clear DST, then copy BASE there
    dst, src = sys.argv[2], sys.argv[3]
    for k, u in uploads(dst):
        s3.abort_multipart_upload(Bucket=bucket, Key=k, UploadId=u)
    for k in keys(dst):
        s3.delete_object(Bucket=bucket, Key=k)
    for k in keys(src):
        s3.copy_object(Bucket=bucket, Key=dst + k[len(src):], CopySource={"Bucket": bucket, "Key": k})
elif cmd == "copy":
    src, dst = sys.argv[2], sys.argv[3]
    for k in keys(src):
        s3.copy_object(Bucket=bucket, Key=dst + k[len(src):], CopySource={"Bucket": bucket, "Key": k})
elif cmd == "uploads":
    print(len(uploads(sys.argv[2])))
elif cmd == "keys":
    for k in sorted(keys(sys.argv[2])):
        print(k)
PY
}

s3_setup() {
	if [[ -z "${CAIRN_TEST_S3_ENDPOINT:-}" ]]; then
		S3_SERVER_TOOL=${CAIRN_S3_SERVER:-$TOP/../shared/tools/s3-server}
		[[ -f "$S3_SERVER_TOOL" ]] || die "no S3 server: set CAIRN_TEST_S3_ENDPOINT or CAIRN_S3_SERVER"
		say "starting the swift S3 server on port ${KM_S3_PORT:-9300}"
		bash "$S3_SERVER_TOOL" start -p "${KM_S3_PORT:-9300}" -d "$WORK/s3" --fresh >"$WORK/s3.env" 2>"$LOG/s3-server.err" ||
			die "the S3 server did not start (see $LOG/s3-server.err)"
		S3_STARTED=$WORK/s3
		# shellcheck disable=SC1091
		source "$WORK/s3.env"
		export CAIRN_TEST_S3_ENDPOINT=$S3_ENDPOINT CAIRN_TEST_S3_BUCKET=$S3_BUCKET CAIRN_TEST_S3_REGION=$S3_REGION
		export CAIRN_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY CAIRN_TEST_S3_SECRET_KEY=$S3_SECRET_KEY
	fi
	: "${CAIRN_TEST_S3_BUCKET:?}" "${CAIRN_TEST_S3_REGION:=us-east-1}"
	export CAIRN_TEST_S3_REGION
	if [[ -n "${CAIRN_TEST_S3_ACCESS_KEY:-}" ]]; then
		export AWS_ACCESS_KEY_ID=$CAIRN_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CAIRN_TEST_S3_SECRET_KEY
	fi
	export AWS_REGION=$CAIRN_TEST_S3_REGION
	unset AWS_ENDPOINT_URL AWS_SESSION_TOKEN AWS_PROFILE CAIRN_S3_ADDRESSING CAIRN_S3_DEADLINE
	local faults=${CAIRN_TEST_S3_FAULTS:-$(dirname "${S3_SERVER_TOOL:-$TOP/../shared/tools/s3-server}")/s3-faults}
	[[ -f "$faults" ]] || die "no s3-faults proxy at '$faults' (CAIRN_TEST_S3_FAULTS)"
	python3 "$faults" --upstream "$CAIRN_TEST_S3_ENDPOINT" --listen 127.0.0.1:0 --seed "$SEED" \
		>"$WORK/faults.out" 2>"$LOG/faults.err" &
	FAULTS_PID=$!
	for _ in $(seq 1 300); do
		grep -q '^S3_FAULTS_ENDPOINT=' "$WORK/faults.out" 2>/dev/null && break
		kill -0 "$FAULTS_PID" 2>/dev/null || break
		sleep 0.1
	done
	FAULTS_URL=$(sed -n 's/^S3_FAULTS_ENDPOINT=//p' "$WORK/faults.out" | head -1)
	[[ -n "$FAULTS_URL" ]] || die "s3-faults did not start: $(cat "$LOG/faults.err")"
	export AWS_ENDPOINT_URL_S3=$FAULTS_URL
	S3_ROOT_PREFIX="kill-matrix-$(date +%s)-$$"
	S3_RUN_PREFIX=$S3_ROOT_PREFIX/run
	rm -f "$WORK/base/done-s3" # bases of an earlier invocation were under another prefix
	say "S3: $CAIRN_TEST_S3_ENDPOINT bucket $CAIRN_TEST_S3_BUCKET prefix $S3_ROOT_PREFIX, through s3-faults at $FAULTS_URL"
}

faults_rules() {
	curl -sf -X PUT --data-binary "$1" "$FAULTS_URL/__faults/rules" >/dev/null || die "cannot set s3-faults rules"
	curl -sf -X DELETE "$FAULTS_URL/__faults/log" >/dev/null || true
}

# ---------------------------------------------------------------- sites

# A site is a repository location: local (a directory under $RUN) or S3 (a
# prefix under $S3_RUN_PREFIX). Runs always use the same locations, so that a
# saved state dir (whose catalog is named after the URL) goes with them.
site_url() { # STORE NAME
	if [[ $1 == s3 ]]; then echo "s3://$CAIRN_TEST_S3_BUCKET/$S3_RUN_PREFIX/$2"; else echo "$RUN/$2"; fi
}

# save the run's site NAME as base BASE (with its state dir STATE, may be "")
site_save() { # STORE NAME BASE
	mkdir -p "$WORK/base/$3"
	if [[ $1 == s3 ]]; then
		s3py clear "$S3_ROOT_PREFIX/base/$3" && s3py copy "$S3_RUN_PREFIX/$2" "$S3_ROOT_PREFIX/base/$3" || die "cannot save base $3"
	else
		rm -rf "$WORK/base/$3/site" && cp -a "$RUN/$2" "$WORK/base/$3/site"
	fi
}

site_clear() { # STORE NAME
	if [[ $1 == s3 ]]; then
		s3py clear "$S3_RUN_PREFIX/$2" || die "cannot clear $S3_RUN_PREFIX/$2"
	else
		rm -rf "${RUN:?}/$2"
	fi
}

site_load() { # STORE NAME BASE
	if [[ $1 == s3 ]]; then
		s3py reset "$S3_RUN_PREFIX/$2" "$S3_ROOT_PREFIX/base/$3" || die "cannot load base $3"
	else
		site_clear "$1" "$2"
		mkdir -p "$RUN" && cp -a "$WORK/base/$3/site" "$RUN/$2"
	fi
}

state_save() { rm -rf "$WORK/base/$2/state"; mkdir -p "$1"; cp -a "$1" "$WORK/base/$2/state"; }
state_load() { rm -rf "$1"; cp -a "$WORK/base/$2/state" "$1"; }

# ---------------------------------------------------------------- data set

TREES=$WORK/trees
make_trees() {
	[[ -f "$TREES/C.manifest" && -d "$TREES/A" && -d "$TREES/B" && -d "$TREES/C" && ! -e "$SRC" ]] && return 0
	rm -rf "$SRC" "$WORK/base"
	say "data set: a ${SIZE_MIB} MiB random file and $SMALL small files (tree A), B = A with 20% changed, C = B with 30% changed and a new big file"
	rm -rf "$TREES" && mkdir -p "$TREES"
	python3 "$TREETOOL" generate "$TREES/A" --seed 1101 --big-mib "$SIZE_MIB" --small "$SMALL" >/dev/null || die "treetool generate"
	cp -a "$TREES/A" "$TREES/B"
	python3 "$TREETOOL" mutate "$TREES/B" --seed 1102 --percent 20 >/dev/null || die "treetool mutate"
	cp -a "$TREES/B" "$TREES/C"
	python3 "$TREETOOL" mutate "$TREES/C" --seed 1103 --percent 30 >/dev/null || die "treetool mutate"
	rm -f "$TREES/C/big/big.bin"
	head -c $((SIZE_MIB / 2 * 1024 * 1024)) /dev/urandom >"$TREES/C/big/new.bin"
	for t in A B C; do
		python3 "$TREETOOL" manifest "$TREES/$t" --out "$TREES/$t.manifest" || die "treetool manifest"
	done
	say "data set: $(du -sm "$TREES/A" | cut -f1) MiB in A, $(find "$TREES/A" -type f | wc -l) files"
}

# agent_q SUBCOMMAND ARGS: the agent, quiet
# Every backup is of the one path $SRC (retention groups snapshots by path):
# tree_in X moves tree X there, tree_out moves it back; the snapshot's tag
# tree-X names its tree.
SRC=$WORK/src CUR_TREE=""
tree_in() { tree_out; mv "$TREES/$1" "$SRC" || die "cannot move tree $1 into place"; CUR_TREE=$1; }
tree_out() { if [[ -n "$CUR_TREE" ]]; then mv "$SRC" "$TREES/$CUR_TREE" || die "cannot move tree $CUR_TREE back"; CUR_TREE=""; fi; }
# backup_tree X ARGS: back up tree X (tagged) with ARGS (repo, state dir)
backup_tree() { local t=$1; shift; tree_in "$t"; agent_q backup --tag "tree-$t" "$@" "$SRC"; local rc=$?; tree_out; return $rc; }

agent_q() { local sub=$1; shift; "$AGENT" "$sub" --quiet "$@"; }
# run_op STATE_DIR: the prepared operation (OP_CMD)
run_op() { "$AGENT" "${OP_CMD[0]}" --quiet --state-dir "$1" "${OP_CMD[@]:1}"; }

# ---------------------------------------------------------------- bases

# Bases, built once per store, from which every run starts:
#   backup-empty   an initialised repository (the killed backup stores tree A)
#   backup-A       with a snapshot of A (the killed backup stores B)
#   primary-AB     snapshots of A and B (the primary of replicate)
#   replica-A      a replica holding A only (replicate variant "resume")
#   prune-ABC      snapshots of A, B, C (prune --keep-last 1 deletes and repacks)
build_bases() { # STORE
	local s=$1 st=$RUN/state
	[[ -f "$WORK/base/done-$s" ]] && return 0
	say "building the bases on $s"
	site_clear "$s" repo; site_clear "$s" replica; rm -rf "$RUN/primary" "$st"
	local repo; repo=$(site_url "$s" repo)
	agent_q init --repo "$repo" --state-dir "$st" || die "init $repo"
	site_save "$s" repo "backup-empty-$s"; state_save "$st" "backup-empty-$s"
	backup_tree A --repo "$repo" --state-dir "$st" || die "backup A"
	site_save "$s" repo "backup-A-$s"; state_save "$st" "backup-A-$s"
	backup_tree B --repo "$repo" --state-dir "$st" || die "backup B"
	backup_tree C --repo "$repo" --state-dir "$st" || die "backup C"
	site_save "$s" repo "prune-ABC-$s"; state_save "$st" "prune-ABC-$s"
	# replicate: the primary is always local
	rm -rf "$st" "$RUN/primary"
	agent_q init --repo "$RUN/primary" --state-dir "$st" || die "init primary"
	backup_tree A --repo "$RUN/primary" --state-dir "$st" || die "backup A (primary)"
	agent_q replicate --repo "$RUN/primary" --state-dir "$st" --to "$(site_url "$s" replica)" || die "replicate A"
	site_save "$s" replica "replica-A-$s"
	backup_tree B --repo "$RUN/primary" --state-dir "$st" || die "backup B (primary)"
	site_save local primary "primary-AB-$s"; state_save "$st" "primary-AB-$s"
	touch "$WORK/base/done-$s"
}

# ---------------------------------------------------------------- one run

# prepare OP STORE VARIANT: sets SITE (the repository checked afterwards),
# OP_CMD (the operation), EXPECT (trees of the snapshots expected, sorted,
# space-separated; a backup that completed before the kill adds one)
prepare() {
	local op=$1 s=$2 v=$3
	rm -rf "$RUN/state" "$RUN/state-"* "$RUN/t"
	mkdir -p "$RUN"
	case $op in
	backup)
		site_load "$s" repo "backup-$v-$s"; state_load "$RUN/state" "backup-$v-$s"
		SITE=$(site_url "$s" repo)
		if [[ $v == empty ]]; then
			tree_in A; OP_CMD=(backup --repo "$SITE" --tag tree-A "$SRC"); EXPECT="A"; EXTRA="A"
		else
			tree_in B; OP_CMD=(backup --repo "$SITE" --tag tree-B "$SRC"); EXPECT="A B"; EXTRA="B"
		fi
		;;
	replicate)
		rm -rf "$RUN/primary"; cp -a "$WORK/base/primary-AB-$s/site" "$RUN/primary"
		# resume: the catalog knows what the replica got; fresh: a new state dir
		if [[ $v == resume ]]; then
			site_load "$s" replica "replica-A-$s"; state_load "$RUN/state" "primary-AB-$s"
		else
			site_clear "$s" replica
		fi
		SITE=$(site_url "$s" replica)
		OP_CMD=(replicate --repo "$RUN/primary" --to "$SITE"); EXPECT="A B"; EXTRA=""
		;;
	prune)
		site_load "$s" repo "prune-ABC-$s"; state_load "$RUN/state" "prune-ABC-$s"
		SITE=$(site_url "$s" repo)
		OP_CMD=(prune --repo "$SITE" --keep-last 1 --grace 0); EXPECT="C"; EXTRA=""
		;;
	esac
}

# calibrate OP STORE VARIANT: the duration of an uninterrupted run (seconds)
declare -A CAL
calibrate() {
	local key="$1-$2-$3" t0 t1
	[[ -n "${CAL[$key]:-}" ]] && return 0
	prepare "$1" "$2" "$3"
	t0=$(now)
	run_op "$RUN/state" >"$LOG/cal-$key.out" 2>&1 ||
		die "calibration run of $key failed: $(tail -3 "$LOG/cal-$key.out")"
	t1=$(now)
	tree_out
	CAL[$key]=$(elapsed "$t0" "$t1")
	say "calibration: $1 on $2 ($3) takes ${CAL[$key]}s"
}

# verify_snapshots: every snapshot restores from a fresh state dir and equals
# its tree; the trees of the snapshots present must be EXPECT, or EXPECT and
# EXTRA once more (the killed backup stored its snapshot before the kill). Sets V_SNAPS; returns 1 with V_WHY.
verify_snapshots() {
	local pts=$RUN/points.json n i id path tree trees=""
	if ! "$RESTORE" points --json --repo "$SITE" --state-dir "$RUN/state-restore" >"$pts" 2>"$RUN/points.err"; then
		V_WHY="points failed: $(tail -1 "$RUN/points.err")"; return 1
	fi
	n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$pts")
	V_SNAPS=$n
	for ((i = 0; i < n; i++)); do
		read -r id path partial tree < <(python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))[int(sys.argv[2])]
tags = [t[5:] for t in s["tags"] if t.startswith("tree-")]
print(s["id"], s["paths"][0], str(s["partial"]).lower(), tags[0] if tags else "?")' "$pts" "$i")
		[[ "$partial" == false ]] || { V_WHY="snapshot ${id:0:8} is partial"; return 1; }
		[[ -f "$TREES/$tree.manifest" ]] || { V_WHY="snapshot ${id:0:8} of an unknown path $path"; return 1; }
		rm -rf "$RUN/t"
		if ! "$RESTORE" restore --quiet --repo "$SITE" --state-dir "$RUN/state-restore" --snapshot "$id" \
			--target "$RUN/t" >"$RUN/restore.out" 2>&1; then
			V_WHY="restore of snapshot ${id:0:8} ($tree) failed: $(tail -1 "$RUN/restore.out")"; return 1
		fi
		python3 "$TREETOOL" manifest "$RUN/t$path" --out "$RUN/t.manifest" >/dev/null 2>&1 &&
			python3 "$TREETOOL" compare "$TREES/$tree.manifest" "$RUN/t.manifest" >"$RUN/compare.out" 2>&1 ||
			{ V_WHY="snapshot ${id:0:8} restores a tree that differs from $tree: $(head -2 "$RUN/compare.out" | tr '\n' ' ')"; return 1; }
		trees+="$tree "
	done
	rm -rf "$RUN/t"
	local got want want2
	got=$(echo $trees | tr ' ' '\n' | sort | tr '\n' ' ')
	want=$(echo $EXPECT | tr ' ' '\n' | sort | tr '\n' ' ')
	want2=$(echo $EXPECT $EXTRA | tr ' ' '\n' | sort | tr '\n' ' ')
	if [[ "$got" != "$want" && ( -z "$EXTRA" || "$got" != "$want2" ) ]]; then
		V_WHY="snapshots of trees '${got% }', expected '${want% }'"; return 1
	fi
	return 0
}

# account SITE LABEL: run account_objects; sets ACC (JSON file); returns its rc
account() {
	ACC=$RUN/account-$2.json
	"$ACCOUNT" "$1" "$CAIRN_KEY_FILE" "$RUN/state-acct-$2" >"$ACC" 2>"$RUN/account-$2.err"
}
acc() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$ACC" "$1" 2>/dev/null || echo "?"; }

# leftovers outside the object namespace: local tmp files, S3 multipart uploads
leftovers() { # STORE SITE
	if [[ $1 == s3 ]]; then
		s3py uploads "${2#s3://"$CAIRN_TEST_S3_BUCKET"/}"
	else
		find "$2/tmp" -type f 2>/dev/null | wc -l
	fi
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# one_run SEED OP STORE: prints the run's line; returns 1 on failure
one_run() {
	local seed=$1 op=$2 s=$3 v frac delay cal pid rc=0 t0 why="" next_rc chk_rc start=$SECONDS
	local variants
	case $op in backup) variants=(empty A) ;; replicate) variants=(fresh resume) ;; prune) variants=(ABC) ;; esac
	read -r v frac < <(python3 -c 'import random,sys
r = random.Random("%s/%s/%s" % tuple(sys.argv[1:4]))
v = sys.argv[4:-1]
print(v[r.randrange(len(v))], "%.3f" % r.uniform(0, float(sys.argv[-1])))' "$seed" "$op" "$s" "${variants[@]}" \
		"${KM_KILL_MAX:-1.1}")
	calibrate "$op" "$s" "$v"
	cal=${CAL[$op-$s-$v]}
	delay=$(python3 -c 'import sys; print("%.3f" % (float(sys.argv[1]) * float(sys.argv[2])))' "$frac" "$cal")
	prepare "$op" "$s" "$v"
	[[ $s == s3 && -n "$FAULT_RULES" ]] && faults_rules "$FAULT_RULES"
	t0=$(now)
	# exec: $! must be the agent itself, not a subshell (a killed subshell
	# would leave the agent running)
	(exec "$AGENT" "${OP_CMD[0]}" --quiet --state-dir "$RUN/state" "${OP_CMD[@]:1}") >"$RUN/killed.out" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || rc=$?
	# nothing of the killed run may survive it
	if pgrep -f -- "--state-dir $RUN/state " >/dev/null; then die "the killed $op survived: $(pgrep -af -- "--state-dir $RUN/state ")"; fi
	# a request the killed run had sent may still be finishing on the server
	[[ $s == s3 ]] && sleep 1
	local line="seed $seed op=$op store=$s variant=$v kill=$frac (${delay}s of ${cal}s) killed-rc=$rc"
	# a run that was not killed must have succeeded
	if [[ $rc -ne 137 && $rc -ne 0 ]]; then why="the run exited $rc before the kill: $(tail -1 "$RUN/killed.out")"; fi
	# what the kill left
	local k_orphans="-" k_locks="-" k_tmp="-" k_snaps="-"
	if [[ -z "$why" ]]; then
		if account "$SITE" killed; then
			k_orphans=$(acc packs_orphan); k_locks=$(acc locks); k_snaps=$(acc snapshots)
		elif [[ $op == replicate && $v == fresh ]] && grep -q 'no repository at' "$RUN/account-killed.err"; then
			# killed before the config was stored: no repository there yet
			# (FORMAT.md 13.1); the next run completes it
			k_orphans=noconfig; k_locks=0
		else
			why="after the kill: objects not accounted for: $(grep -m1 -E 'unaccounted|missing|account_objects' "$RUN/account-killed.err")"
		fi
		k_tmp=$(leftovers "$s" "$SITE")
	fi
	# 1. the next run
	if [[ -z "$why" ]]; then
		next_rc=0
		run_op "$RUN/state" >"$RUN/next.out" 2>&1 || next_rc=$?
		[[ $next_rc -eq 0 ]] || why="the next $op exited $next_rc: $(tail -1 "$RUN/next.out")"
	fi
	tree_out
	[[ $s == s3 && -n "$FAULT_RULES" ]] && faults_rules ""
	# 2. check --read-data
	if [[ -z "$why" ]]; then
		chk_rc=0
		"$AGENT" check --read-data --quiet --repo "$SITE" --state-dir "$RUN/state-check" >"$RUN/check.out" 2>&1 || chk_rc=$?
		[[ $chk_rc -eq 0 ]] || why="check --read-data exited $chk_rc: $(grep -v '^ ' "$RUN/check.out" | tail -2 | tr '\n' ' ')"
	fi
	# 3. every snapshot restores and equals its tree
	V_SNAPS="-"
	if [[ -z "$why" ]] && ! verify_snapshots; then why=$V_WHY; fi
	# 4. accounting after the next run: everything accounted for, no orphan, no lock
	local orphans="-" locks="-" tmpf="-" objs="-" sup="-" red="-"
	if [[ -z "$why" ]]; then
		account "$SITE" next || why="objects not accounted for: $(grep -m1 -E 'unaccounted|missing|account_objects' "$RUN/account-next.err")"
		orphans=$(acc packs_orphan); locks=$(acc locks); objs=$(acc objects); sup=$(acc index_superseded); red=$(acc index_redundant)
		tmpf=$(leftovers "$s" "$SITE")
		if [[ -z "$why" && $op == replicate ]]; then
			local ACC_SAVE=$ACC
			account "$RUN/primary" primary || why="primary: objects not accounted for: $(grep -m1 -E 'unaccounted|missing' "$RUN/account-primary.err")"
			[[ -z "$why" && $(acc locks) != 0 ]] && why="primary: $(acc locks) lock(s) left after the next replicate"
			ACC=$ACC_SAVE
		fi
		if [[ -z "$why" && $locks != 0 ]]; then why="$locks lock(s) left after the next $op: $(grep -m1 '^lock' "$RUN/account-next.err")"; fi
		if [[ -z "$why" && $s == s3 && $tmpf != 0 ]]; then why="$tmpf multipart upload(s) left"; fi
		if [[ -z "$why" && $orphans != 0 ]]; then
			if [[ $op == prune ]]; then
				# FORMAT.md 13.5: the next backup indexes them again, a later prune deletes them
				backup_tree C --state-dir "$RUN/state" --repo "$SITE" >"$RUN/collect.out" 2>&1 &&
					agent_q prune --state-dir "$RUN/state" --repo "$SITE" --keep-last 1 --grace 0 >>"$RUN/collect.out" 2>&1 ||
					why="collecting orphans: backup/prune failed: $(tail -1 "$RUN/collect.out")"
				if [[ -z "$why" ]]; then
					account "$SITE" collect || why="after collection: objects not accounted for"
					[[ -z "$why" && $(acc packs_orphan) != 0 ]] &&
						why="$orphans orphan pack(s) after the next prune, still $(acc packs_orphan) after a backup and a prune"
					orphans="$orphans>$(acc packs_orphan)"
				fi
			else
				why="$orphans orphan pack(s) left after the next $op"
			fi
		fi
	fi
	line+=" | left: snapshots=$k_snaps orphans=$k_orphans locks=$k_locks tmp/mpu=$k_tmp | next ok, check ok, snapshots=$V_SNAPS restored | objects=$objs orphans=$orphans locks=$locks superseded=$sup redundant=$red tmp/mpu=$tmpf"
	local verdict=PASS
	if [[ -n "$why" ]]; then
		verdict=FAIL
		line="seed $seed op=$op store=$s variant=$v kill=$frac (${delay}s of ${cal}s) killed-rc=$rc"
		mkdir -p "$LOG/fail-$seed-$op-$s" && cp -a "$RUN"/*.out "$RUN"/*.err "$RUN"/*.json "$LOG/fail-$seed-$op-$s/" 2>/dev/null
	fi
	echo "$line | $verdict${why:+: $why} ($((SECONDS - start))s)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$seed" "$op" "$s" "$v" "$frac" "$rc" "$verdict" \
		"$k_orphans" "$k_locks" "$k_tmp" "$why" >>"$RESULTS"
	[[ $verdict == PASS ]]
}

# ---------------------------------------------------------------- main

IFS=, read -r -a OP_LIST <<<"$OPS"
IFS=, read -r -a STORE_LIST <<<"$STORES"
for o in "${OP_LIST[@]}"; do [[ $o =~ ^(backup|replicate|prune)$ ]] || die "unknown op '$o'"; done
for s in "${STORE_LIST[@]}"; do [[ $s =~ ^(local|s3)$ ]] || die "unknown store '$s'"; done
[[ " ${STORE_LIST[*]} " == *" s3 "* ]] && s3_setup
agent_q init --repo "$WORK/keyinit" --key-file "$CAIRN_KEY_FILE" --state-dir "$WORK/keyinit-state" >/dev/null ||
	die "cannot make a key"
rm -rf "$WORK/keyinit" "$WORK/keyinit-state"
make_trees

START=$SECONDS
stop=0
for s in "${STORE_LIST[@]}"; do
	build_bases "$s"
	for o in "${OP_LIST[@]}"; do
		for ((i = 1; i <= RUNS; i++)); do
			seed=$((SEED * 10000 + i))
			[[ -n "$REPLAY" ]] && seed=$REPLAY
			if ! one_run "$seed" "$o" "$s"; then
				FAILED_ANY=1
				[[ $KEEP_GOING == 1 ]] || { stop=1; break; }
			fi
		done
		[[ $stop == 1 ]] && break
	done
	[[ $stop == 1 ]] && break
done

# figures
python3 - "$RESULTS" $((SECONDS - START)) <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
secs = int(sys.argv[2])
by = collections.defaultdict(list)
for r in rows:
    by[(r[1], r[2])].append(r)
print("figures (%d runs in %d s):" % (len(rows), secs))
for (op, st), rs in sorted(by.items()):
    killed = sum(r[5] == "137" for r in rs)
    buckets = [0] * 5
    for r in rs:
        f = float(r[4])
        buckets[min(int(f / 0.25), 4)] += 1
    npass = sum(r[6] == "PASS" for r in rs)
    left = sum(r[7].isdigit() and r[7] != "0" for r in rs)
    lefto = sum(int(r[7]) for r in rs if r[7].isdigit())
    print("  %-9s %-5s runs %3d, killed %3d, completed before the kill %2d; kill point (fraction of the run) "
          "0-.25:%d .25-.5:%d .5-.75:%d .75-1:%d >1:%d; kills that left orphan packs %d (%d packs); passed %d" %
          (op, st, len(rs), killed, len(rs) - killed, *buckets, left, lefto, npass))
fails = [r for r in rows if r[6] != "PASS"]
print("%d passed, %d failed" % (len(rows) - len(fails), len(fails)))
for r in fails:
    print("  failed: seed %s op=%s store=%s: %s" % (r[0], r[1], r[2], r[10]))
PY
[[ $FAILED_ANY == 0 ]]
