#!/usr/bin/env bats
# tetherctl's life cycle verbs: create, start, ps, wait, kill, rm, and state
# that every new tetherctl invocation rebuilds from the state directory.
# TETHERCTL_SHIM=/usr/bin/conmon runs the same tests against conmon.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

# A container that runs until it gets SIGUSR1, then exits with $1.
LOOP='trap "exit $0" USR1; while :; do sleep 0.1; done'

ps_field() { # ID FIELD: one field of ps --format json
	ctl ps --all --format json | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["id"] == sys.argv[1]:
        print(c.get(sys.argv[2], ""))' "$1" "$2"
}

@test "run -d, ps shows running, wait returns the code, ps shows exited" {
	run ctl run -d -b "$BUNDLE" --name web lc sh -c "$LOOP" 4
	[ "$status" -eq 0 ]
	[ "$output" = lc ]
	run ctl ps --all
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +NAME\ +STATUS\ +PID\ +SHIM\ PID\ +CREATED$ ]]
	[[ "${lines[1]}" =~ ^lc\ +web\ +running\ +[0-9]+\ +[0-9]+\ +20[0-9-]+T ]]
	[ "$(ps_field lc status)" = running ]
	local pid shim
	pid=$(ps_field lc pid)
	shim=$(ps_field lc shim_pid)
	[ "$pid" -gt 1 ] && kill -0 "$pid"
	[ "$shim" -gt 1 ] && kill -0 "$shim"
	[ "$(ps_field lc name)" = web ]
	[ "$(ps_field lc bundle)" = "$BUNDLE" ]

	ctl kill lc USR1
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait lc
	[ "$status" -eq 0 ]
	[ "$output" = 4 ]
	run ctl ps --all
	[[ "${lines[1]}" =~ ^lc\ +web\ +exited\ \(4\)\  ]]
	[ "$(ps_field lc status)" = exited ]
	[ "$(ps_field lc exit_code)" = 4 ]
	# wait on an exited container answers at once.
	run timeout 5 "$TETHERCTL" --root "$ROOT" wait lc
	[ "$output" = 4 ]
}

@test "create then start; state.json records the container" {
	run ctl create -b "$BUNDLE" cr sh -c "$LOOP" 6
	[ "$status" -eq 0 ]
	[ "$(ps_field cr status)" = created ]
	local cdir=$ROOT/containers/cr
	[ -f "$cdir/config.json" ] && [ -f "$cdir/state.json" ] && [ -d "$cdir/exits" ]
	python3 - "$cdir/state.json" "$BUNDLE" "$SHIM" <<-'PY'
		import json, sys
		s = json.load(open(sys.argv[1]))
		assert s["id"] == "cr" and s["name"] == "cr", s
		assert s["bundle"] == sys.argv[2], s
		assert s["shim"] == sys.argv[3], s
		assert s["pid"] > 1 and s["shim_pid"] > 1, s
		assert s["log_path"].endswith("/cr/ctr.log"), s
		assert s["created"].endswith("Z"), s
	PY
	[ "$(cat "$cdir/shim.pid")" = "$(ps_field cr shim_pid)" ]
	run ctl start cr
	[ "$status" -eq 0 ]
	[ "$(ps_field cr status)" = running ]
	ctl kill cr SIGUSR1
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait cr
	[ "$output" = 6 ]
}

@test "kill: default TERM, names and numbers" {
	ctl run -d -b "$BUNDLE" k1 sh -c 'trap "exit 15" TERM; while :; do sleep 0.1; done'
	ctl kill k1
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait k1
	[ "$output" = 15 ]

	ctl run -d -b "$BUNDLE" k2 sleep 1000
	ctl kill -s 9 k2
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait k2
	[ "$output" = 137 ]

	ctl run -d -b "$BUNDLE" k3 sleep 1000
	ctl kill k3 KILL
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait k3
	[ "$output" = 137 ]

	run ctl kill k3 NOSUCHSIG
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown signal"* ]]
}

