#!/usr/bin/env bats
# tetherctl run -it and attach: a real terminal (tests/lib/pty_run.py) typed
# into, its window size, detach keys that leave the container running and a
# raw local terminal restored, piped stdin with -i, and two clients at once.
# Real runc, busybox rootfs.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
	PTY_RUN=$REPO/tests/lib/pty_run.py
	TIMEOUT=$((20 * SCALE))
}

teardown() {
	ctl_teardown
}

is_running() {
	ctl ps --all | grep -qE "^$1 .* running "
}

@test "run -it: an interactive shell answers typed commands and exits 5" {
	run "$PTY_RUN" --timeout "$TIMEOUT" \
		--step 'echo typed-$((6*7))' '# ' \
		--step 'exit 5' 'typed-42' \
		-- "$TETHERCTL" --root "$ROOT" --shim "$SHIM" run -it -b "$BUNDLE" t1 sh
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *typed-42* ]]
	grep -q '"terminal":true' "$ROOT/containers/t1/state.json"
	grep -q '"interactive":true' "$ROOT/containers/t1/state.json"
}

@test "run -it: the container's terminal has the local window size" {
	run "$PTY_RUN" --timeout "$TIMEOUT" --rows 33 --cols 101 \
		--step 'stty size' '# ' \
		--step 'exit 0' '33 101' \
		-- "$TETHERCTL" --root "$ROOT" --shim "$SHIM" run -it -b "$BUNDLE" t2 sh
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"33 101"* ]]
}

@test "run -it: ctrl-p ctrl-q detaches, the container runs on, attach again and exit 3" {
	run "$PTY_RUN" --timeout "$TIMEOUT" \
		--step $'\x10\x11' '# ' \
		-- "$TETHERCTL" --root "$ROOT" --shim "$SHIM" run -it -b "$BUNDLE" t3 sh
	echo "$output"
	[ "$status" -eq 0 ]
	is_running t3
	run "$PTY_RUN" --timeout "$TIMEOUT" \
		--step 'echo again-$((1+1))' '' \
		--step 'exit 3' 'again-2' \
		-- "$TETHERCTL" --root "$ROOT" --shim "$SHIM" attach t3
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *again-2* ]]
	run ctl ps --all
	[[ "$output" == *"exited (3)"* ]]
}

@test "attach: the local terminal is restored after detaching" {
	ctl run -d -it -b "$BUNDLE" t4 sh
	run "$PTY_RUN" --timeout "$TIMEOUT" \
		--step $'\x01d' '' \
		-- sh -c "'$TETHERCTL' --root '$ROOT' --shim '$SHIM' attach --detach-keys ctrl-a,d t4; echo attach-rc=\$?; stty -a"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *attach-rc=0* ]]
	echo "$output" | grep -qE '(^|[ ;])icanon'
	echo "$output" | grep -qE '(^|[ ;])echo'
	is_running t4
}

@test "attach: SIGHUP ends the session and the local terminal is restored" {
	ctl run -d -it -b "$BUNDLE" t9 sh
	# The loop waits (bounded) until attach has made the terminal raw.
	run "$PTY_RUN" --timeout "$TIMEOUT" -- sh -c "
		'$TETHERCTL' --root '$ROOT' --shim '$SHIM' attach t9 </dev/tty &
		p=\$!
		i=0
		until stty -a </dev/tty | grep -q -- -icanon; do
			i=\$((i + 1)); [ \$i -lt 100 ] || break; sleep 0.1
		done
		kill -HUP \$p; wait \$p; echo attach-rc=\$?; stty -a"
	echo "$output"
	[[ "$output" == *attach-rc=125* ]]
	echo "$output" | grep -qE '(^|[ ;])icanon'
	echo "$output" | grep -qE '(^|[ ;])echo'
	is_running t9
}

@test "attach: piped stdin reaches a -i container, and its exit code is attach's" {
	ctl run -d -i -b "$BUNDLE" t5 sh -c 'cat; exit 7'
	run --separate-stderr timeout "$TIMEOUT" sh -c \
		"printf 'line one\nline two\n' | '$TETHERCTL' --root '$ROOT' --shim '$SHIM' attach t5"
	[ "$status" -eq 7 ]
	[ "$output" = "$(printf 'line one\nline two')" ]
}

@test "attach: two clients at once both see the output" {
	ctl run -d -b "$BUNDLE" t6 sh -c 'trap "exit 6" TERM; while :; do echo tick; sleep 0.1; done'
	timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" attach t6 \
		>"$BATS_TEST_TMPDIR/a" 2>&1 </dev/null &
	local a=$!
	timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" attach --no-stdin t6 \
		>"$BATS_TEST_TMPDIR/b" 2>&1 &
	local b=$!
	wait_until 10 grep -q tick "$BATS_TEST_TMPDIR/a"
	wait_until 10 grep -q tick "$BATS_TEST_TMPDIR/b"
	ctl kill t6 TERM
	local sa=0 sb=0
	wait "$a" || sa=$?
	wait "$b" || sb=$?
	[ "$sa" -eq 6 ]
	[ "$sb" -eq 6 ]
}

@test "attach: a container that is not running is refused (125)" {
	ctl create -b "$BUNDLE" t7
	run ctl attach t7
	[ "$status" -eq 125 ]
	[[ "$output" == *"not running"* ]] || [[ "$output" == *created* ]]
	run ctl attach nosuch
	[ "$status" -eq 125 ]
}

@test "run: an invalid --detach-keys is refused before anything is created" {
	run ctl run -it --detach-keys ctrl-1 -b "$BUNDLE" t8 sh
	[ "$status" -eq 125 ]
	[[ "$output" == *detach-keys* ]]
	[ ! -e "$ROOT/containers/t8" ]
}
