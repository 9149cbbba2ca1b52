# Shared set-up of the podman compatibility suite (tests/compat/*.bats).
#
# podman runs with its own root, runroot and tmpdir under the file's temp
# dir, the vfs storage driver, and a containers.conf per monitor whose
# [engine] conmon_path names it: tether.conf (build/tether) and conmon.conf
# (/usr/bin/conmon). The image is the local busybox rootfs, imported (no
# registry). Every case is a 'scenario' function that prints what podman
# reports (outputs, exit codes, states); compare_monitors runs it once per
# monitor and fails on any difference, and the case then checks tether's
# transcript against what it expects (expect), so that two monitors failing
# alike still fail. Where conmon 2.1.6 is at fault and tether does better (a
# documented difference, docs/compat.md), run_monitors runs the scenario and
# expect_each checks each monitor's transcript against its own.
#
# This machine cannot raise RLIMIT_NOFILE past 20000 (no default ulimits),
# has no systemd as PID 1 (cgroupfs, file events) and no network (every
# container runs with --network none).

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
TETHER=${TETHER:-$REPO/build/tether}
CONMON=${CONMON:-/usr/bin/conmon}
IMG=localhost/busybox:latest

# compat_setup_file: the podman configuration and the image, once per file.
compat_setup_file() {
	command -v podman >/dev/null || skip "podman is not installed"
	[ -x "$TETHER" ] || {
		echo "$TETHER is not built" >&2
		return 1
	}
	export P=$BATS_FILE_TMPDIR/podman
	mkdir -p "$P"
	local mon path
	for mon in tether conmon; do
		path=$TETHER
		[ "$mon" = tether ] || path=$CONMON
		cat >"$P/$mon.conf" <<-CONF
		[containers]
		default_ulimits = []
		log_driver = "k8s-file"
		[engine]
		cgroup_manager = "cgroupfs"
		conmon_path = ["$path"]
		events_logger = "file"
		runtime = "runc"
		CONF
	done
	"$REPO/tests/lib/mkrootfs.sh" "$REPO/build/rootfs"
	MON=tether
	tar -C "$REPO/build/rootfs" -c . | pod import - "$IMG" >/dev/null
}

