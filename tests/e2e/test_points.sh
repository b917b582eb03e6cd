#!/usr/bin/env bash
# Choosing the recovery point and the site, and the last drill in status.
# A local primary, a local replica `usb` and a replica `far` on an S3
# endpoint nobody listens on (http://127.0.0.1:1); everything from the file:
#   - points --at with every time form: RFC 3339 (UTC, an offset), local time
#     without a zone (TZ=UTC+5:30), latest, '2s ago', '-30m': the point a
#     restore would use and the loss window (the requested time minus the
#     point's time) to the nanosecond, in text and --json, without restoring;
#     exit 9 before the first snapshot (restore too);
#   - restore and points without --from probe the sites: primary healthy ->
#     the primary; primary moved away -> usb, and the output says which and
#     why the primary was passed over; `far` is skipped within the probe
#     deadline; the replica's newer point is used only once it is there;
#   - status with a hand-written drill history (pass and fail lines,
#     malformed and torn ones): the last line that counts is the last
#     drill; a failed one exits 1, an RPO breach still exits 7; the metrics
#     file carries the drill metrics.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR CAIRN_CONFIG
CONF=$WORK/cairn.conf
STATE=$WORK/state
SRC=$WORK/src
METRICS=$WORK/metrics/cairn.prom
mkdir -p "$WORK/metrics"
echo "not-a-real-secret" >"$WORK/far-secret"
chmod 600 "$WORK/far-secret"
{
	echo "[cairn]"
	echo "state-dir = $STATE"
	echo "key-file = $WORK/key"
	echo "metrics-file = $METRICS"
	echo
	echo "[repository]"
	echo "url = $WORK/primary"
	echo
	echo "[replica usb]"
	echo "url = $WORK/usb"
	echo
	echo "[replica far]"
	echo "url = s3://cairn-test-bucket/far"
	echo "endpoint = http://127.0.0.1:1"
	echo "region = us-east-1"
	echo "access-key-id = AKIDTESTTEST"
	echo "secret-access-key-file = $WORK/far-secret"
} >"$CONF"
chmod 640 "$CONF"
export CAIRN_CONFIG=$CONF

# py EXPR...: evaluate a Python expression (time and number helpers)
py() {
	python3 -c "import sys, time, calendar; print($1)" "${@:2}"
}

log "two snapshots at least 2 s apart, both replicated to usb"
treetool generate "$SRC" --seed 61 --small 30 >/dev/null
assert_exit 0 agent init
assert_exit 0 agent backup "$SRC"
sleep 2
treetool mutate "$SRC" --seed 62 --percent 30 >/dev/null
manifest_of "$SRC" "$OUT_DIR/m2"
assert_exit 0 agent backup "$SRC"
assert_exit 0 agent replicate --to usb
assert_exit 0 agent snapshots --json
cp "$LAST_OUT" "$OUT_DIR/snaps.json"
ID1=$(json_get "$OUT_DIR/snaps.json" 0.id)
ID2=$(json_get "$OUT_DIR/snaps.json" 1.id)
T1=$(json_get "$OUT_DIR/snaps.json" 0.time)
T1_NS=$(json_get "$OUT_DIR/snaps.json" 0.time_ns)
T2_NS=$(json_get "$OUT_DIR/snaps.json" 1.time_ns)
assert_ge "$((T2_NS - T1_NS))" 2000000000 "the snapshots are 2 s apart"

# point_at TIME ID WINDOW_NS [ENV...]: points --at TIME picks snapshot ID with this loss window
point_at() {
	local at=$1 id=$2 window=$3
	shift 3
	assert_exit 0 env "$@" "$CAIRN_RESTORE" points --at "$at" --json
	assert_eq "$(json_get "$LAST_OUT" point.id)" "$id" "point chosen for '$at'"
	assert_eq "$(json_get "$LAST_OUT" loss_window_ns)" "$window" "loss window for '$at'"
	assert_eq "$(json_get "$LAST_OUT" requested)" "$at" "requested time as given"
	assert_eq "$(json_get "$LAST_OUT" exit_code)" 0 "exit code in the JSON"
}

