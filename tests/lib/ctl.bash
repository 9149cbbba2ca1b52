# bats helpers for driving tetherctl. Load with `load ../lib/ctl`, and call
# ctl_setup / ctl_teardown from setup / teardown.
#
# TETHERCTL_SHIM=/usr/bin/conmon runs the same tests with conmon as the shim.

# refute CMD...: CMD must fail. A bare "! CMD" inside a bats test asserts
# nothing (set -e exempts it); a function returning its negation does.
refute() {
	! "$@"
}

# ctl_setup: $REPO, $TETHERCTL, $SHIM, a busybox $ROOTFS, a per-test state
# $ROOT and a bundle $BUNDLE (running `true`). A binary that is not built is
# a failure, not a skip: make builds it first, so its absence is a bug.
ctl_setup() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	TETHERCTL=${TETHERCTL:-$REPO/build/tetherctl}
	SHIM=${TETHERCTL_SHIM:-${TETHER:-$REPO/build/tether}}
	SCALE=${TEST_TIMEOUT_SCALE:-1}
	[ -x "$TETHERCTL" ] || { echo "$TETHERCTL is not built" >&2; return 1; }
	[ -x "$SHIM" ] || { echo "the shim $SHIM is not built" >&2; return 1; }
	command -v runc >/dev/null || skip "runc is not installed (make deps)"
	[ "$(id -u)" -eq 0 ] || skip "runc needs root here"
	ROOTFS=$REPO/build/rootfs
	"$REPO/tests/lib/mkrootfs.sh" "$ROOTFS" >&2
	ROOT=$BATS_TEST_TMPDIR/root
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	"$REPO/tests/lib/mkbundle.py" "$BUNDLE" "$ROOTFS" -- true
	BG_PIDS=()
}

# ctl_teardown: remove every container the test left, then anything the
# runtime still knows of.
ctl_teardown() {
	local d p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for d in "$ROOT"/containers/*; do
		[ -d "$d" ] && ctl rm -f "${d##*/}" >/dev/null 2>&1
	done
	if [ -d "$ROOT/runtime" ]; then
		runc --root "$ROOT/runtime" list -q 2>/dev/null |
			xargs -r -n1 runc --root "$ROOT/runtime" delete --force 2>/dev/null
	fi
	true
}

ctl() {
	"$TETHERCTL" --root "$ROOT" --shim "$SHIM" "$@"
}

# wait_until SECONDS CMD...: poll CMD at 10 Hz for at most SECONDS (times
# $TEST_TIMEOUT_SCALE under sanitizers).
wait_until() {
	local tries=$(($1 * 10 * SCALE))
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# ctl_shim_pid ID: the pid of the container's shim, from tetherctl's state.
ctl_shim_pid() {
	sed -n 's/.*"shim_pid": *\([0-9]*\).*/\1/p' "$ROOT/containers/$1/state.json"
}

# contiguous FILE: the "line N" records in FILE (log or raw output) run from
# some N upwards with no gap and no repeat; prints "FIRST LAST COUNT".
contiguous() {
	awk '/line [0-9]+/ { n = $NF + 0; if (c && n != last + 1) { print "gap after " last ": " n; bad = 1; exit 1 }
		if (!c) first = n; last = n; c++ }
		END { if (!bad) print first, last, c }' "$1"
}

# ctl_logs_grow ID [N]: wait (10 s) until ID's k8s-file log holds more than
# N "line" records beyond what it holds now: its shim still logs.
ctl_logs_grow() {
	local want=$(($(ctl_log_lines "$1") + ${2:-0}))
	wait_until 10 eval "[ \"\$(ctl_log_lines $1)\" -gt $want ]"
}

ctl_log_lines() { # ID
	grep -c line "$ROOT/containers/$1/ctr.log"
}

# ctl_attach_bg ID FILE: an attach client (no stdin) in the background,
# its output in FILE, until the first "line" record arrives; its pid in
# BG_PID (and BG_PIDS, killed at teardown).
ctl_attach_bg() {
	ctl attach --no-stdin "$1" >"$2" 2>/dev/null </dev/null &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
	wait_until 10 grep -q line "$2"
}
