#!/usr/bin/env bats
# tether's own control socket, BUNDLE/control (docs/protocol.md): state
# through the life cycle, wait, events in order, resize, reopen, stats, and
# bad input that costs nothing else. tether only: conmon has no such socket.

load ../lib/monitor

setup() {
	tether_only_setup
}

teardown() {
	monitor_teardown
}

field() { # JSON-LINE KEY
	python3 -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

@test "control: the socket is owner-only, beside the attach socket" {
	make_test_bundle -- true
	monitor_create --full-attach
	[ -S "$T/bundle/control" ]
	[ "$(stat -c %a "$T/bundle/control")" = 600 ]
}

@test "control: state goes created -> running -> (wait) exited with the code" {
	make_test_bundle -- sh -c 'echo hi; sleep 10; exit 9'
	monitor_create
	r=$(ctl_req '{"request":"state"}')
	[ "$(field "$r" status)" = created ]
	[ "$(field "$r" pid)" = "$CTR_PID" ]
	[ "$(field "$r" container_id)" = "$CID" ]
	runtime_start
	wait_for "[ \"\$(field \"\$(ctl_req '{\"request\":\"state\"}')\" status)\" = running ]" 10
	r=$(ctl_req --timeout 20 '{"id":"w1","request":"wait"}')
	[ "$(field "$r" id)" = w1 ]
	[ "$(field "$r" status)" = exited ]
	[ "$(field "$r" exit_code)" = 9 ]
	[ "$(field "$r" oom)" = false ]
	wait_exit_file
	[ "$EXIT_CODE" = 9 ]
}

@test "control: a subscriber sees log-rotated and exited, in order" {
	make_test_bundle -- sh -c 'sleep 1; exit 4'
	monitor_create
	ctl_req --timeout 20 '{"request":"subscribe"}' >"$T/events" &
	wait_for "[ -s '$T/events' ]" 10
	echo "2 0 0" >"$T/bundle/ctl"
	wait_for "grep -q log-rotated '$T/events'" 10
	runtime_start
	wait_for "grep -q '\"exited\"' '$T/events'" 20
	[ "$(sed -n 's/.*"event":"\([a-z-]*\)".*/\1/p' "$T/events" | paste -sd,)" = "log-rotated,exited" ]
	grep '"exited"' "$T/events" | grep -q '"exit_code":4'
}

@test "control: stats count what was relayed; reopen starts a new log file" {
	make_test_bundle -- sh -c 'head -c 10000 /dev/zero; head -c 500 /dev/zero >&2; sleep 100'
	monitor_create
	runtime_start
	wait_for "[ \"\$(field \"\$(ctl_req '{\"request\":\"stats\"}')\" stdout_bytes)\" = 10000 ]" 10
	r=$(ctl_req '{"request":"stats"}')
	[ "$(field "$r" stderr_bytes)" = 500 ]
	[ "$(field "$r" log_lost_bytes)" = 0 ]
	local before
	before=$(stat -c %i "$T/ctr.log")
	r=$(ctl_req '{"request":"reopen"}')
	[ "$(field "$r" ok)" = true ]
	[ "$(stat -c %i "$T/ctr.log")" != "$before" ]
}

@test "control: resize reaches a terminal; without one it is an error" {
	make_test_bundle --tty -- sh -c 'trap "stty size; exit 0" WINCH; while :; do sleep 0.05; done'
	monitor_create -t
	runtime_start
	r=$(ctl_req '{"request":"resize","rows":41,"cols":133}')
	[ "$(field "$r" ok)" = true ]
	wait_exit_file
	log_stream stdout | tr -d '\r' | grep -qx "41 133"
}

@test "control: malformed, unknown and oversized requests get errors and cost nothing else" {
	make_test_bundle -- sleep 100
	monitor_create
	r=$(ctl_req 'not json' '{"request":"reboot"}' '{"request":"state"}')
	[ "$(sed -n 1p <<<"$r" | grep -c '"ok":false')" = 1 ]
	[ "$(sed -n 2p <<<"$r" | grep -c "unknown request")" = 1 ]
	[ "$(field "$(sed -n 3p <<<"$r")" status)" = created ]
	# A line over 64 KiB: an error, then the connection is closed.
	run python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"x" * 70000)
print(s.makefile().readline().strip())' "$T/bundle/control"
	[[ "$output" == *'"ok":false'*longer* ]]
	monitor_alive
	[ "$(field "$(ctl_req '{"request":"state"}')" status)" = created ]
}

@test "control: a client of another uid is refused" {
	make_test_bundle -- sleep 100
	monitor_create
	chmod 755 "$T" "$T/bundle"
	chmod 666 "$T/bundle/control" # past the mode, the credentials still say no
	run setpriv --reuid 65534 --regid 65534 --clear-groups python3 "$LIB/control_client.py" \
		--timeout 3 "$T/bundle/control" '{"request":"state"}'
	[ "$status" -ne 0 ]
	[[ "$output" != *'"ok":true'* ]]
}
