#!/usr/bin/env bash
# Issue 11 on S3: `init` refuses a prefix that holds anything (an existing
# repository, or another program's objects) and writes nothing there; a
# planted oversized config is refused from its size alone, and planted key
# objects (oversized, or declaring a huge Argon2id cost) are skipped, so the
# repository still opens with the right passphrase and says why with a wrong
# one. Objects are planted with boto3, a second, independent client.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$E2E_DIR/s3lib.sh"
s3_require

PASS=$WORK/passphrase
printf 'correct horse battery staple\n' >"$PASS"
printf 'wrong\n' >"$WORK/wrong"
unset CAIRN_KEY_FILE
export CAIRN_PASSPHRASE_FILE=$PASS

# s3_put KEY FILE: store FILE as object $S3_PREFIX/KEY
s3_put() {
	/usr/bin/python3 - "$S3_PREFIX/$1" "$2" <<'PY'
import os, sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["CAIRN_TEST_S3_ENDPOINT"],
                  region_name=os.environ["CAIRN_TEST_S3_REGION"],
                  aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                  config=Config(s3={"addressing_style": "path"}))
with open(sys.argv[2], "rb") as f:
    s3.put_object(Bucket=os.environ["CAIRN_TEST_S3_BUCKET"], Key=sys.argv[1], Body=f.read())
PY
}

log "init refuses a prefix that holds other objects"
echo "not a repository" >"$OUT_DIR/readme"
s3_put other/docs/readme.txt "$OUT_DIR/readme"
s3_use_repo other
assert_exit 2 agent init
assert_contains "$LAST_ERR" "is not empty (it holds 'docs/readme.txt') and is not a Cairn repository"
assert_eq "$(s3_keys "$S3_PREFIX/other" | tr '\n' ' ')" "docs/readme.txt " "objects after the refused init"

log "init refuses an existing repository"
s3_use_repo main
assert_exit 0 agent init --quiet
s3_keys "$S3_PREFIX/main" >"$OUT_DIR/keys-before"
assert_exit 2 agent init
assert_contains "$LAST_ERR" "a Cairn repository (id "
assert_contains "$LAST_ERR" "already exists"
s3_keys "$S3_PREFIX/main" >"$OUT_DIR/keys-after"
cmp "$OUT_DIR/keys-before" "$OUT_DIR/keys-after" || fail "a refused init changed the repository"
mkdir -p "$WORK/src"
echo hello >"$WORK/src/a"
assert_exit 0 agent backup --json --quiet "$WORK/src"
SNAP=$(json_get "$LAST_OUT" snapshot)

log "planted key objects: oversized, and declaring a huge Argon2id cost"
PLANT_A=3eb7b77a201dce1df84121853d7f4416dc080e0a4e893aa50c4157cec95d9322
PLANT_B=0116f4d4b218f5291e2fc2c4d234a56109ade62fa9402163eca662c238de3833
head -c 8000000 /dev/zero >"$OUT_DIR/big"
s3_put "main/keys/$PLANT_A" "$OUT_DIR/big"
printf '{"version": 1, "kind": "passphrase", "kdf": "argon2id13", "opslimit": 64, "memlimit": 4294967296, "salt": "%032d", "nonce": "%048d", "wrapped": "%096d", "created": "", "host": "evil", "label": "planted"}\n' 0 0 0 \
	>"$OUT_DIR/costly"
s3_put "main/keys/$PLANT_B" "$OUT_DIR/costly"
start=$SECONDS
CAIRN_STATE_DIR=$WORK/fresh assert_exit 0 restore_cmd points --json
assert_eq "$(json_get "$LAST_OUT" 0.id)" "$SNAP" "points from a fresh state with planted keys"
CAIRN_PASSPHRASE_FILE=$WORK/wrong assert_exit 4 restore_cmd points
assert_le $((SECONDS - start)) 60 "seconds for two opens with planted keys"
assert_contains "$LAST_ERR" "skipped 1 whose argon2id cost is above this host's limit: ${PLANT_B:0:16}"
assert_contains "$LAST_ERR" "skipping unusable key object 'keys/$PLANT_A'"
assert_contains "$LAST_ERR" "has 8000000 bytes, more than the 65536 a key object may have: not read"
assert_exit 8 agent key list --json
assert_eq "$(json_len "$LAST_OUT")" 3 "key list entries"
assert_contains "$LAST_ERR" "key object 'keys/$PLANT_A' is unusable"

log "a planted oversized config is refused from its size"
s3_put big/config "$OUT_DIR/big"
s3_use_repo big
assert_exit 5 restore_cmd points
assert_contains "$LAST_ERR" "config object 'config' has 8000000 bytes, more than the 65536"
