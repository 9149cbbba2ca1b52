#!/usr/bin/env bats
# Security properties of the monitor, tether only (docs/reliability.md):
# files it creates are not reached through symlinks an attacker could plant,
# ids that would escape a directory are refused, what it creates has tight
# modes whatever the umask, the exit command gets no shell and no stale pipe
# variables, and a whole life cycle runs clean under valgrind. Covered
# elsewhere: the control socket's peer check (40-control), the fds that
# reach the container and the runtime (12-shim-files), tetherctl's ids
# (50-ctl-errors).

load ../lib/monitor

setup() {
	monitor_setup
	echo "precious" >"$T/victim"
	chmod 600 "$T/victim"
}

teardown() {
	monitor_teardown
}

victim_untouched() {
	[ "$(cat "$T/victim")" = precious ]
}

@test "a symlink planted at the log path is not followed: the create fails clearly, the target is untouched" {
	make_test_bundle -- echo hello
	local fmt
	for fmt in k8s-file json-file; do
		rm -f "$T/planted.log"
		ln -s "$T/victim" "$T/planted.log"
		monitor_argv -l "$fmt:$T/planted.log"
		caller -- "${MONITOR_ARGV[@]}" || true
		[ "$SYNC_DATA" = -1 ]
		[[ "$SYNC_MESSAGE" == *"$T/planted.log"* ]]
		victim_untouched
		[ -L "$T/planted.log" ]
	done
	[ -z "$("$RUNC_BIN" --root "$T/runc" list -q 2>/dev/null)" ]
}

