#!/usr/bin/env bats
# tetherctl's log drivers and limits: --log-driver json-file|journald|none,
# --log-size-max with and without --log-max-files (rotation), and logs
# reading them back: across rotated files, with --since, --tail and -f.
# TETHERCTL_SHIM=/usr/bin/conmon runs the k8s-file cases against conmon.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

only_tether() {
	[ -z "${TETHERCTL_SHIM:-}" ] || skip "$1: run against tether only"
}

# 20000 numbered lines in 40 bursts, for about two seconds: the log rotates
# many times while a reader follows it.
BURSTS='i=0; while [ $i -lt 40 ]; do seq $((i*500+1)) $((i*500+500)); i=$((i+1)); sleep 0.05; done'

sum() {
	md5sum | cut -d' ' -f1
}

@test "json-file: Docker's records on disk, read back by logs" {
	only_tether "json-file (conmon has none)"
	run ctl run -b "$BUNDLE" --log-driver json-file js sh -c 'echo one; echo two >&2; printf "thr"; sleep 0.2; echo ee; printf tail'
	[ "$status" -eq 0 ]
	local dir=$ROOT/containers/js
	[ -f "$dir/ctr.json" ]
	[ ! -e "$dir/ctr.log" ]
	python3 - "$dir/ctr.json" "$dir/state.json" <<'EOF'
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert all(set(r) == {"log", "stream", "time"} for r in recs), recs
assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", r["time"]) for r in recs)
out = "".join(r["log"] for r in recs if r["stream"] == "stdout")
err = "".join(r["log"] for r in recs if r["stream"] == "stderr")
assert out == "one\nthree\ntail" and err == "two\n", (out, err)
st = json.load(open(sys.argv[2]))
assert st["log_driver"] == "json-file" and st["log_path"] == sys.argv[1], st
EOF
	ctl logs js >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'one\nthree\ntail')" ]
	[ "$(tail -c 4 "$BATS_TEST_TMPDIR/out")" = tail ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = two ]
	# The record's own time (UTC), once per line.
	run --separate-stderr ctl logs -t js
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^[0-9-]{10}T[0-9:]{8}\.[0-9]{9}Z\ one$ ]]
	[[ "${lines[1]}" =~ Z\ three$ ]]
	[[ "${lines[2]}" =~ Z\ tail$ ]]
	[[ "$stderr" =~ ^[0-9-]{10}T[0-9:]{8}\.[0-9]{9}Z\ two$ ]]
}

@test "json-file: a corrupt line is reported once and skipped" {
	only_tether "json-file (conmon has none)"
	ctl run -b "$BUNDLE" --log-driver json-file jc sh -c 'echo first; echo second' >/dev/null
	sed -i '1a {"log": "half\nnot json at all' "$ROOT/containers/jc/ctr.json"
	run --separate-stderr ctl logs jc
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'first\nsecond')" ]
	[ "$(grep -c corrupt <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"line 2 of $ROOT/containers/jc/ctr.json"* ]]
}

@test "rotation: 20000 lines through 20k files, logs gives every one in order" {
	only_tether "--log-rotate (conmon 2.1 has none)"
	local driver
	for driver in k8s-file json-file; do
		ctl run -b "$BUNDLE" --log-driver "$driver" --log-size-max 20k --log-max-files 100 \
			"r-$driver" seq 1 20000 >/dev/null
		local dir=$ROOT/containers/r-$driver base=ctr.log
		[ "$driver" = k8s-file ] || base=ctr.json
		# Rotated, none over the limit, none lost, and fewer than 100 kept.
		local n
		n=$(find "$dir" -name "$base.*" | wc -l)
		[ "$n" -gt 10 ] && [ "$n" -lt 100 ]
		[ -z "$(find "$dir" -name "$base*" -size +20480c)" ]
		[ "$(ctl logs "r-$driver" | sum)" = "$(seq 1 20000 | sum)" ]
	done
}

@test "rotation: without --log-max-files the file starts anew, as conmon's" {
	ctl run -b "$BUNDLE" --log-size-max 20k rn seq 1 20000 >/dev/null
	local dir=$ROOT/containers/rn
	[ -z "$(find "$dir" -name 'ctr.log.*')" ]
	[ "$(stat -c %s "$dir/ctr.log")" -le 20480 ]
	run ctl logs rn
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -gt 100 ] && [ "${#lines[@]}" -lt 1000 ]
	[ "${lines[-1]}" = 20000 ]
}

