#!/usr/bin/env bats
# The monitor's command line and the sync message grammar, as podman and
# CRI-O use them (conmon-spec §1, §2.3). Runs against tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

@test "--version: first line 'conmon version X.Y.Z', a second line, exit 0" {
	run "$MONITOR" --version
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^conmon\ version\ ([0-9]+)\.([0-9]+)\.([0-9]+)$ ]]
	# podman needs >= 2.0.1; CRI-O enables --sync from 2.0.19 and
	# --log-global-size-max from 2.1.2: claim at least 2.1.2.
	local v=$((BASH_REMATCH[1] * 10000 + BASH_REMATCH[2] * 100 + BASH_REMATCH[3]))
	[ "$v" -ge 20102 ]
	# CRI-O takes the third whitespace-separated field as semver.
	[ "$(awk 'NR == 1 { print $3 }' <<<"$output")" = "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}" ]
	[ -n "${lines[1]}" ]
}

@test "--help lists --log-global-size-max (CRI-O greps for it) and exits 0" {
	run "$MONITOR" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *--log-global-size-max* ]]
}

@test "an unknown option fails with a non-zero exit and starts nothing" {
	make_test_bundle -- true
	monitor_argv --no-such-option
	run "${MONITOR_ARGV[@]}"
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-option* ]]
	[ ! -e "$T/monitor.pid" ]
	[ ! -e "$T/runc" ]
}

@test "a missing --cid fails with a non-zero exit and starts nothing" {
	make_test_bundle -- true
	run "$MONITOR" --api-version 1 -u "$CID" -r "$RUNC" -b "$T/bundle" \
		-p "$T/pidfile" -P "$T/monitor.pid" --exit-dir "$T/exits" \
		-l "k8s-file:$T/ctr.log" --socket-dir-path "$T/sock" \
		--runtime-arg "--root=$T/runc"
	[ "$status" -ne 0 ]
	[ ! -e "$T/monitor.pid" ]
	[ ! -e "$T/runc" ]
}

@test "sync message with --api-version 1 is exactly {\"data\": PID}" {
	make_test_bundle -- true
	monitor_create
	[ "$SYNC_COUNT" -eq 1 ]
	[[ "$SYNC_RAW" =~ ^\{\"data\":\ [1-9][0-9]*\}$'\n'$ ]]
	[ "$SYNC_KEYS" = data ]
}

@test "--api-version=1 (one argument) is accepted as --api-version 1" {
	make_test_bundle -- true
	caller -- "$MONITOR" --api-version=1 -c "$CID" -u "$CID" -r "$RUNC" \
		-b "$T/bundle" -p "$T/pidfile" -P "$T/monitor.pid" \
		--exit-dir "$T/exits" -l "k8s-file:$T/ctr.log" \
		--socket-dir-path "$T/sock" --runtime-arg "--root=$T/runc"
	[ "$CALLER_STATUS" -eq 0 ]
	[[ "$SYNC_RAW" =~ ^\{\"data\":\ [1-9][0-9]*\}$'\n'$ ]]
}

@test "without --api-version the sync message uses the legacy key {\"pid\": PID}" {
	make_test_bundle -- true
	caller -- "$MONITOR" -c "$CID" -u "$CID" -r "$RUNC" \
		-b "$T/bundle" -p "$T/pidfile" -P "$T/monitor.pid" \
		--exit-dir "$T/exits" -l "k8s-file:$T/ctr.log" \
		--socket-dir-path "$T/sock" --runtime-arg "--root=$T/runc"
	[ "$CALLER_STATUS" -eq 0 ]
	[[ "$SYNC_RAW" =~ ^\{\"pid\":\ [1-9][0-9]*\}$'\n'$ ]]
	[ "$SYNC_DATA" -eq "$(cat "$T/pidfile")" ]
}

@test "CRI-O's command line: stream socketpairs, short options, legacy keys, persist dir" {
	make_test_bundle -- sh -c 'echo crio; exit 4'
	mkdir -p "$T/persist"
	caller --sync-type stream -- "$MONITOR" -b "$T/bundle" -c "$CID" \
		--exit-dir "$T/exits" -l "$T/ctr.log" --log-level info -n name-$CID \
		-P "$T/monitor.pid" -p "$T/pidfile" --persist-dir "$T/persist" \
		-r "$RUNC" --runtime-arg "--root=$T/runc" --socket-dir-path "$T/sock" \
		--syslog -u "$CID"
	[ "$CALLER_STATUS" -eq 0 ]
	[[ "$SYNC_RAW" =~ ^\{\"pid\":\ [1-9][0-9]*\}$'\n'$ ]]
	MON_PID=$(cat "$T/monitor.pid")
	[ -S "$T/sock/$CID/attach" ]
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 4 ]
	[ "$(cat "$T/persist/exit")" = 4 ]
	log_has "stdout F crio"
}

@test "stray positional arguments are ignored" {
	make_test_bundle -- true
	monitor_create stray positional
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
}
