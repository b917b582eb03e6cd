#!/bin/bash
# interleaved 1%-changed backups: mutate, A B, undo, A B, ... (every timed
# backup sees 1% of the files changed: by the mutation or by its undo)
cd /tmp/bench-walk
R=${1:-3}
for ds in small mixed; do
  for i in $(seq 1 $R); do
    rm -rf undo-$ds
    python3 /work/wt-walk/bench/datasets.py mutate --root /tmp/bench-walk/$ds --undo /tmp/bench-walk/undo-$ds >/dev/null
    for v in before after; do
      [ $v = before ] && r=rA-$ds || r=rB-$ds
      echo "pct $ds $v mutate$i $(./b.sh bin-$v /tmp/bench-walk/$r /tmp/bench-walk/$ds)"
    done
    python3 /work/wt-walk/bench/datasets.py undo --undo /tmp/bench-walk/undo-$ds >/dev/null
    for v in before after; do
      [ $v = before ] && r=rA-$ds || r=rB-$ds
      echo "pct $ds $v undo$i $(./b.sh bin-$v /tmp/bench-walk/$r /tmp/bench-walk/$ds)"
    done
  done
done