@test "--tail N counts back across rotated files" {
	only_tether "--log-rotate (conmon 2.1 has none)"
	ctl run -b "$BUNDLE" --log-size-max 20k --log-max-files 100 rt seq 1 20000 >/dev/null
	run ctl logs --tail 5 rt
	[ "$output" = "$(seq 19996 20000)" ]
	# More lines than one file holds (about 400 a file here).
	[ "$(ctl logs -n 3000 rt | sum)" = "$(seq 17001 20000 | sum)" ]
	[ "$(ctl logs -n 3000 -f rt | sum)" = "$(seq 17001 20000 | sum)" ]
	[ "$(ctl logs -n 30000 rt | sum)" = "$(seq 1 20000 | sum)" ]
	run ctl logs -n 0 rt
	[ -z "$output" ]
}

@test "-f follows through rotations and ends when the container exits" {
	only_tether "--log-rotate (conmon 2.1 has none)"
	local driver
	for driver in k8s-file json-file; do
		ctl run -d -b "$BUNDLE" --log-driver "$driver" --log-size-max 4k \
			--log-max-files 1000 "f-$driver" sh -c "$BURSTS; exit 3" >/dev/null
		# Started while the container writes: the files rotate under it.
		run timeout $((60 * SCALE)) "$TETHERCTL" --root "$ROOT" logs -f "f-$driver"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 20000 ]
		[ "$(printf '%s\n' "${lines[@]}" | sum)" = "$(seq 1 20000 | sum)" ]
		[ -n "$(find "$ROOT/containers/f-$driver" -name 'ctr.*.100')" ]
		run ctl ps --all
		[[ "$output" == *"f-$driver"*"exited (3)"* ]]
	done
}

@test "-f follows a log that starts anew (no --log-max-files)" {
	ctl run -d -b "$BUNDLE" --log-size-max 4k fa sh -c "$BURSTS"
	run timeout $((60 * SCALE)) "$TETHERCTL" --root "$ROOT" logs -f fa
	[ "$status" -eq 0 ]
	# What was replaced before the reader saw it is gone; what it saw is in
	# order, and the end is there.
	[ "${#lines[@]}" -gt 100 ]
	[ "${lines[-1]}" = 20000 ]
	local prev=0 l
	for l in "${lines[@]}"; do
		[ "$l" -gt "$prev" ]
		prev=$l
	done
}

# The time of a line (stdout or stderr), as logs -t prints it.
time_of() {
	ctl logs -t "$1" 2>&1 | awk -v want="$2" '$2 == want { print $1 }'
}

