#!/usr/bin/env bash
# Job records, the Prometheus metrics file and `status` showing jobs, with a
# configuration file naming a metrics-file and a local replica `usb`:
#   - after backup and replicate, every line of the metrics file matches the
#     text exposition grammar, and the replicate:usb job's and the sites'
#     values are those `status --json` shows;
#   - status lists each job's last run and each scheduled job's next run;
#   - a replicate that fails (the replica's parent is a regular file) is
#     recorded: status exits 1 and shows the message, the metrics show exit
#     code 10 while the last success stays at the earlier run; a site past
#     its RPO still exits 7 (it comes first);
#   - the job summary line goes to stderr, not with --quiet; --syslog and
#     `log = syslog` change no exit code (syslog's content is not checked:
#     the container may have no syslog daemon).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR CAIRN_CONFIG
SRC=$WORK/src
PROM=$WORK/metrics/cairn.prom
CONF=$WORK/cairn.conf
mkdir -p "$WORK/metrics" "$WORK/rep"
{
	echo "[cairn]"
	echo "state-dir = $WORK/state"
	echo "key-file = $WORK/key"
	echo "metrics-file = $PROM"
	echo
	echo "[repository]"
	echo "url = $WORK/primary"
	echo
	echo "[replica usb]"
	echo "url = $WORK/rep/usb"
	echo "schedule = every 1h"
	echo
	echo "[backup home]"
	echo "path = $SRC"
	echo "schedule = 17 2 * * *"
	echo
	echo "[jobs]"
	echo "prune = 0 4 * * sun"
} >"$CONF"
export CAIRN_CONFIG=$CONF
treetool generate "$SRC" --seed 81 --big-mib 1 --small 40 >/dev/null

# Check every line of a metrics file against the exposition grammar and
# print the samples as JSON: {"name{label=value}": value, ...}.
parse_metrics() {
	python3 - "$1" <<'EOF'
import json, re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
comment = re.compile(r"^# (HELP|TYPE) (%s) (.+)$" % name)
label_re = r'\{([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\}'
sample = re.compile(r"^(%s)(?:%s)? (-?[0-9]+(?:\.[0-9]+)?)$" % (name, label_re))
out, family, typed, seen = {}, None, False, set()
with open(sys.argv[1]) as f:
    text = f.read()
if not text.endswith("\n"):
    sys.exit("the file does not end with a newline")
for n, line in enumerate(text.split("\n")[:-1], 1):
    m = comment.match(line)
    if m:
        kind, fam, rest = m.groups()
        if not fam.startswith("cairn_"):
            sys.exit("line %d: %s lacks the cairn_ prefix" % (n, fam))
        if kind == "HELP":
            if fam in seen:
                sys.exit("line %d: family %s announced twice" % (n, fam))
            seen.add(fam)
            family, typed = fam, False
        else:
            if fam != family or typed or rest not in ("gauge", "counter"):
                sys.exit("line %d: TYPE out of place: %s" % (n, line))
            if (rest == "counter") != fam.endswith("_total"):
                sys.exit("line %d: %s: counters (only) end in _total" % (n, fam))
            typed = True
        continue
    m = sample.match(line)
    if not m:
        sys.exit("line %d does not match the exposition grammar: %r" % (n, line))
    metric, label, value, number = m.groups()
    if metric != family or not typed:
        sys.exit("line %d: sample of %s outside its family (%s)" % (n, metric, family))
    if label is not None:
        value = re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1), value)
    key = metric if label is None else "%s{%s=%s}" % (metric, label, value)
    out[key] = float(number)
print(json.dumps(out))
EOF
}

# RFC 3339 time (as status prints it) to Unix seconds, with the fraction.
to_epoch() {
	python3 - "$1" <<'EOF'
import calendar, sys, time
t = sys.argv[1]
base, _, frac = t[:-1].partition(".")
print("%.9f" % (calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))))
EOF
}

# assert_close A B TOLERANCE MSG
assert_close() {
	python3 -c 'import sys; a, b, t = map(float, sys.argv[1:4]); sys.exit(0 if abs(a - b) <= t else 1)' "$1" "$2" "$3" ||
		fail "$4: $1 and $2 differ by more than $3"
}

log "init, backup, replicate: a record per job, the metrics file"
assert_exit 0 agent init
assert_exit 0 agent backup --config "$CONF" "$SRC"
assert_exit 0 agent replicate --config "$CONF"
assert_contains "$LAST_ERR" "job replicate:usb finished: exit 0 in "
[[ -f "$PROM" ]] || fail "no metrics file after replicate"
[[ "$(stat -c %a "$PROM")" == 644 ]] || fail "the metrics file is not mode 644"
[[ "$(stat -c %a "$WORK/state/jobs")" == 700 ]] || fail "the jobs directory is not mode 700"
[[ "$(stat -c %a "$WORK/state/jobs/replicate:usb.json")" == 600 ]] || fail "the job record is not mode 600"
parse_metrics "$PROM" >"$OUT_DIR/m1.json"
assert_exit 0 agent status --json
cp "$LAST_OUT" "$OUT_DIR/s1.json"
assert_eq "$(json_get "$OUT_DIR/s1.json" jobs_ok)" true "jobs_ok after good runs"

