#!/usr/bin/env bats
# --sdnotify-socket (conmon-spec §2.14): BUNDLE/notify/notify.sock receives
# the container's sd_notify datagrams and the allowed lines reach the host's
# socket, which the test binds itself (no systemd as PID 1 here). The test
# sends what a process in the container would (podman mounts the directory
# at /run/notify). Against tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
	mkdir -p "$T/bundle/notify"
	# The host side: record every datagram, one per line ("|" for "\n").
	python3 - "$T/host.sock" "$T/host.log" <<-'PY' &
	import os, socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind(sys.argv[1])
	s.settimeout(30)
	with open(sys.argv[2], "a", buffering=1) as log:
	    try:
	        while True:
	            log.write(s.recv(65536).decode().replace("\n", "|") + "\n")
	    except socket.timeout:
	        pass
	PY
	RECEIVER=$!
	wait_for "[ -S '$T/host.sock' ]" 10
	make_test_bundle -- sleep 300
	monitor_create --sdnotify-socket "$T/host.sock"
}

teardown() {
	kill "$RECEIVER" 2>/dev/null || true
	monitor_teardown
}

container_notify() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), sys.argv[1])' "$T/bundle/notify/notify.sock" "$1"
}

@test "notify: the socket is in the bundle's notify directory, open to any container user" {
	[ -S "$T/bundle/notify/notify.sock" ]
	[ "$(stat -c %a "$T/bundle/notify/notify.sock")" = 777 ]
}

@test "notify: READY=1 reaches the host; MAINPID never does" {
	container_notify $'MAINPID=1\nREADY=1'
	wait_for "grep -q READY=1 '$T/host.log'" 10
	not grep -q MAINPID "$T/host.log"
}

@test "notify: WATCHDOG=1 reaches the host" {
	container_notify 'WATCHDOG=1'
	wait_for "grep -qx WATCHDOG=1 '$T/host.log'" 10
}

@test "notify: STATUS= lines are relayed with READY=1" {
	skip_for conmon "conmon 2.1.6 relays only READY=1 and WATCHDOG=1 (STATUS came in 2.1.9)"
	container_notify $'READY=1\nSTATUS=serving\nX_OTHER=1'
	wait_for "grep -qx 'READY=1|STATUS=serving' '$T/host.log'" 10
}
