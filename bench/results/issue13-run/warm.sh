#!/bin/bash
# warm.sh DATASET ROUNDS: first backup, page cache warm and clean (sync + pre-read before each), cairn and restic interleaved
DS=$1 N=${2:-2}; SRC=/tmp/cairn-bench/data/$DS; W=/tmp/bench-lead/warm
for i in $(seq $N); do for tool in cairn restic; do
  rm -rf $W; mkdir -p $W/cache; find $SRC -type f -print0 | xargs -0 cat >/dev/null; sync; sleep 1
  if [ $tool = cairn ]; then
    export CAIRN_REPO=$W/repo CAIRN_KEY_FILE=$W/cache/key CAIRN_STATE_DIR=$W/cache/state
    /work/bench-13/cairn-agent init >/dev/null 2>&1
    /usr/bin/time -f "cairn $DS %e %U %S %M" /work/bench-13/cairn-agent backup --quiet $SRC 2>&1 >/dev/null | tail -1
  else
    export RESTIC_REPOSITORY=$W/repo RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/cache/restic
    restic init >/dev/null 2>&1
    /usr/bin/time -f "restic $DS %e %U %S %M" restic backup --quiet $SRC 2>&1 >/dev/null | tail -1
  fi
done; done; rm -rf $W
