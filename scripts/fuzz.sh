#!/usr/bin/env bash
# Build the libFuzzer targets (clang, -DCAIRN_FUZZ=ON) into build-fuzz/ and run
# each for a while, then minimise its seed corpus tests/fuzz/corpus/<target>/:
# the named (hand-written) seeds stay, plus what adds coverage to them.
#   fuzz.sh [SECONDS] [TARGET...]    default: 600 s each, every tests/fuzz/fuzz_*.c
#                                    (0 s: no run, only the corpus minimisation)
# TARGET is a short name (index, s3_xml, ...). Exits non-zero on a finding; the
# crashing input stays in build-fuzz/artifacts/<target>/.
# Environment: CAIRN_FUZZ_BUILD (build directory), CAIRN_FUZZ_RSS_MB (2048),
# CAIRN_FUZZ_TIMEOUT (10 s per input), CAIRN_FUZZ_MAX_CORPUS (300 files: beyond, the
# minimisation keeps what covers new edges only, not new hit counts), CAIRN_FUZZ_MERGE=0 (leave the corpus alone; new inputs stay in
# build-fuzz/work/<target>/).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
shift || true
build=${CAIRN_FUZZ_BUILD:-$top/build-fuzz}
rss=${CAIRN_FUZZ_RSS_MB:-2048}
timeout=${CAIRN_FUZZ_TIMEOUT:-10}
max_corpus=${CAIRN_FUZZ_MAX_CORPUS:-300}

case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
	for src in "$top"/tests/fuzz/fuzz_*.c; do
		t=${src##*/fuzz_}
		targets+=("${t%.c}")
	done
fi
for t in "${targets[@]}"; do
	if [ ! -f "$top/tests/fuzz/fuzz_$t.c" ]; then
		echo "fuzz: no target '$t' (tests/fuzz/fuzz_$t.c)" >&2
		exit 2
	fi
done
if ! command -v clang >/dev/null; then
	echo "fuzz: clang is needed (apt-get install clang)" >&2
	exit 2
fi

CC=clang cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON \
	-DCAIRN_TESTS=ON -DCAIRN_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

findings=0
for t in "${targets[@]}"; do
	corpus=$top/tests/fuzz/corpus/$t
	work=$build/work/$t          # new inputs of this run
	art=$build/artifacts/$t      # crash-*, leak-*, timeout-*, oom-*
	log=$build/logs/$t.log
	mkdir -p "$corpus" "$work" "$art" "$build/logs"
	echo "== fuzz_$t: $secs s"
	rc=0
	: >"$log"
	if [ "$secs" -gt 0 ]; then
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
			"$build/tests/fuzz_$t" -max_total_time="$secs" -rss_limit_mb="$rss" -timeout="$timeout" \
			-print_final_stats=1 -artifact_prefix="$art/" "$work" "$corpus" >"$log" 2>&1 || rc=$?
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	cov=$(grep -m1 'DONE' "$log" | grep -o 'cov: [0-9]* ft: [0-9]*' || true)
	if [ "$rc" -ne 0 ]; then
		findings=$((findings + 1))
		echo "   FINDING (exit $rc): see $log and $art/"
		grep -m3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/   /' || true
		continue
	fi
	if [ "${CAIRN_FUZZ_MERGE:-1}" != 0 ]; then
		# minimise: the hand-written seeds (named files) stay, then only what adds
		# coverage to them, from the corpus and this run (files named by their SHA-1);
		# coverage is edges and their hit counts, or edges only when that gives
		# more than CAIRN_FUZZ_MAX_CORPUS files
		merged=$build/merged/$t
		for counters in 1 0; do
			ok=0
			rm -rf "$merged"
			mkdir -p "$merged"
			find "$corpus" -maxdepth 1 -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' \
				-exec cp {} "$merged/" \;
			"$build/tests/fuzz_$t" -merge=1 -use_counters=$counters -rss_limit_mb="$rss" -timeout="$timeout" \
				"$merged" "$corpus" "$work" >>"$log" 2>&1 || break
			ok=1
			[ "$(find "$merged" -type f | wc -l)" -le "$max_corpus" ] && break
		done
		if [ "$ok" = 1 ]; then
			find "$corpus" -maxdepth 1 -type f -delete
			cp "$merged"/* "$corpus/"
			rm -rf "$work"
		else
			echo "   merge failed (corpus left as it was): see $log"
		fi
	fi
	echo "   executions ${execs:-?}, ${cov:-cov ?}, corpus $(find "$corpus" -type f | wc -l) files, no finding"
done
if [ "$findings" -ne 0 ]; then
	echo "fuzz: $findings target(s) with a finding" >&2
	exit 1
fi