log "the replicate job's values in the metrics are those of status"
job_index() { # job_index STATUS_JSON JOB
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print([j["job"] for j in d["jobs"]].index(sys.argv[2]))' "$1" "$2"
}
r=$(job_index "$OUT_DIR/s1.json" replicate:usb)
M="$OUT_DIR/m1.json"
assert_eq "$(json_get "$OUT_DIR/s1.json" "jobs.$r.exit_code")" 0 "replicate:usb exit code in status"
assert_eq "$(json_get "$M" 'cairn_job_last_exit_code{job=replicate:usb}')" 0.0 "replicate:usb exit code in the metrics"
dur=$(json_get "$OUT_DIR/s1.json" "jobs.$r.duration_seconds")
python3 -c "import sys; sys.exit(0 if float('$dur') > 0 else 1)" || fail "replicate:usb took no time: $dur"
assert_close "$dur" "$(json_get "$M" 'cairn_job_last_duration_seconds{job=replicate:usb}')" 0.0011 "duration"
start=$(to_epoch "$(json_get "$OUT_DIR/s1.json" "jobs.$r.last_run")")
assert_close "$start" "$(json_get "$M" 'cairn_job_last_run_timestamp_seconds{job=replicate:usb}')" 0.0011 "last run"
ok1=$(to_epoch "$(json_get "$OUT_DIR/s1.json" "jobs.$r.last_success")")
assert_close "$ok1" "$(json_get "$M" 'cairn_job_last_success_timestamp_seconds{job=replicate:usb}')" 0.0011 \
	"last success"
assert_eq "$(json_get "$OUT_DIR/s1.json" "jobs.$r.counters.bytes_uploaded")" \
	"$(json_get "$M" 'cairn_job_last_uploaded_bytes{job=replicate:usb}' | cut -d. -f1)" "bytes uploaded"
assert_eq "$(json_get "$M" 'cairn_job_runs_total{job=replicate:usb}')" 1.0 "runs of replicate:usb"
assert_eq "$(json_get "$OUT_DIR/s1.json" "jobs.$r.schedule")" "every 1h" "schedule of replicate:usb"
next=$(to_epoch "$(json_get "$OUT_DIR/s1.json" "jobs.$r.next_run")")
assert_close "$next" "$(python3 -c "print($start + 3600)")" 0.001 "next run of replicate:usb (last run + 1h)"

log "the sites' values in the metrics are those of status"
for i in 0 1; do
	site=$(json_get "$OUT_DIR/s1.json" "sites.$i.site")
	newest=$(to_epoch "$(json_get "$OUT_DIR/s1.json" "sites.$i.newest_snapshot_time")")
	# status prints whole seconds
	assert_close "$newest" "$(json_get "$M" "cairn_site_newest_snapshot_timestamp_seconds{site=$site}")" 1 \
		"newest snapshot on $site"
	assert_close "$(json_get "$OUT_DIR/s1.json" "sites.$i.rpo_exposure_seconds")" \
		"$(json_get "$M" "cairn_site_rpo_exposure_seconds{site=$site}")" 30 "RPO exposure of $site"
done
assert_eq "$(json_get "$OUT_DIR/s1.json" sites.1.site)" usb "second site"
assert_eq "$(json_get "$M" 'cairn_site_snapshots_pending{site=usb}')" \
	"$(json_get "$OUT_DIR/s1.json" sites.1.snapshots_pending).0" "snapshots pending on usb"
assert_eq "$(json_get "$M" 'cairn_site_objects{site=usb}')" "$(json_get "$OUT_DIR/s1.json" sites.1.objects_on_site).0" \
	"objects on usb"
assert_eq "$(json_get "$M" 'cairn_site_bytes{site=usb}')" "$(json_get "$OUT_DIR/s1.json" sites.1.bytes_on_site).0" \
	"bytes on usb"
assert_eq "$(json_get "$M" 'cairn_site_lag_objects{site=usb}')" \
	"$(json_get "$OUT_DIR/s1.json" sites.1.objects_pending).0" "replication lag (objects) of usb"
assert_eq "$(json_get "$M" 'cairn_site_lag_bytes{site=usb}')" \
	"$(json_get "$OUT_DIR/s1.json" sites.1.bytes_pending).0" "replication lag (bytes) of usb"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(any(k.startswith("cairn_site_rpo_target_seconds") for k in d))' \
	"$M" || fail "an RPO target in the metrics, but none is configured"

