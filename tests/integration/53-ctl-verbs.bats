#!/usr/bin/env bats
# tetherctl's stop, kill --all, pause/resume, inspect, resize, events, gc and
# ps --all. TETHERCTL_SHIM=/usr/bin/conmon has no control socket: the tests
# that need it skip there.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

LOOP='while :; do sleep 0.1; done'

ps_field() { # ID FIELD: one field of ps --all --format json
	ctl ps --all --format json | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["id"] == sys.argv[1]:
        print(c.get(sys.argv[2], ""))' "$1" "$2"
}

status_is() { [ "$(ps_field "$1" status)" = "$2" ]; }

inspect_get() { # ID PYEXPR on the inspect object `o`
	ctl inspect "$1" | python3 -c 'import json, sys; o = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

need_control() {
	[ -z "${TETHERCTL_SHIM:-}" ] || skip "conmon has no control socket"
}

@test "pause: ps shows paused; resume: running; wrong state is an error" {
	ctl run -d -b "$BUNDLE" pr sh -c "$LOOP"
	run ctl pause pr
	[ "$status" -eq 0 ]
	[ "$(ps_field pr status)" = paused ]
	run ctl pause pr
	[ "$status" -eq 125 ]
	[[ "$output" == *"is paused, not running"* ]]
	run ctl resume pr
	[ "$status" -eq 0 ]
	[ "$(ps_field pr status)" = running ]
	run ctl resume pr
	[ "$status" -eq 125 ]
	[[ "$output" == *"not paused"* ]]
	run ctl pause nosuch
	[ "$status" -eq 125 ]
}

@test "stop: SIGTERM handled, the container's code; already exited is fine" {
	ctl run -d -b "$BUNDLE" st sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	run timeout 20 "$TETHERCTL" --root "$ROOT" stop st
	[ "$status" -eq 0 ]
	[ "$output" = 7 ]
	run timeout 20 "$TETHERCTL" --root "$ROOT" stop st
	[ "$status" -eq 0 ]
	[ "$output" = 7 ]
}

@test "stop -t 1 escalates to SIGKILL when SIGTERM is ignored: 137" {
	ctl run -d -b "$BUNDLE" sk sh -c 'trap "" TERM; sleep 100'
	local t0=$SECONDS
	run timeout 20 "$TETHERCTL" --root "$ROOT" stop -t 1 sk
	[ "$status" -eq 0 ]
	[ "$output" = 137 ]
	[ $((SECONDS - t0)) -lt 8 ]
	[ "$(ps_field sk status)" = exited ]
}

@test "kill --all signals every process of the container" {
	# The shell defers its TERM trap until sleep ends; the sleep takes the
	# default action. Without --all only the shell would get it, and wait.
	ctl run -d -b "$BUNDLE" ka sh -c 'trap "exit 3" TERM; sleep 100; exit 1'
	wait_until 5 sh -c "runc --root '$ROOT/runtime' ps ka | grep -q sleep"
	run ctl kill --all ka TERM
	[ "$status" -eq 0 ]
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait ka
	[ "$output" = 3 ]
}

@test "inspect: status, pid, exit code, shim dead" {
	need_control
	ctl run -d -b "$BUNDLE" in sh -c 'trap "exit 5" USR1; while :; do sleep 0.1; done'
	[ "$(inspect_get in 'o["status"]')" = running ]
	[ "$(inspect_get in 'o["pid"] > 1')" = True ]
	[ "$(inspect_get in 'o["shim"]["status"]')" = running ]
	[ "$(inspect_get in 'o["runtime"]["status"]')" = running ]
	[ "$(inspect_get in 'o["state"]["id"]')" = in ]
	ctl kill in USR1
	timeout 20 "$TETHERCTL" --root "$ROOT" wait in
	[ "$(inspect_get in 'o["status"]')" = exited ]
	[ "$(inspect_get in 'o["exit_code"]')" = 5 ]

	ctl run -d -b "$BUNDLE" dd sh -c "$LOOP"
	local shim
	shim=$(ps_field dd shim_pid)
	kill -9 "$shim"
	wait_until 5 sh -c "! kill -0 $shim 2>/dev/null"
	[ "$(inspect_get dd 'o["shim"]')" = dead ]
	[ "$(inspect_get dd 'o["status"]')" = shim-dead ]
	[ "$(inspect_get dd 'o["runtime"]["status"]')" = running ]
}

@test "resize is seen inside a -t container" {
	need_control
	ctl run -d -t -b "$BUNDLE" rz sh -c 'trap "stty size; exit 0" WINCH; while :; do sleep 0.05; done'
	run ctl resize rz 33 77
	[ "$status" -eq 0 ]
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait rz
	[ "$output" = 0 ]
	run ctl logs rz
	[[ "$output" == *"33 77"* ]]
	run ctl resize rz 1 x
	[ "$status" -eq 125 ]
}

@test "events --follow: log-rotated then exited, with the id and the code" {
	need_control
	ctl run -d -b "$BUNDLE" ev sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done'
	local out=$BATS_TEST_TMPDIR/events
	timeout 30 "$TETHERCTL" --root "$ROOT" events --follow ev >"$out" &
	local fpid=$!
	# Subscribed once the shim has a second control client; poll the
	# reopen event instead: write until a log-rotated line shows.
	wait_until 5 sh -c "printf '2 0 0\n' >'$ROOT/containers/ev/ctl'; grep -q log-rotated '$out'"
	ctl kill ev USR1
	wait "$fpid"
	cat "$out"
	python3 - "$out" <<-'PY'
		import json, sys
		evs = [json.loads(l) for l in open(sys.argv[1])]
		names = [e["event"] for e in evs]
		assert all(e["id"] == "ev" for e in evs), evs
		assert "log-rotated" in names and names[-1] == "exited", names
		assert names.index("log-rotated") < names.index("exited"), names
		assert evs[-1]["exit_code"] == 9, evs
	PY
	# Without --follow: the exit known now.
	run ctl events
	[ "$status" -eq 0 ]
	[[ "$output" == *'"event":"exited"'*'"exit_code":9'*'"id":"ev"'* ]]
}

@test "events --follow without ids picks up a container created later" {
	need_control
	local out=$BATS_TEST_TMPDIR/events
	mkdir -p "$ROOT/containers"
	timeout 30 "$TETHERCTL" --root "$ROOT" events --follow >"$out" &
	local fpid=$!
	sleep 0.3 # let it set up its watch (bounded: only delays the test)
	ctl run -d -b "$BUNDLE" late sh -c 'trap "exit 4" USR1; while :; do sleep 0.1; done'
	wait_until 5 sh -c "[ -S '$ROOT/containers/late/control' ]"
	wait_until 5 grep -q '"id":"late"' "$out" || true
	ctl kill late USR1
	wait_until 10 grep -q '"exited"' "$out"
	kill "$fpid"
	wait "$fpid" || true
	grep '"id":"late"' "$out" | grep -q '"exit_code":4'
}

@test "gc removes a container with no shim and no runtime state, keeps a running one" {
	ctl run -d -b "$BUNDLE" gone sh -c "$LOOP"
	ctl run -d -b "$BUNDLE" live sh -c "$LOOP"
	local shim
	shim=$(ps_field gone shim_pid)
	kill -9 "$shim"
	wait_until 5 sh -c "! kill -0 $shim 2>/dev/null"
	run ctl gc
	[ "$status" -eq 0 ]
	# The runtime still runs it: kept.
	[ -d "$ROOT/containers/gone" ]
	runc --root "$ROOT/runtime" delete --force gone
	run ctl gc
	[ "$status" -eq 0 ]
	[ "$output" = gone ]
	[ ! -d "$ROOT/containers/gone" ]
	[ -d "$ROOT/containers/live" ]
	[ "$(ps_field live status)" = running ]
}

@test "ps lists live containers; ps --all also exited ones" {
	ctl run -d -b "$BUNDLE" up sh -c "$LOOP"
	ctl run -d -b "$BUNDLE" down true
	timeout 20 "$TETHERCTL" --root "$ROOT" wait down
	run ctl ps
	[[ "$output" == *up* ]]
	[[ "$output" != *down* ]]
	run ctl ps --all
	[[ "$output" == *down*exited* ]]
	run ctl ps --format json --all
	[[ "$output" == *'"down"'* ]]
}
