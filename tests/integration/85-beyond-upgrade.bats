#!/usr/bin/env bats
# Live upgrade (docs/live-upgrade.md): the shim re-executes tether (the
# binary now at its path, or another) keeping its pid, the container, its
# pipes or terminal, attach clients, control connections and FIFOs; asked
# by `tetherctl upgrade` (the control socket's "upgrade") or SIGHUP. Real
# runc, real binaries (copies of build/tether standing in for a packaged
# new version). tether only.

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

fd_count() { # PID
	ls "/proc/$1/fd" | wc -l
}

@test "upgrade: 100 live upgrades while it logs, attached and subscribed: no line lost" {
	ctl run -d -b "$BUNDLE" up-many-0000001 sh -c \
		'trap "exit 3" TERM; i=0; while :; do i=$((i+1)); echo "line $i"; [ $((i % 50)) = 0 ] && sleep 0.01; done'
	local id=up-many-0000001 pid
	pid=$(ctl_shim_pid $id)
	wait_until 10 grep -q 'line 100$' "$ROOT/containers/$id/ctr.log"
	ctl attach --no-stdin $id >"$BATS_TEST_TMPDIR/attach.out" 2>"$BATS_TEST_TMPDIR/attach.err" </dev/null &
	BG_PIDS+=($!)
	local attach=$!
	ctl events --follow $id >"$BATS_TEST_TMPDIR/events" 2>&1 &
	BG_PIDS+=($!)
	wait_until 10 grep -q 'line' "$BATS_TEST_TMPDIR/attach.out"
	local fds i
	fds=$(fd_count "$pid")
	for i in $(seq 100); do
		run ctl upgrade $id
		[ "$status" -eq 0 ] || {
			echo "upgrade $i: $output" >&2
			return 1
		}
		[ "$output" = "$id: shim $pid upgraded to tether 0.1.0 (upgrade $i)" ]
	done
	# The same process, no fd more or less, the output still flowing.
	[ "$(ctl_shim_pid $id)" = "$pid" ]
	[ "$(fd_count "$pid")" = "$fds" ]
	ctl stats --no-stream $id >/dev/null 2>&1 || true
	python3 "$REPO/tests/lib/control_client.py" "$ROOT/containers/$id/control" \
		'{"request":"stats"}' | grep -q '"upgrades":100'
	ctl kill $id TERM
	run ctl wait $id
	[ "$output" = 3 ]
	wait "$attach" || true
	# Every line in the log, in order, from the first to the last; the
	# attach client has every line from when it came to the same last.
	local log att
	log=$(contiguous "$ROOT/containers/$id/ctr.log")
	att=$(contiguous "$BATS_TEST_TMPDIR/attach.out")
	echo "log: $log; attach: $att"
	[[ "$log" =~ ^1\ ([0-9]+)\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[ "${att#* }" != "$att" ]
	[ "$(echo "$att" | cut -d' ' -f2)" = "$(echo "$log" | cut -d' ' -f2)" ]
	# The subscriber saw each upgrade, then the exit.
	wait_until 10 grep -q '"event":"exited"' "$BATS_TEST_TMPDIR/events"
	[ "$(grep -c '"event":"upgraded"' "$BATS_TEST_TMPDIR/events")" = 100 ]
}

@test "upgrade: the new binary at the shim's path (a package upgrade) by SIGHUP; or --binary" {
	mkdir -p "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/other"
	cp "$SHIM" "$BATS_TEST_TMPDIR/bin/tether"
	cp "$SHIM" "$BATS_TEST_TMPDIR/other/tether"
	local id=up-path-0000001 pid
	"$TETHERCTL" --root "$ROOT" --shim "$BATS_TEST_TMPDIR/bin/tether" run -d -b "$BUNDLE" $id \
		sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.05; done'
	pid=$(ctl_shim_pid $id)
	# A package manager replaces the file: the running shim's is deleted.
	cp "$SHIM" "$BATS_TEST_TMPDIR/bin/tether.new"
	mv "$BATS_TEST_TMPDIR/bin/tether.new" "$BATS_TEST_TMPDIR/bin/tether"
	[ "$(readlink "/proc/$pid/exe")" = "$BATS_TEST_TMPDIR/bin/tether (deleted)" ]
	kill -HUP "$pid"
	wait_until 10 eval '[ "$(readlink /proc/$pid/exe)" = "$BATS_TEST_TMPDIR/bin/tether" ]'
	# Another binary, by path.
	run ctl upgrade --binary "$BATS_TEST_TMPDIR/other/tether" $id
	[ "$status" -eq 0 ]
	[ "$(readlink "/proc/$pid/exe")" = "$BATS_TEST_TMPDIR/other/tether" ]
	[ "$(ctl_shim_pid $id)" = "$pid" ]
	# Still the container's monitor: it logs on, and stops it.
	ctl_logs_grow $id
	ctl kill $id KILL
	run ctl wait $id
	[ "$output" = 137 ]
	[ "$(contiguous "$ROOT/containers/$id/ctr.log" | cut -d' ' -f1)" = 1 ]
}

@test "upgrade: a terminal keeps its PTY, its size and its attach client" {
	local id=up-tty-00000001 pid
	ctl run -d -t -b "$BUNDLE" $id sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.02; done'
	pid=$(ctl_shim_pid $id)
	ctl_attach_bg $id "$BATS_TEST_TMPDIR/attach.out"
	local i
	for i in $(seq 10); do
		ctl upgrade $id >/dev/null
	done
	# The terminal is the same one: a resize through the new shim reaches
	# the container's console.
	ctl resize $id 33 101
	wait_until 10 eval '[ "$(ctl exec $id stty -F /dev/console size)" = "33 101" ]'
	local n
	n=$(tr -d '\r' <"$BATS_TEST_TMPDIR/attach.out" | grep -c line)
	wait_until 10 eval '[ "$(tr -d "\r" <"$BATS_TEST_TMPDIR/attach.out" | grep -c line)" -gt "$n" ]'
	ctl kill $id KILL
	ctl wait $id >/dev/null
	tr -d '\r' <"$BATS_TEST_TMPDIR/attach.out" >"$BATS_TEST_TMPDIR/attach.txt"
	contiguous "$BATS_TEST_TMPDIR/attach.txt"
}

@test "upgrade: refused with the reason when it cannot be done; the shim carries on" {
	local id=up-refuse-000001 pid
	ctl run -d -b "$BUNDLE" $id sleep 100
	pid=$(ctl_shim_pid $id)
	run ctl upgrade --binary /bin/true $id
	[ "$status" -eq 125 ]
	[[ "$output" == *"/bin/true cannot take over a running container: it does not adopt live-upgrade state format 1"* ]]
	# conmon does not know the option at all.
	if [ -x /usr/bin/conmon ]; then
		run ctl upgrade --binary /usr/bin/conmon $id
		[ "$status" -eq 125 ]
		[[ "$output" == *"/usr/bin/conmon cannot take over"* ]]
	fi
	# A tether that would not take this command line (here: a wrapper
	# that names a runtime that is not there) says why, before anything.
	printf '#!/bin/sh\nexec "%s" "$@" -r /no/such/runc\n' "$SHIM" >"$BATS_TEST_TMPDIR/wrapped"
	chmod +x "$BATS_TEST_TMPDIR/wrapped"
	run ctl upgrade --binary "$BATS_TEST_TMPDIR/wrapped" $id
	[ "$status" -eq 125 ]
	[[ "$output" == *"/wrapped cannot take over this container: Runtime path /no/such/runc is not valid"* ]]
	run ctl upgrade --binary /no/such/tether $id
	[ "$status" -eq 125 ]
	[[ "$output" == *"/no/such/tether: No such file or directory"* ]]
	run python3 "$REPO/tests/lib/control_client.py" "$ROOT/containers/$id/control" \
		'{"request":"upgrade","binary":"tether"}' '{"request":"upgrade","binary":7}'
	[[ "${lines[0]}" == *'"ok":false,"error":"tether: an absolute path is needed"'* ]]
	[[ "${lines[1]}" == *'"ok":false'* ]]
	run ctl upgrade
	[ "$status" -eq 125 ]
	# Nothing changed, and a good upgrade still works.
	[ "$(readlink "/proc/$pid/exe")" = "$SHIM" ]
	run ctl upgrade $id
	[ "$status" -eq 0 ]
	ctl kill $id KILL
	run ctl wait $id
	[ "$output" = 137 ]
	# An exited container's shim is gone: nothing to upgrade.
	run ctl upgrade $id
	[ "$status" -ne 0 ]
}

@test "upgrade: a container that exits around an upgrade keeps its exit code" {
	local id=up-exit-0000001 i
	ctl run -d -b "$BUNDLE" $id sh -c 'echo "line 1"; sleep 0.5; echo "line 2"; exit 5'
	# Upgrade as fast as possible until the container is gone.
	for i in $(seq 200); do
		ctl upgrade $id >/dev/null 2>&1 || break
	done
	run ctl wait $id
	[ "$output" = 5 ]
	[ "$(contiguous "$ROOT/containers/$id/ctr.log")" = "1 2 2" ]
}

@test "upgrade: --adopt-state without a usable state fails with a message" {
	local argv=("$SHIM" --api-version 1 -c up-bad-00000001 -u up-bad-00000001 -r "$(command -v runc)"
		-b "$BUNDLE" -p "$BATS_TEST_TMPDIR/pid" --exit-dir "$BATS_TEST_TMPDIR/exits"
		-l "k8s-file:$BATS_TEST_TMPDIR/log" --foreground)
	run "${argv[@]}" --adopt-state=99
	[ "$status" -eq 1 ]
	[[ "$output" == *"--adopt-state=99: no state to adopt"* ]]
	printf '{"protocol": 1}' >"$BATS_TEST_TMPDIR/state"
	run "${argv[@]}" --adopt-state=7 7<"$BATS_TEST_TMPDIR/state"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a live-upgrade state of protocol 1"* ]]
	printf 'garbage' >"$BATS_TEST_TMPDIR/state"
	run "${argv[@]}" --adopt-state=7 7<"$BATS_TEST_TMPDIR/state"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a live-upgrade state of protocol 1"* ]]
	# Nothing was started, nothing written.
	[ ! -e "$BATS_TEST_TMPDIR/exits" ] || [ -z "$(ls "$BATS_TEST_TMPDIR/exits")" ]
}

@test "upgrade: rotated and compressed logs lose no line across upgrades" {
	local id=up-rotate-000001 i
	ctl run -d -b "$BUNDLE" --log-size-max 32k --log-max-files 200 --log-compress $id sh -c \
		'trap "exit 3" TERM; i=0; while :; do i=$((i+1)); echo "line $i"; [ $((i % 50)) = 0 ] && sleep 0.01; done'
	wait_until 20 eval 'ls "$ROOT/containers/$id/" | grep -q "ctr.log.1.gz"'
	for i in $(seq 20); do
		ctl upgrade $id >/dev/null
	done
	ctl kill $id TERM
	run ctl wait $id
	[ "$output" = 3 ]
	# Every line once, in order, across the plain and the gzipped files.
	ctl logs $id >"$BATS_TEST_TMPDIR/all"
	local c
	c=$(contiguous "$BATS_TEST_TMPDIR/all")
	echo "$c; $(ls "$ROOT/containers/$id" | grep -c 'ctr.log.*gz') gzipped files"
	[ "${c%% *}" = 1 ]
	[ "$(ls "$ROOT/containers/$id" | grep -c 'ctr.log.*gz')" -ge 2 ]
	[ -z "$(ls "$ROOT/containers/$id" | grep 'gz-tmp')" ]
}
