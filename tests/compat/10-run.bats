#!/usr/bin/env bats
# podman run, start, stop, restart, kill, wait, pause, rm, top and ps, with
# tether and with conmon as the monitor: podman must report the same.

load helpers

setup_file() { compat_setup_file; }
teardown_file() { compat_teardown_file; }

@test "run in the foreground: stdout and stderr apart, exit codes, runtime errors" {
	scenario() {
		only_out() { "$@" 2>/dev/null; }
		only_err() { "$@" 2>&1 >/dev/null; }
		say out only_out pod run --rm --network none "$IMG" sh -c 'echo to-out; echo to-err >&2'
		say err only_err pod run --rm --network none "$IMG" sh -c 'echo to-out; echo to-err >&2'
		say exit-0 pod run --rm --network none "$IMG" true
		say exit-3 pod run --rm --network none "$IMG" sh -c 'exit 3'
		say exit-255 pod run --rm --network none "$IMG" sh -c 'exit 255'
		say no-such-command pod run --rm --network none "$IMG" /no/such
		say not-executable pod run --rm --network none "$IMG" /etc/passwd
		say left-behind pod ps -aq
	}
	compare_monitors
	expect <<-'EOF'
	out: [0] to-out
	err: [0] to-err
	exit-0: [0] 
	exit-3: [3] 
	exit-255: [255] 
	no-such-command: [127] Error: runc: runc create failed: unable to start container process: exec: "/no/such": stat /no/such: no such file or directory: OCI runtime attempted to invoke a command that was not found
	not-executable: [126] Error: runc: runc create failed: unable to start container process: exec: "/etc/passwd": permission denied: OCI permission denied
	left-behind: [0] 
	EOF
}

@test "run -d, wait, inspect; run -d --rm is removed by the monitor's exit command" {
	scenario() {
		ID=$(pod run -d --network none "$IMG" sh -c 'echo started; exit 5')
		say wait pod wait "$ID"
		say state state
		say logs pod logs "$ID"
		say rm pod rm "$ID"
		ID=$(pod run -d --rm --network none "$IMG" sh -c 'exit 9')
		# podman container cleanup --rm, run by the monitor, removes it.
		say removed wait_until 20 eval '! pod container exists "$ID"'
	}
	compare_monitors
	expect <<-'EOF'
	wait: [0] 5
	state: [0] exited 5
	logs: [0] started
	rm: [0] ID
	removed: [0] 
	EOF
}

@test "run with a restart policy: the monitor's exit command restarts the container" {
	scenario() {
		ID=$(pod run -d --network none --restart on-failure:2 "$IMG" sh -c 'echo try; exit 4')
		# Two restarts, then it stays exited.
		restarted() {
			[ "$(pod inspect "$ID" --format '{{.RestartCount}} {{.State.Status}}')" = "2 exited" ]
		}
		say restarts wait_until 30 restarted
		say state state
		say logs pod logs "$ID"
	}
	compare_monitors
	expect <<-'EOF'
	restarts: [0] 
	state: [0] exited 4
	logs: [0] try|try|try
	EOF
}

