#!/usr/bin/env bats
# podman run --sdnotify=conmon and =container, with tether and with conmon:
# what reaches systemd's NOTIFY_SOCKET. Here the socket is this test's own
# (tests/lib/notify_listen.py records every datagram); inside the container a static
# sdnotify helper (tests/lib/sdnotify.c, built here: busybox has no systemd-notify)
# speaks sd_notify to the monitor's proxy socket.

load helpers

setup_file() {
	compat_setup_file
	cc -static -O2 -o "$BATS_FILE_TMPDIR/sdnotify" "$BATS_TEST_DIRNAME/../lib/sdnotify.c" ||
		skip "cannot build a static helper (no cc or no static libc: libc6-dev)"
	export HELPER=$BATS_FILE_TMPDIR/sdnotify
}
teardown_file() { compat_teardown_file; }

# listen: a fresh NOTIFY_SOCKET for $MON; what arrives goes to $NOTIFIED.
listen() {
	export NOTIFY_SOCKET=$BATS_TEST_TMPDIR/notify.$MON.sock NOTIFIED=$BATS_TEST_TMPDIR/notified.$MON
	rm -f "$NOTIFY_SOCKET" "$NOTIFIED"
	spawn "$BATS_TEST_TMPDIR/listener.$MON.log" \
		python3 "$BATS_TEST_DIRNAME/../lib/notify_listen.py" --text "$NOTIFY_SOCKET" "$NOTIFIED"
	wait_until 10 test -S "$NOTIFY_SOCKET"
}

# notified: the datagrams received, sorted (podman's and the container's
# arrive in either order), the monitor's pid as MON-PID.
notified() {
	local mon_pid
	mon_pid=$(pod inspect "$ID" --format '{{.State.ConmonPid}}')
	sed "s/MAINPID=$mon_pid\b/MAINPID=MON-PID/" "$NOTIFIED" | sort | tr '\n' ' '
	echo
}

@test "--sdnotify=conmon: podman announces the monitor as MAINPID, and READY" {
	scenario() {
		listen
		ID=$(pod run -d --network none --sdnotify=conmon "$IMG" sh -c 'echo "socket=$NOTIFY_SOCKET"; sleep 300')
		wait_until 10 log_has socket=
		say logs pod logs "$ID"
		wait_until 10 grep -q MAINPID "$NOTIFIED"
		echo "notified: $(notified)"
		say state state
	}
	compare_monitors
	expect <<-'EOF'
	logs: [0] socket=
	notified: MAINPID=MON-PID\nREADY=1 
	state: [0] running 0
	EOF
}

@test "--sdnotify=container: the monitor relays the container's READY and WATCHDOG" {
	scenario() {
		listen
		ID=$(pod run -d --network none --sdnotify=container -v "$HELPER:/sdnotify:ro" "$IMG" sh -c \
			'echo $NOTIFY_SOCKET; /sdnotify STATUS=starting "$(printf "READY=1\nSTATUS=up")" \
				MAINPID=1 WATCHDOG=1 && echo sent; sleep 300')
		wait_until 10 log_has sent
		say logs pod logs "$ID"
		# WATCHDOG=1 is the container's last message, MAINPID podman's.
		wait_until 10 eval 'grep -q WATCHDOG "$NOTIFIED" && grep -q MAINPID "$NOTIFIED"'
		echo "notified: $(notified)"
		say state state
	}
	run_monitors
	# conmon 2.1.6 sends on READY=1 and WATCHDOG=1 alone; tether also the
	# lines conmon 2.1.9+ relays (STATUS=...). MAINPID never: it is
	# podman's to tell (docs/compat.md).
	expect_each conmon <<-'EOF'
	logs: [0] /run/notify/notify.sock|sent
	notified: MAINPID=MON-PID READY=1 WATCHDOG=1 
	state: [0] running 0
	EOF
	expect_each tether <<-'EOF'
	logs: [0] /run/notify/notify.sock|sent
	notified: MAINPID=MON-PID READY=1\nSTATUS=up STATUS=starting WATCHDOG=1 
	state: [0] running 0
	EOF
}
