# shellcheck shell=bash
# Helpers for the S3 end-to-end tests (test_s3*.sh), sourced after lib.sh.
#
# The tests run the real programs with CAIRN_REPO=s3://BUCKET/PREFIX against
# an S3 test server, and against s3-faults (../shared/tools/s3-faults) in front
# of it. scripts/test.sh starts the servers (scripts/s3-test-server.sh) and
# exports what is read here; without them the tests are skipped (exit 77):
#   CAIRN_TEST_S3_ENDPOINT, _BUCKET, _REGION     the server (OpenStack Swift's s3api)
#   CAIRN_TEST_S3_ACCESS_KEY, _SECRET_KEY        its credentials (else AWS_ACCESS_KEY_ID/..._SECRET_...)
#   CAIRN_TEST_S3_BACKEND                        swift (default) or s3rver
#   CAIRN_TEST_S3_FAULTS                         the s3-faults script
#   CAIRN_TEST_S3RVER_ENDPOINT, _BUCKET, _REGION, _ACCESS_KEY, _SECRET_KEY
#                                                a second, lenient server (npm s3rver)
#   CAIRN_TEST_S3_TARGET=s3rver                  run against the CAIRN_TEST_S3RVER_* server
#                                                (set by the test_s3rver*.sh wrappers)
# By hand: eval "$(bash ../shared/tools/s3-server start -p 9000 -d /tmp/s3 --fresh)", export
# CAIRN_TEST_S3_ENDPOINT=$S3_ENDPOINT CAIRN_TEST_S3_BUCKET=$S3_BUCKET CAIRN_TEST_S3_REGION=$S3_REGION
# CAIRN_TEST_S3_BACKEND=$S3_BACKEND CAIRN_TEST_S3_FAULTS=../shared/tools/s3-faults, then
# `ctest -R e2e/test_s3` in a build dir.
#
# Tests running in parallel (ctest -j) share the bucket but never collide: each
# works under its own prefix (test name, time, pid, random) and starts its own
# s3-faults proxy on a free port.
#
#   s3_require                skip the test unless an S3 test server is configured; exports the
#                             endpoint, region and credentials for the programs; picks S3_PREFIX
#                             (deleted when the test ends); sets S3_BACKEND_NAME (swift|s3rver)
#   s3_is_lenient             true for s3rver: it accepts any secret and checks no digest
#   s3_use_repo NAME          CAIRN_REPO=s3://BUCKET/$S3_PREFIX/NAME
#   s3_keys PREFIX            list the object keys under PREFIX with boto3 (a second, independent client)
#   s3_faults_start           start s3-faults in front of the server; sets FAULTS_URL, exports the
#                             endpoint through it
#   s3_faults_rules TEXT      replace the proxy's rules (one rule per line) and clear its log
#   s3_faults_log_count       number of requests the proxy saw since the last s3_faults_rules
#   s3_faults_fired           how often each rule fired, space-separated, in rule order

s3_require() {
	local v
	if [[ "${CAIRN_TEST_S3_TARGET:-}" == s3rver ]]; then
		TEST_NAME="$TEST_NAME@s3rver"
		[[ -n "${CAIRN_TEST_S3RVER_ENDPOINT:-}" ]] ||
			skip "no s3rver test server (CAIRN_TEST_S3RVER_ENDPOINT is unset; scripts/test.sh starts one when npm can install s3rver)"
		for v in ENDPOINT BUCKET REGION ACCESS_KEY SECRET_KEY; do
			eval "CAIRN_TEST_S3_$v=\${CAIRN_TEST_S3RVER_$v:-}"
			export "CAIRN_TEST_S3_$v"
		done
		export CAIRN_TEST_S3_BACKEND=s3rver
	fi
	[[ -n "${CAIRN_TEST_S3_ENDPOINT:-}" ]] ||
		skip "no S3 test server (CAIRN_TEST_S3_ENDPOINT is unset; scripts/test.sh starts one)"
	: "${CAIRN_TEST_S3_BUCKET:?CAIRN_TEST_S3_BUCKET must name the test bucket}"
	: "${CAIRN_TEST_S3_REGION:=us-east-1}"
	S3_BACKEND_NAME=${CAIRN_TEST_S3_BACKEND:-swift}
	if [[ -n "${CAIRN_TEST_S3_ACCESS_KEY:-}" ]]; then
		export AWS_ACCESS_KEY_ID=$CAIRN_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CAIRN_TEST_S3_SECRET_KEY
	fi
	: "${AWS_ACCESS_KEY_ID:?no S3 test credentials (CAIRN_TEST_S3_ACCESS_KEY or AWS_ACCESS_KEY_ID)}"
	export CAIRN_TEST_S3_REGION
	export AWS_ENDPOINT_URL_S3=$CAIRN_TEST_S3_ENDPOINT AWS_REGION=$CAIRN_TEST_S3_REGION
	# nothing from the caller's environment changes how the programs reach the server
	unset AWS_ENDPOINT_URL AWS_SESSION_TOKEN AWS_PROFILE AWS_CA_BUNDLE CAIRN_S3_ADDRESSING \
		CAIRN_S3_CONNECT_TIMEOUT CAIRN_S3_STALL_TIMEOUT CAIRN_S3_REQUEST_TIMEOUT CAIRN_S3_DEADLINE \
		CAIRN_S3_LIMIT_UPLOAD CAIRN_S3_LIMIT_DOWNLOAD
	S3_PREFIX="e2e-${TEST_NAME//@/-}-$(date +%s)-$$-$RANDOM"
	on_exit "s3_delete_prefix '$S3_PREFIX'"
	log "S3 server: $CAIRN_TEST_S3_ENDPOINT ($S3_BACKEND_NAME), bucket $CAIRN_TEST_S3_BUCKET, prefix $S3_PREFIX"
}