@test "signals: podman kill, run's signal proxy, stop with a trap and with -t" {
	scenario() {
		local script='trap "echo got-usr1" USR1; trap "echo got-term; exit 7" TERM
			echo ready; while :; do sleep 0.1; done'
		ID=$(pod run -d --network none "$IMG" sh -c "$script")
		wait_until 10 log_has ready
		say kill-usr1 pod kill -s USR1 "$ID"
		say got-usr1 wait_until 10 log_has got-usr1
		say running state
		say stop pod stop -t 10 "$ID"
		say stopped state
		say logs pod logs "$ID"
		# A container that ignores SIGTERM: stop -t 1 ends with SIGKILL.
		ID=$(pod run -d --network none --name deaf "$IMG" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done')
		wait_until 10 log_has ready
		say stop-t1 pod stop -t 1 "$ID"
		say killed state
		# podman kill: SIGKILL by default.
		ID=$(pod run -d --network none "$IMG" sleep 300)
		say kill pod kill "$ID"
		say kill-wait pod wait "$ID"
		# SIGUSR1 to a foreground podman run reaches the container.
		pod_argv
		"${POD_ARGV[@]}" run --network none --name proxied "$IMG" sh -c "$script" \
			>"$BATS_TEST_TMPDIR/proxied.$MON" 2>&1 &
		local pid=$!
		ID=proxied
		wait_until 20 log_has ready
		# (podman's proxy may not be listening yet at the first signal,
		# with either monitor: signal until one arrives.)
		poke() { kill -USR1 "$pid" && log_has got-usr1; }
		say proxied-usr1 wait_until 10 poke
		kill -TERM "$pid"
		reap "$pid"
		echo "run-status: $?"
		say run-output uniq "$BATS_TEST_TMPDIR/proxied.$MON"
	}
	compare_monitors
	expect <<-'EOF'
	kill-usr1: [0] ID
	got-usr1: [0] 
	running: [0] running 0
	stop: [0] ID
	stopped: [0] exited 7
	logs: [0] ready|got-usr1|got-term
	stop-t1: [0] time=T level=warning msg="StopSignal SIGTERM failed to stop container deaf in 1 seconds, resorting to SIGKILL"|ID
	killed: [0] exited 137
	kill: [0] ID
	kill-wait: [0] 137
	proxied-usr1: [0] 
	run-status: 7
	run-output: [0] ready|got-usr1|got-term
	EOF
}

@test "create, start, restart, wait: a new process each time, the log keeps growing" {
	scenario() {
		ID=$(pod create --network none "$IMG" sh -c 'echo run; sleep 300')
		say created state
		say start pod start "$ID"
		wait_until 10 log_has run
		local pid1
		pid1=$(pod inspect "$ID" --format '{{.State.Pid}}')
		say restart pod restart -t 0 "$ID"
		wait_until 10 eval '[ "$(pod logs "$ID")" = "$(printf "run\nrun")" ]'
		local pid2
		pid2=$(pod inspect "$ID" --format '{{.State.Pid}}')
		[ "$pid1" != "$pid2" ] && [ "$pid2" -gt 0 ] && echo "new pid"
		say logs pod logs "$ID"
		say state state
		# wait returns when another command stops it.
		pod wait "$ID" >"$BATS_TEST_TMPDIR/wait.$MON" 2>&1 &
		local w=$!
		say stop pod stop -t 0 "$ID"
		reap "$w"
		echo "wait: $? $(cat "$BATS_TEST_TMPDIR/wait.$MON")"
		# start -a of an exited container: its output, its exit code.
		ID=$(pod create --network none "$IMG" sh -c 'echo attached-out; exit 6')
		say start-a pod start -a "$ID"
		say start-a-again pod start -a "$ID"
		say state state
	}
	compare_monitors
	expect <<-'EOF'
	created: [0] created 0
	start: [0] ID
	restart: [0] ID
	new pid
	logs: [0] run|run
	state: [0] running 0
	stop: [0] ID
	wait: 0 137
	start-a: [6] attached-out
	start-a-again: [6] attached-out
	state: [0] exited 6
	EOF
}

@test "pause and unpause: inspect, ps, and the process carries on" {
	scenario() {
		ID=$(pod run -d --network none "$IMG" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.1; done')
		say pause pod pause "$ID"
		say paused state
		say ps pod ps -a --format '{{.State}}'
		local n1 n2
		n1=$(pod exec "$ID" cat /tmp/n 2>&1)
		echo "exec while paused: $(scrub "$n1")"
		say unpause pod unpause "$ID"
		say running state
		# A read can fall between the loop's truncation and its write.
		wait_until 10 eval 'n1=$(pod exec "$ID" cat /tmp/n) && [ -n "$n1" ]'
		if wait_until 10 eval '[ "$(pod exec "$ID" cat /tmp/n)" -gt "$n1" ]'; then
			echo "counting again"
		else
			echo "not counting: '$n1', then '$(pod exec "$ID" cat /tmp/n 2>&1)'"
		fi
		say rm-f pod rm -f -t 0 "$ID"
		say gone pod ps -aq
	}
	compare_monitors
	expect <<-'EOF'
	pause: [0] ID
	paused: [0] paused 0
	ps: [0] Paused
	exec while paused: Error: can only create exec sessions on running containers: container state improper
	unpause: [0] ID
	running: [0] running 0
	counting again
	rm-f: [0] ID
	gone: [0] 
	EOF
}

@test "rm -f of a running container ends it and its monitor" {
	scenario() {
		ID=$(pod run -d --network none "$IMG" sleep 300)
		local mon_pid
		mon_pid=$(pod inspect "$ID" --format '{{.State.ConmonPid}}')
		[ -e "/proc/$mon_pid" ] && echo "monitor runs"
		say rm-f pod rm -f -t 0 "$ID"
		say exists pod container exists "$ID"
		wait_until 10 eval "[ ! -e /proc/$mon_pid ]" && echo "monitor gone"
	}
	compare_monitors
	expect <<-'EOF'
	monitor runs
	rm-f: [0] ID
	exists: [1] 
	monitor gone
	EOF
}

@test "top and ps: the container's processes, status and exit code" {
	scenario() {
		ID=$(pod run -d --network none --name topped "$IMG" sh -c 'sleep 300 & exec sleep 301')
		wait_until 10 eval '[ "$(pod top "$ID" args | wc -l)" -ge 3 ]'
		say top pod top "$ID" user args
		echo "ps: $(pod ps --format '{{.Names}} {{.Status}} {{.Command}}' | sed 's/ Up .* ago / Up /')"
		pod kill "$ID" >/dev/null
		pod wait "$ID" >/dev/null
		# Status without its age ("Exited (137) 1 second ago").
		echo "ps-a: $(pod ps -a --format '{{.Names}} {{.Status}}' | sed 's/) .*/)/')"
		say top-exited pod top "$ID"
	}
	compare_monitors
	expect <<-'EOF'
	top: [0] USER        COMMAND|root        sleep 301|root        sleep 300
	ps: topped Up sh -c sleep 300 &...
	ps-a: topped Exited (137)
	top-exited: [125] Error: top can only be used on running containers
	EOF
}

@test "OOMKilled: podman inspect shows what the OOM killer did" {
	scenario() {
		ID=$(pod run -d --network none --memory 20m --memory-swap 20m "$IMG" \
			sh -c 'exec dd if=/dev/zero of=/dev/null bs=64M count=1')
		say wait pod wait "$ID"
		say oom pod inspect "$ID" --format '{{.State.OOMKilled}} {{.State.ExitCode}}'
	}
	run_monitors
	# conmon 2.1.6 writes its "oom" file into its own working directory, not
	# the bundle, so podman 4.3 never sees it (docs/compat.md).
	expect_each conmon <<-'EOF'
	wait: [0] 137
	oom: [0] false 137
	EOF
	expect_each tether <<-'EOF'
	wait: [0] 137
	oom: [0] true 137
	EOF
}

@test "run -i: megabytes of piped stdin arrive whole; --preserve-fds; --timeout" {
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/input"
	echo "on fd 3" >"$BATS_TEST_TMPDIR/fd3"
	scenario() {
		local sum
		sum=$(pod run -i --rm --network none "$IMG" md5sum <"$BATS_TEST_TMPDIR/input")
		[ "$sum" = "$(md5sum <"$BATS_TEST_TMPDIR/input")" ] && echo "stdin arrived whole"
		pod_argv
		say stdin-eof sh -c 'printf "a\nb" | "$@"' sh "${POD_ARGV[@]}" run -i --rm --network none "$IMG" \
			sh -c 'cat; echo; echo eof-seen'
		say preserve-fds pod run --rm --network none --preserve-fds 1 "$IMG" sh -c 'cat <&3' \
			3<"$BATS_TEST_TMPDIR/fd3"
		# --timeout: the monitor kills the container after 1 s.
		say timeout pod run --rm --network none --timeout 1 "$IMG" sleep 60
	}
	compare_monitors
	expect <<-'EOF'
	stdin arrived whole
	stdin-eof: [0] a|b|eof-seen
	preserve-fds: [0] on fd 3
	timeout: [255] 
	EOF
}

@test "init, start -ai with piped stdin, --stop-signal, kill of a stopped container, wait --condition" {
	scenario() {
		ID=$(pod create -i --network none "$IMG" sh -c 'read x; echo got-$x; exit 2')
		say init pod init "$ID"
		say initialized state
		pod_argv
		say start-ai sh -c 'echo piped | "$@"' sh "${POD_ARGV[@]}" start -ai "$ID"
		say exited state
		say kill-exited pod kill "$ID"
		ID=$(pod run -d --network none --stop-signal USR1 "$IMG" sh -c \
			'trap "echo got-usr1; exit 8" USR1; echo ready; while :; do sleep 0.1; done')
		wait_until 10 log_has ready
		pod wait --condition stopped "$ID" >"$BATS_TEST_TMPDIR/wait.$MON" 2>&1 &
		local w=$!
		say stop pod stop "$ID"
		reap "$w"
		echo "wait-stopped: [$?] $(cat "$BATS_TEST_TMPDIR/wait.$MON")"
		say logs pod logs "$ID"
		say state state
	}
	compare_monitors
	expect <<-'EOF'
	init: [0] ID
	initialized: [0] initialized 0
	start-ai: [2] got-piped
	exited: [0] exited 2
	kill-exited: [125] Error: can only kill running containers. ID is in state exited: container state improper
	stop: [0] ID
	wait-stopped: [0] 8
	logs: [0] ready|got-usr1
	state: [0] exited 8
	EOF
}
