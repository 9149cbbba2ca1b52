#!/usr/bin/env bats
# podman 4.3 driving tether as its monitor (--conmon), compared with podman
# driving /usr/bin/conmon the same way. The full compatibility suite is
# tests/compat; this is the smoke test the foundation promises.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
TETHER=${TETHER:-$REPO/build/tether}

setup_file() {
	command -v podman >/dev/null || skip "podman is not installed"
	export P=$BATS_FILE_TMPDIR/podman
	mkdir -p "$P"
	# This machine cannot raise RLIMIT_NOFILE past 20000, so no default
	# ulimits; cgroupfs and file events: no systemd as PID 1 here.
	cat >"$P/containers.conf" <<-CONF
	[containers]
	default_ulimits = []
	log_driver = "k8s-file"
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	runtime = "runc"
	CONF
	"$REPO/tests/lib/mkrootfs.sh" "$REPO/build/rootfs"
	tar -C "$REPO/build/rootfs" -c . | pod import - localhost/busybox:latest >/dev/null
}

pod() {
	CONTAINERS_CONF=$P/containers.conf podman --root "$P/root" --runroot "$P/runroot" \
		--storage-driver vfs --tmpdir "$P/tmp" "$@"
}

teardown_file() {
	[ -n "${P:-}" ] && pod rm -af -t 0 >/dev/null 2>&1 || true
}

