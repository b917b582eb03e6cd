#!/usr/bin/env bash
# Disaster-recovery drills (cairn-restore drill). A local primary and a
# local replica `dr` named in a configuration file:
#   - the primary is refused without --allow-primary;
#   - the primary destroyed: a drill of `dr` passes, from a fresh catalog (no
#     catalog is added to the state dir); its JSON's and report's file and
#     byte counts match the restored tree (treetool stats), which matches the
#     source; --keep keeps the scratch data, the default removes it;
#   - one corrupted pack on a copy of the replica: exit 8, the object and the
#     files it affects are named (stderr, JSON, report);
#   - --rpo tighter than the newest point's age: exit 7, by how much;
#   - --rto 1ms: exit 11;
#   - --random-point --seed: a point among those of the window (checked
#     against `points`), the same one for the same seed; none in the window:
#     exit 9;
#   - the history has one line per drill with exactly the contract's members;
#     the Markdown report has the recovery-time chart after two drills; the
#     HTML report an inline SVG; the job record drill:dr;
#   - with CAIRN_TEST_S3_ENDPOINT2 (region 2 of the S3 test server), one
#     drill of an S3 replica.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$WORK/src
REPLICA=$WORK/replica
CONF=$WORK/cairn.conf
export TMPDIR=$WORK/tmp # where the drills make their temporary directories
mkdir -p "$TMPDIR"
{
	echo "[repository]"
	echo "url = $REPO_DIR"
	echo
	echo "[replica dr]"
	echo "url = $REPLICA"
} >"$CONF"
export CAIRN_CONFIG=$CONF
HISTORY=$CAIRN_STATE_DIR/drills/dr.jsonl

# no temporary directory of a drill is left behind
assert_tmp_clean() {
	assert_empty_dir "$TMPDIR"
}

# the number of lines of a file (0 when missing)
lines_of() {
	if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi
}

# every line of the history has exactly the members of the contract
check_history_members() {
	python3 - "$1" <<'EOF' || fail "the drill history does not have the contract's members"
import json, sys
want = {"time_ns", "time", "site", "url", "point", "point_time_ns", "requested_time_ns", "loss_window_ns",
        "rpo_ns", "rto_ns", "recovery_ns", "first_byte_ns", "sync_ns", "files", "bytes", "verified_files",
        "sample_percent", "requests", "retries", "damaged_objects", "failed_files", "result", "reasons",
        "exit_code"}
for n, line in enumerate(open(sys.argv[1]), 1):
    rec = json.loads(line)
    if set(rec) != want:
        sys.exit("line %d: extra %s, missing %s" % (n, sorted(set(rec) - want), sorted(want - set(rec))))
    if rec["result"] not in ("pass", "fail") or (rec["result"] == "pass") != (rec["exit_code"] == 0):
        sys.exit("line %d: result %r with exit code %r" % (n, rec["result"], rec["exit_code"]))
    if not isinstance(rec["reasons"], list) or not isinstance(rec["damaged_objects"], list):
        sys.exit("line %d: reasons or damaged_objects is not a list" % n)
EOF
}

treetool generate "$SRC" --seed 61 --big-mib 24 --small 300 >/dev/null
init_repo
log "three snapshots, the first 10 s before the others, replicated to dr"
assert_exit 0 agent backup --json "$SRC"
sleep 10
treetool mutate "$SRC" --seed 62 --percent 10 >/dev/null
assert_exit 0 agent backup --json "$SRC"
treetool mutate "$SRC" --seed 63 --percent 10 >/dev/null
assert_exit 0 agent backup --json "$SRC"
SNAP3=$(json_get "$LAST_OUT" snapshot)
treetool manifest "$SRC" --out "$OUT_DIR/m3"
assert_exit 0 agent replicate --to dr --json
assert_eq "$(json_get "$LAST_OUT" sites.0.run.snapshots_copied)" 3 "snapshots copied to dr"
assert_exit 0 restore_cmd points --from dr --json
cp "$LAST_OUT" "$OUT_DIR/points.json"

log "--random-point --seed: a point of the window, the same for the same seed"
# a window that leaves out the first snapshot (at least 10 s older than the
# others), computed for each drill: 4 s shorter than the first one's age
T1_NS=$(json_get "$OUT_DIR/points.json" 0.time_ns)
within() {
	echo "$((($(date +%s%N) - T1_NS) / 1000000000 - 4))s"
}
for seed in 1 2 3 4; do
	assert_exit 0 restore_cmd drill --from dr --random-point --within "$(within)" --seed "$seed" --sample 5 --json
	cp "$LAST_OUT" "$OUT_DIR/random-$seed.json"
	python3 - "$OUT_DIR/points.json" "$OUT_DIR/random-$seed.json" <<'EOF2' || fail "seed $seed: the point is not one of the window"
