#!/bin/bash
# b.sh BIN R PATH [extra...]: one timed backup; prints "wall user sys maxrss"
BIN=$1; R=$2; P=$3; shift 3
export CAIRN_REPO=$R/repo CAIRN_KEY_FILE=$R/cache/key CAIRN_STATE_DIR=$R/cache/state
if [ ! -d "$R/repo" ]; then mkdir -p $R/cache; $BIN/cairn-agent init >/dev/null 2>&1 || { echo init failed; exit 1; }; fi
/usr/bin/time -f '%e %U %S %M %w %c' -o $R/time.txt "$@" $BIN/cairn-agent backup --json --quiet "$P" > $R/out.json 2>$R/err.txt
echo "rc=$? $(cat $R/time.txt)"
