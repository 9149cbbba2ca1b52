#!/usr/bin/env bats
# Replay on attach (--replay-size, the control socket's replay,
# `tetherctl attach --replay N`): a client attaching to a quiet container
# sees the last output first. tether only.

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	[ -n "${APID:-}" ] && kill "$APID" 2>/dev/null
	ctl_teardown
}

# attach_bg OUT ERR ARGS...: tetherctl attach in the background.
attach_bg() {
	local out=$1 err=$2
	shift 2
	"$TETHERCTL" --root "$ROOT" --shim "$SHIM" attach --no-stdin "$@" >"$out" 2>"$err" </dev/null &
	APID=$!
}

@test "replay: attaching to a quiet terminal shows what is on it" {
	ctl run -d -t -b "$BUNDLE" replay-tty-000001 sh -c "printf 'line one\nprompt> '; exec sleep 100"
	wait_until 10 sh -c "'$TETHERCTL' --root '$ROOT' logs replay-tty-000001 | grep -q prompt"
	attach_bg "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" --replay 1000 replay-tty-000001
	wait_until 10 grep -q 'prompt> ' "$BATS_TEST_TMPDIR/o"
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = "$(printf 'line one\r\nprompt> ')" ]
	kill "$APID"
	# (The terminal turned the newline into \r\n.) Only the last N bytes
	# when asked for fewer.
	attach_bg "$BATS_TEST_TMPDIR/o2" "$BATS_TEST_TMPDIR/e2" --replay 8 replay-tty-000001
	wait_until 10 grep -q 'prompt> ' "$BATS_TEST_TMPDIR/o2"
	[ "$(cat "$BATS_TEST_TMPDIR/o2")" = "prompt> " ]
}

@test "replay: stdout and stderr apart, and only the last --replay-size bytes" {
	ctl run -d -b "$BUNDLE" --replay-size 64k replay-std-000001 sh -c \
		'head -c 200000 /dev/zero | tr "\0" a; echo; echo out; echo err >&2; exec sleep 100'
	wait_until 10 sh -c "'$TETHERCTL' --root '$ROOT' logs replay-std-000001 2>&1 | grep -q err"
	attach_bg "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" --replay 1000000 replay-std-000001
	wait_until 10 grep -q err "$BATS_TEST_TMPDIR/e"
	wait_until 10 grep -q out "$BATS_TEST_TMPDIR/o"
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = err ]
	# 64 KiB in all: the end of the a's, a newline, "out\n" and "err\n".
	[ "$(($(wc -c <"$BATS_TEST_TMPDIR/o") + 4))" = 65536 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/o")" = out ]
}

@test "replay: none kept without a terminal or --replay-size; bad sizes refused" {
	ctl run -d -b "$BUNDLE" replay-none-00001 sleep 100
	run ctl attach --no-stdin --replay 10 replay-none-00001
	[ "$status" -eq 125 ]
	[[ "$output" == *"no output is kept for replay"* ]]
	run ctl run -d -b "$BUNDLE" --replay-size 17m replay-bad-000001
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --replay-size '17m'"* ]]
}