@test "rm refuses a running container; rm -f kills and removes it" {
	ctl run -d -b "$BUNDLE" rr sleep 1000
	local shim
	shim=$(ps_field rr shim_pid)
	run ctl rm rr
	[ "$status" -eq 125 ]
	[ "$output" = "tetherctl: error: container rr is running: stop it first or use -f" ]
	[ -d "$ROOT/containers/rr" ]
	[ "$(ps_field rr status)" = running ]

	run timeout 30 "$TETHERCTL" --root "$ROOT" rm -f rr
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/containers/rr" ]
	[ -z "$(runc --root "$ROOT/runtime" list -q)" ]
	# The shim has finished too.
	wait_until 10 eval '! kill -0 '"$shim"' 2>/dev/null'
	run ctl ps --all --format json
	[ "$output" = "[]" ] || [ "$(tr -d ' \n' <<<"$output")" = "[]" ]
}

@test "rm of an exited container needs no -f" {
	run ctl run -b "$BUNDLE" rx sh -c 'exit 2'
	[ "$status" -eq 2 ]
	run ctl rm rx
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/containers/rx" ]
	[ -z "$(runc --root "$ROOT/runtime" list -q)" ]
	run ctl rm rx
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such container: rx"* ]]
}

@test "rm -f of a created (never started) container" {
	ctl create -b "$BUNDLE" rc sleep 1000
	run timeout 30 "$TETHERCTL" --root "$ROOT" rm -f rc
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/containers/rc" ]
	[ -z "$(runc --root "$ROOT/runtime" list -q)" ]
}

@test "state survives: new invocations, through TETHER_ROOT, see the container" {
	ctl run -d -b "$BUNDLE" sv sh -c "$LOOP" 9
	# Nothing but the state directory links these invocations.
	run env TETHER_ROOT="$ROOT" "$TETHERCTL" ps --all
	[[ "${lines[1]}" =~ ^sv\ +sv\ +running ]]
	TETHER_ROOT=$ROOT "$TETHERCTL" kill sv USR1
	run timeout 20 env TETHER_ROOT="$ROOT" "$TETHERCTL" wait sv
	[ "$output" = 9 ]
	run env TETHER_ROOT="$ROOT" "$TETHERCTL" ps --all
	[[ "${lines[1]}" =~ ^sv\ +sv\ +exited\ \(9\) ]]
}

@test "ps: a shim that died without an exit file shows shim-dead" {
	ctl run -d -b "$BUNDLE" sd sleep 1000
	kill -KILL "$(ps_field sd shim_pid)"
	wait_until 10 eval '[ "$(ps_field sd status)" = shim-dead ]'
	run timeout 10 "$TETHERCTL" --root "$ROOT" wait sd
	[ "$status" -eq 125 ]
	[[ "$output" == *"gone and left no exit code"* ]]
	run ctl rm sd
	[ "$status" -eq 125 ]
	run timeout 30 "$TETHERCTL" --root "$ROOT" rm -f sd
	[ "$status" -eq 0 ]
	[ -z "$(runc --root "$ROOT/runtime" list -q)" ]
}

@test "wait --timeout gives up with 125" {
	ctl run -d -b "$BUNDLE" wt sleep 1000
	run timeout 20 "$TETHERCTL" --root "$ROOT" wait --timeout 1 wt
	[ "$status" -eq 125 ]
	[[ "$output" == *"still running"* ]]
}

@test "ps shows paused; rm -f of a paused container" {
	ctl run -d -b "$BUNDLE" pz sleep 1000
	runc --root "$ROOT/runtime" pause pz || skip "the runtime cannot pause here"
	[ "$(ps_field pz status)" = paused ]
	run ctl rm pz
	[ "$status" -eq 125 ]
	run timeout 30 "$TETHERCTL" --root "$ROOT" rm -f pz
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/containers/pz" ]
	[ -z "$(runc --root "$ROOT/runtime" list -q)" ]
}
