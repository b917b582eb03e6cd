#!/bin/bash
# ab.sh BIN_A BIN_B DATASET ROUNDS : first-backup warm, interleaved; prints wall user sys maxrss
A=$1 B=$2 DS=$3 N=${4:-3}
SRC=/tmp/cairn-bench/data/$DS
cat $(find $SRC -type f) > /dev/null 2>&1 || true
for i in $(seq $N); do
  for tag in A B; do
    bin=$A; [ $tag = B ] && bin=$B
    W=/tmp/bench-lead/w-$tag; rm -rf $W; mkdir -p $W/cache
    export CAIRN_REPO=$W/repo CAIRN_KEY_FILE=$W/cache/key CAIRN_STATE_DIR=$W/cache/state
    $bin/cairn-agent init >/dev/null 2>&1 || { echo init failed; exit 1; }
    /usr/bin/time -f "$tag $DS %e %U %S %M %F/%R" $bin/cairn-agent backup --quiet $SRC 2>&1 >/dev/null | tail -1
  done
done
rm -rf /tmp/bench-lead/w-A /tmp/bench-lead/w-B
