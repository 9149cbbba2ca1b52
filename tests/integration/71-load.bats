#!/usr/bin/env bats
# Load, tether only (docs/reliability.md), driven by tests/lib/load.py with a
# real runc, each container created as podman does (caller.py):
#   - 1000 short-lived containers, 4 at a time, through every exit code
#     0-255 and the 23 signals that kill by default;
#   - 200 containers running at once, each logging 2000 numbered lines to
#     an attach client connected before it started: every line in the log
#     and on the attach socket (SHA-256), each monitor's fds unchanged and
#     its RSS within 2 MiB of what it was before the output.
# On this 2-core VM the first takes about 2-3 minutes, the second about one.
# (1000 attach connect/disconnect cycles: 31-shim-attach-load.bats.)

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	# Whatever a failed run left: every container in the shared runc root.
	if [ -d "$T/runc" ]; then
		"$RUNC_BIN" --root "$T/runc" list -q 2>/dev/null |
			xargs -r -n1 "$RUNC_BIN" --root "$T/runc" delete --force >/dev/null 2>&1 || true
	fi
	monitor_teardown
}

# load_run MODE COUNT N: run load.py, its JSON summary in $SUMMARY.
load_run() {
	local rc=0
	python3 "$LIB/load.py" "$1" "$MONITOR" "$ROOTFS" "$T" "$2" "$3" >"$T/summary.json" || rc=$?
	SUMMARY=$(cat "$T/summary.json")
	# Kept for docs/reliability.md's figures.
	cp "$T/summary.json" "${TETHER_BUILD:-$REPO/build}/load-$1.json"
	if [ "$rc" != 0 ]; then
		echo "load.py $1: $SUMMARY" >&2
		return 1
	fi
}

@test "1000 short-lived containers: every exit code and killing signal recorded, no monitor left" {
	load_run short 1000 4
	[ "$(json_get "$SUMMARY" 'j["failures"]')" = 0 ]
	[ "$(json_get "$SUMMARY" 'j["distinct_cases"]')" = 279 ]
	[ -z "$("$RUNC_BIN" --root "$T/runc" list -q)" ]
}

@test "200 containers at once, each logging and attached: no line lost, fds and memory flat" {
	load_run many 200 2000
	[ "$(json_get "$SUMMARY" 'j["running_at_once"]')" = 200 ]
	[ "$(json_get "$SUMMARY" 'j["fd_growth_max"]')" -le 0 ]
	[ "$(json_get "$SUMMARY" 'j["rss_kb_growth_max"]')" -le 2048 ]
	[ "$(json_get "$SUMMARY" 'j["lines_checked"]')" = 800400 ]
	[ -z "$("$RUNC_BIN" --root "$T/runc" list -q)" ]
}