log "status lists scheduled jobs that never ran, with their next run"
for job in backup:home prune; do
	i=$(job_index "$OUT_DIR/s1.json" "$job")
	assert_eq "$(json_get "$OUT_DIR/s1.json" "jobs.$i.last_run")" null "last run of $job"
	assert_ne "$(json_get "$OUT_DIR/s1.json" "jobs.$i.next_run")" null "next run of $job"
done
assert_exit 0 agent status
assert_contains "$LAST_OUT" "replicate:usb"
assert_contains "$LAST_OUT" "next "
assert_contains "$LAST_OUT" "(every 1h)"

log "a failing replicate: recorded, status exits 1, the metrics keep the last success"
sleep 1
rm -rf "$WORK/rep"
echo "not a directory" >"$WORK/rep"
assert_exit 10 agent replicate --quiet
assert_not_contains "$LAST_ERR" "job replicate:usb finished"
assert_contains "$LAST_ERR" "replication to 'usb' failed"
assert_exit 1 agent status --json
cp "$LAST_OUT" "$OUT_DIR/s2.json"
r=$(job_index "$OUT_DIR/s2.json" replicate:usb)
assert_eq "$(json_get "$OUT_DIR/s2.json" within_rpo)" true "no RPO is configured"
assert_eq "$(json_get "$OUT_DIR/s2.json" jobs_ok)" false "jobs_ok after a failed run"
assert_eq "$(json_get "$OUT_DIR/s2.json" "jobs.$r.exit_code")" 10 "exit code of the failed run"
assert_eq "$(json_get "$OUT_DIR/s2.json" "jobs.$r.ok")" false "the failed run is not ok"
assert_eq "$(json_get "$OUT_DIR/s2.json" "jobs.$r.failures_total")" 1 "failures of replicate:usb"
json_get "$OUT_DIR/s2.json" "jobs.$r.message" | grep "replication to 'usb' failed" >/dev/null ||
	fail "the failure message is not in status: $(json_get "$OUT_DIR/s2.json" "jobs.$r.message")"
assert_close "$(to_epoch "$(json_get "$OUT_DIR/s2.json" "jobs.$r.last_success")")" "$ok1" 0.000001 \
	"last success after the failure"
assert_exit 1 agent status
assert_contains "$LAST_OUT" "FAILED"
assert_contains "$LAST_OUT" "replication to 'usb' failed"
parse_metrics "$PROM" >"$OUT_DIR/m2.json"
assert_eq "$(json_get "$OUT_DIR/m2.json" 'cairn_job_last_exit_code{job=replicate:usb}')" 10.0 "exit code in the metrics"
assert_close "$(json_get "$OUT_DIR/m2.json" 'cairn_job_last_success_timestamp_seconds{job=replicate:usb}')" "$ok1" \
	0.0011 "last success in the metrics after the failure"
assert_eq "$(json_get "$OUT_DIR/m2.json" 'cairn_job_failures_total{job=replicate:usb}')" 1.0 "failures in the metrics"
# the other job's series are still there
assert_eq "$(json_get "$OUT_DIR/m2.json" 'cairn_job_last_exit_code{job=backup}')" 0.0 "backup's exit code"

log "a site past its RPO comes first: exit 7"
sleep 1
assert_exit 7 agent status --rpo 1s --json
assert_eq "$(json_get "$LAST_OUT" jobs_ok)" false "jobs_ok with an RPO breach"

log "--syslog and log = syslog change no exit code"
assert_exit 10 agent replicate --syslog
assert_contains "$LAST_ERR" "job replicate:usb finished: exit 10"
assert_exit 1 agent status --syslog
assert_exit 0 restore_cmd points --syslog --json
sed 's|^metrics-file = .*|&\nlog = syslog|' "$CONF" >"$WORK/syslog.conf"
assert_exit 1 agent status --config "$WORK/syslog.conf"
JOURNAL_STREAM=1:1 assert_exit 1 agent status --config "$WORK/syslog.conf"

log "a one-off URL is not a job; a repaired replica records a success"
rm -f "$WORK/rep"
assert_exit 0 agent replicate --to "file://$WORK/oneoff" --json
assert_eq "$(find "$WORK/state/jobs" -name '[!.]*.json' | wc -l)" 2 "job records (backup, replicate:usb)"
assert_exit 0 agent replicate --json
assert_exit 0 agent status --json
r=$(job_index "$LAST_OUT" replicate:usb)
assert_eq "$(json_get "$LAST_OUT" "jobs.$r.exit_code")" 0 "exit code after the repair"
assert_eq "$(json_get "$LAST_OUT" "jobs.$r.runs_total")" 4 "runs of replicate:usb"
parse_metrics "$PROM" >"$OUT_DIR/m3.json"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["cairn_job_last_success_timestamp_seconds{job=replicate:usb}"] > float(sys.argv[2]) + 1 else 1)' \
	"$OUT_DIR/m3.json" "$ok1" || fail "the last success did not move after the repair"
log "ok"
