#!/usr/bin/env bash
# Point in time and RPO: --at picks the newest snapshot at or before the
# requested time (to the nanosecond); --rpo refuses (exit 7, nothing restored)
# when the data-loss window is larger; a time before the first snapshot exits
# 9; an invalid time exits 2.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$WORK/src"
OUT="$OUT_DIR"
init_repo --quiet

treetool generate "$SRC" --seed 51 --small 20 >/dev/null
treetool manifest "$SRC" --out "$OUT/manifest1"
assert_exit 0 agent backup --json --quiet "$SRC"
SNAP1="$(json_get "$LAST_OUT" snapshot)"
T1="$(json_get "$LAST_OUT" time)"
sleep 3.2 # so that T1+3s falls before the second snapshot
treetool mutate "$SRC" --seed 52 --percent 20 >/dev/null
treetool manifest "$SRC" --out "$OUT/manifest2"
assert_exit 0 agent backup --json --quiet "$SRC"
SNAP2="$(json_get "$LAST_OUT" snapshot)"
T2="$(json_get "$LAST_OUT" time)"
log "snapshots at $T1 and $T2"

assert_exit 0 restore_cmd points --json
assert_eq "$(json_get "$LAST_OUT" 0.time)" "$T1" "points: time of the first snapshot"
T1_NS="$(json_get "$LAST_OUT" 0.time_ns)"
T2_NS="$(json_get "$LAST_OUT" 1.time_ns)"
assert_gt $((T2_NS - T1_NS)) 3000000000 "setup: the snapshots are more than 3 s apart"

log "--at latest --rpo 1h"
assert_exit 0 restore_cmd restore --at latest --rpo 1h --target "$WORK/r-latest" --json --quiet
cp "$LAST_OUT" "$OUT/latest.json"
assert_eq "$(json_get "$OUT/latest.json" point.id)" "$SNAP2" "latest: point"
assert_eq "$(json_get "$OUT/latest.json" rpo_met)" true "latest: rpo_met"
[[ "$(json_get "$OUT/latest.json" rpo_seconds)" =~ ^3600(\.0*)?$ ]] || fail "latest: rpo_seconds is not 3600"
window="$(json_get "$OUT/latest.json" window_ns)"
assert_ge "$window" 0 "latest: window_ns"
assert_lt "$window" $((600 * 1000000000)) "latest: window_ns"
treetool manifest "$WORK/r-latest$SRC" --out "$OUT/restored-latest"
compare_manifests "$OUT/manifest2" "$OUT/restored-latest"

log "request at T1+3s with --rpo 1s and 5s"
# T1+0.9s and T1+3s fall between the two snapshots.
AT="$(rfc3339_add "$T1" 0.9)"
assert_exit 0 restore_cmd restore --at "$AT" --rpo 1s --target "$WORK/r-frac" --json --quiet
# Fractional offsets are exact; 0.9 s is within an RPO of 1 s.
cp "$LAST_OUT" "$OUT/rpo-frac.json"
assert_eq "$(json_get "$OUT/rpo-frac.json" window_ns)" 900000000 "T1+0.9s: window_ns"
assert_eq "$(json_get "$OUT/rpo-frac.json" point.id)" "$SNAP1" "T1+0.9s: point"
assert_eq "$(json_get "$OUT/rpo-frac.json" rpo_met)" true "T1+0.9s: rpo_met"
treetool manifest "$WORK/r-frac$SRC" --out "$OUT/restored-frac"
compare_manifests "$OUT/manifest1" "$OUT/restored-frac"

AT="$(rfc3339_add "$T1" 3)"
assert_exit 7 restore_cmd restore --at "$AT" --rpo 1s --target "$WORK/r-rpo"
assert_contains "$LAST_ERR" "RPO not met"
assert_contains "$LAST_ERR" "window of 3s"
assert_contains "$LAST_ERR" "by 2s"
assert_empty_dir "$WORK/r-rpo"

assert_exit 7 restore_cmd restore --at "$AT" --rpo 1s --target "$WORK/r-rpo" --json --quiet
cp "$LAST_OUT" "$OUT/rpo-fail.json"
assert_eq "$(json_get "$OUT/rpo-fail.json" rpo_met)" false "rpo not met: rpo_met"
assert_eq "$(json_get "$OUT/rpo-fail.json" window_ns)" 3000000000 "rpo not met: window_ns"
assert_eq "$(json_get "$OUT/rpo-fail.json" point.id)" "$SNAP1" "rpo not met: point"
assert_eq "$(json_get "$OUT/rpo-fail.json" exit_code)" 7 "rpo not met: exit_code"
assert_empty_dir "$WORK/r-rpo"

# The same request with an RPO that is met restores.
assert_exit 0 restore_cmd restore --at "$AT" --rpo 5s --target "$WORK/r-rpo5" --json --quiet
cp "$LAST_OUT" "$OUT/rpo-ok.json"
assert_eq "$(json_get "$OUT/rpo-ok.json" rpo_met)" true "rpo 5s: rpo_met"
assert_eq "$(json_get "$OUT/rpo-ok.json" window_ns)" 3000000000 "rpo 5s: window_ns"
assert_eq "$(json_get "$OUT/rpo-ok.json" point.id)" "$SNAP1" "rpo 5s: point"
treetool manifest "$WORK/r-rpo5$SRC" --out "$OUT/restored-rpo5"
compare_manifests "$OUT/manifest1" "$OUT/restored-rpo5"

log "boundaries: exactly at a snapshot, one nanosecond before"
assert_exit 0 restore_cmd restore --at "$T2" --target "$WORK/r-exact" --json --quiet
assert_eq "$(json_get "$LAST_OUT" point.id)" "$SNAP2" "at T2 exactly: point"
assert_eq "$(json_get "$LAST_OUT" window_ns)" 0 "at T2 exactly: window_ns"
assert_exit 0 restore_cmd restore --at "$(rfc3339_add "$T2" -0.000000001)" --target "$WORK/r-before" --json --quiet
assert_eq "$(json_get "$LAST_OUT" point.id)" "$SNAP1" "1 ns before T2: point"
assert_eq "$(json_get "$LAST_OUT" window_ns)" $((T2_NS - 1 - T1_NS)) "1 ns before T2: window_ns"
treetool manifest "$WORK/r-before$SRC" --out "$OUT/restored-before"
compare_manifests "$OUT/manifest1" "$OUT/restored-before"

log "before the first snapshot"
assert_exit 9 restore_cmd restore --at "$(rfc3339_add "$T1" -0.000000001)" --target "$WORK/r-none"
assert_contains "$LAST_ERR" "no recovery point"
assert_empty_dir "$WORK/r-none"
assert_exit 9 restore_cmd restore --at 2001-01-01T00:00:00Z --target "$WORK/r-none"
assert_empty_dir "$WORK/r-none"

log "invalid --at and --rpo"
for bad in garbage 2026-13-45T99:00:00Z "yesterday-ish" ""; do
	assert_exit 2 restore_cmd restore --at "$bad" --target "$WORK/r-bad"
	assert_empty_dir "$WORK/r-bad"
done
assert_exit 2 restore_cmd restore --at latest --rpo banana --target "$WORK/r-bad"
assert_exit 2 restore_cmd restore --at latest --rpo -5m --target "$WORK/r-bad"
assert_empty_dir "$WORK/r-bad"