log "points --at: RFC 3339, in UTC and with an offset"
point_at "$(rfc3339_add "$T1" 1)" "$ID1" 1000000000
assert_eq "$(json_get "$LAST_OUT" requested_time_ns)" "$((T1_NS + 1000000000))" "requested time"
assert_eq "$(json_get "$LAST_OUT" site.name)" primary "site read"
AT=$(py 'time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((int(sys.argv[1]) + 1500000000) // 10**9 + 7200)) + ".%09d+02:00" % ((int(sys.argv[1]) + 1500000000) % 10**9)' "$T1_NS")
point_at "$AT" "$ID1" 1500000000
assert_exit 0 restore_cmd points --at "$(rfc3339_add "$T1" 1)"
assert_contains "$LAST_OUT" "requested time: "
assert_contains "$LAST_OUT" "recovery point: snapshot ${ID1:0:8}, taken "
assert_contains "$LAST_OUT" "loss window:    1s (1.000 s)"
assert_contains "$LAST_ERR" "recovery point from site primary (config read in "

log "points --at: local time without a zone, in the TZ of the process (UTC+5:30)"
# the whole second after T1 + 1 s, written in local time: always after T1, before T2
LOCAL_S=$(py '(int(sys.argv[1]) + 10**9) // 10**9' "$T1_NS")
AT=$(py 'time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(sys.argv[1]) + 19800))' "$LOCAL_S")
point_at "$AT" "$ID1" "$((LOCAL_S * 1000000000 - T1_NS))" TZ=IST-5:30
assert_eq "$(json_get "$LAST_OUT" requested_time_ns)" "$((LOCAL_S * 1000000000))" "local time read in its zone"
# a date alone is local midnight (before the snapshots of this test)
AT=$(py 'time.strftime("%Y-%m-%d", time.gmtime(int(sys.argv[1]) + 19800))' "$LOCAL_S")
TZ=IST-5:30 assert_exit 9 restore_cmd points --at "$AT" --json
assert_eq "$(json_get "$LAST_OUT" requested_time_ns)" \
	"$(py '(calendar.timegm(time.strptime(sys.argv[1], "%Y-%m-%d")) - 19800) * 10**9' "$AT")" "a date is local midnight"

log "points --at: latest and relative times"
before=$(date +%s%N)
assert_exit 0 restore_cmd points --at latest --json
assert_eq "$(json_get "$LAST_OUT" point.id)" "$ID2" "latest point"
assert_ge "$(json_get "$LAST_OUT" requested_time_ns)" "$before" "latest is now"
assert_eq "$(json_get "$LAST_OUT" loss_window_ns)" "$(($(json_get "$LAST_OUT" requested_time_ns) - T2_NS))" \
	"loss window of latest"
sleep 3
assert_exit 0 restore_cmd points --at "2s ago" --json
assert_eq "$(json_get "$LAST_OUT" point.id)" "$ID2" "point 2 s ago"
assert_ge "$(json_get "$LAST_OUT" loss_window_ns)" 1000000000 "loss window 2 s ago"
assert_eq "$(json_get "$LAST_OUT" loss_window_ns)" "$(($(json_get "$LAST_OUT" requested_time_ns) - T2_NS))" \
	"loss window 2 s ago"
assert_exit 0 restore_cmd points --at "-1s" --json
assert_eq "$(json_get "$LAST_OUT" point.id)" "$ID2" "point -1s"

log "before the first snapshot: exit 9, for points and restore"
assert_exit 9 restore_cmd points --at "-30m"
assert_contains "$LAST_ERR" "no recovery point at or before"
assert_contains "$LAST_ERR" "the first one is snapshot ${ID1:0:8}"
assert_exit 9 restore_cmd points --at "2h ago" --json
assert_eq "$(json_get "$LAST_OUT" point)" null "no point in the JSON"
assert_eq "$(json_get "$LAST_OUT" loss_window_ns)" null "no loss window"
assert_eq "$(json_get "$LAST_OUT" exit_code)" 9 "exit code in the JSON"
assert_exit 9 restore_cmd points --at "$(rfc3339_add "$T1" -0.000000001)"
assert_exit 9 restore_cmd restore --at "-30m" --target "$WORK/r-none"
assert_contains "$LAST_ERR" "no recovery point at or before"
assert_exit 9 restore_cmd points --from usb --at "-30m"
assert_exit 2 restore_cmd points --at "yesterday-ish"
assert_contains "$LAST_ERR" "--at: invalid time 'yesterday-ish'"
# exactly at the point: no loss
point_at "$T1" "$ID1" 0

