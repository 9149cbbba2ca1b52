#!/usr/bin/env bats
# The create life cycle as podman drives it: start pipe, daemonized first
# process, pid files, sync message, output, exit codes, signals
# (conmon-spec §2.1, §2.3, §2.4, §2.9, §2.11). Runs against tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

@test "the first process exits 0 right after create; the monitor lives on, daemonized" {
	make_test_bundle -- true
	CALLER_OPTS=(--pidfile "$T/first.pid")
	monitor_create
	[ "$CALLER_STATUS" -eq 0 ]
	[ "$MON_PID" != "$FIRST_PID" ]
	not kill -0 "$FIRST_PID" 2>/dev/null
	monitor_alive
	# Its own session: a caller's process group or terminal can go away.
	[ "$(ps -o sid= -p "$MON_PID" | tr -d ' ')" = "$MON_PID" ]
	# Created, not started: podman runs `runtime start` itself.
	[ "$(runtime_state)" = created ]
}

@test "-P holds the monitor's pid (decimal, no newline) before the first process exits" {
	make_test_bundle -- true
	CALLER_OPTS=(--check-file "$T/monitor.pid")
	monitor_create
	# What the caller saw right after reaping its child.
	local seen
	seen=$(json_get "$SYNC_JSON" "j['files']['$T/monitor.pid']")
	[[ "$seen" =~ ^[1-9][0-9]*$ ]]
	[ "$seen" = "$MON_PID" ]
	[ "$(wc -c <"$T/monitor.pid")" -eq "${#MON_PID}" ]
	# A live process running the monitor.
	kill -0 "$MON_PID"
	[ "$(tr '\0' '\n' <"/proc/$MON_PID/cmdline" | head -1)" = "$MONITOR" ]
	tr '\0' '\n' <"/proc/$MON_PID/cmdline" | grep -qxF -- "$CID"
}

@test "-p holds the container's pid, the one in the sync message" {
	make_test_bundle -- sleep 100
	monitor_create
	[ "$(cat "$T/pidfile")" = "$CTR_PID" ]
	kill -0 "$CTR_PID"
	runtime_start
	[ "$(runtime_state)" = running ]
	# The container's init is the monitor's child (subreaper or parent).
	local ppid
	ppid=$(ps -o ppid= -p "$CTR_PID" | tr -d ' ')
	[ "$ppid" = "$MON_PID" ]
}

@test "exit code 0 and the container's output" {
	run_container sh -c 'echo hello; echo world'
	[ "$EXIT_CODE" = 0 ]
	[ "$(log_stream stdout)" = "hello
world" ]
}

@test "exit code 1" {
	run_container sh -c 'echo failing >&2; exit 1'
	[ "$EXIT_CODE" = 1 ]
	log_has "stderr F failing"
}

@test "exit code 255" {
	run_container sh -c 'exit 255'
	[ "$EXIT_CODE" = 255 ]
}

@test "a child killed by SIGKILL inside (kill -9 \$\$) gives 137" {
	# pid 1 cannot be killed from inside its namespace, so a child shell
	# dies and pid 1 passes its status on.
	run_container sh -c 'sh -c "kill -9 \$\$"; exit $?'
	[ "$EXIT_CODE" = 137 ]
}

@test "a container killed by a signal gives 128+N (runtime kill KILL -> 137)" {
	make_test_bundle -- sh -c 'echo ready; exec sleep 100'
	monitor_create
	runtime_start
	wait_for 'log_has "stdout F ready"'
	runtime_kill KILL
	wait_exit_file
	[ "$EXIT_CODE" = 137 ]
	wait_monitor_gone
}

@test "many short containers: exit codes 0 1 2 127 128 255 are all reported" {
	local code
	for code in 0 1 2 127 128 255; do
		monitor_teardown
		monitor_setup
		run_container sh -c "echo code $code; exit $code"
		[ "$EXIT_CODE" = "$code" ]
		log_has "stdout F code $code"
		wait_monitor_gone
	done
}

@test "SIGTERM to the monitor is forwarded to the container" {
	make_test_bundle -- sh -c 'trap "echo got TERM; exit 42" TERM; echo ready; while :; do sleep 0.05; done'
	monitor_create
	runtime_start
	wait_for 'log_has "stdout F ready"'
	kill -TERM "$MON_PID"
	wait_exit_file
	[ "$EXIT_CODE" = 42 ]
	log_has "stdout F got TERM"
	wait_monitor_gone
}

@test "the monitor exits once the container has exited and the exit file is written" {
	run_container true
	wait_monitor_gone
	[ "$EXIT_CODE" = 0 ]
}

@test "a start pipe closed without a byte (EOF) also lets the monitor go on" {
	make_test_bundle -- sh -c 'exit 6'
	CALLER_OPTS=(--no-start-byte)
	monitor_create
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 6 ]
}

@test "without _OCI_STARTPIPE the monitor does not wait" {
	make_test_bundle -- sh -c 'exit 8'
	CALLER_OPTS=(--no-start-pipe)
	monitor_create
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 8 ]
}
