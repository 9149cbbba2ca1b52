# bats helpers for driving a conmon-compatible monitor (tether or conmon).
#
# Load with `load ../lib/monitor` and call monitor_setup / monitor_teardown
# from setup / teardown. The monitor under test is $MONITOR (named
# $MONITOR_NAME: tether or conmon); tests/run.sh sets both, and runs every
# NN-shim-*.bats file once per monitor. Run alone, the default is tether.
#
# Every wait here is a bounded polling loop; nothing synchronises on a fixed
# sleep.
#
# TEST_TIMEOUT_SCALE=N (integer) stretches every wait (tests/run.sh sets 3
# under sanitizers); TEST_NO_SKIP=1 runs the cases skip_for would skip.

# Variables set here are read by the tests; optional arguments are optional.
# shellcheck disable=SC2034,SC2119,SC2120

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
LIB=$REPO/tests/lib
ROOTFS=${TETHER_ROOTFS:-$REPO/build/rootfs}
MONITOR=${MONITOR:-${TETHER:-$REPO/build/tether}}
MONITOR_NAME=${MONITOR_NAME:-tether}
# Slow builds (sanitizers) may stretch every timeout by this factor.
TIMEOUT_SCALE=${TEST_TIMEOUT_SCALE:-1}

# --- set-up and tear-down ---------------------------------------------------

# monitor_setup: a fresh temp dir $T, container id $CID (18 chars: journald
# and conmon want more than 12), $RUNC (the monitor's -r) and $RUNC_BIN
# (runc itself, for the test's own calls), the exit and socket dirs.
monitor_setup() {
	if [ ! -x "$MONITOR" ]; then
		echo "monitor_setup: the monitor $MONITOR_NAME ($MONITOR) is not built" >&2
		return 1
	fi
	RUNC_BIN=$(command -v runc) || {
		echo "monitor_setup: runc is not installed" >&2
		return 1
	}
	RUNC=$RUNC_BIN # what the monitor gets as -r (a test may wrap it)
	if [ ! -e "$ROOTFS/.complete" ]; then
		mkdir -p "$(dirname "$ROOTFS")"
		flock "$(dirname "$ROOTFS")" "$LIB/mkrootfs.sh" "$ROOTFS" >&2
	fi
	T=$(mktemp -d "${TMPDIR:-/tmp}/tt.XXXXXX")
	CID=tt$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	mkdir -p "$T/exits" "$T/sock"
	# The monitor inherits our cwd, and conmon 2.1.6 writes its oom file
	# there: never in the source tree.
	cd "$T" || return 1
	SYNC_JSON='' CTR_PID='' MON_PID='' CALLER_STATUS='' SYNC_RAW='' SYNC_DATA=''
	SYNC_MESSAGE='' SYNC_KEYS='' SYNC_COUNT='' FIRST_PID=''
	BG_PIDS=()
}

# tether_only_setup: monitor_setup for files that test what only tether
# has (its control socket, its own flags): the monitor is tether whatever
# run.sh chose.
tether_only_setup() {
	MONITOR=${TETHER:-$MONITOR}
	MONITOR_NAME=tether
	monitor_setup
}

# ctl_req REQUEST-JSON...: tether's control socket in $T/bundle.
ctl_req() {
	python3 "$LIB/control_client.py" "$T/bundle/control" "$@"
}

# monitor_teardown: stop what a test left behind — the container (through
# the runtime, so its monitor sees it exit and finishes normally), then any
# monitor still alive, background helpers, then the temp dir. On failure,
# show what the test produced.
monitor_teardown() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	if [ -n "${BATS_TEST_COMPLETED:-}" ] || [ -n "${BATS_TEST_SKIPPED:-}" ]; then
		:
	else
		monitor_dump >&2 || true
	fi
	if [ -d "$T/runc" ]; then
		"$RUNC_BIN" --root "$T/runc" kill "$CID" KILL >/dev/null 2>&1 || true
	fi
	local pid
	for pid in $(cat "$T"/monitor*.pid 2>/dev/null) ${MON_PID:-}; do
		is_monitor "$pid" || continue
		wait_for "! is_monitor $pid" 3 || kill -KILL "$pid" 2>/dev/null || true
	done
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ -d "$T/runc" ]; then
		"$RUNC_BIN" --root "$T/runc" delete -f "$CID" >/dev/null 2>&1 || true
	fi
	rm -rf "$T"
}

