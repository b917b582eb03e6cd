#!/bin/bash
# smaps_peak.sh BIN DATASET: biggest mappings at the sampled RSS peak of a first backup
W=/tmp/bench-lead/w-M; rm -rf $W; mkdir -p $W/cache; export CAIRN_REPO=$W/repo CAIRN_KEY_FILE=$W/cache/key CAIRN_STATE_DIR=$W/cache/state
$1/cairn-agent init >/dev/null 2>&1
$1/cairn-agent backup --quiet /tmp/cairn-bench/data/$2 >/dev/null 2>&1 & pid=$!
best=0; while kill -0 $pid 2>/dev/null; do sleep 0.2; r=$(awk '/^VmRSS/{print $2}' /proc/$pid/status 2>/dev/null); [ -z "$r" ] && break; if [ "$r" -gt "$best" ]; then best=$r; cp /proc/$pid/smaps /tmp/bench-lead/smaps.peak 2>/dev/null; fi; done; wait $pid; echo peak-sampled $best
python3 - <<'PY'
import re
cur=None; rows=[]
for line in open('/tmp/bench-lead/smaps.peak'):
    if re.match(r'^[0-9a-f]+-[0-9a-f]+ ',line):
        parts=line.split(); cur=[parts[0], parts[5] if len(parts)>5 else '[anon]', 0]; rows.append(cur)
    elif line.startswith('Rss:'):
        cur[2]=int(line.split()[1])
rows.sort(key=lambda r:-r[2])
for r in rows[:8]:
    a,b=[int(x,16) for x in r[0].split('-')]
    print(f"{r[2]:8d} KiB rss  size {(b-a)//1024:8d} KiB  {r[1]}")
PY
rm -rf $W
