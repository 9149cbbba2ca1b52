#!/usr/bin/env bats
# Memory pressure before the OOM kill (--memory-warn, --memory-warn-signal;
# docs/tether.8.md): a container with a real 64 MiB limit fills its tmpfs a
# few MiB at a time, and the shim's warning (an event on the control
# socket, and optionally a signal) comes before the kernel's OOM killer.
# This machine has cgroup v1: the usage threshold is what runs here; the v2
# path (memory.events high/max, PSI) has its parsers unit-tested only.
# tether only: conmon has no such thing.

load ../lib/monitor

setup() {
	tether_only_setup
}

teardown() {
	monitor_teardown
}

# 4 MiB more of /dev/shm (charged to the container's memory) every 50 ms,
# until USR1 comes, then a line saying how far it got.
FILL='trap "stop=1" USR1; i=0; while [ -z "$stop" ] && [ $i -lt 40 ]; do
	dd if=/dev/zero of=/dev/shm/f$i bs=1M count=4 2>/dev/null; i=$((i+1)); sleep 0.05; done
	echo "stopped after $((i*4)) MiB"'

subscribe() {
	ctl_req --timeout 60 '{"request":"subscribe"}' >"$T/events" &
	wait_for "[ -s '$T/events' ]" 10
}

events() {
	sed -n 's/.*"event":"\([a-z-]*\)".*/\1/p' "$T/events" | paste -sd,
}

@test "memory: a warning and the signal at 50% let the container stop in time" {
	limited_bundle 64 sh -c "$FILL"
	monitor_create --memory-warn 50% --memory-warn-signal USR1
	subscribe
	runtime_start
	wait_exit_file 60
	wait_for "grep -q '\"exited\"' '$T/events'" 20
	cat "$T/events"
	[ "$EXIT_CODE" = 0 ]
	[ "$(events)" = "memory-pressure,exited" ]
	python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "memory-pressure" in l][0]
assert ev["reason"] == "threshold", ev
assert ev["limit"] == 64 << 20, ev
assert 32 << 20 <= ev["usage"] <= 64 << 20, ev' "$T/events"
	# It stopped on the signal, well short of the limit.
	n=$(log_lines | sed -n 's/^stdout F stopped after \([0-9]*\) MiB$/\1/p')
	[ -n "$n" ] && [ "$n" -ge 32 ] && [ "$n" -lt 64 ]
}

@test "memory: without a signal the warning still comes before the OOM kill" {
	limited_bundle 64 sh -c "$FILL"
	monitor_create --memory-warn 40m
	subscribe
	runtime_start
	wait_exit_file 60
	wait_for "grep -q '\"exited\"' '$T/events'" 20
	cat "$T/events"
	[ "$(events)" = "memory-pressure,oom,exited" ]
	grep '"exited"' "$T/events" | grep -q '"oom":true'
}

@test "memory: bad thresholds are refused; a percentage without a limit only warns" {
	make_test_bundle -- true
	for bad in 0 0% 101% 12x -5 '' 5%% 99999999999999999999; do
		monitor_create --memory-warn "$bad" && false
		[[ "$SYNC_MESSAGE" == *"Invalid --memory-warn"* ]]
	done
	monitor_create --memory-warn 10m --memory-warn-signal NOPE && false
	[[ "$SYNC_MESSAGE" == *"Invalid --memory-warn-signal 'NOPE'"* ]]
	monitor_create --memory-warn-signal USR1 && false
	[[ "$SYNC_MESSAGE" == *"--memory-warn-signal needs --memory-warn"* ]]
	make_test_bundle -- sh -c 'echo fine'
	monitor_create --memory-warn 80% --diagnostics-file "$T/diag"
	runtime_start
	wait_exit_file 10
	[ "$EXIT_CODE" = 0 ]
	grep -q -- "--memory-warn 80%: the container has no memory limit" "$T/diag"
}

@test "memory: tetherctl run --memory-warn passes it on and keeps it" {
	load ../lib/ctl
	ctl_setup
	python3 - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["linux"]["resources"] = {"memory": {"limit": 64 << 20, "swap": 64 << 20}}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	ctl run -b "$BUNDLE" --memory-warn 50% --memory-warn-signal USR1 mem-ctl-000001 sh -c "$FILL"
	n=$(ctl logs mem-ctl-000001 | sed -n 's/^stopped after \([0-9]*\) MiB$/\1/p')
	[ -n "$n" ] && [ "$n" -ge 32 ] && [ "$n" -lt 64 ]
	grep -q '"memory_warn":"50%"' "$ROOT/containers/mem-ctl-000001/state.json" ||
		grep -q '"memory_warn": *"50%"' "$ROOT/containers/mem-ctl-000001/state.json"
	run ctl run -d -b "$BUNDLE" --memory-warn 0% mem-ctl-000002
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --memory-warn '0%'"* ]]
	run ctl run -d -b "$BUNDLE" --memory-warn-signal USR1 mem-ctl-000003
	[ "$status" -eq 125 ]
	[[ "$output" == *"it needs --memory-warn"* ]]
	ctl_teardown
}