compat_teardown_file() {
	[ -n "${P:-}" ] || return 0
	MON=tether pod rm -af -t 0 >/dev/null 2>&1 || true
	# podman mounts each container's /dev/shm under the root.
	grep -o " $P/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}

# The monitors to compare: tether, and conmon where it is installed.
compat_monitors() {
	echo tether
	[ ! -x "$CONMON" ] || echo conmon
}

# pod ARGS...: podman with this suite's storage and $MON's configuration;
# bounded (POD_TIMEOUT seconds), as every wait here is: podman wait, logs -f.
pod() {
	timeout -k 10 "${POD_TIMEOUT:-120}" env CONTAINERS_CONF="$P/$MON.conf" podman \
		--root "$P/root" --runroot "$P/runroot" --storage-driver vfs --tmpdir "$P/tmp" "$@"
}

# pod_argv: the same command as an argv (for pty_run.py, nsenter, ...).
pod_argv() {
	POD_ARGV=(env CONTAINERS_CONF="$P/$MON.conf" podman --root "$P/root" --runroot "$P/runroot"
		--storage-driver vfs --tmpdir "$P/tmp")
}

# say LABEL CMD...: run CMD and print "LABEL: [STATUS] OUTPUT" (stdout and
# stderr together, newlines as '|', the container id $ID as 'ID').
say() {
	local label=$1 out s=0
	shift
	out=$("$@" 2>&1) || s=$?
	printf '%s: [%d] %s\n' "$label" "$s" "$(scrub "$out")"
}

# scrub TEXT: TEXT on one line (lines joined by '|', trailing blanks
# dropped), without what differs from run to run: the ids of this run, log
# timestamps, and podman's warning that it cannot move the monitor into a
# net_cls cgroup (read-only here).
scrub() {
	local t=$1
	if [ -n "${ID:-}" ]; then
		t=${t//$ID/ID}
		t=${t//${ID:0:12}/ID}
	fi
	t=$(printf '%s\n' "$t" | tr -d '\r' | sed -e 's/ *$//' -e 's/^time="[^"]*"/time=T/' |
		grep -v '^time=T level=warning msg="Failed to add conmon to cgroupfs sandbox cgroup')
	printf '%s' "${t//$'\n'/|}"
}

# state: "STATUS EXITCODE" of $ID as podman inspect reports it.
state() {
	pod inspect "$ID" --format '{{.State.Status}} {{.State.ExitCode}}'
}

# refute CMD...: CMD must fail. A bare "! CMD" inside a bats test asserts
# nothing (set -e exempts it); a function returning its negation does.
refute() {
	! "$@"
}

# wait_until SECONDS COMMAND...: poll (every 0.1 s) until COMMAND succeeds.
wait_until() {
	local n=$(($1 * 10 * ${TEST_TIMEOUT_SCALE:-1}))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# reap PID: wait (bounded: 20 s) for a background command to end, kill it
# if it does not; returns its status (143 when killed).
reap() {
	wait_until 20 eval "! kill -0 $1" || kill "$1" 2>/dev/null
	wait "$1"
}

# follow NAME TEXT CMD...: start CMD (logs -f, an attach: something that
# follows a container) in the background, its output in
# $BATS_TEST_TMPDIR/NAME.$MON, and wait until TEXT shows there.
follow() {
	local file=$BATS_TEST_TMPDIR/$1.$MON text=$2
	shift 2
	"$@" >"$file" 2>&1 &
	FOLLOWER=$!
	wait_until 10 grep -q "$text" "$file"
}

# followed NAME: reap the follower; print "NAME: [STATUS] OUTPUT".
followed() {
	reap "$FOLLOWER"
	echo "$1: [$?] $(scrub "$(cat "$BATS_TEST_TMPDIR/$1.$MON")")"
}

# log_has TEXT: whether podman logs of $ID contain TEXT.
log_has() {
	[[ "$(pod logs "$ID" 2>&1)" == *"$1"* ]]
}

# spawn LOG CMD...: start a helper (a listener, a service) for the scenario,
# its output in LOG; SPAWNED is its pid. run_monitors ends it afterwards (the
# scenario runs in a subshell: its variables die with it, its helpers not).
spawn() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 </dev/null 3>&- &
	SPAWNED=$!
	echo "$SPAWNED" >>"$BATS_TEST_TMPDIR/spawned"
}

# run_monitors: run 'scenario' once per monitor (MON set, errexit off),
# its transcript in $BATS_TEST_TMPDIR/MON, and remove what it left.
run_monitors() {
	local mon
	for mon in $(compat_monitors); do
		(
			trap - ERR
			set +eE
			MON=$mon
			# conmon 2.1.6 leaves its "oom" file in its working directory.
			cd "$BATS_TEST_TMPDIR" || exit
			scenario
		) >"$BATS_TEST_TMPDIR/$mon" 2>"$BATS_TEST_TMPDIR/$mon.err" </dev/null
		if [ -e "$BATS_TEST_TMPDIR/spawned" ]; then
			xargs -r kill <"$BATS_TEST_TMPDIR/spawned" 2>/dev/null || true
			rm -f "$BATS_TEST_TMPDIR/spawned"
		fi
		MON=$mon pod rm -af -t 0 >/dev/null 2>&1 || true
	done
}

# compare_monitors: run_monitors; fail on any difference between them, else
# put tether's transcript in $output (for expect).
compare_monitors() {
	run_monitors
	if [ -x "$CONMON" ] && ! diff -u "$BATS_TEST_TMPDIR/conmon" "$BATS_TEST_TMPDIR/tether"; then
		echo "tether differs from conmon (stderr: $(cat "$BATS_TEST_TMPDIR/tether.err"))" >&2
		return 1
	fi
	output=$(cat "$BATS_TEST_TMPDIR/tether")
}

# expect_each MON: after run_monitors, for a documented difference
# (docs/compat.md), where each monitor's transcript is checked on its own:
# MON's is exactly stdin (nothing to check if MON did not run: conmon is
# not installed).
expect_each() {
	[ -e "$BATS_TEST_TMPDIR/$1" ] || {
		cat >/dev/null
		return 0
	}
	output=$(cat "$BATS_TEST_TMPDIR/$1")
	expect
}

# expect: tether's transcript ($output) is exactly stdin.
expect() {
	local want
	want=$(cat)
	[ "$output" = "$want" ] || {
		echo "the transcript differs from what is expected (-) here (+):" >&2
		diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$output") >&2 || true
		return 1
	}
}
