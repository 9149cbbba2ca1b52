#!/usr/bin/env bats
# tetherctl exec (one shim per session, launched as podman's startExec),
# top, stats, update, checkpoint and restore. Real runc, busybox rootfs.

bats_require_minimum_version 1.5.0

load ../lib/ctl

setup() {
	ctl_setup
	PTY_RUN=$REPO/tests/lib/pty_run.py
	TIMEOUT=$((20 * SCALE))
	"$REPO/tests/lib/mkbundle.py" "$BUNDLE" "$ROOTFS" -- sleep 300
	ctl run -d -b "$BUNDLE" c1
}

teardown() {
	ctl_teardown
}

@test "exec: the command's exit code, 0 and 3; the session dir is removed" {
	run -0 timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec c1 true
	run -3 timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec c1 sh -c 'exit 3'
	[ -z "$(ls -A "$ROOT/containers/c1/exec")" ]
}

@test "exec: stdout and stderr apart" {
	timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec c1 \
		sh -c 'echo to-out; echo to-err >&2' >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = to-out ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = to-err ]
}

@test "exec -e K=V -w DIR -u 65534: seen by the command" {
	run -0 timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec \
		-e FOO=bar -e PATH=/bin:/usr/bin -w /tmp -u 65534 c1 sh -c 'echo "$FOO $PATH"; pwd; id -u'
	[ "${lines[0]}" = "bar /bin:/usr/bin" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 65534 ]
}

@test "exec -u NAME from the rootfs's /etc/passwd; unknown user is a usage error" {
	grep -q '^nobody:' "$ROOTFS/etc/passwd" || skip "no nobody in the rootfs's /etc/passwd"
	run -0 timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec -u nobody c1 id -u
	[ "$output" = "$(awk -F: '$1=="nobody"{print $3}' "$ROOTFS/etc/passwd")" ]
	run -125 ctl exec -u no-such-user c1 true
	[[ "$output" == *"unknown user 'no-such-user'"* ]]
}

@test "exec -i: piped stdin reaches cat" {
	run -0 bash -c "printf 'line-1\nline-2\n' | timeout $TIMEOUT '$TETHERCTL' --root '$ROOT' --shim '$SHIM' exec -i c1 cat"
	[ "$output" = $'line-1\nline-2' ]
}

@test "exec -it: an interactive shell answers typed commands and exits 4" {
	run "$PTY_RUN" --timeout "$TIMEOUT" \
		--step 'echo typed-$((6*7))' '# ' \
		--step 'exit 4' 'typed-42' \
		-- "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec -it c1 sh
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *typed-42* ]]
}

@test "exec -d: prints the session id, the effect is visible" {
	run -0 ctl exec -d c1 sh -c 'echo done >/tmp/exec-d-mark'
	[[ "$output" =~ ^[0-9a-f]{16}$ ]]
	wait_until 10 ctl exec c1 test -f /tmp/exec-d-mark
}

@test "exec: a command that does not exist gives 127" {
	run -127 timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec c1 /no/such/cmd
}

@test "exec: 10 sessions at once, each with its own exit code" {
	local i pids=()
	for i in $(seq 1 10); do
		timeout "$TIMEOUT" "$TETHERCTL" --root "$ROOT" --shim "$SHIM" exec c1 \
			sh -c "echo out-$i; exit $i" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids[$i]=$!
	done
	for i in $(seq 1 10); do
		local rc=0
		wait "${pids[$i]}" || rc=$?
		echo "session $i: rc=$rc $(cat "$BATS_TEST_TMPDIR/out.$i")"
		[ "$rc" -eq "$i" ]
		[ "$(cat "$BATS_TEST_TMPDIR/out.$i")" = "out-$i" ]
	done
}

@test "exec on a container that is not running fails with 125" {
	run -125 ctl exec no-such true
	[[ "$output" == *no-such* ]]
}

@test "top: lists the container's pid" {
	local pid
	pid=$(runc --root "$ROOT/runtime" state c1 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	run -0 ctl top c1
	[[ "$output" == *PID* ]]
	echo "$output" | grep -qE "^$pid +sleep 300"
}

@test "stats: nonzero memory usage, table and json" {
	run -0 ctl stats c1
	[[ "${lines[0]}" == *"MEM USAGE"* ]]
	run -0 ctl stats --format json c1
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["memory_usage"] > 0, d; assert d["pids_current"] >= 1, d' "$output"
}

@test "update --pids-limit: stats and the cgroup reflect it" {
	run -0 ctl update --pids-limit 42 c1
	run -0 ctl stats --format json c1
	[[ "$output" == *'"pids_limit": 42'* ]]
	# The host's view of the container's pids cgroup (v1 or v2).
	local pid cg
	pid=$(runc --root "$ROOT/runtime" state c1 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	cg=$(sed -n 's/^[0-9]*:pids:\(.*\)/\1/p' "/proc/$pid/cgroup")
	if [ -n "$cg" ]; then
		[ "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" = 42 ]
	else
		cg=$(sed -n 's/^0::\(.*\)/\1/p' "/proc/$pid/cgroup")
		[ "$(cat "/sys/fs/cgroup$cg/pids.max")" = 42 ]
	fi
	run -125 ctl update c1
	run -125 ctl update --pids-limit lots c1
}

@test "checkpoint and restore: skip with criu's reason when it cannot run" {
	command -v criu >/dev/null || skip "criu is not installed"
	local why
	if ! why=$(criu check 2>&1); then
		skip "criu check fails: $(echo "$why" | grep -m1 Error)"
	fi
	run -0 ctl checkpoint c1
	run -0 ctl restore c1
	run -0 ctl exec c1 true
}
