#!/usr/bin/env bats
# Failures and a caller that goes away: what the caller is told, and that
# nothing is left behind (conmon-spec §1.1, §2.1, §2.3). Runs against tether
# and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

# nothing_running: no process mentions the container id and the runtime
# knows no container, within a bounded wait.
nothing_running() {
	wait_for "! pgrep -f -- '$CID' >/dev/null" 10 || {
		echo "still running:" >&2
		pgrep -af -- "$CID" >&2
		return 1
	}
	[ -z "$("$RUNC_BIN" --root "$T/runc" list -q 2>/dev/null)" ]
}

@test "a missing runtime path gives a non-zero result and starts nothing" {
	make_test_bundle -- true
	RUNC=$T/no/such/runc
	monitor_argv
	caller -- "${MONITOR_ARGV[@]}" || true
	# conmon exits 1 before forking; a monitor that reports on the sync pipe
	# instead must report a failure there.
	[ "$CALLER_STATUS" != 0 ] || [ "$SYNC_DATA" = -1 ]
	nothing_running
	[ ! -e "$T/exits/$CID" ]
}

@test "a missing runtime path is reported on the sync pipe as {\"data\": -1, \"message\": ...}" {
	skip_for conmon "conmon 2.1.6 exits 1 without a sync message, so podman cannot say why (conmon-spec §5, error propagation)"
	make_test_bundle -- true
	RUNC=$T/no/such/runc
	monitor_argv
	caller -- "${MONITOR_ARGV[@]}"
	[ "$CALLER_STATUS" -ne 0 ]
	[[ "$SYNC_RAW" =~ ^\{\"data\":\ -1,\ \"message\":\ \".+\"\}$'\n'$ ]]
	[[ "$SYNC_MESSAGE" == *"$T/no/such/runc"* ]]
	nothing_running
}

@test "a bundle without config.json: {\"data\": -1, \"message\": <runc's error>}, nothing left running" {
	mkdir -p "$T/bundle"
	monitor_argv
	caller -- "${MONITOR_ARGV[@]}"
	[ "$SYNC_COUNT" -eq 1 ]
	[[ "$SYNC_RAW" =~ ^\{\"data\":\ -1,\ \"message\":\ \".+\"\}$'\n'$ ]]
	[ "$SYNC_KEYS" = "data message" ]
	# The runtime's own error text, JSON-escaped.
	[[ "$SYNC_MESSAGE" == *"config.json"* ]]
	[[ "$SYNC_MESSAGE" == *"runc create failed"* ]]
	nothing_running
	[ ! -e "$T/exits/$CID" ]
}

@test "a bundle without config.json, legacy keys: {\"pid\": -1, \"message\": ...}" {
	mkdir -p "$T/bundle"
	caller -- "$MONITOR" -c "$CID" -u "$CID" -r "$RUNC" \
		-b "$T/bundle" -p "$T/pidfile" -P "$T/monitor.pid" \
		--exit-dir "$T/exits" -l "k8s-file:$T/ctr.log" \
		--socket-dir-path "$T/sock" --runtime-arg "--root=$T/runc"
	[[ "$SYNC_RAW" =~ ^\{\"pid\":\ -1,\ \"message\":\ \".+\"\}$'\n'$ ]]
	nothing_running
}

@test "a long runtime error is cut to fit podman's 4096-byte read, keeping its end" {
	skip_for conmon "conmon 2.1.6 sends up to 8 KiB of runtime stderr in one message, beyond podman's 4096-byte read (conmon-spec §2.3)"
	make_test_bundle -- true
	cat >"$T/badruntime" <<'EOF'
#!/bin/sh
head -c 8000 /dev/zero | tr '\0' e >&2
echo ' "quoted" the real reason' >&2
exit 1
EOF
	chmod +x "$T/badruntime"
	RUNC=$T/badruntime
	monitor_argv
	caller -- "${MONITOR_ARGV[@]}"
	[ "${#SYNC_RAW}" -lt 4096 ]
	[ "$SYNC_DATA" = -1 ]
	[[ "$SYNC_MESSAGE" == *' "quoted" the real reason'* ]]
	nothing_running
}

@test "the caller killed -9 while the container runs: the exit file is still written" {
	make_test_bundle -- sh -c 'trap "exit 5" USR1; echo ready; while :; do sleep 0.05; done'
	monitor_argv
	# podman itself may die; its process group goes with it.
	bg caller python3 "$LIB/caller.py" --setsid --read-all --timeout 60 -- "${MONITOR_ARGV[@]}"
	local caller_pid=$BG_PID
	wait_for "[ -s '$T/monitor.pid' ] && [ \"\$(runtime_state)\" = created ]"
	MON_PID=$(cat "$T/monitor.pid")
	runtime_start
	wait_for 'log_has "stdout F ready"'
	kill -KILL -- "-$caller_pid"
	local st=0
	wait "$caller_pid" || st=$?
	[ "$st" -eq 137 ]
	monitor_alive
	[ "$(runtime_state)" = running ]
	runtime_kill USR1
	wait_exit_file
	[ "$EXIT_CODE" = 5 ]
	wait_monitor_gone
}

@test "the caller gone before the sync message: the container is still monitored" {
	make_test_bundle -- sh -c 'exit 11'
	monitor_argv
	# The caller closes its end of the sync pipe without reading: the
	# monitor's write fails (EPIPE) and it must carry on (conmon 2.1.6
	# exits; main and tether go on).
	skip_for conmon "conmon 2.1.6 exits when the sync pipe is broken (conmon-spec §2.3, fixed in main)"
	python3 - "${MONITOR_ARGV[@]}" <<'EOF'
import os, socket, subprocess, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
a.close()
env = dict(os.environ, _OCI_SYNCPIPE=str(b.fileno()))
p = subprocess.Popen(sys.argv[1:], env=env, pass_fds=[b.fileno()], stdout=subprocess.DEVNULL)
b.close()
sys.exit(p.wait())
EOF
	wait_for "[ -s '$T/monitor.pid' ] && [ \"\$(runtime_state)\" = created ]"
	MON_PID=$(cat "$T/monitor.pid")
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 11 ]
}
