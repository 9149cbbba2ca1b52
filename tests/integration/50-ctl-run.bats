#!/usr/bin/env bats
# tetherctl run: output relayed from the attach socket, stdout and stderr kept
# apart, the container's exit code as tetherctl's, signals forwarded, and a
# container that outlives a killed tetherctl. Real runc, busybox rootfs.
# TETHERCTL_SHIM=/usr/bin/conmon runs the same tests against conmon.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

@test "run: prints the output and exits 0" {
	run --separate-stderr ctl run -b "$BUNDLE" c0 echo hello world
	[ "$status" -eq 0 ]
	[ "$output" = "hello world" ]
	[ -z "$stderr" ]
}

@test "run: the container's exit code is tetherctl's (3)" {
	run ctl run -b "$BUNDLE" c3 sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "run: a container killed by SIGKILL exits 137" {
	# Without a pid namespace sh is not pid 1, which ignores SIGKILL from
	# inside: so this is a real death by signal, reported as 128+9.
	python3 - "$BUNDLE/config.json" <<-'PY'
		import json, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
		json.dump(c, open(p, "w"))
	PY
	run ctl run -b "$BUNDLE" c9 sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
}

@test "run: stdout and stderr stay apart, in order within each stream" {
	ctl run -b "$BUNDLE" cs sh -c 'echo out1; echo err1 >&2; echo out2; printf err2 >&2' \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'out1\nout2')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "$(printf 'err1\nerr2')" ]
}

@test "run: a large output arrives whole and in order" {
	ctl run -b "$BUNDLE" cl seq 1 50000 >"$BATS_TEST_TMPDIR/out"
	seq 1 50000 | cmp - "$BATS_TEST_TMPDIR/out"
}

@test "run: the command from the bundle is used when none is given" {
	"$REPO/tests/lib/mkbundle.py" "$BUNDLE" "$ROOTFS" -- echo from the bundle
	run ctl run -b "$BUNDLE" cb
	[ "$status" -eq 0 ]
	[ "$output" = "from the bundle" ]
	# A relative --bundle and "--" before the command work too.
	cd "$BATS_TEST_TMPDIR"
	run ctl run --bundle bundle cb2 -- echo dashdash
	[ "$status" -eq 0 ]
	[ "$output" = "dashdash" ]
}

@test "run: SIGTERM to tetherctl is forwarded to the container" {
	# Not through ctl(): $! must be tetherctl itself, not a subshell.
	"$TETHERCTL" --root "$ROOT" --shim "$SHIM" run -b "$BUNDLE" ct sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	wait_until 20 grep -q ready "$BATS_TEST_TMPDIR/out"
	kill -TERM "$pid"
	local status=0
	wait "$pid" || status=$?
	[ "$status" -eq 42 ]
}

@test "run: signals the container ignores; the third one detaches, the container runs on" {
	# sleep as pid 1 has no handler, so SIGTERM does nothing to it.
	"$TETHERCTL" --root "$ROOT" --shim "$SHIM" run -b "$BUNDLE" ci sleep 1000 \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	wait_until 20 eval '[ "$(ctl ps --all | awk '\''$1 == "ci" { print $3 }'\'')" = running ]'
	# Repeat until tetherctl has counted three (signals can merge).
	local tries=100
	while kill -TERM "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		sleep 0.1
	done
	local status=0
	wait "$pid" || status=$?
	[ "$status" -eq 125 ]
	grep -q "detached from container ci" "$BATS_TEST_TMPDIR/err"
	run ctl ps --all
	[[ "${lines[1]}" =~ ^ci\ +ci\ +running ]]
}

@test "run: tetherctl killed -9 mid-run; the container runs on and wait reports its exit" {
	"$TETHERCTL" --root "$ROOT" --shim "$SHIM" run -b "$BUNDLE" ck sh -c 'trap "exit 5" USR1; echo ready; while :; do sleep 0.1; done' \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	wait_until 20 grep -q ready "$BATS_TEST_TMPDIR/out"
	kill -KILL "$pid"
	local status=0
	wait "$pid" || status=$?
	[ "$status" -eq 137 ]

	run ctl ps --all --format json
	[ "$status" -eq 0 ]
	[ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["status"])' <<<"$output")" = running ]

	run ctl kill ck USR1
	[ "$status" -eq 0 ]
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait ck
	[ "$status" -eq 0 ]
	[ "$output" = 5 ]
	run ctl logs ck
	[ "$output" = ready ]
}

@test "run -d: prints the id and returns once the container runs" {
	run ctl run -d -b "$BUNDLE" cd sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	[ "$output" = cd ]
	run ctl ps --all
	[[ "${lines[1]}" =~ ^cd\ +cd\ +running\  ]]
}