# monitor_dump: what a failing test left in $T.
monitor_dump() {
	echo "# --- $MONITOR_NAME: state of $T (cid $CID)"
	local f
	for f in caller.json caller.err ctr.log exits/"$CID" persist/exit; do
		[ -e "$T/$f" ] || continue
		echo "# $f:"
		head -c 2000 "$T/$f" | sed 's/^/#   /'
		echo
	done
}

# is_monitor PID: PID is alive and runs the monitor binary (not a reused pid).
is_monitor() {
	local exe
	[ -n "$1" ] && exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[ "${exe% (deleted)}" = "$(readlink -f "$MONITOR")" ]
}

# monitor_alive: the monitor from -P is still running.
monitor_alive() {
	is_monitor "${MON_PID:-$(cat "$T/monitor.pid" 2>/dev/null)}"
}

# skip_for NAME REASON: skip this case for one monitor, saying why — only
# where it deliberately differs (a documented conmon bug). TEST_NO_SKIP=1
# runs the case anyway, to see that the difference is still there.
skip_for() {
	if [ "$MONITOR_NAME" = "$1" ] && [ -z "${TEST_NO_SKIP:-}" ]; then
		skip "$1: $2"
	fi
}

# not CMD...: succeed if CMD fails. (A bare `! cmd` never fails a bats test:
# errexit ignores negated commands.)
not() {
	if "$@"; then
		echo "not: this succeeded: $*" >&2
		return 1
	fi
}

# --- waiting ----------------------------------------------------------------

# refute CMD...: CMD must fail. A bare "! CMD" inside a bats test asserts
# nothing (set -e exempts it); a function returning its negation does.
refute() {
	! "$@"
}

