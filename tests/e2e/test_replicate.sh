#!/usr/bin/env bash
# Cross-region replication and disaster recovery from the replica alone. The
# primary is a local directory; the replica is the second region of the S3
# test server, reached through s3-faults:
#   - backup, replicate, lose the primary and the state dir: restore two
#     points in time from the replica, bytes and metadata compared;
#   - the replica down (503 on everything, then a stall) during three
#     backups --replicate: each snapshot is saved, replication fails with
#     exit 10, the lag is reported and grows; back up, one replicate
#     catches up and the replica restores the newest snapshot;
#   - kill -9 of replicate at several moments: no snapshot on the replica
#     points at missing data, and the next run completes;
#   - an object corrupted on the primary is not copied (exit 8, named);
#   - 20% 503 SlowDown and resets: replication completes, retries counted;
#   - boto3 lists exactly the primary's objects on the replica.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$E2E_DIR/s3lib.sh"
# the replica lives in region 2
[[ -n "${CAIRN_TEST_S3_ENDPOINT2:-}" ]] || skip "no second S3 region (CAIRN_TEST_S3_ENDPOINT2 is unset)"
export CAIRN_TEST_S3_ENDPOINT=$CAIRN_TEST_S3_ENDPOINT2 CAIRN_TEST_S3_BUCKET=$CAIRN_TEST_S3_BUCKET2
export CAIRN_TEST_S3_REGION=$CAIRN_TEST_S3_REGION2
s3_require
s3_faults_start
REPLICA="s3://$CAIRN_TEST_S3_BUCKET/$S3_PREFIX/dr"
export CAIRN_REPO=$WORK/primary
export CAIRN_S3_DEADLINE=20s CAIRN_S3_STALL_TIMEOUT=3s

# the objects of the primary (locks aside), as relative names
primary_objects() {
	(cd "$CAIRN_REPO" && find config keys data index snapshots -type f | sort)
}

# restore every point of the replica from a fresh state dir: all must succeed
replica_points_restore() {
	local tag=$1 n i points=$OUT_DIR/points-$1.json
	export CAIRN_STATE_DIR=$WORK/state-check-$tag
	assert_exit 0 restore_cmd points --from "$REPLICA" --json
	cp "$LAST_OUT" "$points"
	n=$(json_len "$points" .)
	assert_gt "$n" 0 "points on the replica ($tag)"
	for ((i = 0; i < n; i++)); do
		assert_exit 0 restore_cmd restore --from "$REPLICA" --snapshot "$(json_get "$points" "$i.id")" \
			--target "$WORK/check-$tag-$i"
		rm -rf "$WORK/check-$tag-$i"
	done
	export CAIRN_STATE_DIR=$WORK/state
}

SRC=$WORK/src
treetool generate "$SRC" --seed 41 --big-mib 20 --small 300 >/dev/null
treetool manifest "$SRC" --out "$OUT_DIR/m1"
export CAIRN_STATE_DIR=$WORK/state
init_repo

log "backup, replicate, lose the primary: restore two points from the replica"
assert_exit 0 agent backup "$SRC"
T1=$(now_rfc3339)
sleep 1
treetool mutate "$SRC" --seed 42 --percent 10 >/dev/null
treetool manifest "$SRC" --out "$OUT_DIR/m2"
assert_exit 0 agent backup "$SRC"
assert_exit 0 agent replicate --to "$REPLICA" --json
assert_eq "$(json_get "$LAST_OUT" sites.0.run.snapshots_copied)" 2 "snapshots copied"
assert_eq "$(json_get "$LAST_OUT" sites.0.snapshots_pending)" 0 "snapshots pending after replicate"
# a second run has nothing to do and costs one request
assert_exit 0 agent replicate --to "$REPLICA" --json
assert_eq "$(json_get "$LAST_OUT" sites.0.run.objects_copied)" 0 "objects copied by a run with nothing to do"
assert_le "$(json_get "$LAST_OUT" sites.0.run.store.requests)" 2 "requests of a run with nothing to do"
# boto3 sees exactly the primary's objects
primary_objects >"$OUT_DIR/primary.lst"
s3_keys "$S3_PREFIX/dr" | grep -v '^locks/' >"$OUT_DIR/replica.lst"
diff "$OUT_DIR/primary.lst" "$OUT_DIR/replica.lst" || fail "the replica's keys differ from the primary's objects"

