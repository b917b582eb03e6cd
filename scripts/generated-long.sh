#!/usr/bin/env bash
# Long run of the generated round trips (tests/e2e/test_generated.sh): many
# seeds, bigger trees, a deeper chain and a wider directory than CI.
#
#   scripts/generated-long.sh [--build DIR] [--seeds N | --seed S]... [--first S]
#                             [--entries N] [--depth D] [--wide W] [--deep-every K]
#                             [--fd-limit N] [--keep-going]
#
#   --build DIR      build directory with cairn-agent, cairn-restore (default ./build)
#   --seeds N        run N seeds: --first, --first+1, ... (default 20; --first
#                    defaults to a random number, printed)
#   --seed S         run seed S (repeatable; replaces --seeds)
#   --entries N      random entries per tree (default 2000)
#   --depth D        levels of the deep chain (default 6000; 0 = no deep case)
#   --wide W         entries of the wide directory (default 300000; 0 = none)
#   --deep-every K   the deep and wide cases run with every K-th seed (default 5)
#   --fd-limit N     `ulimit -n` of every cairn command (default 256)
#
# Each seed runs as its own test_generated.sh, so a failing seed keeps its
# work directory (printed) and replays alone with
#   CAIRN_GEN_SEEDS=S CAIRN_GEN_CASES=seeds tests/e2e/test_generated.sh
# (plus CAIRN_GEN_* for the sizes; the command is printed for each failure).
# Ends with "N passed, M failed" and the failing seeds; exit 1 if any failed.
set -uo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$SRC_DIR/build"
NSEEDS=20
FIRST=""
SEEDS=()
ENTRIES=2000
DEPTH=6000
WIDE=300000
EVERY=5
FD_LIMIT=256

usage() {
	sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
}

while (($#)); do
	case $1 in
	--build) BUILD=$2; shift ;;
	--seeds) NSEEDS=$2; shift ;;
	--seed) SEEDS+=("$2"); shift ;;
	--first) FIRST=$2; shift ;;
	--entries) ENTRIES=$2; shift ;;
	--depth) DEPTH=$2; shift ;;
	--wide) WIDE=$2; shift ;;
	--deep-every) EVERY=$2; shift ;;
	--fd-limit) FD_LIMIT=$2; shift ;;
	-h | --help) usage ;;
	*) echo "generated-long: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done

BUILD="$(cd "$BUILD" && pwd)" || exit 2
for p in cairn-agent cairn-restore; do
	[[ -x "$BUILD/$p" ]] || { echo "generated-long: no $BUILD/$p (build first: scripts/build.sh $BUILD)" >&2; exit 2; }
done
if ((${#SEEDS[@]} == 0)); then
	[[ -n "$FIRST" ]] || FIRST=$((RANDOM * 32768 + RANDOM))
	for ((i = 0; i < NSEEDS; i++)); do
		SEEDS+=($((FIRST + i)))
	done
fi

export CAIRN_AGENT="$BUILD/cairn-agent" CAIRN_RESTORE="$BUILD/cairn-restore" CAIRN_BUILD_DIR="$BUILD"
export CAIRN_SOURCE_DIR="$SRC_DIR" CAIRN_TEST_TMP="${CAIRN_TEST_TMP:-$BUILD/tests/tmp}"
export CAIRN_GEN_ENTRIES="$ENTRIES" CAIRN_GEN_DEPTH="$DEPTH" CAIRN_GEN_WIDE="$WIDE" CAIRN_GEN_FD_LIMIT="$FD_LIMIT"

echo "generated-long: ${#SEEDS[@]} seeds: ${SEEDS[*]}"
echo "generated-long: entries $ENTRIES, deep chain $DEPTH levels and wide directory $WIDE entries every $EVERY seeds, ulimit -n $FD_LIMIT"
passed=0
failed=()
n=0
for seed in "${SEEDS[@]}"; do
	cases="seeds"
	if ((n % EVERY == 0)); then
		((DEPTH > 0)) && cases+=" deep"
		((WIDE > 0)) && cases+=" wide"
	fi
	n=$((n + 1))
	start=$SECONDS
	log="$CAIRN_TEST_TMP/generated-long.$seed.log"
	mkdir -p "$CAIRN_TEST_TMP"
	if CAIRN_GEN_SEEDS="$seed" CAIRN_GEN_CASES="$cases" CAIRN_GEN_DEEP_SEED="$seed" CAIRN_GEN_WIDE_SEED="$seed" bash "$SRC_DIR/tests/e2e/test_generated.sh" >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "seed $seed ($cases): PASS in $((SECONDS - start))s"
		rm -f "$log"
	else
		failed+=("$seed")
		echo "seed $seed ($cases): FAIL in $((SECONDS - start))s; log $log"
		grep -a 'PROBLEM\|FAIL\|work dir kept' "$log" | cut -c1-300 | sed 's/^/    /'
		echo "    replay: CAIRN_GEN_SEEDS=$seed CAIRN_GEN_CASES='$cases' CAIRN_GEN_DEEP_SEED=$seed" \
			"CAIRN_GEN_WIDE_SEED=$seed CAIRN_GEN_ENTRIES=$ENTRIES" \
			"CAIRN_GEN_DEPTH=$DEPTH CAIRN_GEN_WIDE=$WIDE CAIRN_GEN_FD_LIMIT=$FD_LIMIT" \
			"CAIRN_AGENT=$CAIRN_AGENT CAIRN_RESTORE=$CAIRN_RESTORE CAIRN_BUILD_DIR=$BUILD" \
			"bash $SRC_DIR/tests/e2e/test_generated.sh"
	fi
done
echo "${passed} passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
	echo "failing seeds: ${failed[*]}"
	exit 1
fi
