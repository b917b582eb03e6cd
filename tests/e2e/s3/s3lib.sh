# shellcheck shell=bash
# Helpers for the S3 end-to-end tests, sourced after lib.sh. The S3 test
# server is started by scripts/test.sh (scripts/s3-test-server.sh), which
# exports CAIRN_TEST_S3_ENDPOINT, _BUCKET, _REGION (and ...2 for the second
# region), CAIRN_TEST_S3_FAULTS and the AWS_* credentials.
#
#   s3_require                skip the test (exit 0, "SKIP: ...") when no S3 test server is configured
#   s3_use_repo NAME          CAIRN_REPO=s3://BUCKET/<unique prefix>/NAME, endpoint and region exported;
#                             the prefix is deleted when the test ends
#   s3_keys PREFIX            list the object keys under PREFIX with boto3 (a second, independent client)
#   s3_faults_start           start s3-faults in front of the server; sets FAULTS_URL, exports the endpoint
#   s3_faults_rules TEXT      replace the proxy's rules (one rule per line)
#   s3_faults_log_count       number of requests the proxy saw since the last reset

s3_require() {
	if [ -z "${CAIRN_TEST_S3_ENDPOINT:-}" ]; then
		echo "SKIP: no S3 test server (CAIRN_TEST_S3_ENDPOINT is unset; scripts/test.sh starts one)"
		exit 0
	fi
	export AWS_ENDPOINT_URL_S3=$CAIRN_TEST_S3_ENDPOINT AWS_REGION=$CAIRN_TEST_S3_REGION
	S3_PREFIX="e2e-$TEST_NAME-$(date +%s)-$$-$RANDOM"
	on_exit "s3_delete_prefix '$S3_PREFIX'"
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
    for i in range(0, len(keys), 500):
        for k in keys[i:i + 500]:
            s3.delete_object(Bucket=bucket, Key=k)
PY
}

s3_keys() {
	_s3_boto list "$1"
}

s3_delete_prefix() {
	_s3_boto delete "$1" >/dev/null 2>&1 || true
}

s3_faults_start() {
	local out=$OUT_DIR/faults.out
	python3 "$CAIRN_TEST_S3_FAULTS" --upstream "$CAIRN_TEST_S3_ENDPOINT" --listen 127.0.0.1:0 --seed 7 >"$out" 2>"$OUT_DIR/faults.err" &
	FAULTS_PID=$!
	on_exit "kill $FAULTS_PID 2>/dev/null || true"
	for _ in $(seq 1 100); do
		if grep -q '^S3_FAULTS_ENDPOINT=' "$out" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	FAULTS_URL=$(sed -n 's/^S3_FAULTS_ENDPOINT=//p' "$out" | head -1)
	[ -n "$FAULTS_URL" ] || fail "s3-faults did not start: $(cat "$OUT_DIR/faults.err")"
	export AWS_ENDPOINT_URL_S3=$FAULTS_URL
}

s3_faults_rules() {
	curl -sf -X PUT --data-binary "$1" "$FAULTS_URL/__faults/rules" >/dev/null || fail "cannot set s3-faults rules"
	curl -sf -X DELETE "$FAULTS_URL/__faults/log" >/dev/null || true
}

s3_faults_log_count() {
	curl -sf "$FAULTS_URL/__faults/log" | python3 -c 'import sys, json
d = json.load(sys.stdin)
print(len(d if isinstance(d, list) else d.get("requests", d.get("log", []))))'
}
