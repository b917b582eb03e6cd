#!/usr/bin/env bash
# Hostile repositories: snapshots written by hand with the key
# (tests/tools/craft_repo.c) that no backup makes: a 60,000-level directory
# chain, subtrees shared 2^40 times, names that collide (duplicates, a symlink
# then a directory or file of the same name, unsorted), hardlink ids reused
# across snapshots and entry types, file sizes that disagree with the content.
# (Names with '..', '/' and absolute names, and symlinks planted in the target,
# are in test_badinput.sh.)
#
# Every cairn command runs under `timeout` and /usr/bin/time: a crash (signal),
# a timeout or a peak resident size above CAIRN_HOSTILE_RSS_KIB is a problem of
# its own, reported with the exit code the command should have had. Nothing may
# change outside the restore target: a sentinel directory next to it (holding
# the file hostile symlinks point at) is compared entry by entry before and
# after, and so is the listing of everything around the target.
#
# Every scenario runs to the end and records its problems; the test fails at
# the end if any scenario had one, listing them all.
#     CAIRN_HOSTILE_CHAIN     levels of the crafted chain (60000)
#     CAIRN_HOSTILE_RSS_KIB   peak memory allowed to one command (524288 = 512 MiB;
#                             four times that when the programs are built with ASan)
#     CAIRN_HOSTILE_ONLY      run only these scenarios (names, space separated)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CRAFT="${CAIRN_BUILD_DIR:?CAIRN_BUILD_DIR must name the build directory}/tests/craft_repo"
[[ -x "$CRAFT" ]] || fail "craft_repo not built: $CRAFT"
CHAIN="${CAIRN_HOSTILE_CHAIN:-60000}"
RSS_KIB="${CAIRN_HOSTILE_RSS_KIB:-524288}"
# AddressSanitizer's shadow memory and quarantine add several hundred MiB to
# a process's peak: under a sanitizer build the bound is four times larger
# (the normal build keeps the real 512 MiB bound)
# (ldd's whole output is read first: 'ldd | grep -q' under pipefail fails
# at random when grep exits before ldd has written its last line)
AGENT_LIBS="$(ldd "$CAIRN_AGENT" 2>/dev/null || true)"
if [[ -z "${CAIRN_HOSTILE_RSS_KIB:-}" && "$AGENT_LIBS" == *libasan* ]]; then
	RSS_KIB=$((RSS_KIB * 4))
fi
ONLY="${CAIRN_HOSTILE_ONLY:-}"

PROBLEMS=()
problem() {
	echo "[$TEST_NAME] PROBLEM: $*" >&2
	PROBLEMS+=("$*")
}

# setup NAME: a repository, key, state dir, sentinel dir and target path for
# one scenario, in H; exports the CAIRN_* variables for it
setup() {
	H="$WORK/$1"
	mkdir -p "$H/outside" "$H/around" "$H/out"
	echo "original" >"$H/outside/victim"
	echo "not to be touched" >"$H/around/file"
	export CAIRN_REPO="file://$H/repo" CAIRN_KEY_FILE="$H/key" CAIRN_STATE_DIR="$H/state"
	init_repo
	SEQ=0
}

# surroundings: everything in H but the targets, the state dirs and the
# repository, with type, size and mtime; and the sentinel in detail
surroundings() {
	(cd "$H" && find . -mindepth 1 \( -path './t*' -o -path './state*' -o -path ./repo -o -path ./out \) \
		-prune -o -printf '%p %y %s %T@\n' | sort)
	treetool manifest "$H/outside"
}

# brief FILE: the end of FILE on one line
brief() {
	tr '\n' ' ' <"$1" | tail -c 300 | LC_ALL=C tr -c '[:print:]' '?'
}

