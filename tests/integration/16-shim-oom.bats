#!/usr/bin/env bats
# OOM (conmon-spec §2.10): a container killed by the kernel's OOM killer in
# its memory cgroup gets an empty "oom" file in --persist-dir and in the
# bundle, where podman 4 and CRI-O look. Real runc, a real 20 MiB limit.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

@test "OOM-killed: exit 137 and an oom file in --persist-dir" {
	limited_bundle 20 sh -c 'exec dd if=/dev/zero of=/dev/null bs=64M count=1'
	mkdir -p "$T/persist"
	monitor_create --persist-dir "$T/persist"
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 137 ]
	[ -f "$T/persist/oom" ] && [ ! -s "$T/persist/oom" ]
}

@test "OOM-killed: an oom file in the bundle, where podman 4.3 and CRI-O look" {
	skip_for conmon "conmon 2.1.6 writes it in its own cwd instead (fixed in 2.1.13)"
	limited_bundle 20 sh -c 'exec dd if=/dev/zero of=/dev/null bs=64M count=1'
	monitor_create
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 137 ]
	[ -f "$T/bundle/oom" ]
}

@test "no OOM, no oom file" {
	limited_bundle 20 sh -c 'exit 0'
	mkdir -p "$T/persist"
	monitor_create --persist-dir "$T/persist"
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	[ ! -e "$T/persist/oom" ] && [ ! -e "$T/bundle/oom" ]
}