s3_is_lenient() {
	[[ "$S3_BACKEND_NAME" == s3rver ]]
}

s3_use_repo() {
	export CAIRN_REPO="s3://$CAIRN_TEST_S3_BUCKET/$S3_PREFIX/$1"
}

_s3_boto() {
	/usr/bin/python3 - "$@" <<'PY'
import os, sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["CAIRN_TEST_S3_ENDPOINT"],
                  region_name=os.environ["CAIRN_TEST_S3_REGION"],
                  aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))
bucket = os.environ["CAIRN_TEST_S3_BUCKET"]
cmd, prefix = sys.argv[1], sys.argv[2]
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
    keys += [o["Key"] for o in page.get("Contents", [])]
if cmd == "list":
    for k in sorted(keys):
        print(k[len(prefix) + 1:])
elif cmd == "delete":
    for k in keys:
        s3.delete_object(Bucket=bucket, Key=k)
PY
}

s3_keys() {
	_s3_boto list "$1"
}

s3_delete_prefix() {
	_s3_boto delete "$1" >/dev/null 2>&1 || echo "[$TEST_NAME] warning: could not delete s3 prefix '$1'" >&2
}

s3_faults_start() {
	local out=$OUT_DIR/faults.out
	[[ -n "${CAIRN_TEST_S3_FAULTS:-}" && -f "${CAIRN_TEST_S3_FAULTS}" ]] ||
		skip "no s3-faults proxy (CAIRN_TEST_S3_FAULTS='${CAIRN_TEST_S3_FAULTS:-}')"
	python3 "$CAIRN_TEST_S3_FAULTS" --upstream "$CAIRN_TEST_S3_ENDPOINT" --listen 127.0.0.1:0 --seed 7 \
		>"$out" 2>"$OUT_DIR/faults.err" &
	FAULTS_PID=$!
	on_exit "kill $FAULTS_PID 2>/dev/null || true"
	for _ in $(seq 1 300); do
		if grep -q '^S3_FAULTS_ENDPOINT=' "$out" 2>/dev/null; then
			break
		fi
		kill -0 "$FAULTS_PID" 2>/dev/null || break
		sleep 0.1
	done
	FAULTS_URL=$(sed -n 's/^S3_FAULTS_ENDPOINT=//p' "$out" | head -1)
	[[ -n "$FAULTS_URL" ]] || fail "s3-faults did not start: $(cat "$OUT_DIR/faults.err")"
	export AWS_ENDPOINT_URL_S3=$FAULTS_URL
	log "s3-faults proxy at $FAULTS_URL"
}

s3_faults_rules() {
	curl -sf -X PUT --data-binary "$1" "$FAULTS_URL/__faults/rules" >/dev/null || fail "cannot set s3-faults rules"
	curl -sf -X DELETE "$FAULTS_URL/__faults/log" >/dev/null || fail "cannot clear the s3-faults log"
}

s3_faults_log_count() {
	curl -sf "$FAULTS_URL/__faults/log" | python3 -c 'import sys, json
d = json.load(sys.stdin)
print(len(d if isinstance(d, list) else d.get("requests", d.get("log", []))))'
}

s3_faults_fired() {
	curl -sf "$FAULTS_URL/__faults/rules" | python3 -c 'import sys, json
print(" ".join(str(r["fired"]) for r in json.load(sys.stdin)))'
}