import json, sys
points = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
lo, hi = d["requested_time_ns"] - d["within_ns"], d["requested_time_ns"]
window = [p["id"] for p in points if lo <= p["time_ns"] <= hi]
assert d["selection"] == "random", d["selection"]
assert d["point"] in window, (d["point"], window)
assert d["candidates"] == len(window) == 2, (d["candidates"], window)
assert points[0]["id"] not in window, "the first snapshot is in the window"
assert d["point_time_ns"] == [p for p in points if p["id"] == d["point"]][0]["time_ns"]
EOF2
	assert_eq "$(json_get "$OUT_DIR/random-$seed.json" seed)" "$seed" "seed $seed: reported seed"
done
assert_exit 0 restore_cmd drill --from dr --random-point --within "$(within)" --seed 3 --sample 5
assert_contains "$LAST_OUT" "snapshot $(json_get "$OUT_DIR/random-3.json" point | cut -c1-8)"
assert_contains "$LAST_OUT" "seed 3"
assert_exit 0 restore_cmd drill --from dr --random-point --within "$(within)" --seed 3 --sample 5 --json
assert_eq "$(json_get "$LAST_OUT" point)" "$(json_get "$OUT_DIR/random-3.json" point)" "the same seed, the same point"
assert_tmp_clean

log "the primary is refused without --allow-primary"
assert_exit 2 restore_cmd drill --from primary
assert_contains "$LAST_ERR" "--allow-primary"
assert_exit 2 restore_cmd drill --from "$CAIRN_REPO"
assert_exit 0 restore_cmd drill --from primary --allow-primary --sample 10 --json
assert_eq "$(json_get "$LAST_OUT" site)" primary "site of a drill of the primary"
assert_exit 2 restore_cmd drill --at latest
assert_contains "$LAST_ERR" "--from"

log "the primary destroyed: a drill of the replica passes, from a fresh catalog"
find "$CAIRN_STATE_DIR" -name catalog.db | sort >"$OUT_DIR/catalogs.before"
find "$REPLICA" -printf '%P %s %T@\n' | sort >"$OUT_DIR/replica.before"
rm -rf "$REPO_DIR"
before=$(lines_of "$HISTORY")
assert_exit 0 restore_cmd drill --from dr --rpo 1h --rto 10m --keep --scratch "$WORK/scratch1" --json \
	--report "$OUT_DIR/report1.md"
cp "$LAST_OUT" "$OUT_DIR/drill1.json"
assert_eq "$(json_get "$OUT_DIR/drill1.json" result)" pass "result"
assert_eq "$(json_get "$OUT_DIR/drill1.json" point)" "$SNAP3" "point: the newest snapshot"
assert_eq "$(json_get "$OUT_DIR/drill1.json" exit_code)" 0 "exit_code"
assert_eq "$(json_get "$OUT_DIR/drill1.json" scratch)" "$WORK/scratch1" "scratch kept"
assert_eq "$(json_get "$OUT_DIR/drill1.json" failed_files)" 0 "failed_files"
assert_eq "$(json_get "$OUT_DIR/drill1.json" damaged_objects)" "[]" "damaged_objects"
find "$CAIRN_STATE_DIR" -name catalog.db | sort >"$OUT_DIR/catalogs.after"
diff "$OUT_DIR/catalogs.before" "$OUT_DIR/catalogs.after" || fail "the drill made or used a catalog in the state dir"
find "$REPLICA" -printf '%P %s %T@\n' | sort >"$OUT_DIR/replica.after"
diff "$OUT_DIR/replica.before" "$OUT_DIR/replica.after" || fail "the drill wrote to the replica"
assert_eq "$(lines_of "$HISTORY")" $((before + 1)) "one history line per drill"
# the figures, checked independently on the kept tree
treetool stats "$WORK/scratch1$SRC" >"$OUT_DIR/stats1.json"
files=$(json_get "$OUT_DIR/drill1.json" files)
bytes=$(json_get "$OUT_DIR/drill1.json" bytes)
assert_eq "$files" "$(json_get "$OUT_DIR/stats1.json" regular_files)" "files restored (treetool stats)"
assert_eq "$bytes" "$(json_get "$OUT_DIR/stats1.json" regular_bytes)" "bytes restored (treetool stats)"
assert_eq "$files" "$(find "$WORK/scratch1" -type f -printf . | wc -c)" "files restored (find)"
assert_eq "$(json_get "$OUT_DIR/drill1.json" verified_files)" "$files" "every file verified"
assert_eq "$(json_get "$OUT_DIR/drill1.json" verification.entries)" \
	"$(find "$WORK/scratch1" -mindepth 1 -printf . | wc -c)" "entries whose metadata was verified (find)"
