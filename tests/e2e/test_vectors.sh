#!/usr/bin/env bash
# The golden repository tests/vectors/repo-v1 (format version 1, made by
# tests/vectors/make-repo-v1.sh) must restore forever: both of its points,
# byte for byte and metadata for metadata, from the repository and key alone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

vectors=$E2E_DIR/../vectors
cp -a "$vectors/repo-v1" "$WORK/repo"
cp "$vectors/repo-v1.key" "$WORK/key"
chmod 600 "$WORK/key"
export CAIRN_REPO=$WORK/repo CAIRN_KEY_FILE=$WORK/key

assert_exit 0 restore_cmd points --json
assert_eq "$(json_get "$LAST_OUT" 1.parent)" "$(json_get "$LAST_OUT" 0.id)" "second point's parent"
first=$(json_get "$vectors/repo-v1.snapshots.json" 0.id)
second=$(json_get "$vectors/repo-v1.snapshots.json" 1.id)
assert_eq "$(json_get "$LAST_OUT" 0.id)" "$first" "first point id"
assert_eq "$(json_get "$LAST_OUT" 1.id)" "$second" "second point id"

n=0
for pair in "$first:repo-v1.manifest" "$second:repo-v1.manifest2"; do
	n=$((n + 1))
	id=${pair%%:*}
	assert_exit 0 restore_cmd restore --snapshot "${id:0:12}" --target "$WORK/t$n"
	treetool manifest "$WORK/t$n/tmp/cairn-vector-v1/src" --out "$WORK/m$n"
	treetool compare "$vectors/${pair#*:}" "$WORK/m$n" || fail "point $n of the golden repository differs"
done
log "both points of the golden repository restore exactly"
