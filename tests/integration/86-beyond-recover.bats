#!/usr/bin/env bats
# Crash recovery (docs/crash-recovery.md): a shim that crashes re-executes
# itself in place from the state it keeps current, so the container stays
# its child: it logs on with no line lost, its exit code is still reported,
# the sockets and FIFOs still answer. The crash is a real signal of a crash
# (SIGSEGV, SIGBUS) sent to the shim: its handler cannot tell it from a
# fault of its own except by the sender, which only matters for SIGABRT.
# Real runc. tether only.

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

control() { # ID REQUEST
	python3 "$REPO/tests/lib/control_client.py" "$ROOT/containers/$1/control" "$2"
}

# The new image is up: the control socket counts the recovery.
wait_recovered() { # ID N
	wait_until 10 eval "control $1 '{\"request\":\"stats\"}' | grep -q '\"recoveries\":$2'"
}

@test "recover: a SIGSEGV'd shim keeps its pid and container, no line lost, exit code kept" {
	local id=rc-segv-0000001 pid
	ctl run -d -b "$BUNDLE" $id sh -c \
		'trap "exit 7" TERM; i=0; while :; do i=$((i+1)); echo "line $i"; [ $((i % 50)) = 0 ] && sleep 0.01; done'
	pid=$(ctl_shim_pid $id)
	wait_until 10 grep -q 'line 200$' "$ROOT/containers/$id/ctr.log"
	kill -SEGV "$pid"
	wait_recovered $id 1
	# The same process, a new image; the container still its child.
	[ "$(ctl_shim_pid $id)" = "$pid" ]
	kill -0 "$pid"
	local cpid
	cpid=$(control $id '{"request":"state"}' | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	[ -n "$cpid" ]
	[ "$(awk '{print $4}' "/proc/$cpid/stat")" = "$pid" ]
	# It logs on, and reports the container's own exit code.
	ctl_logs_grow $id 100
	ctl kill $id TERM
	run ctl wait $id
	[ "$output" = 7 ]
	local log
	log=$(contiguous "$ROOT/containers/$id/ctr.log")
	echo "log: $log"
	[[ "$log" =~ ^1\ ([0-9]+)\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

@test "recover: sockets, FIFOs and the terminal go on; a cut attach client can come back" {
	local id=rc-tty-00000001 pid
	ctl run -d -t -b "$BUNDLE" $id sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.02; done'
	pid=$(ctl_shim_pid $id)
	ctl_attach_bg $id "$BATS_TEST_TMPDIR/before.out"
	local attach=$BG_PID
	ctl events --follow $id >"$BATS_TEST_TMPDIR/events" 2>&1 &
	BG_PIDS+=($!)
	local events=$!
	# Subscribed before the crash: a log reopen (ctl FIFO) reaches it.
	wait_until 10 eval 'printf "2 0 0\n" >"$ROOT/containers/$id/ctl"; grep -q log-rotated "$BATS_TEST_TMPDIR/events"'
	kill -BUS "$pid"
	wait_recovered $id 1
	# Connections are cut (their queues are not saved): both clients end.
	wait_until 10 eval '! kill -0 '"$attach"' 2>/dev/null'
	wait_until 10 eval '! kill -0 '"$events"' 2>/dev/null'
	# The attach socket, the control socket, the ctl FIFO and the PTY are the
	# same: a new client gets the output, a resize reaches the terminal.
	ctl_attach_bg $id "$BATS_TEST_TMPDIR/after.out"
	ctl resize $id 33 101
	wait_until 10 eval '[ "$(ctl exec $id stty -F /dev/console size)" = "33 101" ]'
	printf '1 40 120\n' >"$ROOT/containers/$id/ctl"
	wait_until 10 eval '[ "$(ctl exec $id stty -F /dev/console size)" = "40 120" ]'
	ctl kill $id KILL
	run ctl wait $id
	[ "$output" = 137 ]
}

@test "recover: a second crash within 10 s is not recovered from; another's SIGABRT kills" {
	local id=rc-loop-0000001 pid
	ctl run -d -b "$BUNDLE" $id sleep 1000
	pid=$(ctl_shim_pid $id)
	kill -SEGV "$pid"
	wait_recovered $id 1
	# The same crash again at once would loop: it dies of it instead.
	kill -SEGV "$pid"
	wait_until 10 eval '! kill -0 '"$pid"' 2>/dev/null'
	run ctl ps --all
	echo "$output"
	[[ "$output" == *shim-dead* ]]
	ctl rm --force $id

	local id2=rc-abrt-0000001 pid2
	ctl run -d -b "$BUNDLE" $id2 sleep 1000
	pid2=$(ctl_shim_pid $id2)
	# systemd's watchdog (WatchdogSignal=SIGABRT), someone after a core.
	kill -ABRT "$pid2"
	wait_until 10 eval '! kill -0 '"$pid2"' 2>/dev/null'
	ctl rm --force $id2
}

@test "recover: counted in stats and metrics; a stop under way keeps its deadline" {
	local id=rc-time-0000001 pid
	ctl run -d -b "$BUNDLE" --stop-timeout 3 $id sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	pid=$(ctl_shim_pid $id)
	# The shim's own stop (as systemd asks it): SIGKILL 3 s after the
	# container's SIGTERM, crash or not.
	kill -TERM "$pid"
	local t0=$SECONDS
	wait_until 10 eval "control $id '{\"request\":\"state\"}' | grep -q '\"stopping\":true'"
	kill -SEGV "$pid"
	wait_recovered $id 1
	ctl stats --prometheus $id | grep -E '^tether_shim_recoveries_total\{container_id="'$id'".*\} 1$'
	run timeout $((20 * SCALE)) "$TETHERCTL" --root "$ROOT" wait $id
	echo "wait: $status $output"
	[ "$output" = 137 ] || { ps -ef | grep -v grep | grep -E "sleep|sh -c|tether" >&2; control $id '{"request":"state"}' >&2; }
	[ "$output" = 137 ]
	echo "stopped after $((SECONDS - t0)) s"
	[ $((SECONDS - t0)) -le $((8 * SCALE)) ]
}