# run SECS WANT CMD...: run CMD under timeout SECS with its peak memory
# measured; output in $H/out/N.{out,err} (RUN_OUT, RUN_ERR); exit code in
# RUN_RC. A problem unless the exit code is one of WANT (comma separated).
# Crashes and timeouts are named as such.
run() {
	local secs=$1 want=$2 rss
	shift 2
	SEQ=$((SEQ + 1))
	mkdir -p "$H/out"
	RUN_OUT="$H/out/$SEQ.out" RUN_ERR="$H/out/$SEQ.err"
	RUN_RC=0
	/usr/bin/time -o "$H/out/$SEQ.rss" -f "%M" timeout -k 5 "$secs" "$@" >"$RUN_OUT" 2>"$RUN_ERR" || RUN_RC=$?
	rss="$(grep -E '^[0-9]+$' "$H/out/$SEQ.rss" | tail -n 1)"
	local what="${CUR}: ${RUN_LABEL:-$(basename "$1") ${2:-} ${3:-}}"
	if ((RUN_RC == 124 || RUN_RC == 137)); then
		problem "$what: did not finish in ${secs}s (timeout; expected exit $want)"
	elif ((RUN_RC > 128)); then
		problem "$what: killed by signal $((RUN_RC - 128)) (exit $RUN_RC; expected exit $want): $(brief "$RUN_ERR")"
	elif [[ ",$want," != *",$RUN_RC,"* ]]; then
		problem "$what: exit $RUN_RC, expected $want: $(brief "$RUN_ERR")"
	fi
	if [[ -n "$rss" ]] && ((rss > RSS_KIB)); then
		problem "$what: peak memory ${rss} KiB > ${RSS_KIB} KiB"
	fi
	log "$what: exit $RUN_RC, ${rss:-?} KiB"
}

# expect_err TEXT: a problem unless the last run's stderr holds TEXT
expect_err() {
	grep -qaF -- "$1" "$RUN_ERR" || problem "$CUR: stderr does not say '$1': $(head -c 600 "$RUN_ERR" | tr '\n' ' ')"
}

# expect CONDITION-TEXT COMMAND...: a problem unless COMMAND succeeds
expect() {
	local text=$1
	shift
	"$@" || problem "$CUR: $text"
}

content_is() { [[ -f "$1" && ! -L "$1" && "$(cat "$1")" == "$2" ]]; }
absent() { [[ ! -e "$1" && ! -L "$1" ]]; }

scenario() {
	CUR=$1
	if [[ -n "$ONLY" && " $ONLY " != *" $1 "* ]]; then
		return 0
	fi
	log "--- scenario $1"
	setup "$1"
	local before after
	before="$(surroundings)"
	"$1"
	after="$(surroundings)"
	[[ "$after" == "$before" ]] || problem "$1: something changed outside the restore targets: $({ diff <(echo "$before") <(echo "$after") || true; } | head -n 10 | tr '\n' ' ')"
	chmod -R u+rwX "$H" 2>/dev/null || true
	rm -rf "$H"
}

# ------------------------------------------------------------ deep chain
# One snapshot: ok.txt and chain/d/d/.../d/bottom.txt, CHAIN levels. Every
# walker must go all the way down with bounded memory, descriptors and stack.
deep_chain() {
	"$CRAFT" deep-chain "$CAIRN_REPO" "$CAIRN_KEY_FILE" "$CAIRN_STATE_DIR" "$CHAIN" >"$H/out/ids"
	run 300 0 "$CAIRN_AGENT" check
	run 300 0 "$CAIRN_AGENT" check --read-data

	run 600 0 "$CAIRN_RESTORE" restore --at latest --target "$H/t1"
	expect "ok.txt not restored" content_is "$H/t1/ok.txt" "legitimate content of ok.txt"
	if [[ -d "$H/t1/chain" ]]; then
		treetool chain "$H/t1/chain" >"$H/out/chain.json"
		expect "restored chain is $(json_get "$H/out/chain.json" depth) levels deep, not $((CHAIN - 1))" \
			[ "$(json_get "$H/out/chain.json" depth)" = $((CHAIN - 1)) ]
		expect "bottom.txt missing at the bottom of the chain" \
			[ "$(json_get "$H/out/chain.json" bottom)" != "{}" ]
	else
		problem "$CUR: chain not restored"
	fi
	rm -rf "$H/t1"

	# the same with few descriptors: a walker holding one per level fails here
	RUN_LABEL="cairn-restore restore (ulimit -n 256)" run 600 0 bash -c 'ulimit -n 256 && exec "$@"' - \
		"$CAIRN_RESTORE" restore --at latest --target "$H/t2"
	if [[ -d "$H/t2/chain" ]]; then
		treetool chain "$H/t2/chain" >"$H/out/chain2.json"
		expect "under ulimit -n 256 the restored chain is $(json_get "$H/out/chain2.json" depth) levels deep" \
			[ "$(json_get "$H/out/chain2.json" depth)" = $((CHAIN - 1)) ]
	fi
	rm -rf "$H/t2"

	# a drill verifies every file and directory against the snapshot
	CAIRN_STATE_DIR="$H/state-drill" run 900 0 "$CAIRN_RESTORE" drill --from "$CAIRN_REPO" --allow-primary \
		--scratch "$H/t-drill"
	rm -rf "$H/t-drill"
}