@test "a symlink planted where a reopen makes the new log is not followed; logging goes on" {
	make_test_bundle -- sh -c 'echo one; read x; echo two'
	monitor_create -i --full-attach
	runtime_start
	wait_for "log_has 'stdout F one'" 10
	ln -s "$T/victim" "$T/ctr.log.tmp"
	echo "2 0 0" >"$T/bundle/ctl"
	# The reopen failed: the same file goes on, the target untouched.
	python3 "$LIB/attach_client.py" "$T/bundle/attach" --send "go
" --shutdown-write >/dev/null
	wait_exit_file 20
	[ "$(log_stream stdout)" = "one
two" ]
	victim_untouched
}

@test "symlinks planted at the exit file and pid file paths are replaced, never followed" {
	make_test_bundle -- sh -c 'exit 3'
	echo precious >"$T/victim2"
	ln -s "$T/victim" "$T/exits/$CID"
	ln -s "$T/victim2" "$T/monitor.pid"
	monitor_create
	runtime_start
	wait_for "[ ! -L '$T/exits/$CID' ]" 10
	wait_exit_file 10
	[ "$EXIT_CODE" = 3 ]
	[ ! -L "$T/monitor.pid" ]
	[ "$(cat "$T/monitor.pid")" = "$MON_PID" ]
	victim_untouched
	[ "$(cat "$T/victim2")" = precious ]
}

@test "ids that would escape a directory are refused before anything is made" {
	make_test_bundle -- true
	local long id
	long=$(printf 'x%.0s' {1..256})
	for id in .. . "../up" "a/b" "/abs" "$long"; do
		monitor_argv
		MONITOR_ARGV=("${MONITOR_ARGV[@]}" -c "$id")
		caller -- "${MONITOR_ARGV[@]}" || true
		[ "$CALLER_STATUS" != 0 ] || [ "$SYNC_DATA" = -1 ]
		monitor_argv
		MONITOR_ARGV=("${MONITOR_ARGV[@]}" -u "$id")
		caller -- "${MONITOR_ARGV[@]}" || true
		[ "$CALLER_STATUS" != 0 ] || [ "$SYNC_DATA" = -1 ]
	done
	grep -q "single path component" "$T/caller.err"
	[ -z "$(ls -A "$T/exits")" ] && [ -z "$(ls -A "$T/sock")" ]
	[ ! -e "$T/up" ] && [ ! -e "$T/bundle/attach" ] && [ ! -e "$T/bundle/ctl" ]
	[ -z "$("$RUNC_BIN" --root "$T/runc" list -q 2>/dev/null)" ]
}

@test "modes under umask 000: owner-only sockets, FIFOs and log, nothing world-writable" {
	make_test_bundle -- sh -c 'echo hi; sleep 100'
	rm -rf "$T/exits" "$T/sock"
	umask 000
	monitor_create -l "json-file:$T/ctr.json"
	umask 022
	runtime_start
	wait_for "log_has 'stdout F hi'" 10
	[ "$(stat -c %a "$T/bundle/ctl")" = 600 ]
	[ "$(stat -c %a "$T/bundle/winsz")" = 600 ]
	[ "$(stat -c %a "$T/bundle/attach")" = 700 ]
	[ "$(stat -c %a "$T/bundle/control")" = 600 ]
	[ "$(stat -c %a "$T/ctr.log")" = 600 ]
	[ "$(stat -c %a "$T/ctr.json")" = 600 ]
	[ "$(stat -c %a "$T/sock")" = 700 ]
	# Nothing the monitor made is writable by others (symlinks aside).
	[ -z "$(find "$T/bundle" "$T/sock" "$T/exits" "$T"/ctr.* "$T/monitor.pid" \
		-maxdepth 1 -perm -o+w ! -type l)" ]
	runtime_kill KILL
	wait_exit_file 10
	[ "$(stat -c %a "$T/exits/$CID")" = 644 ]
	[ "$(stat -c %a "$T/exits")" = 755 ]
}

@test "the exit command runs without a shell, args literal, without the caller's pipe variables" {
	make_test_bundle -- true
	cat >"$T/record" <<-'EOF'
	#!/usr/bin/python3
	import json, os, sys
	json.dump({"argv": sys.argv[2:], "env": dict(os.environ)}, open(sys.argv[1] + ".tmp", "w"))
	os.rename(sys.argv[1] + ".tmp", sys.argv[1])
	EOF
	chmod +x "$T/record"
	export EXIT_ENV_MARK=kept
	local args=('$(touch pwned)' '; touch pwned' '`touch pwned`' '*' '"quoted"' '')
	local a argv=()
	for a in "${args[@]}"; do
		argv+=(--exit-command-arg "$a")
	done
	monitor_create --exit-command "$T/record" --exit-command-arg "$T/record.json" "${argv[@]}"
	runtime_start
	wait_exit_file
	wait_for "[ -e '$T/record.json' ]" 10
	local rec
	rec=$(cat "$T/record.json")
	[ "$(json_get "$rec" 'j["argv"]')" = "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${args[@]}")" ]
	[ "$(json_get "$rec" 'j["env"].get("EXIT_ENV_MARK")')" = kept ]
	[ "$(json_get "$rec" '"_OCI_SYNCPIPE" in j["env"] or "_OCI_STARTPIPE" in j["env"]')" = false ]
	[ ! -e "$T/pwned" ] && [ ! -e "$T/bundle/pwned" ]
}

@test "valgrind: a whole life cycle (create, output, attach, exit command) with no error and no leak" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	[ -z "${TETHER_SANITIZE:-}" ] || skip "valgrind cannot run a sanitizer build"
	make_test_bundle -- sh -c 'echo out; echo err >&2; exit 4'
	# The daemonized monitor is a fork, so valgrind follows it; the runtime
	# and the exit command are exec'd and run natively.
	# The shim linked dynamically (make check builds it): valgrind cannot
	# replace a static glibc's malloc.
	MONITOR=${TETHER_BUILD:-$(dirname "$MONITOR")}/tether-dynamic
	[ -x "$MONITOR" ] || { echo "$MONITOR is not built (make check builds it)" >&2; return 1; }
	local vg=(valgrind --quiet --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite
		--child-silent-after-fork=no --trace-children=no --log-file="$T/vg.%p")
	MONITOR_ARGV=()
	monitor_argv --exit-command /bin/true
	CALLER_OPTS=(--timeout 60 --wait-timeout 60)
	caller "${CALLER_OPTS[@]}" -- "${vg[@]}" "${MONITOR_ARGV[@]}"
	MON_PID=$(cat "$T/monitor.pid")
	[[ "$(readlink "/proc/$MON_PID/exe")" == *memcheck* ]]
	attach_start --timeout 60
	runtime_start
	wait_exit_file 60
	[ "$EXIT_CODE" = 4 ]
	attach_wait
	[ "$(cat "$T/attach.stdout")" = out ]
	wait_for "! kill -0 $MON_PID 2>/dev/null" 60
	[ "$(log_stream stderr)" = err ]
	# Every process valgrind followed (the caller's first process, the
	# monitor, the children it forked before exec): no report at all.
	[ "$(ls "$T"/vg.* | wc -l)" -ge 2 ]
	# Except valgrind's own note that it lacks pidfd_open (434; valgrind
	# 3.19): the shim then takes its fallback, as on a kernel without it.
	local f
	for f in "$T"/vg.*; do
		if grep -v -e 'unhandled amd64-linux syscall: 434$' -e 'write your own handler' \
			-e 'README_MISSING_SYSCALL_OR_IOCTL' -e 'Nevertheless we consider this a bug' \
			-e 'valgrind.org/support/bug_reports' "$f" | grep -q .; then
			cat "$f" >&2
			return 1
		fi
	done
}
