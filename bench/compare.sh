#!/usr/bin/env bash
# Compare two builds of cairn on the benchmark's data sets: did a change make
# anything slower or bigger? Runs bench/run.sh for cairn only, alternating the
# two binary directories (A B A B ...), ROUNDS times each, and reports the
# median of each metric per build and the ratio B/A (> 1: B is slower/larger).
#
# usage: bench/compare.sh A_BIN_DIR B_BIN_DIR [--rounds N] [--quick]
#                         [--datasets LIST] [--work DIR] [--out DIR]
#                         [--no-drop-caches]
#
# A_BIN_DIR and B_BIN_DIR each hold cairn-agent and cairn-restore (build them
# in Release mode: cmake -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF). The
# results go to OUT/compare.md and OUT/compare.csv; every run's own results
# stay in OUT/A1, OUT/B1, ...
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
[ $# -ge 2 ] || { usage >&2; exit 2; }
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
shift 2
ROUNDS=3 QUICK=() DATASETS=mixed,small,random WORK=${CAIRN_BENCH_WORK:-/tmp/cairn-bench} OUT= DROP=()
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--quick) QUICK=(--quick) ;;
	--datasets) DATASETS=$2; shift ;;
	--work) WORK=$2; shift ;;
	--out) OUT=$2; shift ;;
	--no-drop-caches) DROP=(--no-drop-caches) ;;
	-h | --help) usage; exit 0 ;;
	*) echo "compare.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
OUT=${OUT:-$WORK/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
for bin in "$A" "$B"; do
	for prog in cairn-agent cairn-restore; do
		[ -x "$bin/$prog" ] || { echo "compare.sh: no executable $bin/$prog" >&2; exit 2; }
	done
done

for round in $(seq 1 "$ROUNDS"); do
	for side in A B; do
		bin=$A
		[ $side = B ] && bin=$B
		echo "== round $round/$ROUNDS: $side ($bin)"
		"$HERE/run.sh" "${QUICK[@]}" "${DROP[@]}" --tools cairn --datasets "$DATASETS" --no-build \
			--bin-dir "$bin" --verify cairn --work "$WORK" --out "$OUT/$side$round" >"$OUT/$side$round.log" 2>&1 ||
			{ echo "compare.sh: run $side$round failed; see $OUT/$side$round.log" >&2; exit 1; }
	done
done

python3 - "$OUT" "$ROUNDS" "$A" "$B" <<'EOF'
import csv, statistics, sys, os
out, rounds, a_dir, b_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
vals = {}  # (dataset, metric) -> {"A": [...], "B": [...]}
for side in "AB":
    for r in range(1, rounds + 1):
        with open(os.path.join(out, f"{side}{r}", "raw.csv")) as f:
            for row in csv.DictReader(f):
                if row["tool"] != "cairn":
                    continue
                try:
                    v = float(row["value"])
                except ValueError:
                    continue
                vals.setdefault((row["dataset"], row["metric"]), {"A": [], "B": []})[side].append(v)
keep = ("_s", "_rss_kib", "repo_bytes")
lines = [f"# cairn A/B comparison ({rounds} rounds, interleaved, medians)", "",
         f"A: `{a_dir}`  ", f"B: `{b_dir}`", "",
         "| data set | metric | A median | B median | B/A | A runs | B runs |", "|---|---|---|---|---|---|---|"]
rows = []
for (ds, metric), v in sorted(vals.items()):
    if not metric.endswith(keep) or "time_e" in metric or not v["A"] or not v["B"]:
        continue
    ma, mb = statistics.median(v["A"]), statistics.median(v["B"])
    ratio = mb / ma if ma else float("nan")
    rows.append((ds, metric, ma, mb, ratio))
    fmt = lambda xs: " ".join(f"{x:g}" for x in xs)
    lines.append(f"| {ds} | {metric} | {ma:g} | {mb:g} | {ratio:.2f} | {fmt(v['A'])} | {fmt(v['B'])} |")
open(os.path.join(out, "compare.md"), "w").write("\n".join(lines) + "\n")
with open(os.path.join(out, "compare.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["dataset", "metric", "a_median", "b_median", "b_over_a"])
    w.writerows(rows)
print("\n".join(lines))
EOF
