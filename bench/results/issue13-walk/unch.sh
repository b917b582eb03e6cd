#!/bin/bash
# interleaved unchanged re-backups: A B A B ... ROUNDS rounds, for each set
cd /tmp/bench-walk
R=${1:-5}
for i in $(seq 1 $R); do
  for ds in small mixed; do
    for v in before after; do
      [ $v = before ] && r=rA-$ds || r=rB-$ds
      echo "unchanged $ds $v $i $(./b.sh bin-$v /tmp/bench-walk/$r /tmp/bench-walk/$ds)"
    done
  done
done
