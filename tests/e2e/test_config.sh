#!/usr/bin/env bash
# The configuration file in both programs. A local primary and two replicas,
# `usb` (a local directory) and, when the S3 test server runs, `dr` (region
# 2, its endpoint, region and credentials only in the file: no AWS_*
# variable is set):
#   - `config check` says OK; a malformed file, or a missing named one, is
#     refused with FILE:LINE (exit 2) and nothing runs;
#   - backup --replicate without --to copies to every replica; replicate
#     --to NAME; a --to that is neither a name nor a URL is refused, listing
#     the names;
#   - restore --from NAME restores byte for byte, points --from NAME;
#   - status --json: an RPO breach on a replica only exits 7, the primary is
#     within its RPO; --rpo beats the file;
#   - precedence: flags beat CAIRN_* variables, which beat the file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HAVE_S3=0
if [[ -n "${CAIRN_TEST_S3_ENDPOINT2:-}" ]]; then
	source "$E2E_DIR/s3lib.sh"
	export CAIRN_TEST_S3_ENDPOINT=$CAIRN_TEST_S3_ENDPOINT2 CAIRN_TEST_S3_BUCKET=$CAIRN_TEST_S3_BUCKET2
	export CAIRN_TEST_S3_REGION=$CAIRN_TEST_S3_REGION2
	s3_require
	HAVE_S3=1
	S3_AK=$AWS_ACCESS_KEY_ID S3_SK=$AWS_SECRET_ACCESS_KEY
	# the cleanup hook (s3lib's, run after this one) needs the credentials back
	on_exit "export AWS_ACCESS_KEY_ID='$S3_AK' AWS_SECRET_ACCESS_KEY='$S3_SK'"
	# from here on the programs get nothing S3 from the environment
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL \
		AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE
	export HOME=$WORK/home # no ~/.aws/credentials to fall back on
	mkdir -p "$HOME"
else
	log "no second S3 region (CAIRN_TEST_S3_ENDPOINT2 is unset): local replica only"
fi

# everything from the file
unset CAIRN_REPO CAIRN_KEY_FILE CAIRN_STATE_DIR CAIRN_CONFIG
CONF=$WORK/cairn.conf
SECRET=$WORK/s3-secret
{
	echo "[cairn]"
	echo "state-dir = $WORK/state"
	echo "key-file = $WORK/key"
	echo "host = config-host"
	echo "threads = 2"
	echo "rpo = 1h"
	echo
	echo "[repository]"
	echo "url = $WORK/primary"
	echo
	echo "[replica usb]"
	echo "url = file://$WORK/usb"
	echo "rpo = 1s"
	if [[ $HAVE_S3 == 1 ]]; then
		echo
		echo "[replica dr]"
		echo "url = s3://$CAIRN_TEST_S3_BUCKET/$S3_PREFIX/dr"
		echo "endpoint = $CAIRN_TEST_S3_ENDPOINT"
		echo "region = $CAIRN_TEST_S3_REGION"
		echo "access-key-id = $S3_AK"
		echo "secret-access-key-file = $SECRET"
		echo "deadline = 30s"
		echo "transfers = 3"
	fi
	echo
	echo "[backup home]"
	echo "path = $WORK/src"
} >"$CONF"
if [[ $HAVE_S3 == 1 ]]; then
	(umask 077 && printf '%s\n' "$S3_SK" >"$SECRET")
	NREPLICAS=2
else
	NREPLICAS=1
fi

SRC=$WORK/src
treetool generate "$SRC" --seed 71 --big-mib 3 --small 120 >/dev/null
manifest_of "$SRC" "$OUT_DIR/m1"

log "config check"
assert_exit 0 agent config check --config "$CONF"
assert_contains "$LAST_OUT" "$CONF: OK (primary $WORK/primary, $NREPLICAS replica"
assert_contains "$LAST_OUT" "1 backup set)"
CAIRN_CONFIG=$CONF assert_exit 0 agent config check
assert_contains "$LAST_OUT" "$CONF: OK"

log "a malformed file, a missing one: exit 2 with FILE:LINE, nothing runs"
BAD=$WORK/bad.conf
sed 's/^threads = 2$/threds = 2/' "$CONF" >"$BAD"
line=$(grep -n '^threds' "$BAD" | cut -d: -f1)
assert_exit 2 agent config check --config "$BAD"
assert_contains "$LAST_ERR" "$BAD:$line:"
assert_contains "$LAST_ERR" "threds"
assert_exit 2 agent init --config "$BAD"
assert_contains "$LAST_ERR" "$BAD:$line:"
[[ ! -e "$WORK/primary" && ! -e "$WORK/key" ]] || fail "init ran with a malformed configuration"
CAIRN_CONFIG=$BAD assert_exit 2 restore_cmd points
assert_contains "$LAST_ERR" "$BAD:$line:"
assert_exit 2 agent config check --config "$WORK/nosuch.conf"
assert_contains "$LAST_ERR" "$WORK/nosuch.conf"
assert_exit 2 agent snapshots --config "$WORK/nosuch.conf"