@test "--since: RFC 3339 (offset or Z), Unix seconds, durations" {
	local driver
	for driver in k8s-file json-file; do
		[ "$driver" = k8s-file ] || only_tether "json-file (conmon has none)"
		ctl run -b "$BUNDLE" --log-driver "$driver" "s-$driver" sh -c \
			'echo early; echo early-err >&2; sleep 1.2; echo late-err >&2; sleep 0.1; echo late' \
			>/dev/null
		local t_err t
		t_err=$(time_of "s-$driver" late-err)
		t=$(time_of "s-$driver" late)
		[ -n "$t_err" ] && [ -n "$t" ]
		run --separate-stderr ctl logs --since "$t_err" "s-$driver"
		[ "$status" -eq 0 ]
		[ "$output" = late ]
		[ "$stderr" = late-err ]
		run --separate-stderr ctl logs --since "$t" "s-$driver"
		[ "$output" = late ] && [ -z "$stderr" ]
		# The same instant written in another zone (to the microsecond).
		local other
		other=$(python3 -c '
import datetime, sys
t = sys.argv[1].replace("Z", "+00:00")
d = datetime.datetime.fromisoformat(t[:26] + t[29:])
print(d.astimezone(datetime.timezone(datetime.timedelta(hours=-5))).isoformat())' "$t")
		[[ "$other" == *-05:00 ]]
		run --separate-stderr ctl logs --since "$other" "s-$driver"
		[ "$output" = late ]
		run --separate-stderr ctl logs --since 1h "s-$driver"
		[ "$output" = "$(printf 'early\nlate')" ]
		[ "$stderr" = "$(printf 'early-err\nlate-err')" ]
		run --separate-stderr ctl logs --since "$(($(date +%s) + 1))" "s-$driver"
		[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
		run --separate-stderr ctl logs --since 2099-01-01T00:00:00Z --tail 1 "s-$driver"
		[ "$status" -eq 0 ] && [ -z "$output" ]
		# --tail counts what --since leaves: late-err, late.
		run --separate-stderr ctl logs --since "$t_err" --tail 1 "s-$driver"
		[ "$output" = late ] && [ -z "$stderr" ]
	done
	run ctl logs --since yesterday s-k8s-file
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --since 'yesterday'"* ]]
}

@test "create: the log options are checked before anything is made" {
	run ctl create -b "$BUNDLE" --log-max-files 3 bad1
	[ "$status" -eq 125 ]
	[[ "$output" == *"--log-max-files needs --log-size-max"* ]]
	run ctl create -b "$BUNDLE" --log-driver gelf bad2
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown log driver 'gelf'"* ]]
	run ctl run -b "$BUNDLE" --log-size-max 10q bad3
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --log-size-max '10q'"* ]]
	run ctl create -b "$BUNDLE" --log-driver journald short-id
	[ "$status" -eq 125 ]
	[[ "$output" == *"journald needs a container id of at least 13 characters"* ]]
	[ ! -e "$ROOT/containers/short-id" ]
	[ ! -e "$ROOT/containers/bad1" ]
}

@test "--log-driver none keeps nothing, and logs says so" {
	run ctl run -b "$BUNDLE" --log-driver none nn echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ -z "$(find "$ROOT/containers/nn" -name 'ctr.*')" ]
	run ctl logs nn
	[ "$status" -eq 125 ]
	[[ "$output" == *"keeps no log (--log-driver none)"* ]]
}

# A journalctl that says what it was asked, and with -f waits forever.
fake_journalctl() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/journalctl" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$FAKE_JOURNAL_ARGS"
case " $* " in *" -f "*) exec sleep 600 ;; esac
echo "from the journal"
EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/journalctl"
	export FAKE_JOURNAL_ARGS=$BATS_TEST_TMPDIR/journal-args
}

JID=journald-container-1

@test "journald: logs runs journalctl for the container's entries" {
	only_tether "journald via tetherctl"
	ctl run -b "$BUNDLE" --log-driver journald "$JID" echo hi >/dev/null
	grep -q '"log_driver":"journald"' "$ROOT/containers/$JID/state.json"
	fake_journalctl
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$TETHERCTL" --root "$ROOT" logs --tail 3 "$JID"
	[ "$status" -eq 0 ]
	[ "$output" = "from the journal" ]
	[ "$(tr '\n' ' ' <"$FAKE_JOURNAL_ARGS")" = "--no-pager -o cat -n 3 CONTAINER_ID_FULL=$JID " ]
	# No journalctl: say how to find the entries.
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run env PATH="$BATS_TEST_TMPDIR/empty" "$TETHERCTL" --root "$ROOT" logs "$JID"
	[ "$status" -eq 125 ]
	[[ "$output" == *"journalctl is not installed"*"CONTAINER_ID_FULL=$JID"* ]]
}

@test "journald: logs -f stops journalctl once the container has exited" {
	only_tether "journald via tetherctl"
	ctl run -d -b "$BUNDLE" --log-driver journald "$JID" sleep 1 >/dev/null
	fake_journalctl
	local start=$SECONDS
	run timeout $((30 * SCALE)) env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$TETHERCTL" \
		--root "$ROOT" logs -f "$JID"
	[ "$status" -eq 0 ]
	[ $((SECONDS - start)) -lt $((15 * SCALE)) ]
	grep -qx -- -f "$FAKE_JOURNAL_ARGS"
	grep -qx -- all "$FAKE_JOURNAL_ARGS"
}

@test "journald: the entries read back through the real journal" {
	only_tether "journald via tetherctl"
	[ -S /run/systemd/journal/socket ] ||
		skip "no systemd-journald is running here (/run/systemd/journal/socket missing)"
	command -v journalctl >/dev/null || skip "journalctl is not installed"
	local id=journald-real-$$-$RANDOM
	ctl run -b "$BUNDLE" --log-driver journald "$id" sh -c 'echo from-journal-1; echo from-journal-2' >/dev/null
	got() { [ "$(ctl logs "$id" 2>/dev/null)" = "$(printf 'from-journal-1\nfrom-journal-2')" ]; }
	wait_until 10 got
}