log "the nearest healthy site: the primary while it is up; far is skipped within the deadline"
start=$(date +%s%N)
assert_exit 0 restore_cmd restore --at latest --target "$WORK/r1"
took=$(($(date +%s%N) - start))
assert_lt "$took" 5000000000 "a restore with an unreachable replica (probe deadline 5 s)"
assert_contains "$LAST_ERR" "restoring from site primary (config read in "
assert_contains "$LAST_ERR" "far: "
assert_contains "$LAST_ERR" "127.0.0.1:1"
assert_exit 0 restore_cmd restore --at latest --target "$WORK/r1j" --json
assert_eq "$(json_get "$LAST_OUT" site.name)" primary "site in the JSON"
assert_eq "$(json_get "$LAST_OUT" site.probed)" true "the sites were probed"
assert_eq "$(json_get "$LAST_OUT" site.sites.1.name)" usb "second site"
assert_eq "$(json_get "$LAST_OUT" site.sites.1.healthy)" true "usb is healthy"
assert_eq "$(json_get "$LAST_OUT" site.sites.2.healthy)" false "far is down"
assert_ne "$(json_get "$LAST_OUT" site.sites.2.error)" null "why far is down"
# a named site is not probed
assert_exit 0 restore_cmd points --from usb --at latest --json
assert_eq "$(json_get "$LAST_OUT" site.name)" usb "named site"
assert_eq "$(json_get "$LAST_OUT" site.probed)" false "a named site is not probed"
assert_not_contains "$LAST_ERR" "far"

log "the primary moved away: usb, and the output says so"
mv "$WORK/primary" "$WORK/primary.away"
assert_exit 0 restore_cmd restore --at latest --target "$WORK/r2"
assert_contains "$LAST_ERR" "restoring from site usb (config read in "
assert_contains "$LAST_ERR" "; primary: repository directory '$WORK/primary' does not exist"
manifest_of "$WORK/r2$SRC" "$OUT_DIR/r2"
compare_manifests "$OUT_DIR/m2" "$OUT_DIR/r2"
assert_exit 0 restore_cmd restore --at latest --target "$WORK/r3" --json
assert_eq "$(json_get "$LAST_OUT" site.name)" usb "site read"
assert_eq "$(json_get "$LAST_OUT" site.url)" "$WORK/usb" "its url"
assert_eq "$(json_get "$LAST_OUT" site.sites.0.healthy)" false "the primary is down"
assert_contains "$LAST_OUT" "does not exist"
assert_exit 0 restore_cmd points --json
assert_eq "$(json_len "$LAST_OUT" .)" 2 "points listed from usb"
assert_exit 0 restore_cmd points
assert_contains "$LAST_ERR" "recovery points of site usb"
assert_exit 5 restore_cmd points --from primary
mv "$WORK/primary.away" "$WORK/primary"

log "a snapshot not replicated yet: the primary has it; with the primary down, usb's older point"
sleep 1
treetool mutate "$SRC" --seed 63 --percent 10 >/dev/null
assert_exit 0 agent backup "$SRC"
assert_exit 0 agent snapshots --json
ID3=$(json_get "$LAST_OUT" 2.id)
assert_exit 0 restore_cmd points --at latest --json
assert_eq "$(json_get "$LAST_OUT" point.id)" "$ID3" "the newest point, from the primary"
assert_eq "$(json_get "$LAST_OUT" site.name)" primary "site of the newest point"
mv "$WORK/primary" "$WORK/primary.away"
assert_exit 0 restore_cmd points --at latest --json
assert_eq "$(json_get "$LAST_OUT" point.id)" "$ID2" "usb's newest point"
assert_eq "$(json_get "$LAST_OUT" site.name)" usb "site with the primary down"
mv "$WORK/primary.away" "$WORK/primary"
rm -rf "$WORK/usb"
assert_exit 0 restore_cmd points --at latest
assert_contains "$LAST_ERR" "usb: repository directory '$WORK/usb' does not exist"
assert_exit 0 agent replicate --to usb