log "init and backup --replicate to every configured replica"
assert_exit 0 agent init --config "$CONF"
[[ -f "$WORK/key" && -f "$WORK/primary/config" ]] || fail "init did not use the file's key-file and url"
assert_exit 0 agent backup --config "$CONF" --replicate --json "$SRC"
assert_eq "$(json_len "$LAST_OUT" replication.sites)" "$NREPLICAS" "sites replicated by backup --replicate"
assert_eq "$(json_get "$LAST_OUT" replication.sites.0.site)" usb "catalog site name of a configured replica"
assert_eq "$(json_get "$LAST_OUT" replication.sites.0.run.snapshots_copied)" 1 "snapshots copied to usb"
if [[ $HAVE_S3 == 1 ]]; then
	assert_eq "$(json_get "$LAST_OUT" replication.sites.1.site)" dr "catalog site name of the S3 replica"
	assert_eq "$(json_get "$LAST_OUT" replication.sites.1.run.snapshots_copied)" 1 "snapshots copied to dr"
fi
[[ -f "$WORK/usb/config" ]] || fail "the local replica was not created"
assert_exit 0 agent snapshots --config "$CONF" --json
assert_eq "$(json_get "$LAST_OUT" 0.host)" config-host "host from [cairn] host"

log "replicate --to NAME, and a --to that is neither a name nor a URL"
treetool mutate "$SRC" --seed 72 --percent 20 >/dev/null
manifest_of "$SRC" "$OUT_DIR/m2"
export CAIRN_CONFIG=$CONF
assert_exit 0 agent backup "$SRC"
assert_exit 0 agent replicate --to usb --json
assert_eq "$(json_len "$LAST_OUT" sites)" 1 "sites replicated with --to usb"
assert_eq "$(json_get "$LAST_OUT" sites.0.site)" usb "site replicated with --to usb"
assert_eq "$(json_get "$LAST_OUT" sites.0.run.snapshots_copied)" 1 "snapshots copied by --to usb"
if [[ $HAVE_S3 == 1 ]]; then
	assert_exit 0 agent replicate --to dr --json
	assert_eq "$(json_get "$LAST_OUT" sites.0.site)" dr "site replicated with --to dr"
	assert_eq "$(json_get "$LAST_OUT" sites.0.run.snapshots_copied)" 1 "snapshots copied by --to dr"
	assert_eq "$(json_get "$LAST_OUT" sites.0.snapshots_pending)" 0 "snapshots pending on dr"
fi
assert_exit 2 agent replicate --to nosuch
assert_contains "$LAST_ERR" "'nosuch' is neither a configured replica nor a URL"
assert_contains "$LAST_ERR" "usb"
assert_exit 2 agent backup --replicate --to nosuch "$SRC"
assert_exit 0 agent snapshots --json
assert_eq "$(json_len "$LAST_OUT" .)" 2 "snapshots after a refused --to (nothing ran)"
# a one-off URL: the catalog's site name is the URL
assert_exit 0 agent replicate --to "file://$WORK/oneoff" --json
assert_eq "$(json_get "$LAST_OUT" sites.0.site)" "file://$WORK/oneoff" "site name of a one-off URL"

log "restore --from NAME, byte for byte, on a fresh state dir"
FROM_SITES=(usb)
[[ $HAVE_S3 == 1 ]] && FROM_SITES+=(dr)
for site in "${FROM_SITES[@]}"; do
	assert_exit 0 restore_cmd points --from "$site" --state-dir "$WORK/fresh-$site" --json
	assert_eq "$(json_len "$LAST_OUT" .)" 2 "points on $site"
	[[ -d "$WORK/fresh-$site" ]] || fail "--state-dir did not beat the file's state-dir"
	assert_exit 0 restore_cmd restore --from "$site" --state-dir "$WORK/fresh-$site" --at latest \
		--target "$WORK/r-$site"
	manifest_of "$WORK/r-$site$SRC" "$OUT_DIR/r-$site"
	compare_manifests "$OUT_DIR/m2" "$OUT_DIR/r-$site"
done
assert_exit 2 restore_cmd points --from nosuch
assert_contains "$LAST_ERR" "neither a URL nor a site"
assert_contains "$LAST_ERR" "usb"

