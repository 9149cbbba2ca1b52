#!/usr/bin/env bats
# tetherctl's failures: one "tetherctl: error: ..." line on stderr, exit
# status 125, and no state left behind.
# TETHERCTL_SHIM=/usr/bin/conmon runs the same tests against conmon.

bats_require_minimum_version 1.5.0

setup() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	TETHERCTL=${TETHERCTL:-$REPO/build/tetherctl}
	SHIM=${TETHERCTL_SHIM:-${TETHER:-$REPO/build/tether}}
	[ -x "$TETHERCTL" ] || skip "$TETHERCTL not built (make)"
	[ -x "$SHIM" ] || skip "shim $SHIM not built (make)"
	command -v runc >/dev/null || skip "runc is not installed"
	[ "$(id -u)" -eq 0 ] || skip "runc needs root here"
	ROOTFS=$REPO/build/rootfs
	"$REPO/tests/lib/mkrootfs.sh" "$ROOTFS" >&2 || skip "cannot build the busybox rootfs"
	ROOT=$BATS_TEST_TMPDIR/root
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	"$REPO/tests/lib/mkbundle.py" "$BUNDLE" "$ROOTFS" -- true
}

teardown() {
	local d
	for d in "$ROOT"/containers/*; do
		[ -d "$d" ] && ctl rm -f "${d##*/}" >/dev/null 2>&1
	done
	if [ -d "$ROOT/runtime" ]; then
		runc --root "$ROOT/runtime" list -q 2>/dev/null |
			xargs -r -n1 runc --root "$ROOT/runtime" delete --force 2>/dev/null
	fi
	true
}

ctl() {
	"$TETHERCTL" --root "$ROOT" --shim "$SHIM" "$@"
}

# Poll a condition for at most $1 seconds (10 Hz).
wait_until() {
	local tries=$(($1 * 10))
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
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
