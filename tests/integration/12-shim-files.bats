#!/usr/bin/env bats
# What the monitor leaves on disk and hands on: the k8s-file log, exit files,
# the exit command, the ctl/winsz FIFOs, and which fds its children inherit
# (conmon-spec §2.8, §2.9, §2.12.2, §2.13, §2.2). Runs against tether and conmon.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

@test "k8s-file: every record is 'RFC3339-nanos+offset stdout|stderr F|P content', streams kept apart" {
	run_container sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; echo; echo "  spaced  out "'
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(log_stream stdout)" = "out1
out2

  spaced  out " ]
	[ "$(log_stream stderr)" = "err1
err2" ]
	log_has "stdout F out1"
	log_has "stderr F err1"
	log_has "stdout F "
	# Exactly these records, nothing else.
	[ "$(wc -l <"$T/ctr.log")" -eq 6 ]
}

@test "k8s-file: the timestamp is local time with the zone offset" {
	run_container sh -c 'echo x'
	local ts
	ts=$(head -1 "$T/ctr.log" | cut -d' ' -f1)
	[[ "$ts" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2}$ ]]
	# Within a minute of now, same offset as date(1) prints.
	[ "${ts: -6}" = "$(date +%:z)" ]
	local then now
	then=$(date -d "${ts%.*}${ts: -6}" +%s)
	now=$(date +%s)
	[ $((now - then)) -lt 60 ]
	[ $((now - then)) -gt -60 ]
}

@test "k8s-file: a final write without a newline stays a P record (no closing F)" {
	run_container sh -c 'echo full; printf partial'
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(tail -1 "$T/ctr.log" | cut -d' ' -f2-)" = "stdout P partial" ]
	log_has "stdout F full"
	[ "$(wc -l <"$T/ctr.log")" -eq 2 ]
}

@test "k8s-file: a line longer than a read buffer is cut into P records and ends with F" {
	# 3 MB: longer than any monitor's buffers (conmon reads 8 KiB, tether
	# up to 256 KiB into a 512 KiB record buffer).
	run_container sh -c 'head -c 3000000 /dev/zero | tr "\0" x; echo; echo next'
	log_grammar_ok
	local want
	want=$(head -c 3000000 /dev/zero | tr '\0' x)
	[ "$(log_stream stdout | head -1)" = "$want" ]
	[ "$(log_stream stdout | tail -1)" = next ]
	# Cut into pieces: P records (how many depends on the read size),
	# and the line is closed by an F record.
	[ "$(log_lines | grep -c '^stdout P x')" -ge 1 ]
	[ "$(log_lines | grep -c '^stdout F ')" -eq 2 ]
}

@test "exit file: --exit-dir/CID holds the code in decimal, no newline" {
	run_container sh -c 'exit 3'
	[ "$(cat "$T/exits/$CID")" = 3 ]
	[ "$(wc -c <"$T/exits/$CID")" -eq 1 ]
	[ -z "$(ls "$T/exits" | grep -vxF "$CID")" ]
}

@test "exit file: --persist-dir/exit holds the code too" {
	make_test_bundle -- sh -c 'exit 12'
	mkdir -p "$T/persist"
	monitor_create --persist-dir "$T/persist"
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 12 ]
	[ "$(cat "$T/persist/exit")" = 12 ]
	[ "$(wc -c <"$T/persist/exit")" -eq 2 ]
}

@test "exit file: -0 is --persist-dir" {
	make_test_bundle -- sh -c 'exit 13'
	mkdir -p "$T/persist"
	monitor_create -0 "$T/persist"
	runtime_start
	wait_exit_file
	[ "$(cat "$T/persist/exit")" = 13 ]
}

@test "exit command: run after the exit file, with its arguments (an empty one kept)" {
	make_test_bundle -- sh -c 'exit 9'
	# $0 is the output file; the exit file must already be there.
	monitor_create --exit-command /bin/sh \
		--exit-command-arg -c \
		--exit-command-arg 'printf "%s|" "$@" > "$0.tmp"; printf "%s" "$#" >> "$0.tmp"; cat "$0.exitfile" > "$0.code"; mv "$0.tmp" "$0"' \
		--exit-command-arg "$T/exitcmd" \
		--exit-command-arg a1 --exit-command-arg '' --exit-command-arg 'a b' \
		--exit-command-arg '*'
	ln -s "$T/exits/$CID" "$T/exitcmd.exitfile"
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 9 ]
	wait_for "[ -e '$T/exitcmd' ]"
	[ "$(cat "$T/exitcmd")" = "a1||a b|*|4" ]
	[ "$(cat "$T/exitcmd.code")" = 9 ]
}

