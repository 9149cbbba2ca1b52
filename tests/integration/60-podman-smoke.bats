#!/usr/bin/env bats
# podman 4.3 driving tether as its monitor: the smoke test the foundation
# promises. The compatibility suite, every case run with tether and with
# conmon and compared, is tests/compat (make check-compat); this file shares
# its set-up.

load ../compat/helpers

setup_file() { compat_setup_file; }
teardown_file() { compat_teardown_file; }

@test "podman run --rm with tether prints the output and returns the exit code" {
	MON=tether
	local out s=0
	# (stdout only: podman may warn on stderr that cgroups are read-only.)
	out=$(pod run --rm --network none "$IMG" sh -c 'echo hi; exit 3' 2>/dev/null) || s=$?
	[ "$s" -eq 3 ]
	[ "$out" = "hi" ]
}

@test "podman run -d, logs, stop, inspect, rm with tether; no monitor left behind" {
	MON=tether
	ID=$(pod run -d --network none "$IMG" sh -c \
		'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.1; done')
	wait_until 10 log_has started
	# podman's conmon_path is tether, and tether is what runs.
	local mon_pid
	mon_pid=$(pod inspect "$ID" --format '{{.State.ConmonPid}}')
	[ "$(readlink -f "/proc/$mon_pid/exe")" = "$(readlink -f "$TETHER")" ]
	pod stop -t 10 "$ID"
	[ "$(state)" = "exited 7" ]
	[ "$(pod logs "$ID")" = "$(printf 'started\ngot-term')" ]
	pod rm "$ID"
	refute pgrep -f -- "-c $ID" >/dev/null
}
