#!/usr/bin/env bats
# The journald log driver against a real systemd-journald (conmon-spec
# §2.12.3): what journalctl reads back for the fields podman uses.
#
# No journald runs on a test host, and the host's own must not be touched:
# each test starts one in a private mount namespace where /run/systemd and
# /var/log are bind mounts of directories under $T, so the monitor (started
# in that namespace too) finds it at the standard /run/systemd/journal/socket
# and the journal files are readable from here. journald runs as a named
# instance ("tether"): no kmsg, no audit, no syslog forwarding, and its files
# go straight to /var/log/journal/<machine-id>.tether. The field order on the
# wire is checked by the unit tests (journald does not keep it).

load ../lib/monitor

JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
JOURNAL_NS=tether

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root: mount namespaces and bind mounts"
	[ -x "$JOURNALD" ] || skip "no systemd-journald at $JOURNALD (the systemd package)"
	command -v journalctl >/dev/null || skip "no journalctl"
	command -v nsenter >/dev/null && command -v unshare >/dev/null ||
		skip "no nsenter/unshare (util-linux)"
	[ -s /etc/machine-id ] || skip "no /etc/machine-id: journald names its directory after it"
	[ -d /run/systemd ] || skip "no /run/systemd to mount over"
	monitor_setup
	journal_start
}

teardown() {
	if [ -n "${JOURNALD_PID:-}" ]; then
		if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -z "${BATS_TEST_SKIPPED:-}" ]; then
			echo "# journal:" >&2
			journal_json 2>&1 | head -c 4000 | sed 's/^/#   /' >&2 || true
		fi
		kill -TERM "$JOURNALD_PID" 2>/dev/null || true
		wait_for "! kill -0 $JOURNALD_PID 2>/dev/null" 5 || kill -KILL "$JOURNALD_PID" || true
	fi
	monitor_teardown
}

# journal_start: journald in a new mount namespace; JOURNALD_PID is both
# journald and the namespace's holder.
journal_start() {
	mkdir -p "$T/jrun" "$T/jvarlog/journal"
	# The instance's socket dir is journal.tether; clients look in journal/.
	ln -s "journal.$JOURNAL_NS" "$T/jrun/journal"
	bg journald unshare --mount --propagation private -- sh -c '
		mount --bind "$1/jrun" /run/systemd &&
		mount --bind "$1/jvarlog" /var/log &&
		exec "$2" "$3"' sh "$T" "$JOURNALD" "$JOURNAL_NS"
	JOURNALD_PID=$BG_PID
	wait_for "[ -S '$T/jrun/journal.$JOURNAL_NS/socket' ] || ! kill -0 $JOURNALD_PID" 10
	[ -S "$T/jrun/journal.$JOURNAL_NS/socket" ] || {
		echo "journald did not start:" >&2
		cat "$T/journald.err" >&2
		return 1
	}
	JOURNAL_DIR=$T/jvarlog/journal/$(cat /etc/machine-id).$JOURNAL_NS
}

# journald_create [EXTRA MONITOR ARGS...]: monitor_create, with the monitor
# started inside journald's namespace (nsenter execs it: same pid, same exe)
# and logging to both k8s-file and journald.
journald_create() {
	monitor_argv -l journald: "$@"
	caller -- nsenter -t "$JOURNALD_PID" -m -- "${MONITOR_ARGV[@]}" || true
	MON_PID=$(cat "$T/monitor.pid" 2>/dev/null || true)
	if [ "$CALLER_STATUS" != 0 ] || ! [[ "$SYNC_DATA" =~ ^[0-9]+$ ]] || [ "$SYNC_DATA" -le 0 ]; then
		echo "journald_create: caller status '$CALLER_STATUS', sync: $SYNC_RAW" >&2
		cat "$T/caller.err" >&2
		return 1
	fi
	CTR_PID=$SYNC_DATA
}

# journald_run [--] SH-SCRIPT [EXTRA MONITOR ARGS...]: run sh -c SCRIPT in a
# container, wait for the exit file and for the monitor to be gone (so that
# what it buffered has been sent).
journald_run() {
	make_test_bundle -- sh -c "$1"
	shift
	journald_create "$@"
	runtime_start
	wait_exit_file
	wait_monitor_gone
}

# journal_json: this container's entries, one JSON object a line.
journal_json() {
	# --all: without it, values over 4 KiB come out as null.
	journalctl --directory="$JOURNAL_DIR" --no-pager --all -o json "CONTAINER_ID_FULL=$CID"
}