treetool manifest "$WORK/scratch1$SRC" --out "$OUT_DIR/r1"
compare_manifests "$OUT_DIR/m3" "$OUT_DIR/r1"
recovery=$(json_get "$OUT_DIR/drill1.json" recovery_ns)
sync=$(json_get "$OUT_DIR/drill1.json" sync_ns)
assert_gt "$recovery" 0 "recovery_ns"
assert_le "$sync" "$recovery" "sync_ns is part of recovery_ns"
assert_le "$(json_get "$OUT_DIR/drill1.json" first_byte_ns)" "$recovery" "first byte within the recovery"
assert_le "$((sync + $(json_get "$OUT_DIR/drill1.json" restore_ns)))" "$recovery" "sync + restore <= recovery"
# the report says the same
assert_contains "$OUT_DIR/report1.md" "| files restored | $files |"
assert_contains "$OUT_DIR/report1.md" "($bytes bytes)"
assert_contains "$OUT_DIR/report1.md" "## Hypothesis"
assert_contains "$OUT_DIR/report1.md" "**PASS**"
assert_contains "$OUT_DIR/report1.md" "$SNAP3"
assert_contains "$OUT_DIR/report1.md" "## Recovery-time history"
assert_tmp_clean
rm -rf "$WORK/scratch1"

log "the scratch data is removed by default, and the chart has two drills"
assert_exit 0 restore_cmd drill --from dr --scratch "$WORK/scratch2" --sample 20 --report "$OUT_DIR/report2.md"
assert_contains "$LAST_OUT" "PASS"
[[ ! -e "$WORK/scratch2" ]] || fail "the scratch directory was not removed"
assert_tmp_clean
bars=$(grep -c '^20[0-9-]* [0-9:]*Z  █' "$OUT_DIR/report2.md" || true)
assert_ge "$bars" 2 "bars in the recovery-time chart after two drills"
mkdir "$WORK/scratch3"
echo x >"$WORK/scratch3/file"
assert_exit 2 restore_cmd drill --from dr --scratch "$WORK/scratch3"
assert_contains "$LAST_ERR" "not empty"
assert_eq "$(cat "$WORK/scratch3/file")" x "a non-empty scratch directory is left alone"
assert_exit 0 restore_cmd drill --from dr --sample 20 --report "$OUT_DIR/report.html"
assert_contains "$OUT_DIR/report.html" "<svg"
assert_contains "$OUT_DIR/report.html" "<rect"

log "--rpo tighter than the newest point's age: exit 7, by how much"
sleep 2
assert_exit 7 restore_cmd drill --from dr --rpo 1s --sample 5 --json
cp "$LAST_OUT" "$OUT_DIR/rpo.json"
python3 - "$OUT_DIR/rpo.json" <<'EOF' || fail "the RPO failure does not say by how much"
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "fail" and d["exit_code"] == 7, d
m = re.match(r"RPO not met: the data-loss window of (\d+)s exceeds the RPO of 1s by (\d+)s$", d["reasons"][0])
assert m, d["reasons"]
assert int(m.group(1)) - 1 == int(m.group(2)), m.groups()
assert int(m.group(1)) == d["loss_window_ns"] // 10**9, (m.groups(), d["loss_window_ns"])
EOF
assert_exit 7 restore_cmd drill --from dr --rpo 1s --sample 5
assert_contains "$LAST_OUT" "RPO not met"
assert_tmp_clean

log "--rto tighter than the recovery: exit 11"
assert_exit 11 restore_cmd drill --from dr --rto 1ms --sample 5 --json
assert_contains "$LAST_OUT" "RTO not met: the recovery took"
assert_eq "$(json_get "$LAST_OUT" rto_ns)" 1000000 "rto_ns"
# both missed: RPO comes first, both are said
assert_exit 7 restore_cmd drill --from dr --rto 1ms --rpo 1s --sample 5
assert_contains "$LAST_OUT" "RPO not met"
assert_contains "$LAST_OUT" "RTO not met"

