# shellcheck shell=bash
# Sourced by scripts/test.sh: start the S3 test servers for the S3 tests and
# export what the tests read. Uses the workplace's S3 test tool (OpenStack
# Swift's s3api from Debian, two regions), found at $CAIRN_S3_SERVER or
# ../shared/tools/s3-server beside the repository. Without the tool the S3
# tests are skipped, and this says so.
#   s3_test_server_start DIR    start (port $CAIRN_S3_PORT, default 19000..19004)
#   s3_test_server_stop         stop it (also run by the EXIT trap)

s3_test_server_start() {
	local dir=$1 tool=${CAIRN_S3_SERVER:-}
	if [ -z "$tool" ]; then
		tool="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/tools/s3-server"
	fi
	if [ ! -f "$tool" ]; then
		echo "test.sh: no S3 test server tool at '$tool' (set CAIRN_S3_SERVER): S3 tests will be SKIPPED" >&2
		return 0
	fi
	S3_SERVER_TOOL=$tool
	S3_SERVER_DIR=$dir
	trap s3_test_server_stop EXIT
	bash "$tool" start -p "${CAIRN_S3_PORT:-19000}" -d "$dir" --fresh >"$dir.env"
	# shellcheck disable=SC1090
	source "$dir.env"
	export CAIRN_TEST_S3_ENDPOINT=$S3_ENDPOINT CAIRN_TEST_S3_BUCKET=$S3_BUCKET CAIRN_TEST_S3_REGION=$S3_REGION
	export CAIRN_TEST_S3_ENDPOINT2=$S3_ENDPOINT2 CAIRN_TEST_S3_BUCKET2=$S3_BUCKET2 CAIRN_TEST_S3_REGION2=$S3_REGION2
	export CAIRN_TEST_S3_DATA_DIR=$S3_DATA_DIR CAIRN_TEST_S3_FAULTS="$(dirname "$tool")/s3-faults"
	export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
	echo "test.sh: S3 test server up at $S3_ENDPOINT (region $S3_REGION) and $S3_ENDPOINT2 ($S3_REGION2)" >&2
}

s3_test_server_stop() {
	if [ -n "${S3_SERVER_TOOL:-}" ]; then
		bash "$S3_SERVER_TOOL" stop -d "$S3_SERVER_DIR" >/dev/null 2>&1 || true
		S3_SERVER_TOOL=
	fi
}
