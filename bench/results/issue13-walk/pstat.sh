#!/bin/bash
# pstat.sh ROUNDS DS...: interleaved perf stat of unchanged re-backups; prints task-clock ms, instructions (u+k)
cd /tmp/bench-walk
R=$1; shift
for i in $(seq 1 $R); do
  for ds in "$@"; do
    for v in before after; do
      [ $v = before ] && r=rA-$ds || r=rB-$ds
      export CAIRN_REPO=$PWD/$r/repo CAIRN_KEY_FILE=$PWD/$r/cache/key CAIRN_STATE_DIR=$PWD/$r/cache/state
      perf stat -x, -e task-clock,instructions,instructions:u -o ps.txt bin-$v/cairn-agent backup --json --quiet /tmp/bench-walk/$ds >/dev/null
      tc=$(grep task-clock ps.txt | cut -d, -f1); ins=$(grep ',instructions,' ps.txt | cut -d, -f1); insu=$(grep 'instructions:u' ps.txt | cut -d, -f1)
      echo "$ds $v $i task_ms=$tc instr=$ins instr_u=$insu"
    done
  done
done
