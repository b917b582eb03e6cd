#!/usr/bin/env bash
# cairn-agent run, the built-in scheduler, with a local primary and a local
# replica `usb` whose replication is scheduled (`every 1m`):
#   - refusals: no scheduled job, a malformed file (FILE:LINE), a missing
#     file, --json without --dry-run: exit 2, nothing runs;
#   - --dry-run [--json] prints the plan and writes nothing;
#   - --once: a new job waits for its time; a run missed while the agent was
#     down (the state file says the last run was long ago) is caught up once;
#     an interrupted run runs again; the state file is valid JSON;
#   - the daemon: catches up at start, holds the state dir (a second run
#     exits 6), reloads on SIGHUP (the new schedule is logged; a malformed
#     file is logged and the old one kept), stops on SIGTERM with exit 0
#     within seconds; systemd notifications on a fake NOTIFY_SOCKET (abstract
#     name): READY=1, STATUS, WATCHDOG=1, RELOADING=1, STOPPING=1;
#   - when `backup --set` exists: a scheduled backup set runs before the
#     replication it feeds; SIGTERM during a backup (held in its pre-hook)
#     stops it, the daemon exits 0 at once and the backup is due again.
# The time behaviour itself (DST, month ends, catch-up, never twice) is in
# tests/unit/sched/test_scheduler.c on a fake clock.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR CAIRN_CONFIG NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
STATE=$WORK/state
SCHED=$STATE/scheduler.json
SRC=$WORK/src
CONF=$WORK/cairn.conf

HAVE_SET=0
if agent backup --help 2>&1 | grep -- --set >/dev/null; then
	HAVE_SET=1
else
	log "SKIP (part): 'backup --set' does not exist in this build: the scheduled backup set is left out"
fi

# write_conf REPLICA_SCHEDULE [BACKUP_SCHEDULE [PRE_HOOK]]
write_conf() {
	{
		echo "[cairn]"
		echo "state-dir = $STATE"
		echo "key-file = $WORK/key"
		echo "host = run-host"
		echo
		echo "[repository]"
		echo "url = $WORK/primary"
		echo
		echo "[replica usb]"
		echo "url = $WORK/usb"
		echo "schedule = $1"
		echo
		echo "[backup home]"
		echo "path = $SRC"
		if [[ -n "${2:-}" ]]; then
			echo "schedule = $2"
			echo "jitter = 0s"
		fi
		if [[ -n "${3:-}" ]]; then
			echo "pre-hook = $3"
		fi
		echo
		echo "[jobs]"
		echo "prune = 0 4 29 2 *"
		echo "check = 0 5 29 2 *"
		echo "check-read-data = 5"
	} >"$CONF.tmp"
	chmod 640 "$CONF.tmp"
	mv "$CONF.tmp" "$CONF"
}