@test "exit command: gets the monitor's environment, stdio on /dev/null, no other fds" {
	make_fd_lister
	make_test_bundle -- true
	export EXIT_ENV_MARK=mark-$CID
	monitor_create --exit-command "$T/lsfd" \
		--exit-command-arg "$T/exitcmd-fds" --exit-command-arg /bin/sh \
		--exit-command-arg -c --exit-command-arg 'echo "$EXIT_ENV_MARK" > "$0"' \
		--exit-command-arg "$T/exitcmd-env"
	runtime_start
	wait_exit_file
	wait_for "[ -e '$T/exitcmd-env' ]"
	[ "$(cat "$T/exitcmd-env")" = "mark-$CID" ]
	[ "$(cat "$T/exitcmd-fds")" = "0 /dev/null
1 /dev/null
2 /dev/null" ]
}

@test "exit command: --exit-delay N waits N seconds after the exit" {
	make_test_bundle -- true
	monitor_create --exit-delay 1 --exit-command /bin/sh \
		--exit-command-arg -c --exit-command-arg ': > "$0"' \
		--exit-command-arg "$T/exitcmd"
	runtime_start
	wait_exit_file
	local t0 t1
	t0=$(date -r "$T/exits/$CID" +%s%N)
	[ ! -e "$T/exitcmd" ]
	wait_for "[ -e '$T/exitcmd' ]" 5
	t1=$(date -r "$T/exitcmd" +%s%N)
	[ $(((t1 - t0) / 1000000)) -ge 900 ]
	[ $(((t1 - t0) / 1000000)) -lt 3000 ]
}

@test "ctl and winsz FIFOs are in the bundle" {
	make_test_bundle -- true
	monitor_create
	[ -p "$T/bundle/ctl" ]
	[ -p "$T/bundle/winsz" ]
	# Writers never block: the monitor holds a reader.
	timeout 5 sh -c "echo '1 24 80' > '$T/bundle/ctl'"
}

@test "ctl '2 0 0' reopens the log: a new file (new inode) at the log path" {
	make_test_bundle -- sh -c 'trap "echo after; exit 0" USR1; echo before; while :; do sleep 0.05; done'
	monitor_create
	runtime_start
	wait_for 'log_has "stdout F before"'
	local ino
	ino=$(stat -c %i "$T/ctr.log")
	# kubelet's rotation: rename, then ask for a reopen.
	mv "$T/ctr.log" "$T/ctr.log.1"
	timeout 5 sh -c "printf '2 0 0\n' > '$T/bundle/ctl'"
	wait_for "[ -e '$T/ctr.log' ]"
	[ "$(stat -c %i "$T/ctr.log")" != "$ino" ]
	runtime_kill USR1
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	log_has "stdout F after"
	not log_has "stdout F before"
	log_lines "$T/ctr.log.1" | grep -qxF "stdout F before"
	not grep -qF " stdout F after" "$T/ctr.log.1"
}

@test "fds: the container's init has only 0, 1 and 2 (an extra fd from the caller does not leak)" {
	make_test_bundle -- sh -c 'ls /proc/1/fd; exit 0'
	CALLER_OPTS=(--pass-file "$T/extra")
	monitor_create
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	[ "$(log_stream stdout | tr '\n' ' ')" = "0 1 2 " ]
}

@test "fds: the runtime gets 0-2 and the caller's extra fds, none of the monitor's own" {
	make_runtime_wrapper
	RUNC=$T/runtime
	make_test_bundle -- true
	CALLER_OPTS=(--pass-file "$T/extra")
	monitor_create
	local extra f
	extra=$(json_get "$SYNC_JSON" "j['fds']['extra'][0]")
	f=$T/runtime-fds.create
	[ -e "$f" ]
	# stdin is /dev/null without -i; stdout and stderr are the monitor's pipes.
	grep -qx "0 /dev/null" "$f"
	grep -q "^1 pipe:" "$f"
	grep -q "^2 pipe:" "$f"
	# conmon keeps the caller's fds open for the runtime (podman's
	# --preserve-fds and port reservations rely on it).
	grep -qxF "$extra $T/extra" "$f"
	[ "$(grep -cv '^[012] ' "$f")" -eq 1 ]
}

@test "fds: the monitor holds only expected fds (no start pipe, no stray files)" {
	make_test_bundle -- sleep 100
	CALLER_OPTS=(--pass-file "$T/extra")
	monitor_create
	runtime_start
	local start_ino fd target bad=
	start_ino=$(json_get "$SYNC_JSON" "j['inodes']['start']")
	for fd in /proc/"$MON_PID"/fd/*; do
		target=$(readlink "$fd") || continue
		case $target in
		"socket:[$start_ino]") bad+=" ${fd##*/}=start-pipe" ;;
		/dev/null | socket:* | pipe:* | anon_inode:* | /dev/ptmx | /dev/pts/*) ;;
		"$T/ctr.log" | "$T/bundle/ctl" | "$T/bundle/winsz" | "$T/extra") ;;
		# A directory handle on the bundle, to unlink the attach socket
		# at exit whatever the path's length.
		"$T/bundle") ;;
		/sys/fs/cgroup/*) ;;
		# tether's two saved states for crash recovery.
		"/memfd:tether-recover (deleted)") ;;
		*) bad+=" ${fd##*/}=$target" ;;
		esac
	done
	[ -z "$bad" ] || {
		echo "unexpected fds in the monitor:$bad" >&2
		false
	}
	# A monitor needs a handful of fds, not dozens.
	[ "$(ls /proc/"$MON_PID"/fd | wc -l)" -lt 40 ]
}
