#!/usr/bin/env bats
# run -it and attach on a real terminal (tests/lib/pty_run.py), attach
# without one, exec in every mode, and healthcheck run, with tether and with
# conmon.

load helpers

setup_file() { compat_setup_file; }
teardown_file() { compat_teardown_file; }

# on_pty [PTY_RUN OPTIONS...] -- PODMAN ARGS...: podman ($MON's) on a real
# terminal; prints "[STATUS]" and what the terminal showed, one line.
on_pty() {
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	pod_argv
	local out s=0
	out=$(python3 "$REPO/tests/lib/pty_run.py" "${opts[@]}" -- "${POD_ARGV[@]}" "$@") || s=$?
	printf '[%d] %s\n' "$s" "$(scrub "$out")"
}

# shell_on_pty ROWS COLS CODE PODMAN ARGS...: a shell that podman starts on
# a real terminal of that size answers a typed command, sees the size, and
# exits with CODE.
shell_on_pty() {
	local rows=$1 cols=$2 code=$3 out
	shift 3
	out=$(on_pty --rows "$rows" --cols "$cols" --step 'echo typed-$((6*7))' '#' \
		--step 'stty size' 'typed-42' --step "exit $code" "$rows $cols" -- "$@")
	echo "status: ${out%%]*}]"
	[[ "$out" == *'|typed-42|'* ]] && echo "typed command answered"
	[[ "$out" == *"|$rows $cols|"* ]] && echo "terminal size seen"
}

@test "run -it: a shell on a real terminal answers, sees its size, returns its code" {
	scenario() {
		shell_on_pty 30 100 5 run -it --rm --network none "$IMG" sh
	}
	compare_monitors
	expect <<-'EOF'
	status: [5]
	typed command answered
	terminal size seen
	EOF
}

@test "attach on a terminal: detach keys leave it running, a second attach ends it" {
	scenario() {
		ID=$(pod run -d -it --network none --name tty-shell "$IMG" sh)
		local out
		# (podman 4.3 passes its default ctrl-p,ctrl-q on to the container
		# with either monitor; a one-key sequence of its own it heeds.)
		out=$(on_pty --wait-raw --step 'echo first-$((1+1))' '' --keys $'\x01' 'first-2' -- \
			attach --detach-keys ctrl-a "$ID")
		echo "detached: ${out%%]*}]"
		[[ "$out" == *'first-2'* ]] && echo "first attach answered"
		say still state
		out=$(on_pty --wait-raw --step 'echo second-$((2+1))' '' --step 'exit 3' 'second-3' -- attach "$ID")
		echo "ended: ${out%%]*}]"
		[[ "$out" == *'second-3'* ]] && echo "second attach answered"
		say exited state
	}
	compare_monitors
	expect <<-'EOF'
	detached: [0]
	first attach answered
	still: [0] running 0
	ended: [0]
	second attach answered
	exited: [0] exited 3
	EOF
}

@test "attach without a terminal: piped stdin, output until the end, the exit code" {
	scenario() {
		ID=$(pod run -d -i --network none "$IMG" sh -c 'read x; echo got-$x; echo err-$x >&2; exit 4')
		pod_argv
		say attach-stdin sh -c 'echo hello | "$@"' sh "${POD_ARGV[@]}" attach "$ID"
		ID=$(pod run -d --network none "$IMG" sh -c \
			'i=0; while [ ! -e /tmp/go ]; do i=$((i+1)); echo tick; sleep 0.1; done; echo end; exit 6')
		pod attach --no-stdin "$ID" >"$BATS_TEST_TMPDIR/attach.$MON" 2>&1 &
		local a=$!
		wait_until 10 grep -q tick "$BATS_TEST_TMPDIR/attach.$MON"
		pod exec "$ID" touch /tmp/go
		reap "$a"
		# (podman ends it with an empty line.)
		echo "attach: [$?] last=$(grep -v -e level=warning -e '^$' "$BATS_TEST_TMPDIR/attach.$MON" | tail -1)"
		say attach-exited pod attach "$ID"
	}
	compare_monitors
	expect <<-'EOF'
	attach-stdin: [0] got-hello|err-hello
	attach: [0] last=end
	attach-exited: [125] Error: you can only attach to running containers
	EOF
}

