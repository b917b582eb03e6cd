#!/usr/bin/env python3
"""medians.py RUN_DIR... : medians over runs of bench/run.sh (raw.csv), ratios restic/cairn and borg/cairn."""
import csv, statistics, sys
vals = {}
for d in sys.argv[1:]:
    for row in csv.DictReader(open(d + '/raw.csv')):
        try:
            v = float(row['value'])
        except ValueError:
            continue
        vals.setdefault((row['dataset'], row['metric'], row['tool']), []).append(v)
metrics = [('initial_backup_s', 'first backup (s)'), ('unchanged_backup_s', 'unchanged re-backup (s)'),
           ('changed_backup_s', '1%-changed backup (s)'), ('restore_s', 'restore (s)'),
           ('initial_backup_user_s', 'first backup user CPU (s)'), ('initial_backup_sys_s', 'first backup sys CPU (s)'),
           ('initial_backup_rss_kib', 'first backup peak RSS (MiB)'), ('unchanged_backup_rss_kib', 'unchanged peak RSS (MiB)'),
           ('changed_backup_rss_kib', '1%-changed peak RSS (MiB)'), ('restore_rss_kib', 'restore peak RSS (MiB)')]
names = {m for (_, m, _) in vals}
print(f"runs: {len(sys.argv) - 1} ({', '.join(sys.argv[1:])}); medians; ratio = other/cairn (> 1: cairn better)\n")
for ds in ('mixed', 'small', 'random'):
    print(f"### {ds}\n\n| metric | cairn | restic | borg | restic/cairn | borg/cairn | cairn runs |\n|---|---|---|---|---|---|---|")
    for key, label in metrics:
        if key not in names:
            continue
        k = key
        med = {}
        for t in ('cairn', 'restic', 'borg'):
            xs = vals.get((ds, k, t), [])
            med[t] = statistics.median(xs) if xs else None
        if med['cairn'] is None:
            continue
        scale = 1024 if k.endswith('_kib') else 1
        f = lambda x: '-' if x is None else (f"{x/scale:.0f}" if scale > 1 else f"{x:.2f}")
        r = lambda x: '-' if x is None or med['cairn'] == 0 else f"{x/med['cairn']:.2f}"
        runs = ' '.join(f"{x/scale:.2f}" for x in vals[(ds, k, 'cairn')])
        print(f"| {label} | {f(med['cairn'])} | {f(med['restic'])} | {f(med['borg'])} | {r(med['restic'])} | {r(med['borg'])} | {runs} |")
    print()
