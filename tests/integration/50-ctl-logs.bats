#!/usr/bin/env bats
# tetherctl logs: the k8s-file log read back into stdout and stderr, with
# --tail, --timestamps and -f.
# TETHERCTL_SHIM=/usr/bin/conmon runs the same tests against conmon.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2} '

@test "logs after exit: streams apart, partial lines joined" {
	run ctl run -b "$BUNDLE" lg sh -c 'echo one; echo two >&2; printf "thr"; sleep 0.2; echo ee; printf tail'
	[ "$status" -eq 0 ]
	ctl logs lg >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'one\nthree\ntail')" ]
	# No newline was invented after the unterminated last line.
	[ "$(tail -c 4 "$BATS_TEST_TMPDIR/out")" = tail ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = two ]
}

@test "logs --tail N shows the last N lines" {
	ctl run -b "$BUNDLE" lt seq 1 100 >/dev/null
	run --separate-stderr ctl logs --tail 3 lt
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '98\n99\n100')" ]
	run ctl logs -n 0 lt
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run ctl logs --tail 1000 lt
	[ "${#lines[@]}" -eq 100 ]
}

@test "logs --timestamps prefixes every line with an RFC 3339 time" {
	ctl run -b "$BUNDLE" ls sh -c 'echo a; echo b' >/dev/null
	run ctl logs --timestamps ls
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ${TS_RE}a$ ]]
	[[ "${lines[1]}" =~ ${TS_RE}b$ ]]
}

@test "logs -f follows a running container until it exits" {
	ctl run -d -b "$BUNDLE" lf sh -c 'for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done; exit 3'
	run timeout 30 "$TETHERCTL" --root "$ROOT" logs -f lf
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'line %s\n' 1 2 3 4 5 | head -c -1)" ]
	run ctl ps --all
	[[ "${lines[1]}" == *"exited (3)"* ]]
}

@test "logs -f of an exited container returns at once" {
	ctl run -b "$BUNDLE" le echo done >/dev/null
	run timeout 10 "$TETHERCTL" --root "$ROOT" logs -f le
	[ "$status" -eq 0 ]
	[ "$output" = done ]
}

@test "logs: a corrupt record is reported once and skipped" {
	ctl run -b "$BUNDLE" lc sh -c 'echo first; echo second' >/dev/null
	local log=$ROOT/containers/lc/ctr.log
	sed -i '1a this is not a record\nnor is this' "$log"
	run --separate-stderr ctl logs lc
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'first\nsecond')" ]
	[ "$(grep -c corrupt <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"line 2"* ]]
}

@test "logs of a container without output prints nothing" {
	run ctl run -b "$BUNDLE" ln true
	[ "$status" -eq 0 ]
	run ctl logs ln
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