# Run the same podman command with each monitor; both must agree.
both() {
	local mon
	for mon in "$TETHER" /usr/bin/conmon; do
		[ -x "$mon" ] || continue
		run pod --conmon "$mon" "$@"
		output=${output//$'\n'/|}
		echo "# $(basename "$mon"): status=$status output=$output" >&3
		echo "$status $output" >>"$BATS_TEST_TMPDIR/$(basename "$mon")"
	done
	if [ -x /usr/bin/conmon ]; then
		diff "$BATS_TEST_TMPDIR/tether" "$BATS_TEST_TMPDIR/conmon"
	fi
}

@test "podman run --rm with tether prints the output and returns 0" {
	run pod --conmon "$TETHER" run --rm --network none localhost/busybox echo hi
	[ "$status" -eq 0 ]
	[ "$output" = "hi" ]
}

@test "podman run returns the container's exit code, as with conmon" {
	both run --rm --network none localhost/busybox sh -c 'echo out; exit 42'
	[ "$(cat "$BATS_TEST_TMPDIR/tether")" = "42 out" ]
}

@test "podman run -d, logs, stop with a trapped SIGTERM, inspect, rm" {
	id=$(pod --conmon "$TETHER" run -d --network none localhost/busybox sh -c \
		'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.1; done')
	# Wait (bounded) for the first line in the log.
	for _ in $(seq 100); do
		[ "$(pod logs "$id" 2>/dev/null)" = started ] && break
		sleep 0.1
	done
	[ "$(pod logs "$id")" = started ]
	run pod ps --format '{{.ID}}'
	[[ "$output" == *"${id:0:12}"* ]]
	pod stop -t 10 "$id"
	[ "$(pod inspect "$id" --format '{{.State.Status}} {{.State.ExitCode}}')" = "exited 7" ]
	[ "$(pod logs "$id")" = "$(printf 'started\ngot-term')" ]
	pod rm "$id"
	# No monitor is left behind for it.
	! pgrep -f -- "-c $id" >/dev/null
}

@test "podman sees stdout and stderr apart, as with conmon" {
	both run --rm --network none localhost/busybox sh -c 'echo to-out; echo to-err >&2'
	out=$(pod --conmon "$TETHER" run --rm --network none localhost/busybox sh -c 'echo to-out; echo to-err >&2' 2>/dev/null)
	[ "$out" = "to-out" ]
}

@test "podman logs reads tether's k8s-file log exactly as conmon's" {
	# Full lines, an empty line, a line longer than any buffer, stderr, and a
	# last line without a newline.
	local script='echo first; echo; head -c 300000 /dev/zero | tr "\0" x; echo; echo to-err >&2; printf "no newline"'
	local mon name
	for mon in "$TETHER" /usr/bin/conmon; do
		[ -x "$mon" ] || continue
		name=$(basename "$mon")
		id=$(pod --conmon "$mon" run -d --network none localhost/busybox sh -c "$script")
		pod wait "$id" >/dev/null
		pod logs "$id" >"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err"
		pod rm "$id" >/dev/null
		# --tail counts records, not lines: across both streams (whose
		# order is only the pipes' read order) and across the pieces of a
		# long line (cut where reads fall), it differs from run to run for
		# conmon too. Compare it on short lines of one stream.
		id=$(pod --conmon "$mon" run -d --network none localhost/busybox sh -c \
			'seq 1 500; printf end')
		pod wait "$id" >/dev/null
		pod logs --tail 3 "$id" >"$BATS_TEST_TMPDIR/$name.tail" 2>&1
		pod rm "$id" >/dev/null
	done
	[ "$(head -c 6 "$BATS_TEST_TMPDIR/tether.out")" = first ]
	[ "$(wc -c <"$BATS_TEST_TMPDIR/tether.out")" -gt 300000 ]
	if [ -x /usr/bin/conmon ]; then
		cmp "$BATS_TEST_TMPDIR/tether.out" "$BATS_TEST_TMPDIR/conmon.out"
		cmp "$BATS_TEST_TMPDIR/tether.err" "$BATS_TEST_TMPDIR/conmon.err"
		cmp "$BATS_TEST_TMPDIR/tether.tail" "$BATS_TEST_TMPDIR/conmon.tail"
	fi
}

@test "podman run -it: a shell on a real terminal answers typed commands, sees its size, returns its code" {
	local mon out
	for mon in "$TETHER" /usr/bin/conmon; do
		[ -x "$mon" ] || continue
		run python3 "$REPO/tests/lib/pty_run.py" --rows 30 --cols 100 \
			--step 'echo typed-$((6*7))' '#' --step 'stty size' 'typed-42' \
			--step 'exit 5' '30 100' -- \
			env CONTAINERS_CONF="$P/containers.conf" podman --root "$P/root" \
			--runroot "$P/runroot" --storage-driver vfs --tmpdir "$P/tmp" --conmon "$mon" \
			run -it --rm --network none localhost/busybox sh
		echo "# $(basename "$mon"): status=$status" >&3
		[ "$status" -eq 5 ]
		out=$(printf '%s' "$output" | tr -d '\r')
		[[ "$out" == *$'\ntyped-42\n'* ]]
		[[ "$out" == *$'\n30 100\n'* ]]
	done
}

@test "podman inspect shows OOMKilled for a container the OOM killer ended" {
	id=$(pod --conmon "$TETHER" run -d --network none --memory 20m --memory-swap 20m \
		localhost/busybox sh -c 'exec dd if=/dev/zero of=/dev/null bs=64M count=1')
	pod wait "$id" >/dev/null
	# conmon 2.1.6 leaves "oom" in its cwd, so podman 4.3 says false there.
	[ "$(pod inspect "$id" --format '{{.State.OOMKilled}} {{.State.ExitCode}}')" = "true 137" ]
	pod rm "$id" >/dev/null
}

@test "podman exec: output, exit codes, -i with piped input, -d; the same as with conmon" {
	local mon name id
	for mon in "$TETHER" /usr/bin/conmon; do
		[ -x "$mon" ] || continue
		name=$(basename "$mon")
		id=$(pod --conmon "$mon" run -d --network none localhost/busybox sleep 300)
		{
			s=0
			pod --conmon "$mon" exec "$id" sh -c 'echo exec-out; exit 6' 2>&1 || s=$?
			echo "status=$s" && s=0
			echo piped | pod --conmon "$mon" exec -i "$id" cat || s=$?
			echo "status=$s" && s=0
			pod --conmon "$mon" exec "$id" true || s=$?
			echo "status=$s" && s=0
			pod --conmon "$mon" exec -d "$id" sh -c 'echo detached >/tmp/d' >/dev/null || s=$?
			echo "status=$s"
		} >"$BATS_TEST_TMPDIR/$name"
		# The detached exec ran.
		wait_for_file() { pod exec "$id" cat /tmp/d 2>/dev/null; }
		for _ in $(seq 50); do [ "$(wait_for_file)" = detached ] && break; sleep 0.1; done
		[ "$(wait_for_file)" = detached ]
		pod rm -f -t 0 "$id" >/dev/null
	done
	cat "$BATS_TEST_TMPDIR/tether" >&3
	[ "$(cat "$BATS_TEST_TMPDIR/tether")" = "exec-out
status=6
piped
status=0
status=0
status=0" ]
	[ ! -x /usr/bin/conmon ] || diff "$BATS_TEST_TMPDIR/tether" "$BATS_TEST_TMPDIR/conmon"
}

@test "podman exec -it: an interactive shell in a running container, exit code back" {
	id=$(pod --conmon "$TETHER" run -d --network none localhost/busybox sleep 300)
	run python3 "$REPO/tests/lib/pty_run.py" --step 'echo in-exec-$((2+3))' '#' \
		--step 'exit 4' 'in-exec-5' -- env CONTAINERS_CONF="$P/containers.conf" podman \
		--root "$P/root" --runroot "$P/runroot" --storage-driver vfs --tmpdir "$P/tmp" \
		--conmon "$TETHER" exec -it "$id" sh
	[ "$status" -eq 4 ]
	[[ "$(printf '%s' "$output" | tr -d '\r')" == *$'\nin-exec-5\n'* ]]
	pod rm -f -t 0 "$id" >/dev/null
}

@test "podman healthcheck run: unhealthy, then healthy, through tether's exec" {
	id=$(pod --conmon "$TETHER" run -d --network none --health-cmd 'test -e /tmp/ok' \
		--health-interval 0 localhost/busybox sleep 300 | tail -1)
	run pod --conmon "$TETHER" healthcheck run "$id"
	[ "$status" -eq 1 ]
	pod --conmon "$TETHER" exec "$id" touch /tmp/ok
	pod --conmon "$TETHER" healthcheck run "$id"
	[ "$(pod inspect "$id" --format '{{.State.Health.Status}}')" = healthy ]
	pod rm -f -t 0 "$id" >/dev/null
}