mv "$CAIRN_REPO" "$WORK/primary-away"
export CAIRN_STATE_DIR=$WORK/dr-state # a fresh machine: no state, no primary
unset CAIRN_REPO
assert_exit 0 restore_cmd points --from "$REPLICA" --json
assert_eq "$(json_len "$LAST_OUT" .)" 2 "points on the replica"
assert_exit 0 restore_cmd restore --from "$REPLICA" --at "$T1" --target "$WORK/r1"
treetool manifest "$WORK/r1$SRC" --out "$OUT_DIR/r1"
treetool compare "$OUT_DIR/m1" "$OUT_DIR/r1" || fail "point 1 restored from the replica differs"
assert_exit 0 restore_cmd restore --from "$REPLICA" --at latest --target "$WORK/r2"
treetool manifest "$WORK/r2$SRC" --out "$OUT_DIR/r2"
treetool compare "$OUT_DIR/m2" "$OUT_DIR/r2" || fail "point 2 restored from the replica differs"
mv "$WORK/primary-away" "$WORK/primary"
export CAIRN_REPO=$WORK/primary CAIRN_STATE_DIR=$WORK/state

log "the replica is down during three backups: each snapshot is saved, the lag grows"
s3_faults_rules 'error:503'
for i in 1 2 3; do
	treetool mutate "$SRC" --seed $((50 + i)) --percent 5 >/dev/null
	assert_exit 10 agent backup --replicate --to "$REPLICA" --json "$SRC"
	assert_contains "$LAST_ERR" "replication to '$REPLICA' failed"
	assert_eq "$(json_get "$LAST_OUT" replication.sites.0.snapshots_pending)" "$i" "snapshots pending after backup $i"
	if [[ $i == 2 ]]; then
		s3_faults_rules 'stall' # a stalled replica: bounded by the deadline, no hang
	fi
done
assert_exit 0 agent snapshots --json
assert_eq "$(json_len "$LAST_OUT" .)" 5 "snapshots on the primary"
treetool manifest "$SRC" --out "$OUT_DIR/m5"
s3_faults_rules ''
assert_exit 0 agent replicate --to "$REPLICA" --json
assert_eq "$(json_get "$LAST_OUT" sites.0.run.snapshots_copied)" 3 "snapshots copied when the replica is back"
assert_eq "$(json_get "$LAST_OUT" sites.0.snapshots_pending)" 0 "snapshots pending after catching up"
export CAIRN_STATE_DIR=$WORK/dr-state2
assert_exit 0 restore_cmd restore --from "$REPLICA" --at latest --target "$WORK/r5"
treetool manifest "$WORK/r5$SRC" --out "$OUT_DIR/r5"
treetool compare "$OUT_DIR/m5" "$OUT_DIR/r5" || fail "the newest snapshot restored from the replica differs"
export CAIRN_STATE_DIR=$WORK/state

log "kill -9 of replicate at several moments"
for k in 1 2 3; do
	treetool mutate "$SRC" --seed $((60 + k)) --percent 20 >/dev/null
	assert_exit 0 agent backup "$SRC"
	s3_faults_rules 'delay:0.2'
	"$CAIRN_AGENT" replicate --to "$REPLICA" --quiet >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((k * 3))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	s3_faults_rules ''
	replica_points_restore "kill$k"
done
assert_exit 0 agent replicate --to "$REPLICA"
replica_points_restore final

log "an object corrupted on the primary is not copied"
treetool mutate "$SRC" --seed 70 --percent 10 >/dev/null
assert_exit 0 agent backup --json "$SRC"
newest=$(find "$CAIRN_REPO/data" -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2)
cp "$newest" "$WORK/pack.good"
printf 'X' | dd of="$newest" bs=1 seek=200 conv=notrunc status=none
assert_exit 8 agent replicate --to "$REPLICA"
assert_contains "$LAST_ERR" "$(basename "$newest")"
assert_contains "$LAST_ERR" "damaged"
assert_contains "$LAST_ERR" "held back"
s3_keys "$S3_PREFIX/dr" >"$OUT_DIR/replica-after-damage.lst"
if grep -q "$(basename "$newest")" "$OUT_DIR/replica-after-damage.lst"; then
	fail "the damaged pack reached the replica"
fi
cat "$WORK/pack.good" >"$newest" # repaired: the next run copies it and the held-back snapshot

log "20% 503 SlowDown and resets: replication completes, retries counted"
treetool mutate "$SRC" --seed 80 --percent 30 >/dev/null
assert_exit 0 agent backup "$SRC"
s3_faults_rules $'error:503,prob=0.2\nreset-upload,method=PUT,prob=0.05\nreset,prob=0.03'
assert_exit 0 agent replicate --to "$REPLICA" --json
assert_gt "$(json_get "$LAST_OUT" sites.0.run.store.retries)" 0 "retries counted"
s3_faults_rules ''
primary_objects >"$OUT_DIR/primary2.lst"
s3_keys "$S3_PREFIX/dr" | grep -v '^locks/' >"$OUT_DIR/replica2.lst"
# the replica holds everything of the primary (and the damaged pack's
# replacement); nothing is ever deleted there
comm -23 "$OUT_DIR/primary2.lst" "$OUT_DIR/replica2.lst" >"$OUT_DIR/missing.lst"
[[ ! -s "$OUT_DIR/missing.lst" ]] || fail "objects missing on the replica: $(head -3 "$OUT_DIR/missing.lst")"
replica_points_restore faults
log "replication verified"
