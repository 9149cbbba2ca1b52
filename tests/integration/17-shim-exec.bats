#!/usr/bin/env bats
# exec as CRI-O's ExecSync drives it (conmon-spec §2.16, §3.3): no
# --api-version, no -u, no -b, --sync, a plain pipe for the sync channel, a
# k8s-file log that CRI-O parses; one {"exit_code": N} message, and the
# monitor's own exit status is the command's. Against tether and conmon.
# (podman's exec protocol, with the attach pipe, is covered through real
# podman in 60-podman-smoke.bats.)

load ../lib/monitor

setup() {
	monitor_setup
	make_test_bundle -- sleep 300
	monitor_create
	runtime_start
}

teardown() {
	monitor_teardown
}

# exec_sync [MONITOR ARGS] -- ARGS...: run ARGS in the container as an
# ExecSync; sets the caller's variables and EXEC_STATUS (the monitor's).
exec_sync() {
	local extra=()
	while [ "$1" != -- ]; do extra+=("$1"); shift; done
	shift
	python3 - "$T/process.json" "$@" <<-'PY'
	import json, sys
	json.dump({"args": sys.argv[2:], "cwd": "/", "terminal": False,
	           "user": {"uid": 0, "gid": 0},
	           "env": ["PATH=/usr/bin:/bin:/usr/sbin:/sbin"]}, open(sys.argv[1], "w"))
	PY
	rm -f "$T/exec.log"
	caller --sync-type pipe --no-start-pipe --read-all --timeout 20 -- \
		"$MONITOR" -c "$CID" -n ctr -r "$RUNC" -p "$T/exec.pid" -e -l "$T/exec.log" \
		--socket-dir-path "$T/sock" --log-level debug --sync --exec-process-spec "$T/process.json" \
		--runtime-arg "--root=$T/runc" "${extra[@]}" || true
	EXEC_STATUS=$CALLER_STATUS
}

@test "ExecSync: {\"exit_code\": N} once, the monitor exits N, output in the log" {
	exec_sync -- sh -c 'echo exec-out; echo exec-err >&2; exit 7'
	[ "$SYNC_COUNT" = 1 ]
	[ "${SYNC_RAW%$'\n'}" = '{"exit_code": 7}' ]
	[ "$EXEC_STATUS" = 7 ]
	log_lines "$T/exec.log" | grep -qx "stdout F exec-out"
	log_lines "$T/exec.log" | grep -qx "stderr F exec-err"
	# The container itself runs on.
	[ "$(runtime_state)" = running ]
}

@test "ExecSync: exit code 0" {
	exec_sync -- true
	[ "${SYNC_RAW%$'\n'}" = '{"exit_code": 0}' ]
	[ "$EXEC_STATUS" = 0 ]
}

@test "ExecSync -T 1: killed, {\"exit_code\": -1, \"message\": \"command timed out\"}, status 255" {
	exec_sync -T 1 -- sleep 30
	[ "${SYNC_RAW%$'\n'}" = '{"exit_code": -1, "message": "command timed out"}' ]
	[ "$EXEC_STATUS" = 255 ]
	# The exec'd process is gone from the container.
	not "$RUNC_BIN" --root "$T/runc" ps "$CID" | grep -q "sleep 30"
}

@test "ExecSync of a program that does not exist: -1 with the runtime's error, status 1" {
	exec_sync -- /no/such/program
	[[ "$SYNC_RAW" == '{"exit_code": -1, "message": '* ]]
	[[ "$SYNC_MESSAGE" == *no/such/program* ]]
	[ "$EXEC_STATUS" = 1 ]
}
