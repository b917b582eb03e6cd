#!/usr/bin/env bash
# Backup and restore through S3 while the network misbehaves (s3-faults in
# front of the server): 20% 503 SlowDown plus resets mid-upload and
# mid-download still give byte-identical restores, with the retries counted;
# truncated and corrupted GET bodies are detected and fetched again, never
# written into a restore; a stalled server fails within the configured
# deadline with a timeout error; a wrong secret fails at once, without a
# retry storm.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$E2E_DIR/s3lib.sh"
s3_require
s3_use_repo faults
s3_faults_start

SRC=$WORK/src
treetool generate "$SRC" --seed 31 --big-mib 12 --small 200 >/dev/null
treetool manifest "$SRC" --out "$OUT_DIR/m1"
init_repo

# each phase has a few faults that always fire (nth=), so retries happen however
# few requests the run makes, and random ones on top (seeded)
log "503 SlowDown on 20% of requests, resets mid-upload and mid-download"
s3_faults_rules $'reset-upload,method=PUT,path=/data/,nth=1\nerror:503,method=PUT,nth=2\nerror:503,prob=0.2\nreset-upload,method=PUT,prob=0.05\nreset-download,method=GET,prob=0.05'
assert_exit 0 agent backup --json "$SRC"
cp "$LAST_OUT" "$OUT_DIR/b1.json"
retries=$(json_get "$OUT_DIR/b1.json" store.retries)
requests=$(json_get "$OUT_DIR/b1.json" store.requests)
log "backup: $requests requests, $retries retries"
assert_gt "$retries" 1 "backup retries counted"
s3_faults_rules $'reset-download,method=GET,path=/data/,nth=1\nerror:503,method=GET,nth=2\nerror:503,prob=0.2\nreset-download,method=GET,prob=0.05'
assert_exit 0 restore_cmd restore --at latest --target "$WORK/t1" --json
cp "$LAST_OUT" "$OUT_DIR/r1.json"
log "restore: $(json_get "$OUT_DIR/r1.json" store.requests) requests, $(json_get "$OUT_DIR/r1.json" store.retries) retries"
assert_gt "$(json_get "$OUT_DIR/r1.json" store.retries)" 1 "restore retries counted"
treetool manifest "$WORK/t1$SRC" --out "$OUT_DIR/r1"
treetool compare "$OUT_DIR/m1" "$OUT_DIR/r1" || fail "restore through a faulty network differs"

log "truncated and corrupted GET bodies"
# a request counts toward a rule's nth only when no earlier rule fired on it: the
# first pack GET is truncated, the next one (its retry) corrupted
s3_faults_rules $'truncate,method=GET,path=/data/,nth=1\ncorrupt,method=GET,path=/data/,nth=1\ntruncate,method=GET,path=/index/,nth=1\ncorrupt,method=GET,path=/snapshots/,nth=1'
export CAIRN_STATE_DIR=$WORK/state2 # a fresh catalog: index and snapshots are fetched too
assert_exit 0 restore_cmd restore --at latest --target "$WORK/t2"
treetool manifest "$WORK/t2$SRC" --out "$OUT_DIR/r2"
treetool compare "$OUT_DIR/m1" "$OUT_DIR/r2" || fail "restore with damaged transfers differs"
read -r -a fired <<<"$(s3_faults_fired)"
log "damaged transfers injected (per rule): ${fired[*]}"
assert_eq "${fired[*]}" "1 1 1 1" "damaged transfers injected (truncated pack, corrupted pack, truncated index, corrupted snapshot)"

log "a stalled server: fails within the deadline, no hang"
s3_faults_rules 'stall'
export CAIRN_STATE_DIR=$WORK/state3
start=$(date +%s)
assert_exit 1 env CAIRN_S3_STALL_TIMEOUT=2s CAIRN_S3_DEADLINE=8s "$CAIRN_RESTORE" points
elapsed=$(($(date +%s) - start))
log "stalled: failed after ${elapsed}s"
assert_le "$elapsed" 20 "time to give up on a stalled server"
assert_contains "$LAST_ERR" "timed out"

if s3_is_lenient; then
	log "SKIP wrong-secret check: $S3_BACKEND_NAME accepts any secret"
else
	log "a wrong secret: one request, one clear error"
	s3_faults_rules ''
	assert_exit 4 env AWS_SECRET_ACCESS_KEY=wrong "$CAIRN_RESTORE" points
	assert_contains "$LAST_ERR" "SignatureDoesNotMatch"
	assert_le "$(s3_faults_log_count)" 2 "requests sent with a wrong secret"
fi
log "faults handled"
