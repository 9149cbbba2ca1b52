#!/usr/bin/env bats
# Terminals and stdin (conmon-spec §2.6, §2.7, §2.8): -t through the
# runtime's console socket, resize through ctl, input from attach clients to
# the terminal or (-i) a stdin pipe, EOF and --leave-stdin-open. Runs against
# tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

# client [ARGS]: an attach client in the background, connected before the
# container starts; its streams land in $T/c.stdout / $T/c.stderr.
client() {
	rm -f "$T/ready"
	python3 "$LIB/attach_client.py" "$T/bundle/attach" --ready "$T/ready" --out "$T/c" \
		--timeout 20 "$@" >"$T/c.summary" 2>&1 &
	wait_for "[ -e '$T/ready' ]" 10
}

@test "-t: the container's stdio is a terminal; output is logged with \\r\\n as conmon's" {
	make_test_bundle --tty -- sh -c 'tty; echo hi; exit 4'
	monitor_create -t --full-attach
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 4 ]
	log_grammar_ok
	[[ "$(log_stream stdout)" =~ ^/dev/pts/[0-9]+$'\r'$'\n'hi$'\r'$ ]]
	# No console socket is left behind.
	[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'tether-term.*' -newer "$T/bundle/config.json" 2>/dev/null)" ]
}

@test "-t: a resize sent before start is the terminal's size when it starts" {
	make_test_bundle --tty -- sh -c 'stty size'
	monitor_create -t --full-attach
	echo "1 33 120" >"$T/bundle/ctl"
	runtime_start
	wait_exit_file
	[ "$(log_stream stdout | tr -d '\r')" = "33 120" ]
}

@test "-t: a resize while it runs reaches the container (SIGWINCH, stty size)" {
	make_test_bundle --tty -- sh -c 'trap "stty size; exit 0" WINCH; echo ready; while :; do sleep 0.05; done'
	monitor_create -t --full-attach
	runtime_start
	wait_for "log_stream stdout | grep -q ready" 10
	echo "1 40 132" >"$T/bundle/ctl"
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	log_stream stdout | tr -d '\r' | grep -qx "40 132"
}

@test "-t: what a client types reaches the shell on the terminal" {
	make_test_bundle --tty -- sh
	monitor_create -t --full-attach
	client --send $'echo typed-$((6*7))\nexit 3\n'
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 3 ]
	wait_for "grep -q typed-42 '$T/c.stdout'" 10
	log_stream stdout | grep -q typed-42
}

@test "-i: a client's input reaches stdin; its hang-up closes stdin (cat exits 0)" {
	make_test_bundle -- sh -c 'cat; echo "cat exited $?"'
	monitor_create -i --full-attach
	client --send $'hello\nworld\n' --shutdown-write
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	[ "$(log_stream stdout)" = "hello
world
cat exited 0" ]
}

@test "-i --leave-stdin-open: a client's hang-up leaves stdin open" {
	make_test_bundle -- sh -c 'cat; echo "cat exited $?"'
	monitor_create -i --leave-stdin-open --full-attach
	client --send $'first\n' --shutdown-write
	runtime_start
	wait_for "log_stream stdout | grep -q first" 10
	# cat is still reading: a second client's input reaches it too.
	client --send $'second\n' --shutdown-write
	wait_for "log_stream stdout | grep -q second" 10
	not wait_for "[ -s '$T/exits/$CID' ]" 0.5
	runtime_kill KILL
	wait_exit_file
	[ "$EXIT_CODE" = 137 ]
}

@test "-i: a client packet larger than 32 KiB reaches stdin whole" {
	skip_for conmon "conmon cuts client packets at 32 KiB (conmon-spec §2.6)"
	make_test_bundle -- sh -c 'wc -c'
	monitor_create -i --full-attach
	client --send "$(head -c 100000 /dev/zero | tr '\0' a)" --shutdown-write
	runtime_start
	wait_exit_file
	[ "$(log_stream stdout | tr -d ' ')" = 100000 ]
}

@test "-t: a runtime that fails reports its error on the sync pipe" {
	mkdir -p "$T/bundle"
	monitor_argv -t --full-attach
	caller -- "${MONITOR_ARGV[@]}" || true
	[ "$SYNC_DATA" = -1 ]
	[[ "$SYNC_MESSAGE" == *config.json* ]]
}
