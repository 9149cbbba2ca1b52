#!/usr/bin/env bats
# The shim under a systemd unit (--systemd-notify, --stop-signal,
# --stop-timeout; docs/systemd.md). systemd is not PID 1 here, so each test
# binds its own NOTIFY_SOCKET (tests/lib/notify_listen.py, SO_PASSCRED as
# systemd has it) and checks the exact sequence and sender of the messages.
# tether only: these flags are tether's.

load ../lib/monitor

setup() {
	tether_only_setup
}

teardown() {
	monitor_teardown
}

# listen [--on-ready CMD]: a notification socket at $T/notify; messages go
# to $T/notify.jsonl.
listen() {
	bg listener python3 "$LIB/notify_listen.py" "$T/notify" "$T/notify.jsonl" "$@"
	wait_for "[ -S '$T/notify' ]" 10
}

# messages: "PID|TEXT" per datagram, newlines within one shown as ';'.
messages() {
	python3 -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print("%s|%s" % (r["pid"], r["msg"].replace("\n", ";")))' "$T/notify.jsonl" 2>/dev/null
}

has_message() { # GREP-PATTERN
	messages | grep -q -- "$1"
}

# create_started ARGS...: create under NOTIFY_SOCKET with ARGS as extra
# shim flags, start it the way tetherctl does (the runtime's start, then
# "started" on the control socket).
create_started() {
	NOTIFY_SOCKET=$T/notify monitor_create --systemd-notify "$@"
	runtime_start
	ctl_req '{"request":"started"}' | grep -q '"ok":true'
}

@test "systemd: MAINPID, created, then READY=1 only once the container runs" {
	listen --on-ready "$RUNC_BIN --root $T/runc state $CID | sed -n 's/.*\"status\": \"\\(.*\\)\".*/\\1/p'"
	make_test_bundle -- sh -c 'echo up; sleep 30'
	NOTIFY_SOCKET=$T/notify monitor_create --systemd-notify
	wait_for "has_message 'created'" 10
	refute has_message 'READY=1'
	runtime_start
	ctl_req '{"request":"started"}' | grep -q '"ok":true'
	wait_for "has_message 'READY=1'" 10
	messages
	[ "$(messages | sed -n 1p)" = "$MON_PID|MAINPID=$MON_PID;STATUS=Creating container $CID" ]
	# By MAINPID= the shim's first process is gone: a service manager
	# supervises its own child, whose exit status it can read.
	grep MAINPID "$T/notify.jsonl" | grep -q '"mainpid_parent": "[^"]*"'
	refute grep -q '"mainpid_parent": "tether"' "$T/notify.jsonl"
	[ "$(messages | sed -n 2p)" = "$MON_PID|STATUS=Container $CID created (pid $CTR_PID), waiting for its start" ]
	[ "$(messages | sed -n 3p)" = "$MON_PID|READY=1;STATUS=Container $CID running (pid $CTR_PID)" ]
	# The container was running when readiness was announced.
	grep READY "$T/notify.jsonl" | grep -q '"on_ready": "running"'
	# A second "started" changes nothing.
	ctl_req '{"request":"started"}' | grep -q '"ok":true'
	[ "$(messages | grep -c READY=1)" = 1 ]
}

@test "systemd: SIGTERM means STOPPING=1, the stop signal, the exit code in STATUS" {
	listen
	make_test_bundle -- sh -c 'trap "echo got-usr1; exit 7" USR1; echo up; while :; do sleep 0.1; done'
	create_started --stop-signal SIGUSR1 --stop-timeout 20
	wait_for "log_has 'stdout F up'" 10
	kill -TERM "$MON_PID"
	wait_exit_file 20
	[ "$EXIT_CODE" = 7 ]
	wait_monitor_gone 10
	messages
	log_has 'stdout F got-usr1'
	[ "$(messages | tail -n 2 | head -n 1)" = "$MON_PID|STOPPING=1;STATUS=Stopping container $CID (SIGUSR1, SIGKILL in 20 s)" ]
	[ "$(messages | tail -n 1)" = "$MON_PID|STATUS=Container $CID exited with code 7" ]
	[ "$(messages | grep -c STOPPING=1)" = 1 ]
}

