#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite twice: a normal
# build and an AddressSanitizer + UndefinedBehaviorSanitizer build.
#   test.sh            both builds
#   test.sh --fast     the normal build only
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" test

# S3 test servers for the S3 tests of both builds, stopped by the EXIT trap:
# Swift's s3api (strict) and s3rver (lenient; skipped when npm cannot install it)
# shellcheck source=scripts/s3-test-server.sh
source "$top/scripts/s3-test-server.sh"
s3_test_server_start "$top/build/s3-swift"
s3_test_s3rver_start "$top/build/s3-s3rver"

run_suite() {
	local dir=$1
	shift
	"$top/scripts/build.sh" "$dir" -DCAIRN_TESTS=ON "$@"
	(cd "$dir" && ctest --output-on-failure --timeout 1800 -j2)
}

echo "== normal build"
run_suite "$top/build"
if [ "${1:-}" != "--fast" ]; then
	echo "== sanitizer build (ASan + UBSan)"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
		run_suite "$top/build-asan" -DCAIRN_SANITIZE=ON
fi
