#!/usr/bin/env bash
# Install what is missing, build, then run the main job on the embedded
# default: back up a sample tree into a local-directory repository, change it,
# back it up again, and restore the first point in time, printing what was
# restored and checking it byte for byte.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" build
# the programs only: the test suite (and cmocka) is scripts/test.sh's business
"$top/scripts/build.sh" "$top/build-quickstart" -DCAIRN_TESTS=OFF >/dev/null

agent=$top/build-quickstart/cairn-agent
restore=$top/build-quickstart/cairn-restore
demo=${CAIRN_DEMO_DIR:-/tmp/cairn-demo}
rm -rf "$demo"
mkdir -p "$demo/data/docs" "$demo/data/photos"
export CAIRN_REPO="file://$demo/repo" CAIRN_KEY_FILE="$demo/key" CAIRN_STATE_DIR="$demo/state"

echo "== sample tree in $demo/data"
printf 'Quarterly report, first draft\n' >"$demo/data/docs/report.txt"
printf 'milk\neggs\n' >"$demo/data/docs/shopping list.txt"
head -c 3000000 /dev/urandom >"$demo/data/photos/beach.raw"
ln -s docs/report.txt "$demo/data/latest-report"

echo "== cairn-agent init"
"$agent" init
echo "== cairn-agent backup (first point)"
"$agent" backup "$demo/data" --tag demo
sleep 1.1
first=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cp -a "$demo/data" "$demo/expected"
sleep 1.1

echo "== a deploy goes wrong: the report is overwritten and the photos deleted"
printf 'oops\n' >"$demo/data/docs/report.txt"
rm -rf "$demo/data/photos"
"$agent" backup "$demo/data" --tag demo

echo "== cairn-restore points"
"$restore" points
echo "== cairn-restore restore --at $first --rpo 1h"
"$restore" restore --at "$first" --rpo 1h --target "$demo/restored"

echo "== what was restored"
(cd "$demo/restored" && find . -mindepth 1 | sort)
diff -r "$demo/expected" "$demo/restored$demo/data" >/dev/null && echo "restored tree matches the first point byte for byte"
