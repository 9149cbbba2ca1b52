#!/usr/bin/env bats
# The attach socket: where it is, what it is, what clients receive
# (conmon-spec §2.6). Runs against tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

@test "attach socket at SOCKET_DIR/CUUID/attach: a symlink to the bundle, srwx------, SOCK_SEQPACKET" {
	make_test_bundle -- true
	monitor_create
	[ -L "$T/sock/$CID" ]
	[ "$(readlink -f "$T/sock/$CID")" = "$(readlink -f "$T/bundle")" ]
	[ -S "$T/bundle/attach" ]
	[ -S "$T/sock/$CID/attach" ]
	[ "$(stat -c %A "$T/bundle/attach")" = srwx------ ]
	# A SEQPACKET client connects (a stream socket would refuse it).
	python3 - "$T/sock/$CID/attach" <<'EOF'
import os, socket, sys
fd = os.open(sys.argv[1], os.O_PATH)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/proc/self/fd/%d" % fd)
assert s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_SEQPACKET
t = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    t.connect("/proc/self/fd/%d" % fd)
    sys.exit("a SOCK_STREAM client could connect")
except OSError:
    pass
EOF
}

@test "--full-attach: the socket is BUNDLE/attach and no symlink is made" {
	make_test_bundle -- true
	monitor_create --full-attach
	[ -S "$T/bundle/attach" ]
	[ "$(stat -c %A "$T/bundle/attach")" = srwx------ ]
	[ ! -e "$T/sock/$CID" ]
	[ ! -L "$T/sock/$CID" ]
}

@test "a client connected before start gets stdout as 2-prefixed and stderr as 3-prefixed packets, then EOF" {
	make_test_bundle -- sh -c 'echo out1; echo err1 >&2; printf partial; exit 5'
	monitor_create
	attach_start
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 5 ]
	attach_wait
	[ "$ATTACH_STATUS" -eq 0 ]
	[ "$(json_get "$ATTACH_JSON" 'j["eof"]')" = true ]
	[ "$(json_get "$ATTACH_JSON" 'j["bad_prefix"]')" = 0 ]
	[ "$(cat "$T/attach.stdout")" = "out1
partial" ]
	[ "$(cat "$T/attach.stderr")" = "err1" ]
	# Only stdout and stderr packets.
	[ "$(json_get "$ATTACH_JSON" 'sorted(j["streams"])')" = '["2", "3"]' ]
}

@test "--full-attach client gets the output too" {
	make_test_bundle -- sh -c 'echo full; exit 0'
	monitor_create --full-attach
	ATTACH_PATH=$T/bundle/attach attach_start
	runtime_start
	wait_exit_file
	attach_wait
	[ "$ATTACH_STATUS" -eq 0 ]
	[ "$(cat "$T/attach.stdout")" = full ]
}

@test "attach packets carry at most 8192 bytes of data (8193 with the prefix), nothing lost" {
	make_test_bundle -- sh -c 'head -c 100000 /dev/zero | tr "\0" y; head -c 30000 /dev/zero | tr "\0" z >&2'
	monitor_create
	attach_start
	runtime_start
	wait_exit_file
	attach_wait
	[ "$ATTACH_STATUS" -eq 0 ]
	[ "$(json_get "$ATTACH_JSON" 'j["max_len"]')" -le 8193 ]
	[ "$(json_get "$ATTACH_JSON" 'j["streams"]["2"]')" -eq 100000 ]
	[ "$(json_get "$ATTACH_JSON" 'j["streams"]["3"]')" -eq 30000 ]
	[ "$(tr -d y <"$T/attach.stdout" | wc -c)" -eq 0 ]
	[ "$(tr -d z <"$T/attach.stderr" | wc -c)" -eq 0 ]
	# The log got all of it as well.
	[ "$(log_stream stdout | wc -c)" -eq 100000 ]
	[ "$(log_stream stderr | wc -c)" -eq 30000 ]
}

@test "two clients both get the whole output" {
	make_test_bundle -- sh -c 'echo one; echo two >&2'
	monitor_create
	attach_start
	local first=$ATTACH_PID
	python3 "$LIB/attach_client.py" "$T/sock/$CID/attach" --out "$T/second" --ready "$T/second.ready" \
		>/dev/null 2>"$T/second.err" </dev/null 3>&- &
	local second=$!
	BG_PIDS+=("$second")
	wait_for "[ -e '$T/second.ready' ]"
	runtime_start
	wait_exit_file
	ATTACH_PID=$first attach_wait
	[ "$ATTACH_STATUS" -eq 0 ]
	wait "$second"
	[ "$(cat "$T/attach.stdout")" = one ]
	[ "$(cat "$T/second.stdout")" = one ]
	[ "$(cat "$T/attach.stderr")" = two ]
	[ "$(cat "$T/second.stderr")" = two ]
}

@test "a client that connects and shuts down its write side still gets the output" {
	make_test_bundle -- sh -c 'echo still here'
	monitor_create
	attach_start --shutdown-write
	runtime_start
	wait_exit_file
	attach_wait
	[ "$ATTACH_STATUS" -eq 0 ]
	[ "$(cat "$T/attach.stdout")" = "still here" ]
}

@test "the attach socket is removed at exit" {
	make_test_bundle -- true
	monitor_create
	[ -S "$T/bundle/attach" ]
	runtime_start
	wait_exit_file
	wait_for "[ ! -e '$T/bundle/attach' ]"
	wait_monitor_gone
	[ ! -e "$T/bundle/attach" ]
	# The FIFOs stay (podman removes them before a restart).
	[ -p "$T/bundle/ctl" ]
}

@test "the SOCKET_DIR/CUUID symlink is removed at exit" {
	skip_for conmon "conmon 2.1.6 leaks the socket-dir symlink (fixed in 2.1.7; conmon-spec §2.1 step 14j)"
	make_test_bundle -- true
	monitor_create
	[ -L "$T/sock/$CID" ]
	runtime_start
	wait_exit_file
	wait_monitor_gone
	[ ! -L "$T/sock/$CID" ]
}
