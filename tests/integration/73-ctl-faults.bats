#!/usr/bin/env bats
# tetherctl killed -9 at each step of a container's life (docs/reliability.md):
# while the runtime creates, while it starts, while stop waits. Each step is
# held open so that the kill lands where it should: create by a real OCI
# hook (runc create waits for it), stop by the container ignoring SIGTERM,
# start by a wrapper that holds `runc start` (runc 1.1.5 has no hook that
# start waits for: it runs poststart hooks at create). What is left must be
# a container tetherctl still manages to its end. (Killed mid-run:
# 50-ctl-run.bats.) TETHERCTL_SHIM=/usr/bin/conmon runs them with conmon.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
	GATE=$BATS_TEST_TMPDIR/gate
}

teardown() {
	ctl_teardown
}

# hold KIND: a bundle whose runc KIND hook records its pid and waits for
# $GATE.
hold() {
	"$REPO/tests/lib/mkbundle.py" "$BUNDLE" "$ROOTFS" --hook "$1" \
		"echo \$\$ > $BATS_TEST_TMPDIR/hook.pid; while [ ! -e $GATE ]; do sleep 0.05; done" -- true
}

status_of() { # ID: its status in ps --all --format json
	ctl ps --all --format json | python3 -c '
import json, sys
print(next((c["status"] for c in json.load(sys.stdin) if c["id"] == sys.argv[1]), "none"))' "$1"
}

# nothing_left ID: no process mentions ID; the runtime knows no container.
nothing_left() {
	local pattern="[${1:0:1}]${1:1}" # never matches the pgrep's own shell
	wait_until 10 sh -c "! pgrep -f -- '$pattern' >/dev/null" || {
		pgrep -af -- "$pattern" >&2
		return 1
	}
	[ -z "$(runc --root "$ROOT/runtime" list -q 2>/dev/null)" ]
}

# killed_in CMD...: run tetherctl CMD in the background until the hook
# holding it has started, kill it -9, then open the gate.
killed_in() {
	ctl "$@" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	wait_until 20 test -s "$BATS_TEST_TMPDIR/hook.pid"
	kill -KILL "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 137 ]
	touch "$GATE"
}

# A container that runs until it gets SIGUSR1, then exits with 5.
LOOP='trap "exit 5" USR1; echo up; while :; do sleep 0.1; done'

# ends_with ID CODE: SIGUSR1, then wait reports CODE; rm leaves nothing.
ends_with() {
	ctl kill "$1" USR1
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait "$1"
	[ "$status" -eq 0 ]
	[ "$output" = "$2" ]
	[ "$(status_of "$1")" = exited ]
	ctl rm "$1"
	nothing_left "$1"
}

@test "tetherctl create killed -9 while the runtime creates: the container still starts and ends" {
	hold createRuntime
	killed_in create -b "$BUNDLE" k9create sh -c "$LOOP"
	wait_until 20 sh -c "runc --root '$ROOT/runtime' state k9create 2>/dev/null | grep -q '\"status\": \"created\"'"
	[ "$(status_of k9create)" = created ]
	ctl start k9create
	wait_until 20 sh -c "'$TETHERCTL' --root '$ROOT' logs k9create | grep -q up"
	[ "$(status_of k9create)" = running ]
	ends_with k9create 5
}

@test "tetherctl start killed -9 while the runtime starts: the container runs and ends" {
	# Real runc, held at `start` only (see above).
	cat >"$BATS_TEST_TMPDIR/runtime" <<-EOF
	#!/bin/sh
	for a; do
		if [ "\$a" = start ]; then
			echo \$\$ > $BATS_TEST_TMPDIR/hook.pid
			while [ ! -e $GATE ]; do sleep 0.05; done
		fi
	done
	exec runc "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/runtime"
	ctl() {
		"$TETHERCTL" --root "$ROOT" --shim "$SHIM" --runtime "$BATS_TEST_TMPDIR/runtime" "$@"
	}
	ctl create -b "$BUNDLE" k9start sh -c "$LOOP"
	killed_in start k9start
	wait_until 20 sh -c "'$TETHERCTL' --root '$ROOT' logs k9start | grep -q up"
	[ "$(status_of k9start)" = running ]
	ends_with k9start 5
}

@test "tetherctl stop killed -9 while it waits for the container: a second stop ends it" {
	ctl run -d -b "$BUNDLE" k9stop sh -c 'trap "echo got-term" TERM; echo up; while :; do sleep 0.1; done'
	wait_until 20 sh -c "'$TETHERCTL' --root '$ROOT' logs k9stop | grep -q up"
	ctl stop -t 600 k9stop >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	wait_until 20 sh -c "'$TETHERCTL' --root '$ROOT' logs k9stop | grep -q got-term"
	kill -KILL "$pid"
	wait "$pid" || true
	[ "$(status_of k9stop)" = running ]
	ctl stop -t 1 k9stop
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait k9stop
	[ "$output" = 137 ]
	ctl rm k9stop
	nothing_left k9stop
}
