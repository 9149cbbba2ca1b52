#!/usr/bin/env bats
# -T/--timeout (conmon-spec §2.16): the container is killed after N seconds
# and the exit file says -1. Runs against tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

@test "-T 1: a container still running after 1 s is killed; the exit file says -1" {
	# A duration of its own: other test runs on this machine sleep too.
	local secs=$((100000 + RANDOM))
	make_test_bundle -- sh -c "echo started; sleep $secs & wait"
	monitor_create -T 1
	runtime_start
	wait_exit_file 10
	[ "$EXIT_CODE" = -1 ]
	log_stream stdout | grep -qx started
	# Nothing of it is left running: the whole process group went.
	[ "$(runtime_state)" = stopped ]
	not pgrep -f "sleep $secs"
}

@test "-T: a container that ends in time keeps its own exit code" {
	make_test_bundle -- sh -c 'exit 7'
	monitor_create -T 30
	runtime_start
	wait_exit_file 10
	[ "$EXIT_CODE" = 7 ]
}
