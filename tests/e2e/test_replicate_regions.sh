#!/usr/bin/env bash
# Two S3 regions on loopback: the primary in region 1, the replica in
# region 2 (each endpoint checks signatures against its own region name).
# Back up twice to the primary, replicate, then lose the primary (its
# objects deleted, the state directory gone) and restore both points in time
# from the replica alone, bytes and metadata compared; boto3 sees exactly
# the primary's keys on the replica.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$E2E_DIR/s3lib.sh"
[[ -n "${CAIRN_TEST_S3_ENDPOINT2:-}" ]] || skip "no second S3 region (CAIRN_TEST_S3_ENDPOINT2 is unset)"
s3_require # region 1: the primary, through the environment
s3_use_repo primary
PRIMARY_PREFIX=$S3_PREFIX/primary

# the replica: region 2, its endpoint and region only in the configuration
CONF=$WORK/cairn.conf
{
	echo "[repository]"
	echo "url = $CAIRN_REPO"
	echo "[replica dr]"
	echo "url = s3://$CAIRN_TEST_S3_BUCKET2/$S3_PREFIX/dr"
	echo "endpoint = $CAIRN_TEST_S3_ENDPOINT2"
	echo "region = $CAIRN_TEST_S3_REGION2"
	echo "transfers = 3"
} >"$CONF"
chmod 600 "$CONF"
export CAIRN_CONFIG=$CONF CAIRN_STATE_DIR=$WORK/state
unset CAIRN_REPO # from the configuration

# keys under a prefix of a bucket of one region, with boto3
keys_of() {
	/usr/bin/python3 - "$@" <<'PY'
import os, sys, boto3
from botocore.config import Config
endpoint, region, bucket, prefix = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region,
                  config=Config(s3={"addressing_style": "path"}))
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
    keys += [o["Key"][len(prefix) + 1:] for o in page.get("Contents", [])]
if len(sys.argv) > 5 and sys.argv[5] == "delete":
    for k in keys:
        s3.delete_object(Bucket=bucket, Key=prefix + "/" + k)
else:
    print("\n".join(sorted(k for k in keys if not k.startswith("locks/"))))
PY
}
on_exit "keys_of '$CAIRN_TEST_S3_ENDPOINT2' '$CAIRN_TEST_S3_REGION2' '$CAIRN_TEST_S3_BUCKET2' '$S3_PREFIX/dr' delete >/dev/null 2>&1 || true"

SRC=$WORK/src
treetool generate "$SRC" --seed 91 --big-mib 16 --small 200 >/dev/null
treetool manifest "$SRC" --out "$OUT_DIR/m1"
init_repo
assert_exit 0 agent backup "$SRC"
T1=$(now_rfc3339)
sleep 1
treetool mutate "$SRC" --seed 92 --percent 10 >/dev/null
treetool manifest "$SRC" --out "$OUT_DIR/m2"
assert_exit 0 agent backup --replicate --json "$SRC"
assert_eq "$(json_get "$LAST_OUT" replication.sites.0.site)" dr "replicated to the configured replica"
assert_eq "$(json_get "$LAST_OUT" replication.sites.0.run.snapshots_copied)" 2 "snapshots copied"
assert_eq "$(json_get "$LAST_OUT" replication.sites.0.snapshots_pending)" 0 "snapshots pending"

keys_of "$CAIRN_TEST_S3_ENDPOINT" "$CAIRN_TEST_S3_REGION" "$CAIRN_TEST_S3_BUCKET" "$PRIMARY_PREFIX" >"$OUT_DIR/primary.lst"
keys_of "$CAIRN_TEST_S3_ENDPOINT2" "$CAIRN_TEST_S3_REGION2" "$CAIRN_TEST_S3_BUCKET2" "$S3_PREFIX/dr" >"$OUT_DIR/replica.lst"
assert_gt "$(wc -l <"$OUT_DIR/primary.lst")" 6 "objects on the primary"
diff "$OUT_DIR/primary.lst" "$OUT_DIR/replica.lst" || fail "the replica's keys differ from the primary's"

log "region 1 is lost: its objects and the state directory are gone"
keys_of "$CAIRN_TEST_S3_ENDPOINT" "$CAIRN_TEST_S3_REGION" "$CAIRN_TEST_S3_BUCKET" "$PRIMARY_PREFIX" delete
rm -rf "$WORK/state"
export CAIRN_STATE_DIR=$WORK/dr-state
assert_exit 5 restore_cmd points --from primary # the primary is gone: repository missing
# without --from the sites are probed: the replica, the only one healthy, is read
assert_exit 0 restore_cmd points
assert_contains "$LAST_ERR" "recovery points of site dr (config read in "
assert_contains "$LAST_ERR" "; primary: "
assert_exit 0 restore_cmd points --from dr --json
assert_eq "$(json_len "$LAST_OUT" .)" 2 "points on the replica"
assert_exit 0 restore_cmd restore --from dr --at "$T1" --target "$WORK/r1"
treetool manifest "$WORK/r1$SRC" --out "$OUT_DIR/r1"
treetool compare "$OUT_DIR/m1" "$OUT_DIR/r1" || fail "point 1 restored from region 2 differs"
assert_exit 0 restore_cmd restore --from dr --at latest --target "$WORK/r2" --json
assert_eq "$(json_get "$LAST_OUT" store.retries)" 0 "retries restoring from region 2"
treetool manifest "$WORK/r2$SRC" --out "$OUT_DIR/r2"
treetool compare "$OUT_DIR/m2" "$OUT_DIR/r2" || fail "point 2 restored from region 2 differs"
log "restored from the replica alone"