# ------------------------------------------------------------ shared subtrees
# T0 = {f}, Tk = {a: Tk-1, b: Tk-1}. Snapshot 1 shares T12 (4096 paths to f),
# snapshot 2 T40 (2^40 paths, 41 trees): check visits each tree once; a
# restore limited by --include must not walk what it leaves out.
shared_subtree() {
	local s1 s2 narrow
	"$CRAFT" shared-subtree "$CAIRN_REPO" "$CAIRN_KEY_FILE" "$CAIRN_STATE_DIR" 12 40 >"$H/out/ids"
	s1="$(sed -n 1p "$H/out/ids")"
	s2="$(sed -n 2p "$H/out/ids")"
	run 60 0 "$CAIRN_AGENT" check
	run 60 0 "$CAIRN_AGENT" check --read-data

	run 120 0 "$CAIRN_RESTORE" restore --snapshot "$s1" --target "$H/t1"
	expect "snapshot 1: not 4096 leaves restored: $(find "$H/t1/share" -type f 2>/dev/null | wc -l)" \
		[ "$(find "$H/t1/share" -type f -name f 2>/dev/null | wc -l)" = 4096 ]
	expect "snapshot 1: not 8190 directories below share" \
		[ "$(find "$H/t1/share" -mindepth 1 -type d 2>/dev/null | wc -l)" = 8190 ]
	expect "snapshot 1: a leaf has the wrong content" content_is "$H/t1/share/a/b/a/b/a/b/a/b/a/b/a/b/f" "leaf"
	rm -rf "$H/t1"

	# snapshot 2, only ok.txt
	run 30 0 "$CAIRN_RESTORE" restore --snapshot "$s2" --target "$H/t2" --include /ok.txt
	expect "snapshot 2 --include /ok.txt: ok.txt not restored" content_is "$H/t2/ok.txt" "legitimate content of ok.txt"
	expect "snapshot 2 --include /ok.txt: the target holds more than ok.txt: $(cd "$H/t2" 2>/dev/null && { find . -mindepth 1 || true; } | head -n 3 | tr "\n" " ")" \
		[ "$(cd "$H/t2" 2>/dev/null && find . -mindepth 1 | wc -l)" = 1 ]
	rm -rf "$H/t2"

	# snapshot 2, one path 38 levels down: the 4 leaves below it
	narrow="/share$(printf '/a%.0s' $(seq 38))"
	run 30 0 "$CAIRN_RESTORE" restore --snapshot "$s2" --target "$H/t3" --include "$narrow"
	expect "snapshot 2 --include (38 levels): not 4 leaves: $(find "$H/t3" -type f 2>/dev/null | wc -l)" \
		[ "$(find "$H/t3" -type f 2>/dev/null | wc -l)" = 4 ]
	rm -rf "$H/t3"
}

# ------------------------------------------------------------ colliding names
# c-dup (two "dup"), c-duptype ("x" file and directory), c-unsorted ("b",
# "a"), c-symdup ("a" symlink to the sentinel then "a" directory; "v" symlink
# to the sentinel's victim then "v" file): each subtree is damaged, the rest
# restores, and nothing is written through the symlinks.
name_collisions() {
	local c
	"$CRAFT" name-collisions "$CAIRN_REPO" "$CAIRN_KEY_FILE" "$CAIRN_STATE_DIR" "$H/outside" >"$H/out/ids"
	run 60 8 "$CAIRN_RESTORE" restore --at latest --target "$H/t1"
	for c in c-dup c-duptype c-unsorted c-symdup; do
		expect_err "'/$c' not restored"
		expect "$c holds entries" [ -z "$(find "$H/t1/$c" -mindepth 1 2>/dev/null)" ]
	done
	expect_err "not sorted or not unique"
	expect "ok.txt not restored" content_is "$H/t1/ok.txt" "legitimate content of ok.txt"
	expect "the victim was written" content_is "$H/outside/victim" "original"
	expect "a symlink was restored" [ -z "$(find "$H/t1" -type l)" ]
	# overwrite mode, over a target where the symlinks already exist
	mkdir -p "$H/t2/c-symdup"
	ln -s "$H/outside" "$H/t2/c-symdup/a"
	ln -s "$H/outside/victim" "$H/t2/c-symdup/v"
	run 60 8 "$CAIRN_RESTORE" restore --at latest --target "$H/t2" --overwrite
	expect "the victim was written (overwrite)" content_is "$H/outside/victim" "original"
	expect "pwned.txt was written outside" absent "$H/outside/pwned.txt"

	run 60 8 "$CAIRN_AGENT" check
	for c in c-dup c-duptype c-unsorted c-symdup; do
		expect_err "/$c"
	done
}

