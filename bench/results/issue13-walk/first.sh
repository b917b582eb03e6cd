#!/bin/bash
# interleaved first backups of small: A B A B A B into fresh repos
cd /tmp/bench-walk
for i in 1 2 3; do
  for v in before after; do
    r=/tmp/bench-walk/first-$v; rm -rf $r
    echo "first small $v $i $(./b.sh bin-$v $r /tmp/bench-walk/small)"
  done
done
