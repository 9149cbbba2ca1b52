#!/usr/bin/env bats
# tetherctl's failures: one "tetherctl: error: ..." line on stderr, exit
# status 125, and no state left behind.
# TETHERCTL_SHIM=/usr/bin/conmon runs the same tests against conmon.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

no_state_left() { # ID
	[ ! -e "$ROOT/containers/$1" ]
	[ -z "$(runc --root "$ROOT/runtime" list -q 2>/dev/null)" ]
}

@test "a bundle without config.json: clear error, 125, nothing left" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run --separate-stderr ctl run -b "$BATS_TEST_TMPDIR/empty" b1 true
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	[[ "$stderr" =~ ^tetherctl:\ error:\ .*config\.json.*No\ such\ file ]]
	no_state_left b1
}

@test "a bundle whose rootfs is missing: 125, nothing left" {
	sed -i 's|"path": "[^"]*"|"path": "no-such-rootfs"|' "$BUNDLE/config.json"
	run ctl create -b "$BUNDLE" b2
	[ "$status" -eq 125 ]
	[[ "$output" == *"root.path"*"no-such-rootfs"* ]]
	no_state_left b2
}

@test "a command the runtime cannot start: the runtime's message, 125, nothing left" {
	run --separate-stderr ctl run -b "$BUNDLE" b3 /no/such/program
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "tetherctl: error: container create failed: "* ]]
	[[ "$stderr" == *"/no/such/program"* ]]
	no_state_left b3
	# The id is free again.
	run ctl run -b "$BUNDLE" b3 echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "unparsable config.json: 125, nothing left" {
	echo '{"root": ' >"$BUNDLE/config.json"
	run ctl run -b "$BUNDLE" b4
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot parse"* ]]
	no_state_left b4
}

@test "unknown container: every verb exits 125 with 'no such container'" {
	local verb
	for verb in start logs kill wait rm; do
		run --separate-stderr ctl "$verb" ghost
		[ "$status" -eq 125 ]
		[ "$stderr" = "tetherctl: error: no such container: ghost" ]
	done
}

@test "invalid ids are refused before anything is made" {
	local id
	for id in "" ".x" "a/b" "../x" "has space" "$(printf 'x%.0s' {1..65})"; do
		run ctl run -b "$BUNDLE" "$id" true
		[ "$status" -eq 125 ]
		[[ "$output" == *"invalid container id"* ]]
	done
	[ ! -e "$ROOT/containers" ] || [ -z "$(ls -A "$ROOT/containers")" ]
	run ctl run -b "$BUNDLE" "$(printf 'x%.0s' {1..64})" true
	[ "$status" -eq 0 ]
}

@test "a duplicate id is refused and the first container is untouched" {
	ctl run -d -b "$BUNDLE" dup sleep 1000
	run ctl run -b "$BUNDLE" dup true
	[ "$status" -eq 125 ]
	[[ "$output" == *"container dup already exists"* ]]
	run ctl ps
	[[ "${lines[1]}" =~ ^dup\ +dup\ +running ]]
}

@test "usage errors exit 125; --help exits 0" {
	run ctl
	[ "$status" -eq 125 ]
	[[ "$output" == "tetherctl: error: no command given"* ]]
	run ctl frobnicate
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run ctl ps --no-such-option
	[ "$status" -eq 125 ]
	run ctl ps --format yaml
	[ "$status" -eq 125 ]
	run ctl wait
	[ "$status" -eq 125 ]
	run "$TETHERCTL" --log-level loud ps
	[ "$status" -eq 125 ]
	run ctl --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Commands:"*"run"*"logs"* ]]
	local verb
	for verb in create start run ps logs kill wait rm; do
		run ctl "$verb" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"tetherctl $verb"* ]]
	done
}

@test "a missing runtime or shim is a clear 125" {
	run "$TETHERCTL" --root "$ROOT" --shim "$SHIM" --runtime /no/such/runc run -b "$BUNDLE" r1 true
	[ "$status" -eq 125 ]
	[[ "$output" == *"OCI runtime not found"* ]]
	run "$TETHERCTL" --root "$ROOT" --shim /no/such/shim run -b "$BUNDLE" r2 true
	[ "$status" -eq 125 ]
	[[ "$output" == *"shim '/no/such/shim' not found"* ]]
	no_state_left r1
	no_state_left r2
}
