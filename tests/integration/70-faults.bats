#!/usr/bin/env bats
# Faults against a real runc, tether only (docs/reliability.md): a runtime
# that hangs at create, signals to the monitor, a zombie left in the
# container, attach clients that send garbage or vanish mid-stream, and
# tetherctl killed -9 at each step of create, start and stop. Cases already
# covered elsewhere (the caller killed -9, output still in the pipe, a full
# disk, a client that stalls) are listed in docs/reliability.md, not
# repeated here.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

# nothing_left: no process mentions the container id and the runtime knows
# no container, within a bounded wait.
nothing_left() {
	wait_for "! pgrep -f -- '$CID' >/dev/null" 10 || {
		pgrep -af -- "$CID" >&2
		return 1
	}
	[ -z "$("$RUNC_BIN" --root "$T/runc" list -q 2>/dev/null)" ]
}

@test "the runtime hanging at create: SIGTERM to the monitor ends it; failure reported, nothing left" {
	# runc create blocks in a real hook that never returns (until killed).
	make_test_bundle --hook createRuntime "echo \$\$ > $T/hook.pid; exec sleep 600 # $CID" \
		-- echo never
	monitor_argv
	bg caller python3 "$LIB/caller.py" --timeout 60 --wait-timeout 60 -- "${MONITOR_ARGV[@]}"
	local caller_pid=$BG_PID
	wait_for "[ -s '$T/hook.pid' ] && [ -s '$T/monitor.pid' ]" 20
	MON_PID=$(cat "$T/monitor.pid")
	monitor_alive
	# runc ignores the forwarded SIGTERM; the monitor then kills it whole.
	kill -TERM "$MON_PID"
	wait_for "! kill -0 $caller_pid 2>/dev/null" 30
	wait_monitor_gone 10
	SYNC_JSON=$(cat "$T/caller.out")
	[ "$(json_get "$SYNC_JSON" 'j["sync"]["data"]')" = -1 ]
	[ -n "$(json_get "$SYNC_JSON" 'j["sync"]["message"]')" ]
	nothing_left
	[ ! -e "$T/exits/$CID" ]
}

@test "SIGHUP to the monitor is ignored: the container runs on, its exit code and output are kept" {
	make_test_bundle -- sh -c 'trap "echo bye; exit 9" TERM; echo up; while :; do sleep 0.1; done'
	monitor_create
	runtime_start
	wait_for "log_has 'stdout F up'" 10
	kill -HUP "$MON_PID"
	kill -HUP "$MON_PID"
	runtime_kill TERM
	wait_exit_file 20
	[ "$EXIT_CODE" = 9 ]
	[ "$(log_stream stdout)" = "up
bye" ]
	wait_monitor_gone 10
}

@test "a zombie left in the container: the exit code is init's, and nothing is left" {
	# The child exits once its parent has become tail, which never waits:
	# a zombie until the container ends.
	local child='while [ "$(cat /proc/$PPID/comm)" != tail ]; do sleep 0.05; done; exit 42'
	make_test_bundle -- sh -c "sh -c '$child' & exec tail -f /dev/null"
	monitor_create
	runtime_start
	wait_for "grep -ls '^PPid:[[:space:]]*$CTR_PID\$' /proc/[0-9]*/status | xargs -r grep -ls '^State:[[:space:]]*Z' | grep -q ." 10
	runtime_kill KILL
	wait_exit_file 20
	[ "$EXIT_CODE" = 137 ]
	wait_monitor_gone 10
	not grep -qs "^PPid:[[:space:]]*$CTR_PID\$" /proc/[0-9]*/status
}

# k8s_stream FILE STREAM: what the container wrote on STREAM, rebuilt from a
# k8s-file log byte for byte (binary-safe, unlike log_stream).
k8s_stream() {
	python3 - "$1" "$2" <<-'PY'
	import sys
	out = bytearray()
	for rec in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
	    ts, stream, tag, content = rec.split(b" ", 3)
	    if stream.decode() == sys.argv[2]:
	        out += content + (b"\n" if tag == b"F" else b"")
	sys.stdout.buffer.write(out)
	PY
}

@test "attach garbage: 1 MiB of random bytes in random-sized packets reaches stdin whole" {
	make_test_bundle -- cat
	head -c 1048576 /dev/urandom >"$T/garbage"
	monitor_create -i --full-attach
	python3 - "$T/bundle/attach" "$T/garbage" "$T/echoed" >"$T/client.out" 2>&1 <<-'PY' &
	import os, random, socket, sys
	fd = os.open(sys.argv[1], os.O_PATH)
	s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	s.connect("/proc/self/fd/%d" % fd)
	data = open(sys.argv[2], "rb").read()
	got = bytearray()
	s.setblocking(False)
	off = 0
	import selectors
	sel = selectors.DefaultSelector()
	sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
	while True:
	    for key, ev in sel.select(30):
	        if ev & selectors.EVENT_READ:
	            pkt = s.recv(65536)
	            if not pkt:
	                open(sys.argv[3], "wb").write(got)
	                sys.exit(0)
	            if pkt[0] == 2:
	                got += pkt[1:]
	        if ev & selectors.EVENT_WRITE and off < len(data):
	            n = random.randint(1, 40000)
	            try:
	                off += s.send(data[off:off + n])
	            except BlockingIOError:
	                pass
	            if off >= len(data):
	                s.shutdown(socket.SHUT_WR)
	                sel.modify(s, selectors.EVENT_READ)
	PY
	local client=$!
	runtime_start
	wait_exit_file 60
	[ "$EXIT_CODE" = 0 ]
	wait "$client"
	# What cat echoed, as the client got it and as the log has it.
	cmp "$T/garbage" "$T/echoed"
	k8s_stream "$T/ctr.log" stdout | cmp "$T/garbage" -
}

@test "attach clients that vanish (killed -9) mid-stream: no line lost, the monitor's fds back to before" {
	# 20000 numbered lines, produced while 20 clients are connected.
	make_test_bundle -- sh -c 'i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done; echo done; while :; do sleep 0.1; done'
	monitor_create --full-attach
	local before
	before=$(ls "/proc/$MON_PID/fd" | wc -l)
	python3 - "$T/bundle/attach" "$T/clients.ready" <<-'PY' 3>&- &
	import os, socket, sys, time
	socks = []
	for i in range(20):
	    fd = os.open(sys.argv[1], os.O_PATH)
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	    s.connect("/proc/self/fd/%d" % fd)
	    os.close(fd)
	    socks.append(s)
	open(sys.argv[2], "w").close()
	while True:  # read a little from each, then stall, until killed
	    for s in socks:
	        s.recv(65536)
	PY
	local clients=$!
	wait_for "[ -e '$T/clients.ready' ]" 10
	[ "$(ls "/proc/$MON_PID/fd" | wc -l)" -ge $((before + 20)) ]
	runtime_start
	wait_for "[ \$(wc -l < '$T/ctr.log') -ge 100 ]" 20
	kill -KILL "$clients"
	wait_for "log_has 'stdout F done'" 60
	log_stream stdout | head -n 20000 >"$T/got"
	seq 0 19999 | sed 's/^/line /' | cmp - "$T/got"
	wait_for "[ \$(ls /proc/$MON_PID/fd | wc -l) -le $before ]" 10
	monitor_alive
}