# ------------------------------------------------------------ hardlink ids
hardlink_ids() {
	local s1 s2 s3
	"$CRAFT" hardlink-ids "$CAIRN_REPO" "$CAIRN_KEY_FILE" "$CAIRN_STATE_DIR" "$H/outside" >"$H/out/ids"
	s1="$(sed -n 1p "$H/out/ids")"
	s2="$(sed -n 2p "$H/out/ids")"
	s3="$(sed -n 3p "$H/out/ids")"
	run 60 0 "$CAIRN_AGENT" check

	run 60 0 "$CAIRN_RESTORE" restore --snapshot "$s1" --target "$H/t1"
	expect "snapshot 1: a and b are not one inode" [ "$H/t1/a" -ef "$H/t1/b" ]
	expect "snapshot 1: a has the wrong content" content_is "$H/t1/a" "content A"

	# the same id in a later snapshot is another file
	run 60 0 "$CAIRN_RESTORE" restore --snapshot "$s2" --target "$H/t2"
	expect "snapshot 2: c has the wrong content" content_is "$H/t2/c" "content C"
	expect "snapshot 2: c has links" [ "$(stat -c %h "$H/t2/c" 2>/dev/null)" = 1 ]
	# and over a restore of snapshot 1
	run 60 0 "$CAIRN_RESTORE" restore --snapshot "$s2" --target "$H/t1" --overwrite
	expect "snapshot 2 over 1: c has the wrong content" content_is "$H/t1/c" "content C"
	expect "snapshot 2 over 1: c is linked to a" [ ! "$H/t1/c" -ef "$H/t1/a" ]
	expect "snapshot 2 over 1: a changed" content_is "$H/t1/a" "content A"

	# one id on a symlink (first), a file, a fifo and a directory
	run 60 8 "$CAIRN_RESTORE" restore --snapshot "$s3" --target "$H/t3"
	expect "the victim was written" content_is "$H/outside/victim" "original"
	expect "mixed/h1 is not the symlink" [ -L "$H/t3/mixed/h1" ]
	expect "mixed/h2 is not a regular file with its content" content_is "$H/t3/mixed/h2" \
		"PWNED: written outside the restore target"
	expect "mixed/h3 is not a fifo" [ -p "$H/t3/mixed/h3" ]
	expect "mixed/h4 is not a directory" [ -d "$H/t3/mixed/h4" -a ! -L "$H/t3/mixed/h4" ]
	expect "mixed/h2 is linked to a non-file" [ "$(stat -c %h "$H/t3/mixed/h2" 2>/dev/null)" = 1 ]
	# docs/FORMAT.md 9.4: the first regular file of an id is restored, later
	# ones linked; one inode has one size, so a later name recording another
	# size (s2: 6 bytes, s1: 10) is damaged: reported, not linked, not
	# written with either content
	expect "sizes/s1 has the wrong content" content_is "$H/t3/sizes/s1" "content A"
	expect "sizes/s2 was restored" absent "$H/t3/sizes/s2"
	expect_err "'/sizes/s2' not restored"
	expect_err "its hardlink group's first entry records 10 bytes, this one 6"
}

# ------------------------------------------------------------ sizes
size_mismatch() {
	local f
	"$CRAFT" size-mismatch "$CAIRN_REPO" "$CAIRN_KEY_FILE" "$CAIRN_STATE_DIR" >"$H/out/ids"
	run 60 8 "$CAIRN_RESTORE" restore --at latest --target "$H/t1"
	for f in longer shorter zero huge; do
		expect_err "'/sizes/$f' not restored"
		expect "sizes/$f left in the target" absent "$H/t1/sizes/$f"
	done
	expect "sizes/right not restored" content_is "$H/t1/sizes/right" "thirty bytes of file content."
	expect "ok.txt not restored" content_is "$H/t1/ok.txt" "legitimate content of ok.txt"
	# the index knows every blob's length: check sees that the sizes disagree
	run 60 8 "$CAIRN_AGENT" check
	for f in longer shorter zero huge; do
		expect_err "/sizes/$f"
	done
}

cd "$WORK"
scenario deep_chain
scenario shared_subtree
scenario name_collisions
scenario hardlink_ids
scenario size_mismatch

((${#PROBLEMS[@]} == 0)) || fail "${#PROBLEMS[@]} problem(s):$(printf '\n  %s' "${PROBLEMS[@]}")"
