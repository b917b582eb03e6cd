# shellcheck shell=bash
# Sourced by scripts/test.sh: start the S3 test servers for the S3 tests and
# export what the tests read (tests/e2e/s3lib.sh, tests/unit/store/test_store_s3_live.c).
# Uses the workplace's S3 test tool, found at $CAIRN_S3_SERVER or at
# shared/tools/s3-server beside the repository's folder (CI clones the
# repository to DIR/main, the tools are in DIR/shared/tools). Without the tool,
# or when a server cannot start, the tests that need it are skipped, and this
# says so.
#   s3_test_server_start DIR   OpenStack Swift's s3api (checks signatures and
#                              digests), port $CAIRN_S3_PORT (default 19000;
#                              uses 19000..19004); exports CAIRN_TEST_S3_*
#   s3_test_s3rver_start DIR   npm s3rver, the lenient second implementation,
#                              port $CAIRN_S3RVER_PORT (default 19010, 19011);
#                              installed with npm on first use under
#                              $S3_TOOLS_DIR (default <repo>/.cache/s3-tools);
#                              exports CAIRN_TEST_S3RVER_*
#   s3_test_server_stop        stop what was started (the EXIT trap runs it)

_S3_TEST_DIRS=()

_s3_test_tool() {
	local tool=${CAIRN_S3_SERVER:-}
	if [ -z "$tool" ]; then
		tool="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/tools/s3-server"
	fi
	if [ ! -f "$tool" ]; then
		echo "test.sh: no S3 test server tool at '$tool' (set CAIRN_S3_SERVER): S3 tests will be SKIPPED" >&2
		return 1
	fi
	S3_SERVER_TOOL=$tool
	trap s3_test_server_stop EXIT
}

# _s3_test_launch BACKEND DIR PORT: start a server (a second try after a
# failed one: Swift sometimes answers before its container server listens);
# its env lines go to DIR.env
_s3_test_launch() {
	local backend=$1 dir=$2 port=$3 try
	mkdir -p "$(dirname "$dir")"
	for try in 1 2; do
		if timeout "${CAIRN_S3_START_TIMEOUT:-600}" bash "$S3_SERVER_TOOL" start --backend "$backend" \
			-p "$port" -d "$dir" --fresh >"$dir.env"; then
			_S3_TEST_DIRS+=("$dir")
			return 0
		fi
		bash "$S3_SERVER_TOOL" stop -d "$dir" >/dev/null 2>&1 || true
		[ "$try" = 1 ] && echo "test.sh: the $backend S3 test server did not start; trying once more" >&2
	done
	return 1
}

s3_test_server_start() {
	local dir=$1
	_s3_test_tool || return 0
	if ! _s3_test_launch swift "$dir" "${CAIRN_S3_PORT:-19000}"; then
		echo "test.sh: the S3 test server (swift) did not start: S3 tests will be SKIPPED (logs in $dir/log)" >&2
		return 0
	fi
	# shellcheck disable=SC1090
	source "$dir.env"
	export CAIRN_TEST_S3_ENDPOINT=$S3_ENDPOINT CAIRN_TEST_S3_BUCKET=$S3_BUCKET CAIRN_TEST_S3_REGION=$S3_REGION
	export CAIRN_TEST_S3_ENDPOINT2=$S3_ENDPOINT2 CAIRN_TEST_S3_BUCKET2=$S3_BUCKET2 CAIRN_TEST_S3_REGION2=$S3_REGION2
	export CAIRN_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY CAIRN_TEST_S3_SECRET_KEY=$S3_SECRET_KEY
	export CAIRN_TEST_S3_BACKEND=$S3_BACKEND CAIRN_TEST_S3_DATA_DIR=$S3_DATA_DIR
	CAIRN_TEST_S3_FAULTS="$(dirname "$S3_SERVER_TOOL")/s3-faults"
	export CAIRN_TEST_S3_FAULTS
	export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
	echo "test.sh: S3 test server up at $S3_ENDPOINT (region $S3_REGION) and $S3_ENDPOINT2 ($S3_REGION2)" >&2
}

s3_test_s3rver_start() {
	local dir=$1 top vals
	_s3_test_tool || return 0
	if ! command -v npm >/dev/null; then
		echo "test.sh: npm is missing (apt-get install npm): the s3rver S3 tests will be SKIPPED" >&2
		return 0
	fi
	top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	if ! S3_TOOLS_DIR=${S3_TOOLS_DIR:-$top/.cache/s3-tools} \
		_s3_test_launch s3rver "$dir" "${CAIRN_S3RVER_PORT:-19010}"; then
		echo "test.sh: s3rver could not be installed or started: the s3rver S3 tests will be SKIPPED" >&2
		return 0
	fi
	# its env sets AWS_* too: read it in a subshell, keep the Swift credentials
	# shellcheck disable=SC1090
	vals=$(source "$dir.env" && printf '%s\n' "$S3_ENDPOINT" "$S3_BUCKET" "$S3_REGION" "$S3_ACCESS_KEY" "$S3_SECRET_KEY")
	{
		read -r CAIRN_TEST_S3RVER_ENDPOINT
		read -r CAIRN_TEST_S3RVER_BUCKET
		read -r CAIRN_TEST_S3RVER_REGION
		read -r CAIRN_TEST_S3RVER_ACCESS_KEY
		read -r CAIRN_TEST_S3RVER_SECRET_KEY
	} <<<"$vals"
	export CAIRN_TEST_S3RVER_ENDPOINT CAIRN_TEST_S3RVER_BUCKET CAIRN_TEST_S3RVER_REGION
	export CAIRN_TEST_S3RVER_ACCESS_KEY CAIRN_TEST_S3RVER_SECRET_KEY
	echo "test.sh: s3rver S3 test server up at $CAIRN_TEST_S3RVER_ENDPOINT" >&2
}

s3_test_server_stop() {
	local dir
	if [ -n "${S3_SERVER_TOOL:-}" ]; then
		for dir in ${_S3_TEST_DIRS[@]+"${_S3_TEST_DIRS[@]}"}; do
			bash "$S3_SERVER_TOOL" stop -d "$dir" >/dev/null 2>&1 || true
		done
		_S3_TEST_DIRS=()
	fi
}