log "no point in the window: exit 9, recorded"
assert_exit 9 restore_cmd drill --from dr --random-point --within 1s --json
assert_eq "$(json_get "$LAST_OUT" point)" null "no point"
assert_eq "$(json_get "$LAST_OUT" exit_code)" 9 "exit_code without a point"
assert_contains "$LAST_ERR" "no recovery point in the last 1s"
assert_tmp_clean

log "one corrupted pack on the replica: exit 8, the object and its files named"
cp -a "$REPLICA" "$WORK/replica-bad"
pack=$(find "$WORK/replica-bad/data" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
object=data/$(basename "$(dirname "$pack")")/$(basename "$pack")
size=$(stat -c %s "$pack")
printf 'CORRUPT' | dd of="$pack" bs=1 seek=$((size / 2)) conv=notrunc status=none
assert_exit 8 restore_cmd drill --from "$WORK/replica-bad" --json --report "$OUT_DIR/bad.md"
cp "$LAST_OUT" "$OUT_DIR/bad.json"
assert_contains "$LAST_ERR" "$object"
python3 - "$OUT_DIR/bad.json" "$object" "$SRC" <<'EOF' || fail "the damage is not named with its files"
import json, sys
d, obj, src = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
assert d["result"] == "fail" and d["exit_code"] == 8, d["reasons"]
assert obj in d["damaged_objects"], d["damaged_objects"]
group = [g for g in d["damage"] if g["object"] == obj][0]
assert group["files_total"] >= 1 and group["files"], group
for f in group["files"]:
    assert f.startswith(src + "/"), f
assert d["failed_files"] >= group["files_total"], d["failed_files"]
assert any(r.startswith("damaged data") for r in d["reasons"]), d["reasons"]
EOF
first=$(json_get "$OUT_DIR/bad.json" damage.0.files.0)
assert_contains "$LAST_ERR" "'$first' not restored"
assert_contains "$OUT_DIR/bad.md" "$object"
assert_contains "$OUT_DIR/bad.md" "$first"
assert_contains "$OUT_DIR/bad.md" "**FAIL** (exit code 8)"
assert_tmp_clean
# a one-off URL is recorded under its hash
url_histories=("$CAIRN_STATE_DIR"/drills/url-????????????????.jsonl)
[[ -f "${url_histories[0]}" ]] || fail "no history for the URL site"
assert_eq "$(lines_of "${url_histories[0]}")" 1 "lines in the history of the URL site"

log "the history and the job record"
check_history_members "$HISTORY"
for f in "$CAIRN_STATE_DIR"/drills/*.jsonl; do
	check_history_members "$f"
done
# drills of dr: 6 random, 1 pass, 1 default, 1 HTML, 2 RPO, 2 RTO, 1 no point (the scratch
# refusal stops before the drill starts, like the usage errors)
assert_eq "$(lines_of "$HISTORY")" 14 "lines in the history of dr"
assert_eq "$(tail -1 "$HISTORY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["exit_code"])')" 9 \
	"the last drill of dr"
[[ -f "$CAIRN_STATE_DIR/jobs/drill:dr.json" ]] || fail "no job record drill:dr"
assert_eq "$(json_get "$CAIRN_STATE_DIR/jobs/drill:dr.json" exit_code)" 9 "job record: exit code"

if [[ -n "${CAIRN_TEST_S3_ENDPOINT2:-}" ]]; then
	log "a drill of an S3 replica (region 2)"
	source "$E2E_DIR/s3lib.sh"
	export CAIRN_TEST_S3_ENDPOINT=$CAIRN_TEST_S3_ENDPOINT2 CAIRN_TEST_S3_BUCKET=$CAIRN_TEST_S3_BUCKET2
	export CAIRN_TEST_S3_REGION=$CAIRN_TEST_S3_REGION2
	s3_require
	S3_REPLICA="s3://$CAIRN_TEST_S3_BUCKET/$S3_PREFIX/dr"
	export CAIRN_REPO=$REPLICA # the surviving copy stands in as the primary
	unset CAIRN_CONFIG
	assert_exit 0 agent replicate --to "$S3_REPLICA"
	export CAIRN_REPO=$WORK/nowhere
	assert_exit 0 restore_cmd drill --from "$S3_REPLICA" --sample 10 --json
	assert_gt "$(json_get "$LAST_OUT" requests)" 0 "requests of an S3 drill"
	assert_eq "$(json_get "$LAST_OUT" point)" "$SNAP3" "point of the S3 drill"
	assert_tmp_clean
else
	log "no second S3 region (CAIRN_TEST_S3_ENDPOINT2 is unset): no S3 drill"
fi