# set_state JOB KEY=VALUE... : edit one job's entry of the state file (python literals)
set_state() {
	python3 - "$SCHED" "$@" <<'EOF'
import json, sys, os
path, job = sys.argv[1], sys.argv[2]
d = json.load(open(path)) if os.path.exists(path) else {"version": 1, "jobs": {}}
entry = d["jobs"].setdefault(job, {})
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    entry[k] = eval(v)
json.dump(d, open(path, "w"))
EOF
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds
wait_for() {
	local limit=$1 what=$2 i
	shift 2
	for ((i = 0; i < limit * 5; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	fail "timed out after ${limit}s waiting for: $what"
}

replica_points() {
	restore_cmd points --from usb --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

treetool generate "$SRC" --seed 81 --small 40 >/dev/null
write_conf "every 1m"
export CAIRN_CONFIG=$CONF

log "refusals: nothing scheduled, a malformed file, a missing file, --json without --dry-run"
NOSCHED=$WORK/nosched.conf
grep -v '^schedule\|^prune\|^check' "$CONF" >"$NOSCHED"
chmod 640 "$NOSCHED"
assert_exit 2 agent run --config "$NOSCHED" --once
assert_contains "$LAST_ERR" "$NOSCHED schedules no job"
BAD=$WORK/bad.conf
sed 's/^schedule = every 1m$/schedule = every 1 minute/' "$CONF" >"$BAD"
chmod 640 "$BAD"
line=$(grep -n '^schedule = every 1 minute' "$BAD" | cut -d: -f1)
assert_exit 2 agent run --config "$BAD"
assert_contains "$LAST_ERR" "$BAD:$line:"
assert_exit 2 agent run --config "$WORK/nosuch.conf" --once
assert_contains "$LAST_ERR" "$WORK/nosuch.conf"
assert_exit 2 agent run --json
assert_contains "$LAST_ERR" "--json goes with --dry-run"
assert_exit 2 agent run --once --dry-run
assert_exit 2 agent run extra-argument
assert_exit 0 agent run --help
assert_contains "$LAST_OUT" "--once"
[[ ! -e "$STATE" ]] || fail "a refused run created the state directory"

log "init and a first backup (by hand)"
assert_exit 0 agent init
assert_exit 0 agent backup "$SRC"

log "--dry-run: the plan, nothing written"
assert_exit 0 agent run --dry-run
assert_contains "$LAST_OUT" "replicate:usb"
assert_contains "$LAST_OUT" "schedule: every 1m"
assert_contains "$LAST_OUT" "cairn-agent replicate --to usb --config $CONF"
assert_contains "$LAST_OUT" "cairn-agent check --read-data=5"
assert_contains "$LAST_OUT" "last run: never"
assert_exit 0 agent run --dry-run --json
assert_eq "$(json_get "$LAST_OUT" state_file)" "$SCHED" "state file of the plan"
assert_eq "$(json_len "$LAST_OUT" jobs)" 3 "jobs in the plan (replicate:usb, prune, check)"
assert_eq "$(json_get "$LAST_OUT" jobs.0.job)" "replicate:usb" "first job"
assert_eq "$(json_get "$LAST_OUT" jobs.0.due_now)" false "a new job is not due at once"
assert_eq "$(json_get "$LAST_OUT" jobs.1.job)" "prune" "second job"
assert_eq "$(json_get "$LAST_OUT" jobs.2.job)" "check" "third job"
assert_eq "$(json_get "$LAST_OUT" jobs.2.command)" "check --read-data=5" "check command"
[[ ! -e "$SCHED" ]] || fail "--dry-run wrote the state file"

log "--once: a job never seen waits for its time"
assert_exit 0 agent run --once
assert_contains "$LAST_ERR" "no job is due"
assert_not_contains "$LAST_ERR" "started"
assert_eq "$(json_get "$SCHED" version)" 1 "state file version"
first_seen=$(json_get "$SCHED" jobs.replicate:usb.first_seen_ns)
assert_gt "$first_seen" 0 "first_seen_ns of the new job"
assert_eq "$(json_get "$SCHED" jobs.replicate:usb.last_start_ns)" 0 "last start of a job that never ran"
[[ ! -e "$WORK/usb/config" ]] || fail "the replication ran before its time"

log "--once: three days of missed runs are caught up once"
set_state replicate:usb last_start_ns=$(( ($(date +%s) - 3 * 86400) * 1000000000 )) last_exit=0
before=$(date +%s%N)
assert_exit 0 agent run --once
assert_contains "$LAST_ERR" "job replicate:usb started (cairn-agent replicate --to usb, catching up a run missed"
assert_contains "$LAST_ERR" "job replicate:usb finished: exit 0 in"
assert_eq "$(grep -c 'job replicate:usb started' "$LAST_ERR")" 1 "runs of the missed job"
assert_eq "$(replica_points)" 1 "points on the replica after the catch-up"
assert_eq "$(json_get "$SCHED" jobs.replicate:usb.last_exit)" 0 "last exit in the state"
assert_eq "$(json_get "$SCHED" jobs.replicate:usb.running)" false "running in the state"
assert_ge "$(json_get "$SCHED" jobs.replicate:usb.last_start_ns)" "$before" "last start in the state"
assert_eq "$(json_get "$SCHED" jobs.replicate:usb.first_seen_ns)" "$first_seen" "first seen is kept"
# the state file round trip: the plan reads back what was written
assert_exit 0 agent run --dry-run --json
assert_ne "$(json_get "$LAST_OUT" jobs.0.last_start)" null "last start read back"
assert_eq "$(json_get "$LAST_OUT" jobs.0.last_exit)" 0 "last exit read back"
assert_eq "$(json_get "$LAST_OUT" jobs.0.due_now)" false "due right after its run"
assert_exit 0 agent run --once
assert_contains "$LAST_ERR" "no job is due"

log "--once: a run the agent was stopped in runs again"
set_state replicate:usb running=True
assert_exit 0 agent run --once
assert_contains "$LAST_ERR" "its last run was interrupted"
assert_eq "$(json_get "$SCHED" jobs.replicate:usb.interrupted)" false "interrupted after the run"
# a state file that is not JSON is a warning, not a failure
echo "{not json" >"$SCHED"
assert_exit 0 agent run --once
assert_contains "$LAST_ERR" "cannot read the scheduler state '$SCHED'"
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$SCHED" || fail "the state file was not rewritten"

log "the daemon: catch-up at start, SIGHUP, SIGTERM, systemd notifications"
treetool mutate "$SRC" --seed 82 --percent 30 >/dev/null
assert_exit 0 agent backup "$SRC"
set_state replicate:usb last_start_ns=1000000000 running=False interrupted=False
NOTIFY_NAME="cairn-test-run-$$-$RANDOM"
NOTIFY_LOG=$OUT_DIR/notify.log
: >"$NOTIFY_LOG"
python3 - "$NOTIFY_NAME" "$NOTIFY_LOG" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
s.settimeout(120)
with open(sys.argv[2], "a") as out:
    print("LISTENING", file=out, flush=True)
    while True:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        print(data.decode().replace("\n", " | "), file=out, flush=True)
EOF
listener=$!
on_exit "kill $listener 2>/dev/null"
wait_for 10 "the notification listener" grep -q LISTENING "$NOTIFY_LOG"
RUN_ERR=$OUT_DIR/run.err
# the program itself, not the `agent` function, so that $! is its pid
NOTIFY_SOCKET="@$NOTIFY_NAME" WATCHDOG_USEC=1000000 "$CAIRN_AGENT" run 2>"$RUN_ERR" &
daemon=$!
on_exit "kill -KILL $daemon 2>/dev/null"
wait_for 30 "the catch-up replication" grep -q "job replicate:usb finished: exit 0" "$RUN_ERR"
assert_eq "$(replica_points)" 2 "points on the replica after the daemon's catch-up"
assert_contains "$RUN_ERR" "scheduler started: 3 jobs from $CONF"
wait_for 10 "READY=1" grep -q "READY=1" "$NOTIFY_LOG"
wait_for 10 "WATCHDOG=1 (every 0.5 s)" grep -q "WATCHDOG=1" "$NOTIFY_LOG"
wait_for 10 "STATUS idle" grep -q "STATUS=idle, next: replicate:usb at" "$NOTIFY_LOG"
# one scheduler per state directory
assert_exit 6 agent run --once
assert_contains "$LAST_ERR" "another 'cairn-agent run' (pid $daemon)"
# SIGHUP: the new schedule shows in the log
write_conf "every 7m"
kill -HUP "$daemon"
wait_for 10 "the reload" grep -q "job replicate:usb: schedule 'every 7m'" "$RUN_ERR"
assert_contains "$RUN_ERR" "reloading $CONF (SIGHUP)"
wait_for 10 "RELOADING=1" grep -q "RELOADING=1" "$NOTIFY_LOG"
# a malformed file on SIGHUP: reported with FILE:LINE, the old configuration stays
cp "$BAD" "$CONF"
kill -HUP "$daemon"
wait_for 10 "the refused reload" grep -q "reload failed: keeping the configuration in force" "$RUN_ERR"
assert_contains "$RUN_ERR" "$CONF:$line:"
kill -0 "$daemon" || fail "the daemon died on a malformed configuration"
write_conf "every 7m"
# SIGTERM: exit 0 within seconds, state saved
kill -TERM "$daemon"
rc=0
for ((i = 0; i < 50; i++)); do
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$daemon" 2>/dev/null && fail "the daemon did not stop within 5 s of SIGTERM"
wait "$daemon" || rc=$?
assert_eq "$rc" 0 "exit code of the daemon after SIGTERM"
assert_contains "$RUN_ERR" "scheduler stopping"
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$SCHED" || fail "the state file is not valid JSON"
assert_eq "$(json_get "$SCHED" jobs.replicate:usb.last_exit)" 0 "last exit after the daemon"
wait_for 10 "STOPPING=1" grep -q "STOPPING=1" "$NOTIFY_LOG"
kill "$listener" 2>/dev/null || true
if grep -q "NOTIFY_SOCKET\|WATCHDOG_USEC" "$RUN_ERR"; then
	fail "the daemon complained about the notification variables: $(cat "$RUN_ERR")"
fi

if [[ $HAVE_SET == 1 ]]; then
	log "a scheduled backup set runs before the replication, once each"
	write_conf "every 1m" "every 1m"
	treetool mutate "$SRC" --seed 83 --percent 30 >/dev/null
	past=$(( ($(date +%s) - 86400) * 1000000000 ))
	set_state backup:home last_start_ns=$past first_seen_ns=$past
	set_state replicate:usb last_start_ns=$past
	assert_exit 0 agent snapshots --json
	nsnap=$(json_len "$LAST_OUT" .)
	assert_exit 0 agent run --once
	assert_eq "$(grep -c 'job backup:home started' "$LAST_ERR")" 1 "runs of backup:home"
	assert_eq "$(grep -n 'job backup:home started' "$LAST_ERR" | cut -d: -f1)" \
		"$(grep -n 'started' "$LAST_ERR" | head -1 | cut -d: -f1)" "the backup goes first"
	assert_exit 0 agent snapshots --json
	assert_eq "$(json_len "$LAST_OUT" .)" "$((nsnap + 1))" "snapshots after the scheduled backup"
	assert_eq "$(replica_points)" "$((nsnap + 1))" "points on the replica after the scheduled backup"

	log "SIGTERM while a backup runs: the job is stopped, the daemon exits 0, the backup is due again"
	HOOK_PID=$WORK/hook.pid
	write_conf "every 1h" "every 1m" "echo \$\$ >$HOOK_PID && exec sleep 30"
	set_state backup:home last_start_ns=$past
	# stdout to a file too: the hook's orphaned sleep must not hold the test's output open
	"$CAIRN_AGENT" run >"$OUT_DIR/run2.out" 2>"$OUT_DIR/run2.err" &
	daemon=$!
	on_exit "kill -KILL $daemon 2>/dev/null"
	on_exit "[[ -s $HOOK_PID ]] && kill \$(cat $HOOK_PID) 2>/dev/null"
	wait_for 30 "the backup's pre-hook" test -s "$HOOK_PID"
	assert_contains "$OUT_DIR/run2.err" "job backup:home started"
	kill -TERM "$daemon"
	rc=0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$daemon" 2>/dev/null && fail "the daemon did not stop within 5 s of SIGTERM during a job"
	wait "$daemon" || rc=$?
	assert_eq "$rc" 0 "exit code of the daemon stopped during a job"
	assert_contains "$OUT_DIR/run2.err" "stopping: job backup:home"
	assert_contains "$OUT_DIR/run2.err" "job backup:home finished: exit 143 (killed by signal 15"
	assert_contains "$OUT_DIR/run2.err" "next run at the next start"
	assert_eq "$(json_get "$SCHED" jobs.backup:home.interrupted)" true "interrupted in the state"
	assert_eq "$(json_get "$SCHED" jobs.backup:home.last_exit)" 143 "last exit of the stopped backup"
	kill "$(cat "$HOOK_PID")" 2>/dev/null || true
	assert_exit 0 agent run --dry-run --json
	assert_eq "$(json_get "$LAST_OUT" jobs.0.job)" backup:home "first job"
	assert_eq "$(json_get "$LAST_OUT" jobs.0.due_now)" true "the stopped backup is due again"
	assert_eq "$(json_get "$LAST_OUT" jobs.0.interrupted)" true "the stopped backup is marked interrupted"
	assert_exit 0 agent snapshots --json
	assert_eq "$(json_len "$LAST_OUT" .)" "$((nsnap + 1))" "no snapshot from the stopped backup"
else
	log "SKIP (part): scheduled backup set: 'cairn-agent backup --set' is not in this build yet"
fi

log "a scheduled drill: job drill:NAME runs 'cairn-restore drill' (the one next to cairn-agent) with the section's settings"
HAVE_DRILL=0
if restore_cmd drill --help >/dev/null 2>&1; then
	HAVE_DRILL=1
fi
write_conf "every 1h"
cat >>"$CONF" <<EOF2

[drill usb-weekly]
site = usb
schedule = every 7d
within = 3d
sample = 50
rto = 1h
report = $WORK/drill-report.md
EOF2
DRILL_CMD="drill --job drill:usb-weekly --from usb --random-point --within 3d --sample 50 --rto 1h --report $WORK/drill-report.md"
assert_exit 0 agent run --dry-run
assert_contains "$LAST_OUT" "drill:usb-weekly"
assert_contains "$LAST_OUT" "command:  cairn-restore $DRILL_CMD --config $CONF"
assert_exit 0 agent run --dry-run --json
assert_eq "$(json_get "$LAST_OUT" jobs.3.job)" "drill:usb-weekly" "the drill comes last"
assert_eq "$(json_get "$LAST_OUT" jobs.3.program)" "cairn-restore" "the drill's program"
assert_eq "$(json_get "$LAST_OUT" jobs.3.command)" "$DRILL_CMD" "the drill's command"
assert_eq "$(json_get "$LAST_OUT" jobs.0.program)" "cairn-agent" "the replication's program"
now_ns=$(($(date +%s) * 1000000000))
set_state replicate:usb last_start_ns=$now_ns first_seen_ns=$now_ns running=False interrupted=False
set_state drill:usb-weekly last_start_ns=$((now_ns - 8 * 86400 * 1000000000)) first_seen_ns=1000000000
if [[ $HAVE_DRILL == 1 ]]; then
	assert_exit 0 agent run --once
	assert_contains "$LAST_ERR" "job drill:usb-weekly started (cairn-restore $DRILL_CMD, catching up"
	assert_contains "$LAST_ERR" "job drill:usb-weekly finished: exit 0 in"
	assert_eq "$(grep -c 'started' "$LAST_ERR")" 1 "jobs run"
	assert_eq "$(json_get "$SCHED" jobs.drill:usb-weekly.last_exit)" 0 "the drill's exit code in the state"
	assert_eq "$(json_get "$SCHED" jobs.drill:usb-weekly.running)" false "the drill is not running"
	[[ -s "$STATE/drills/usb.jsonl" ]] || fail "the drill left no history in $STATE/drills/usb.jsonl"
	assert_eq "$(tail -n 1 "$STATE/drills/usb.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')" \
		pass "the drill's result in its history"
	[[ -s "$WORK/drill-report.md" ]] || fail "the drill wrote no report to $WORK/drill-report.md"
	assert_exit 0 agent status
	assert_contains "$LAST_OUT" "last drill: pass, "
	assert_contains "$LAST_OUT" "job     drill:usb-weekly"
	# the drill recorded itself under the scheduler's job name: one record, no drill:usb twin
	[[ -s "$STATE/jobs/drill:usb-weekly.json" ]] || fail "no job record drill:usb-weekly"
	[[ ! -e "$STATE/jobs/drill:usb.json" ]] || fail "the drill recorded itself as drill:usb too"
else
	log "SKIP (part): 'cairn-restore drill' is not in this build yet: the scheduled drill is not run (its plan is checked above)"
fi