@test "systemd: a container that ignores its stop signal is killed after --stop-timeout" {
	listen
	make_test_bundle -- sh -c 'trap "" TERM; echo up; while :; do sleep 0.1; done'
	create_started --stop-timeout 1
	wait_for "log_has 'stdout F up'" 10
	kill -TERM "$MON_PID"
	wait_exit_file 20
	[ "$EXIT_CODE" = 137 ]
	messages
	has_message "STOPPING=1;STATUS=Stopping container $CID (SIGTERM, SIGKILL in 1 s)"
	has_message "STATUS=Killing container $CID (stop timeout of 1 s)"
	[ "$(messages | tail -n 1)" = "$MON_PID|STATUS=Container $CID exited with code 137" ]
}

@test "systemd: without --stop-timeout SIGTERM is only forwarded, as by conmon" {
	listen
	make_test_bundle -- sh -c 'trap "echo got-term; exit 3" TERM; echo up; while :; do sleep 0.1; done'
	create_started
	wait_for "log_has 'stdout F up'" 10
	kill -TERM "$MON_PID"
	wait_exit_file 20
	[ "$EXIT_CODE" = 3 ]
	has_message "STOPPING=1;STATUS=Stopping container $CID (SIGTERM)"
}

@test "systemd: WATCHDOG=1 every half of WATCHDOG_USEC, from the shim" {
	listen
	make_test_bundle -- sleep 30
	WATCHDOG_USEC=2000000 create_started
	wait_for "[ \$(messages | grep -c 'WATCHDOG=1') -ge 4 ]" 20
	messages
	# Each gap near 1 s: never spamming, never late enough for systemd
	# (2 s) to kill the unit.
	python3 -c 'import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if json.loads(l)["msg"] == "WATCHDOG=1"]
gaps = [b - a for a, b in zip(t, t[1:])]
print("gaps", gaps)
assert all(0.5 <= g < 2.0 for g in gaps), gaps' "$T/notify.jsonl"
	[ -z "$(messages | grep WATCHDOG | grep -v "^$MON_PID|")" ]
}

@test "systemd: a WATCHDOG_PID of another process means no pings" {
	listen
	make_test_bundle -- sleep 30
	WATCHDOG_USEC=200000 WATCHDOG_PID=1 create_started
	wait_for "has_message 'READY=1'" 10
	# Long enough for several 100 ms pings had it taken the watchdog.
	sleep 1
	refute has_message 'WATCHDOG=1'
}

@test "systemd: the runtime and the container never see NOTIFY_SOCKET" {
	listen
	cat >"$T/runtime" <<-WRAP
	#!/bin/sh
	env >>"$T/runtime-env"
	exec $RUNC_BIN "\$@"
	WRAP
	chmod +x "$T/runtime"
	RUNC=$T/runtime
	make_test_bundle -- sh -c 'env; sleep 30'
	WATCHDOG_USEC=1000000 create_started
	wait_for "log_has 'stdout F PWD=/'" 10
	[ -s "$T/runtime-env" ]
	refute grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' "$T/runtime-env"
	refute log_has 'NOTIFY_SOCKET'
}

@test "systemd: with --sdnotify-socket the container's own READY=1 is relayed, not ours" {
	listen
	make_test_bundle -- sleep 30
	mkdir -p "$T/bundle/notify"
	create_started --sdnotify-socket "$T/notify"
	wait_for "has_message 'waiting for its READY=1'" 10
	refute has_message 'READY=1;'
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\nSTATUS=serving", sys.argv[1])' "$T/bundle/notify/notify.sock"
	wait_for "has_message '|READY=1;STATUS=serving'" 10
	messages
	[ "$(messages | grep -c '|READY=1')" = 1 ]
}

@test "systemd: the exit code of a failed create is in STATUS; bad settings are refused" {
	listen
	make_test_bundle -- /no/such/binary
	NOTIFY_SOCKET=$T/notify monitor_create --systemd-notify || true
	wait_for "has_message 'STATUS=Failed: '" 10
	refute has_message 'READY=1'

	make_test_bundle -- true
	NOTIFY_SOCKET=relative/path monitor_create --systemd-notify && false
	[[ "$SYNC_MESSAGE" == *"Invalid NOTIFY_SOCKET 'relative/path'"* ]]
	monitor_create --stop-signal SIGNOPE && false
	[[ "$SYNC_MESSAGE" == *"Invalid --stop-signal 'SIGNOPE'"* ]]
	monitor_create --stop-timeout -1 && false
	[[ "$SYNC_MESSAGE" == *"--stop-timeout must be 0 or more seconds"* ]]
	# NOTIFY_SOCKET unset: --systemd-notify has nobody to tell, and runs.
	monitor_create --systemd-notify
	runtime_start
	wait_exit_file 10
	[ "$EXIT_CODE" = 0 ]
}