# journal_wait N: wait until the journal holds N entries for the container
# (journald takes them from its socket asynchronously).
journal_wait() {
	wait_for "[ \"\$(journal_json 2>/dev/null | wc -l)\" -ge $1 ]" 10
	[ "$(journal_json | wc -l)" -eq "$1" ] || {
		echo "journal_wait: want $1 entries, have $(journal_json | wc -l)" >&2
		return 1
	}
}

# journal_expect PYTHON-LIST: the container's entries, stream by stream in
# order, are exactly these: each a dict of fields, None meaning "absent",
# bytes for a binary MESSAGE. Every entry must also carry the ids, and a
# PRIORITY of 6 or 3 only (podman rejects anything else).
journal_expect() {
	journal_json >"$T/journal.json"
	python3 - "$T/journal.json" "$CID" "$1" <<'EOF'
import json, sys
# The test's own expression (so that 'x' * 8192 can be written).
path, cid, want = sys.argv[1], sys.argv[2], eval(sys.argv[3])
got = [json.loads(line) for line in open(path)]

def value(v):
    # journalctl -o json gives non-UTF-8 or control-laden values as byte arrays.
    return bytes(v) if isinstance(v, list) else v

ok = True
def fail(msg):
    global ok
    ok = False
    print(msg, file=sys.stderr)

for e in got:
    if e.get("CONTAINER_ID") != cid[:12]:
        fail("CONTAINER_ID %r" % e.get("CONTAINER_ID"))
    if e.get("PRIORITY") not in ("6", "3"):
        fail("PRIORITY %r" % e.get("PRIORITY"))
    if e.get("_TRANSPORT") != "journal":
        fail("_TRANSPORT %r" % e.get("_TRANSPORT"))
for prio in ("6", "3"):
    g = [e for e in got if e.get("PRIORITY") == prio]
    w = [x for x in want if x.get("PRIORITY", "6") == prio]
    if len(g) != len(w):
        fail("PRIORITY=%s: %d entries, want %d: %r" % (prio, len(g), len(w),
             [value(e.get("MESSAGE")) for e in g]))
        continue
    for i, (e, x) in enumerate(zip(g, w)):
        for k, v in x.items():
            if value(e.get(k)) != v:
                fail("PRIORITY=%s entry %d: %s = %r, want %r" % (prio, i, k, value(e.get(k)), v))
sys.exit(0 if ok else 1)
EOF
}

@test "journald: an entry per line, MESSAGE keeps its newline, PRIORITY 6 for stdout and 3 for stderr" {
	journald_run 'echo out1; echo err1 >&2; echo; echo out2; echo err2 >&2'
	[ "$EXIT_CODE" = 0 ]
	journal_wait 5
	local short=${CID:0:12}
	journal_expect "[
		{'MESSAGE': 'out1\n', 'PRIORITY': '6', 'CONTAINER_PARTIAL_MESSAGE': None,
		 'SYSLOG_IDENTIFIER': '$short', 'CONTAINER_NAME': None, 'CONTAINER_TAG': None},
		{'MESSAGE': '\n'}, {'MESSAGE': 'out2\n'},
		{'MESSAGE': 'err1\n', 'PRIORITY': '3', 'CONTAINER_PARTIAL_MESSAGE': None},
		{'MESSAGE': 'err2\n', 'PRIORITY': '3'}]"
	# The k8s-file driver beside it saw the same lines.
	[ "$(log_stream stdout)" = "out1

out2" ]
}

@test "journald: short writes are joined into one entry; k8s-file keeps them apart" {
	# Two reads for the monitor: the sleep is the container's, not a wait.
	journald_run 'printf ab; sleep 0.3; printf "c\nd"; sleep 0.3; echo e'
	journal_wait 2
	journal_expect "[{'MESSAGE': 'abc\n', 'CONTAINER_PARTIAL_MESSAGE': None},
		{'MESSAGE': 'de\n', 'CONTAINER_PARTIAL_MESSAGE': None}]"
	log_has "stdout P ab"
}

@test "journald: a long line comes as 8 KiB partial entries and a final one" {
	journald_run 'head -c 20000 /dev/zero | tr "\0" x; echo; echo next'
	journal_wait 4
	journal_expect "[
		{'MESSAGE': 'x' * 8192, 'CONTAINER_PARTIAL_MESSAGE': 'true'},
		{'MESSAGE': 'x' * 8192, 'CONTAINER_PARTIAL_MESSAGE': 'true'},
		{'MESSAGE': 'x' * 3616 + '\n', 'CONTAINER_PARTIAL_MESSAGE': None},
		{'MESSAGE': 'next\n'}]"
}