@test "exec: output, exit codes, piped stdin, -t, -d, user, env, workdir" {
	scenario() {
		ID=$(pod run -d --network none "$IMG" sleep 300)
		pod_argv
		say plain pod exec "$ID" sh -c 'echo exec-out; echo exec-err >&2; exit 6'
		say true pod exec "$ID" true
		say piped sh -c 'printf "a\nb\n" | "$@"' sh "${POD_ARGV[@]}" exec -i "$ID" cat
		say tty pod exec -t "$ID" sh -c 'tty >/dev/null && echo on-a-tty'
		say no-such pod exec "$ID" /no/such
		say not-executable pod exec "$ID" /etc/passwd
		say user pod exec -u nobody "$ID" id -u
		say env pod exec -e FOO=bar "$ID" sh -c 'echo $FOO'
		say workdir pod exec -w /tmp "$ID" pwd
		pod exec -d "$ID" sh -c 'echo detached >/tmp/d' >/dev/null
		echo "detached: [$?]"
		wait_until 10 eval '[ "$(pod exec "$ID" cat /tmp/d)" = detached ]' && echo "detached exec ran"
		pod stop -t 0 "$ID" >/dev/null
		say stopped pod exec "$ID" true
	}
	compare_monitors
	expect <<-'EOF'
	plain: [6] exec-out|exec-err
	true: [0] 
	piped: [0] a|b
	tty: [0] on-a-tty
	no-such: [127] Error: runc: exec failed: unable to start container process: exec: "/no/such": stat /no/such: no such file or directory: OCI runtime attempted to invoke a command that was not found
	not-executable: [126] Error: runc: exec failed: unable to start container process: exec: "/etc/passwd": permission denied: OCI permission denied
	user: [0] 65534
	env: [0] bar
	workdir: [0] /tmp
	detached: [0]
	detached exec ran
	stopped: [255] Error: can only create exec sessions on running containers: container state improper
	EOF
}

@test "exec -it: an interactive shell on a real terminal, its size, its exit code" {
	scenario() {
		ID=$(pod run -d --network none "$IMG" sleep 300)
		shell_on_pty 20 70 4 exec -it "$ID" sh
	}
	compare_monitors
	expect <<-'EOF'
	status: [4]
	typed command answered
	terminal size seen
	EOF
}

@test "healthcheck run: unhealthy, then healthy, as inspect reports it" {
	scenario() {
		ID=$(pod run -d --network none --health-cmd 'echo checking; test -e /tmp/ok' \
			--health-interval 0 --health-retries 1 "$IMG" sleep 300 | tail -1)
		say unhealthy-run pod healthcheck run "$ID"
		say unhealthy pod inspect "$ID" --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}}'
		pod exec "$ID" touch /tmp/ok
		say healthy-run pod healthcheck run "$ID"
		say healthy pod inspect "$ID" \
			--format '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{(index .State.Health.Log 1).ExitCode}} {{(index .State.Health.Log 1).Output}}'
		echo "ps: $(pod ps --format '{{.Status}}' | sed 's/Up .* ago/Up/')"
		pod stop -t 0 "$ID" >/dev/null
		say stopped pod healthcheck run "$ID"
	}
	compare_monitors
	expect <<-'EOF'
	unhealthy-run: [1] unhealthy
	unhealthy: [0] unhealthy 1
	healthy-run: [0] 
	healthy: [0] healthy 0 0 checking
	ps: Up (healthy)
	stopped: [125] Error: container ID is not running
	EOF
}

@test "exec: megabytes out and in arrive whole; --preserve-fds" {
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/input"
	echo "on fd 3" >"$BATS_TEST_TMPDIR/fd3"
	scenario() {
		ID=$(pod run -d --network none "$IMG" sleep 300)
		echo "out: $(pod exec "$ID" head -c 3000000 /dev/zero | md5sum)"
		local sum
		sum=$(pod exec -i "$ID" md5sum <"$BATS_TEST_TMPDIR/input")
		[ "$sum" = "$(md5sum <"$BATS_TEST_TMPDIR/input")" ] && echo "stdin arrived whole"
		say preserve-fds pod exec --preserve-fds 1 "$ID" sh -c 'cat <&3' 3<"$BATS_TEST_TMPDIR/fd3"
	}
	compare_monitors
	expect <<-EOF
	out: $(head -c 3000000 /dev/zero | md5sum)
	stdin arrived whole
	preserve-fds: [0] on fd 3
	EOF
}
