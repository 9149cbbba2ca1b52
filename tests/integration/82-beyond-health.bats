#!/usr/bin/env bats
# Health checks run by the monitor itself (--health-cmd and friends; no
# systemd timer, no podman): the runtime's exec of the command in the
# container every interval, podman's states (starting, healthy, unhealthy)
# in the state reply and as health_status events, the action on failure,
# WATCHDOG=trigger under systemd. tether only.

load ../lib/monitor

setup() {
	tether_only_setup
}

teardown() {
	monitor_teardown
}

subscribe() {
	ctl_req --timeout 60 '{"request":"subscribe"}' >"$T/events" &
	BG_PIDS+=($!)
	wait_for "[ -s '$T/events' ]" 10
}

statuses() {
	python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(",".join(e["status"] for e in ev if e.get("event") == "health_status"))' "$T/events"
}

health() { # FIELD: from the state reply's "health"
	ctl_req '{"request":"state"}' | python3 -c 'import json, sys
h = json.load(sys.stdin).get("health", {})
v = h.get(sys.argv[1])
print("" if v is None else v)' "$1"
}

@test "health: a passing check makes it healthy, with its output kept" {
	make_test_bundle -- sleep 100
	monitor_create --health-cmd 'echo all good; exit 0' --health-interval 1
	[ "$(health status)" = starting ]
	subscribe
	runtime_start
	wait_for "[ \"\$(health status)\" = healthy ]" 20
	[ "$(health last_exit_code)" = 0 ]
	[ "$(health last_output)" = "all good" ]
	[ "$(health failing_streak)" = 0 ]
	wait_for "[ \"\$(statuses)\" = healthy ]" 10
}

@test "health: failures flip it to unhealthy and --health-on-failure kill ends it" {
	make_test_bundle -- sh -c 'touch /dev/shm/ok; sleep 3; rm /dev/shm/ok; exec sleep 100'
	monitor_create --health-cmd 'test -e /dev/shm/ok || { echo gone; exit 3; }' \
		--health-interval 1 --health-retries 2 --health-on-failure kill
	subscribe
	runtime_start
	wait_exit_file 60
	[ "$EXIT_CODE" = 137 ]
	wait_for "grep -q '\"exited\"' '$T/events'" 10
	cat "$T/events"
	[ "$(statuses)" = healthy,unhealthy ]
	grep '"health_status"' "$T/events" | tail -1 | grep -q '"failing_streak":2'
}

@test "health: a check that outlasts its timeout fails, and is killed" {
	make_test_bundle -- sleep 100
	monitor_create --health-cmd 'sleep 50' --health-interval 1 --health-timeout 1 \
		--health-retries 1
	runtime_start
	wait_for "[ \"\$(health status)\" = unhealthy ]" 30
	[ "$(health last_output)" = "health check timed out" ]
	[ "$(health last_exit_code)" = -1 ]
	# No check left running in the container: only its own sleep.
	wait_for "[ \"\$($RUNC_BIN --root $T/runc ps -o pid,args $CID | grep -c 'sleep 50')\" = 0 ]" 10
	# The container itself is untouched without an action.
	[ "$(runtime_state)" = running ]
}

@test "health: failures within the start period do not count" {
	make_test_bundle -- sleep 100
	monitor_create --health-cmd 'exit 1' --health-interval 1 --health-retries 1 \
		--health-start-period 10
	runtime_start
	# A check has failed, and it is still starting.
	wait_for "[ \"\$(health last_exit_code)\" = 1 ]" 20
	[ "$(health status)" = starting ]
	[ "$(health failing_streak)" = 0 ]
	wait_for "[ \"\$(health status)\" = unhealthy ]" 30
}

@test "health: unhealthy under a systemd watchdog sends WATCHDOG=trigger" {
	bg listener python3 "$LIB/notify_listen.py" "$T/notify" "$T/notify.jsonl"
	wait_for "[ -S '$T/notify' ]" 10
	make_test_bundle -- sleep 100
	NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=30000000 monitor_create --systemd-notify \
		--health-cmd 'exit 1' --health-interval 1 --health-retries 1
	runtime_start
	wait_for "grep -q 'WATCHDOG=trigger' '$T/notify.jsonl'" 30
	grep -q "unhealthy (1 failed checks)" "$T/notify.jsonl"
}

@test "health: bad settings are refused" {
	make_test_bundle -- true
	for bad in "--health-interval 0" "--health-timeout -1" "--health-retries 0" \
		"--health-start-period -1"; do
		# shellcheck disable=SC2086
		monitor_create --health-cmd true $bad && false
		[[ "$SYNC_MESSAGE" == *"must be at least"* ]]
	done
	monitor_create --health-cmd true --health-on-failure explode && false
	[[ "$SYNC_MESSAGE" == *"Invalid --health-on-failure 'explode'"* ]]
	monitor_create --health-cmd '' && false
	[[ "$SYNC_MESSAGE" == *"--health-cmd must not be empty"* ]]
}

@test "health: tetherctl run --health-* shows it in ps, inspect and generate" {
	load ../lib/ctl
	ctl_setup
	ctl run -d -b "$BUNDLE" --health-cmd 'test -d /' --health-interval 1 --health-retries 2 \
		--health-on-failure kill hc-ctl-00000001 sleep 100
	wait_until 20 sh -c "'$TETHERCTL' --root '$ROOT' ps | grep -q '^hc-ctl-00000001 .* running (healthy) '"
	ctl ps --format json | grep -q '"health":"healthy"'
	ctl inspect hc-ctl-00000001 | python3 -c 'import json, sys
j = json.load(sys.stdin)
assert j["shim"]["health"]["status"] == "healthy", j["shim"]
assert j["state"]["health"] == {"cmd": "test -d /", "interval": 1, "retries": 2, "on_failure": "kill"}, j["state"]'
	ctl generate systemd hc-ctl-00000001 | grep -q -- '--health-cmd "test -d /" --health-interval 1 --health-retries 2 --health-on-failure kill'
	run ctl run -d -b "$BUNDLE" --health-retries 2 hc-ctl-00000002
	[ "$status" -eq 125 ]
	[[ "$output" == *"the --health-* options need --health-cmd"* ]]
	run ctl run -d -b "$BUNDLE" --health-cmd true --health-on-failure boom hc-ctl-00000003
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --health-on-failure 'boom'"* ]]
	ctl_teardown
}