@test "journald: a last line without a newline is sent at exit as a partial entry" {
	journald_run 'echo full; printf tail >&2'
	journal_wait 2
	journal_expect "[{'MESSAGE': 'full\n'},
		{'MESSAGE': 'tail', 'PRIORITY': '3', 'CONTAINER_PARTIAL_MESSAGE': 'true'}]"
}

@test "journald: --no-container-partial-message leaves CONTAINER_PARTIAL_MESSAGE out" {
	skip_for conmon "conmon 2.1.6 has no --no-container-partial-message (2.2.0)"
	journald_run 'head -c 9000 /dev/zero | tr "\0" y; echo; printf tail' \
		--no-container-partial-message
	journal_wait 3
	journal_expect "[
		{'MESSAGE': 'y' * 8192, 'CONTAINER_PARTIAL_MESSAGE': None},
		{'MESSAGE': 'y' * 808 + '\n', 'CONTAINER_PARTIAL_MESSAGE': None},
		{'MESSAGE': 'tail', 'CONTAINER_PARTIAL_MESSAGE': None}]"
}

@test "journald: -n, --log-tag and --log-label fields; SYSLOG_IDENTIFIER is the tag, else the name" {
	skip_for conmon "conmon 2.1.6 has no --log-label (2.2.0)"
	journald_run 'echo hi' -n "name-$CID" --log-tag mytag \
		--log-label POD=web-1 --log-label ZONE_2=eu
	journal_wait 1
	journal_expect "[{'MESSAGE': 'hi\n', 'CONTAINER_NAME': 'name-$CID',
		'CONTAINER_TAG': 'mytag', 'SYSLOG_IDENTIFIER': 'mytag', 'POD': 'web-1',
		'ZONE_2': 'eu'}]"
}

@test "journald: without --log-tag, SYSLOG_IDENTIFIER is the name" {
	journald_run 'echo hi' -n "name-$CID"
	journal_wait 1
	journal_expect "[{'MESSAGE': 'hi\n', 'CONTAINER_NAME': 'name-$CID',
		'CONTAINER_TAG': None, 'SYSLOG_IDENTIFIER': 'name-$CID'}]"
}

@test "journald: binary output arrives byte for byte" {
	journald_run "printf 'a\\001\\377b\\n'"
	journal_wait 1
	journal_expect "[{'MESSAGE': b'a\\x01\\xffb\\n'}]"
}

@test "journald: a container id of 12 characters or fewer is refused" {
	make_test_bundle -- true
	CID=abcdef123456
	monitor_argv -l journald:
	caller -- nsenter -t "$JOURNALD_PID" -m -- "${MONITOR_ARGV[@]}" || true
	[ "$CALLER_STATUS" != 0 ] || [ "$SYNC_DATA" = -1 ]
	grep -qF "Container ID must be longer than 12 characters" "$T/caller.err" ||
		[[ "$SYNC_MESSAGE" == *"Container ID must be longer than 12 characters"* ]]
}

@test "journald: a malformed --log-label is refused with conmon's message" {
	skip_for conmon "conmon 2.1.6 has no --log-label (2.2.0)"
	make_test_bundle -- true
	monitor_argv -l journald: --log-label "MY%LABEL=x"
	caller -- nsenter -t "$JOURNALD_PID" -m -- "${MONITOR_ARGV[@]}" || true
	[ "$CALLER_STATUS" != 0 ] || [ "$SYNC_DATA" = -1 ]
	local want="Container label names must contain only uppercase letters, numbers and underscore (in 'MY%LABEL=x')"
	grep -qF "$want" "$T/caller.err" || [[ "$SYNC_MESSAGE" == *"$want"* ]]
}

@test "journald: a burst bigger than the journal's queue loses no line (backpressure)" {
	# net.unix.max_dgram_qlen is 10 here: without waiting for room, most of
	# this burst would be dropped. conmon blocks on the socket; tether waits
	# for room (boundedly), which slows the container instead.
	journald_run 'seq 1 20000'
	[ "$EXIT_CODE" = 0 ]
	wait_for "[ \"\$(journal_json 2>/dev/null | wc -l)\" -ge 20000 ]" 30
	[ "$(journal_json | python3 -c '
import json, sys
print("".join(json.loads(l)["MESSAGE"] for l in sys.stdin), end="")' | md5sum)" = "$(seq 1 20000 | md5sum)" ]
}