log "status: an RPO breach on a replica only exits 7"
sleep 2
treetool mutate "$SRC" --seed 73 --percent 5 >/dev/null
assert_exit 0 agent backup "$SRC" # on the primary only: the replicas fall behind
assert_exit 7 agent status --json
assert_eq "$(json_get "$LAST_OUT" within_rpo)" false "status verdict"
assert_eq "$(json_get "$LAST_OUT" sites.0.site)" primary "first site of status"
assert_eq "$(json_get "$LAST_OUT" sites.0.within_rpo)" true "the primary is within its RPO (1h)"
assert_eq "$(json_get "$LAST_OUT" sites.1.site)" usb "second site of status"
assert_eq "$(json_get "$LAST_OUT" sites.1.within_rpo)" false "usb is past its RPO (1s)"
assert_eq "$(json_get "$LAST_OUT" sites.1.snapshots_pending)" 1 "snapshots pending on usb"
assert_ge "$(json_get "$LAST_OUT" sites.1.objects_pending)" 3 "objects pending on usb (pack, index, snapshot)"
assert_gt "$(json_get "$LAST_OUT" sites.1.bytes_pending)" 0 "bytes pending on usb"
assert_eq "$(json_get "$LAST_OUT" sites.1.rpo_target_seconds)" 1.0 "usb's RPO target from the file"
if [[ $HAVE_S3 == 1 ]]; then
	assert_eq "$(json_get "$LAST_OUT" sites.2.site)" dr "third site of status"
	assert_eq "$(json_get "$LAST_OUT" sites.2.within_rpo)" true "dr is within its RPO (1h from [cairn])"
fi
assert_exit 7 agent status
assert_contains "$LAST_OUT" "LATE"
assert_contains "$LAST_OUT" "to copy)"
# --rpo beats the file
assert_exit 0 agent status --rpo 1h --json
assert_eq "$(json_get "$LAST_OUT" within_rpo)" true "status with --rpo 1h"
assert_exit 0 agent replicate --to usb --quiet
assert_exit 0 agent status --rpo 1h --json
assert_eq "$(json_get "$LAST_OUT" sites.1.snapshots_pending)" 0 "snapshots pending on usb after replicate"
assert_eq "$(json_get "$LAST_OUT" sites.1.objects_pending)" 0 "objects pending on usb after replicate"
assert_eq "$(json_get "$LAST_OUT" sites.1.bytes_pending)" 0 "bytes pending on usb after replicate"

log "precedence: flag > environment > file"
assert_exit 0 agent init --repo "$WORK/other" --key-file "$WORK/other-key"
assert_exit 0 agent snapshots --repo "$WORK/other" --key-file "$WORK/other-key" --json
assert_eq "$(json_len "$LAST_OUT" .)" 0 "--repo beats the file's url"
CAIRN_REPO=$WORK/other CAIRN_KEY_FILE=$WORK/other-key assert_exit 0 agent snapshots --json
assert_eq "$(json_len "$LAST_OUT" .)" 0 "CAIRN_REPO beats the file's url"
CAIRN_REPO=$WORK/other CAIRN_KEY_FILE=$WORK/other-key assert_exit 0 agent snapshots --repo primary --key-file "$WORK/key" --json
assert_eq "$(json_len "$LAST_OUT" .)" 3 "--repo primary (a site name) beats CAIRN_REPO"
CAIRN_STATE_DIR=$WORK/env-state assert_exit 0 agent snapshots --json
[[ -d "$WORK/env-state" ]] || fail "CAIRN_STATE_DIR did not beat the file's state-dir"
assert_exit 0 agent backup --host flag-host --json "$SRC"
assert_eq "$(json_get "$LAST_OUT" stats.errors)" 0 "backup errors"
assert_exit 0 agent snapshots --json
assert_eq "$(json_get "$LAST_OUT" 3.host)" flag-host "--host beats [cairn] host"

if [[ $HAVE_S3 == 1 ]]; then
	log "an S3 primary whose endpoint, region and credentials are only in the file"
	CONF2=$WORK/s3primary.conf
	P2="s3://$CAIRN_TEST_S3_BUCKET/$S3_PREFIX/p2"
	printf '[cairn]\nstate-dir = %s\nkey-file = %s\n\n[repository]\nurl = %s\nendpoint = %s\nregion = %s\naccess-key-id = %s\nsecret-access-key-file = %s\n' \
		"$WORK/state2" "$WORK/key" "$P2" "$CAIRN_TEST_S3_ENDPOINT" "$CAIRN_TEST_S3_REGION" "$S3_AK" "$SECRET" >"$CONF2"
	# init too takes the site's settings from the file (no AWS_* variable is set)
	assert_exit 0 agent init --config "$CONF2"
	assert_exit 0 agent config check --config "$CONF2"
	assert_exit 0 agent backup --config "$CONF2" "$SRC"
	assert_exit 0 restore_cmd restore --config "$CONF2" --at latest --target "$WORK/r-p2"
	manifest_of "$SRC" "$OUT_DIR/m4"
	manifest_of "$WORK/r-p2$SRC" "$OUT_DIR/r-p2"
	compare_manifests "$OUT_DIR/m4" "$OUT_DIR/r-p2"
	# a flag beats the file: a wrong endpoint on the command line is used (and fails)
	CAIRN_S3_DEADLINE=3s assert_exit 1 agent snapshots --config "$CONF2" --s3-endpoint http://127.0.0.1:1
	assert_contains "$LAST_ERR" "127.0.0.1:1"
fi