# wait_for COND [TIMEOUT]: poll the shell condition COND (eval'd) every 20 ms
# until it holds (status 0) or TIMEOUT seconds (default 10, may be
# fractional, times $TEST_TIMEOUT_SCALE) pass (status 1).
wait_for() {
	local cond=$1 timeout=${2:-10}
	local sec=${timeout%%.*} frac=${timeout#*.}
	[ "$frac" = "$timeout" ] && frac=0
	frac=${frac}000000
	local us=$(((10#${sec:-0} * 1000000 + 10#${frac:0:6}) * TIMEOUT_SCALE))
	local deadline=$((${EPOCHREALTIME/./} + us))
	while :; do
		eval "$cond" && return 0
		if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then
			eval "$cond" && return 0
			echo "wait_for: timed out after ${timeout}s: $cond" >&2
			return 1
		fi
		sleep 0.02
	done
}

# wait_exit_file [TIMEOUT]: wait for $T/exits/$CID and put its content in
# $EXIT_CODE.
wait_exit_file() {
	wait_for "[ -s '$T/exits/$CID' ]" "${1:-10}" || return 1
	EXIT_CODE=$(cat "$T/exits/$CID")
}

# wait_monitor_gone [TIMEOUT]: the monitor process has exited.
wait_monitor_gone() {
	wait_for "! monitor_alive" "${1:-10}"
}

# --- bundles and the monitor's command line -----------------------------------

# make_test_bundle [--tty] [--env K=V] [--cwd D] [--] ARGS...: $T/bundle.
make_test_bundle() {
	"$LIB/mkbundle.py" "$T/bundle" "$ROOTFS" "$@"
}

# limited_bundle MIB ARGS...: make_test_bundle with a memory limit of MIB
# MiB and no swap beyond it.
limited_bundle() {
	local mib=$1
	shift
	make_test_bundle -- "$@"
	python3 - "$T/bundle/config.json" "$mib" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	m = int(sys.argv[2]) << 20
	c["linux"]["resources"] = {"memory": {"limit": m, "swap": m}}
	json.dump(c, open(sys.argv[1], "w"))
	PY
}

# monitor_argv: the monitor's command line as podman builds it (plus the
# runtime root), then "$@". Sets the MONITOR_ARGV array.
monitor_argv() {
	MONITOR_ARGV=("$MONITOR" --api-version 1 -c "$CID" -u "$CID" -r "$RUNC"
		-b "$T/bundle" -p "$T/pidfile" -P "$T/monitor.pid"
		--exit-dir "$T/exits" -l "k8s-file:$T/ctr.log" --log-level debug
		--socket-dir-path "$T/sock" --runtime-arg "--root=$T/runc" "$@")
}

# caller [CALLER OPTIONS...] -- MONITOR ARGV...: run caller.py, keeping its
# JSON in $T/caller.json and the monitor's own output in $T/caller.err.
# Sets SYNC_JSON, CALLER_STATUS, SYNC_RAW, SYNC_DATA, SYNC_MESSAGE,
# SYNC_KEYS, SYNC_COUNT, FIRST_PID. Returns caller.py's status (0 = a sync
# message arrived).
caller() {
	local rc=0
	rm -f "$T/caller.env"
	python3 "$LIB/caller.py" --env-out "$T/caller.env" "$@" >"$T/caller.json" 2>>"$T/caller.err" </dev/null || rc=$?
	SYNC_JSON=$(cat "$T/caller.json")
	if [ -e "$T/caller.env" ]; then
		# shellcheck disable=SC1091
		. "$T/caller.env"
	fi
	return $rc
}

# monitor_create [EXTRA MONITOR ARGS...]: create the container the way
# podman does; on success sets CTR_PID (from the sync message) and MON_PID
# (from -P). Fails unless the caller saw status 0 and {"data": PID > 0}.
# CALLER_OPTS (an array) adds caller.py options.
monitor_create() {
	monitor_argv "$@"
	caller "${CALLER_OPTS[@]}" -- "${MONITOR_ARGV[@]}" || true
	MON_PID=$(cat "$T/monitor.pid" 2>/dev/null || true)
	if [ "$CALLER_STATUS" != 0 ] || ! [[ "$SYNC_DATA" =~ ^[0-9]+$ ]] || [ "$SYNC_DATA" -le 0 ]; then
		echo "monitor_create: caller status '$CALLER_STATUS', sync: $SYNC_RAW" >&2
		cat "$T/caller.err" >&2
		return 1
	fi
	CTR_PID=$SYNC_DATA
}

# runtime_start: what podman does after create.
runtime_start() {
	"$RUNC_BIN" --root "$T/runc" start "$CID"
}

# runtime_kill SIGNAL
runtime_kill() {
	"$RUNC_BIN" --root "$T/runc" kill "$CID" "$1"
}

# runtime_state: the runtime's status word for the container (created,
# running, stopped) or nothing.
runtime_state() {
	"$RUNC_BIN" --root "$T/runc" state "$CID" 2>/dev/null |
		sed -n 's/^ *"status": "\([a-z]*\)".*/\1/p'
}

# run_container ARGS...: bundle, create, start, wait for the exit file.
# Leaves the code in EXIT_CODE.
run_container() {
	make_test_bundle -- "$@"
	monitor_create
	runtime_start
	wait_exit_file
}

# --- logs -------------------------------------------------------------------

K8S_RECORD_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2} (stdout|stderr) (F|P) '

# log_lines [FILE]: the k8s-file log minus the timestamps ("stdout F text").
log_lines() {
	sed -E 's/^[^ ]+ //' "${1:-$T/ctr.log}"
}

# log_stream STREAM [FILE]: rebuild what the container wrote on STREAM
# (F records end a line, P records do not).
log_stream() {
	awk -v s="$1" '$2 == s {
		line = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", line)
		printf "%s%s", line, ($3 == "F" ? "\n" : "")
	}' "${2:-$T/ctr.log}"
}

# log_grammar_ok [FILE]: every record matches the k8s-file grammar.
log_grammar_ok() {
	local file=${1:-$T/ctr.log} bad
	bad=$(grep -Evc "$K8S_RECORD_RE" "$file" || true)
	if [ "$bad" != 0 ]; then
		echo "log_grammar_ok: $bad malformed records in $file:" >&2
		grep -Ev "$K8S_RECORD_RE" "$file" | head -5 >&2
		return 1
	fi
}

# log_has RECORD: the log holds the record RECORD ("stdout F text").
log_has() {
	log_lines | grep -qxF -- "$1"
}

# --- helpers for fd checks --------------------------------------------------

# make_fd_lister: $T/lsfd OUT [PROG ARGS...] writes "FD TARGET" lines for its
# own open fds to OUT, then execs PROG (a runtime wrapper or exit command).
make_fd_lister() {
	cat >"$T/lsfd" <<'EOF'
#!/usr/bin/python3
import os, sys
lines = []
for name in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        lines.append("%s %s" % (name, os.readlink("/proc/self/fd/" + name)))
    except OSError:
        pass  # the directory fd listdir used, closed by now
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("\n".join(lines) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
if len(sys.argv) > 2:
    os.execv(sys.argv[2], sys.argv[2:])
EOF
	chmod +x "$T/lsfd"
}

# make_runtime_wrapper: $T/runtime records its fds in
# $T/runtime-fds.SUBCOMMAND (create, start, ...), then execs runc. Use with RUNC=$T/runtime.
make_runtime_wrapper() {
	make_fd_lister
	{
		echo '#!/usr/bin/python3'
		echo 'import os, sys'
		echo "verb = next((a for a in sys.argv[1:] if not a.startswith('-')), 'none')"
		echo "sys.argv[1:1] = ['$T/runtime-fds.' + verb, '$(command -v runc)']"
		sed 1d "$T/lsfd"
	} >"$T/runtime"
	chmod +x "$T/runtime"
}

# --- background helpers -----------------------------------------------------

# bg NAME CMD...: run CMD in the background with its output in $T/NAME.out
# and $T/NAME.err, away from bats' fd 3 (which would hold the test open);
# sets BG_PID, and teardown kills it if still running.
bg() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# attach_start [ATTACH CLIENT OPTIONS...]: connect an attach client to
# $ATTACH_PATH (default: the socket-dir path) and wait until it is
# connected. Its results go to $T/attach.{json,stdout,stderr}.
attach_start() {
	local path=${ATTACH_PATH:-$T/sock/$CID/attach}
	rm -f "$T/attach.ready"
	bg attach python3 "$LIB/attach_client.py" "$path" --out "$T/attach" \
		--ready "$T/attach.ready" "$@"
	ATTACH_PID=$BG_PID
	wait_for "[ -e '$T/attach.ready' ] || ! kill -0 $ATTACH_PID 2>/dev/null" 10
	[ -e "$T/attach.ready" ] || {
		echo "attach_start: the client did not connect to $path:" >&2
		cat "$T/attach.err" >&2
		return 1
	}
}

# attach_wait: wait for the attach client to finish; its status in
# ATTACH_STATUS and its summary in ATTACH_JSON.
attach_wait() {
	ATTACH_STATUS=0
	wait "$ATTACH_PID" || ATTACH_STATUS=$?
	ATTACH_JSON=$(cat "$T/attach.json" 2>/dev/null || true)
}

# json_get JSON EXPR: evaluate the Python expression EXPR on the parsed JSON
# (bound to j), e.g. json_get "$ATTACH_JSON" 'j["max_len"]'.
json_get() {
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); v = eval(sys.argv[2]); print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}