log "status: the last drill of each site, from its history"
mkdir -p "$STATE/drills"
DRILL_T=1795000000
# drill_line RESULT TIME_S RECOVERY_NS RTO_NS REASONS_JSON
drill_line() {
	python3 - "$@" <<'EOF'
import json, sys
result, t, recovery, rto, reasons = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
print(json.dumps({
    "time_ns": t * 10**9, "time": "", "site": "usb", "url": "/x", "point": "3f2a91c0", "point_time_ns": t * 10**9 - 7200 * 10**9,
    "requested_time_ns": t * 10**9, "loss_window_ns": 7200 * 10**9, "rpo_ns": None,
    "rto_ns": None if rto == "null" else int(rto), "recovery_ns": recovery, "first_byte_ns": 1000, "sync_ns": 2000,
    "files": 30, "bytes": 1000, "verified_files": 30, "sample_percent": 100, "requests": 0, "retries": 0,
    "damaged_objects": [], "failed_files": 0, "result": result, "reasons": json.loads(reasons),
    "exit_code": 0 if result == "pass" else 11}))
EOF
}
assert_exit 0 agent status
assert_not_contains "$LAST_OUT" "last drill"
{
	drill_line pass "$DRILL_T" 12300000000 3600000000000 '[]'
	drill_line fail "$((DRILL_T + 100))" 70000000000 60000000000 '["RTO not met: 1m10s, the objective is 1m"]'
	echo "this line is not JSON"
	echo '{"time_ns": 5, "result": "maybe"}'
} >"$STATE/drills/usb.jsonl"
assert_exit 1 agent status
assert_contains "$LAST_OUT" "last drill: FAIL, $(date -u -d @$((DRILL_T + 100)) +%Y-%m-%dT%H:%M:%SZ), RTO achieved 1m10s (target 1m), loss window 2h; RTO not met: 1m10s, the objective is 1m"
assert_exit 1 agent status --json
assert_eq "$(json_get "$LAST_OUT" sites.1.site)" usb "second site"
assert_eq "$(json_get "$LAST_OUT" sites.1.last_drill.result)" fail "last drill of usb"
assert_eq "$(json_get "$LAST_OUT" sites.1.last_drill.exit_code)" 11 "its exit code"
assert_eq "$(json_get "$LAST_OUT" sites.0.last_drill)" null "the primary has no drill"
assert_eq "$(json_get "$LAST_OUT" drills_ok)" false "drills_ok"
assert_eq "$(json_get "$LAST_OUT" jobs_ok)" true "jobs_ok"
# an RPO breach comes first
sleep 1
assert_exit 7 agent status --rpo 1s
# a pass after it: the last one counts; a torn line at the end is skipped
drill_line pass "$((DRILL_T + 200))" 12300000000 3600000000000 '[]' >>"$STATE/drills/usb.jsonl"
printf '{"time_ns": 1795009999000000000, "result": "fa' >>"$STATE/drills/usb.jsonl"
assert_exit 0 agent status
assert_contains "$LAST_OUT" "last drill: pass, $(date -u -d @$((DRILL_T + 200)) +%Y-%m-%dT%H:%M:%SZ), RTO achieved 12.3 s (target 1h), loss window 2h"
assert_exit 0 agent status --json
assert_eq "$(json_get "$LAST_OUT" sites.1.last_drill.result)" pass "last drill of usb"
assert_eq "$(json_get "$LAST_OUT" sites.1.last_drill.recovery_ns)" 12300000000 "its recovery time"
assert_eq "$(json_get "$LAST_OUT" drills_ok)" true "drills_ok"
# a failed drill of the primary: exit 1 again
drill_line fail "$((DRILL_T + 300))" 1000000000 null '["damaged object data/ab/cd"]' >"$STATE/drills/primary.jsonl"
assert_exit 1 agent status
assert_contains "$LAST_OUT" "last drill: FAIL"
assert_contains "$LAST_OUT" "RTO achieved 1.0 s (no target)"

log "the metrics file: each site's last drill"
assert_exit 0 agent replicate --to usb # a job: the metrics file is rewritten
assert_contains "$METRICS" 'cairn_drill_last_success{site="usb"} 1'
assert_contains "$METRICS" 'cairn_drill_last_success{site="primary"} 0'
assert_contains "$METRICS" "cairn_drill_last_timestamp_seconds{site=\"usb\"} $((DRILL_T + 200)).000"
assert_contains "$METRICS" 'cairn_drill_last_recovery_seconds{site="usb"} 12.300'
assert_contains "$METRICS" 'cairn_drill_last_loss_window_seconds{site="usb"} 7200.000'
assert_not_contains "$METRICS" 'cairn_drill_last_success{site="far"}'
