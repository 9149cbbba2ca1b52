#!/usr/bin/env bats
# Log policies (docs/log-policies.md): --log-rate with drop and block, the
# syslog log driver, --log-compress for rotated files, and tetherctl's side
# of them. tether only: these are its own flags.
#
# The rate checks use the records' own times (when the shim read the
# output), so a busy machine changes nothing as long as the container
# writes faster than the limit: it writes about ten times faster.

load ../lib/monitor
load ../lib/ctl

setup() {
	tether_only_setup
	ctl_setup
}

teardown() {
	ctl_teardown
	monitor_teardown
}

stats_field() { # JSON-LINE KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# 100 blocks of 64 KiB (1024 lines of 64 bytes) 30 ms apart: about 2 MiB/s,
# ten times --log-rate 200k; then, once the bucket has refilled, a marker.
FLOOD='i=0; while [ $i -lt 100 ]; do yes 012345678901234567890123456789012345678901234567890123456789012 | head -c 65536; usleep 30000; i=$((i+1)); done; sleep 2; echo FLOOD-END; exec sleep 100'

@test "log-rate drop: a flood is logged at the rate; the rest is counted and reported once" {
	make_test_bundle -- sh -c "$FLOOD"
	monitor_create --log-rate 200k --diagnostics-file "$T/diag"
	runtime_start
	wait_for "grep -q FLOOD-END '$T/ctr.log'" 60
	run python3 "$LIB/lograte.py" drop "$T/ctr.log" --rate 204800 --burst 204800 --marker FLOOD-END
	echo "$output"
	echo "# drop: ${lines[1]:-}" >&3
	[ "$status" -eq 0 ]
	logged=${lines[0]#logged=}
	r=$(ctl_req '{"request":"stats"}')
	dropped=$(stats_field "$r" stdout_rate_dropped_bytes)
	# Every byte written is either logged or counted as dropped.
	[ "$((logged + dropped))" -eq $((100 * 65536 + 10)) ]
	[ "$dropped" -gt 0 ]
	[ "$(stats_field "$r" stderr_rate_dropped_bytes)" -eq 0 ]
	# Whole lines: every stdout record is a full 64-byte line (or the marker).
	[ "$(grep -c ' stdout P ' "$T/ctr.log")" -eq 0 ]
	# The attach relay counts all of it.
	[ "$(stats_field "$r" stdout_bytes)" -eq $((100 * 65536 + 10)) ]
	m=$(ctl_req '{"request":"metrics"}')
	[[ "$m" == *"tether_log_rate_dropped_bytes_total{"*"stream=\\\"stdout\\\"} $dropped"* ]]
	# Once when it starts, once (with the count) when the bucket was full again.
	[ "$(grep -c 'Container stdout is over --log-rate' "$T/diag")" -eq 1 ]
	[ "$(grep -c "Container stdout: $dropped bytes dropped over --log-rate" "$T/diag")" -eq 1 ]
}

@test "log-rate block: nothing is lost, and the stream is read at the rate" {
	make_test_bundle -- sh -c 'seq 1 3000000; exec sleep 100'
	monitor_create --log-rate 200k --log-rate-policy block --diagnostics-file "$T/diag"
	runtime_start
	# Until the log spans 3.5 s of its own time.
	wait_for "python3 -c 'import sys; sys.path.insert(0, \"$LIB\"); import lograte; r = lograte.records(\"$T/ctr.log\"); sys.exit(not r or r[-1][0] - r[0][0] < 3.5)'" 30
	r=$(ctl_req '{"request":"stats"}')
	python3 -c 'import json, sys; v = json.loads(sys.argv[1])["stdout_rate_blocked_seconds"]; sys.exit(not v > 1)' "$r"
	[ "$(stats_field "$r" stdout_rate_dropped_bytes)" -eq 0 ]
	runtime_kill KILL
	wait_exit_file 30
	# What was in the pipe at the exit is read at once, and every line is there.
	run python3 "$LIB/lograte.py" block "$T/ctr.log" --rate 204800 --burst 204800 --window 3
	echo "$output"
	echo "# block: ${lines[1]:-}" >&3
	[ "$status" -eq 0 ]
	! grep -q 'over --log-rate' "$T/diag"
}

@test "log-rate: a terminal is one stream, limited too" {
	# The flood ends mid-line: a lone newline ends that line (dropped with
	# it, or not, as the bucket stood), so FLOOD-END is a line of its own.
	make_test_bundle --tty -- sh -c 'i=0; while [ $i -lt 40 ]; do yes 0123456789012345678901234567890123456789012345678901234567890 | head -c 65536; i=$((i+1)); done; sleep 2; echo; echo FLOOD-END; exec sleep 100'
	monitor_create -t --full-attach --log-rate 100k --diagnostics-file "$T/diag"
	runtime_start
	wait_for "grep -q FLOOD-END '$T/ctr.log'" 60
	r=$(ctl_req '{"request":"stats"}')
	[ "$(stats_field "$r" stdout_rate_dropped_bytes)" -gt 0 ]
	[ "$(grep -c 'Container stdout is over --log-rate' "$T/diag")" -eq 1 ]
}

@test "log-rate: bad values are refused with clear messages" {
	make_test_bundle -- true
	for args in "--log-rate 0" "--log-rate 2g" "--log-rate fast" "--log-burst 10k" \
		"--log-rate 1k --log-rate-policy wait" "--log-rate 1k --log-burst 0"; do
		# shellcheck disable=SC2086
		run "$MONITOR" -c "$CID" -u "$CID" -r "$RUNC" -b "$T/bundle" -l "$T/ctr.log" $args
		echo "$args: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"--log-"* ]]
	done
	run ctl run -d -b "$BUNDLE" --log-rate 10x rate-bad-0001
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --log-rate '10x'"* ]]
	run ctl run -d -b "$BUNDLE" --log-compress rate-bad-0002
	[ "$status" -eq 125 ]
	[[ "$output" == *"--log-compress needs --log-max-files"* ]]
}

# --- syslog -----------------------------------------------------------------

@test "syslog: records by stream with the tag, long lines split, partial writes joined" {
	bg syslog python3 "$LIB/syslog_listen.py" "$T/log.sock" "$T/syslog"
	wait_for "[ -e '$T/log.sock.ready' ]" 10
	make_test_bundle -- sh -c 'echo hello; echo oops >&2; printf "%05000d\n" 7; printf "par"; sleep 0.2; printf "tial\n"; printf "no newline"'
	monitor_create -l "syslog:$T/log.sock" --log-tag web-1
	runtime_start
	wait_exit_file 20
	wait_for "[ \$(wc -l <'$T/syslog') -ge 7 ]" 10
	python3 - "$T/syslog" <<-'PY'
	import json, re, sys
	recs = [json.loads(l) for l in open(sys.argv[1])]
	head = re.compile(r"^<(\d+)>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d web-1\[(\d+)\]: ")
	got = []
	for r in recs:
	    m = head.match(r)
	    assert m, r[:80]
	    got.append((int(m.group(1)), r[m.end():]))
	long = "0" * 4999 + "7"
	out = [g for g in got if g[0] == 30]
	err = [g for g in got if g[0] == 27]
	assert err == [(27, "oops")], err
	assert [m for _, m in out] == ["hello", long[:2048], long[2048:4096], long[4096:],
	                               "partial", "no newline"], out
	PY
	[ "$(wc -l <"$T/syslog")" -eq 7 ]
}

@test "syslog: a missing socket never stalls the container, and is reported once" {
	make_test_bundle -- sh -c 'i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done; echo done'
	monitor_create -l "syslog:$T/nobody.sock" -l "k8s-file:$T/ctr.log" --diagnostics-file "$T/diag"
	runtime_start
	wait_exit_file 20
	[ "$EXIT_CODE" -eq 0 ]
	grep -q ' stdout F done$' "$T/ctr.log"
	[ "$(grep -c 'Failed to send container output to syslog' "$T/diag")" -eq 1 ]
	# 200 lines "line N" (1490 bytes without newlines) and "done".
	grep -q '1494 bytes of container output could not be logged' "$T/diag"
}

@test "syslog: tetherctl runs it and says where the logs went" {
	ctl run -d -b "$BUNDLE" --log-driver syslog slog-000001 sh -c 'echo hi; sleep 100'
	wait_until 10 sh -c "'$TETHERCTL' --root '$ROOT' ps | grep -q slog-000001.*running"
	run ctl logs slog-000001
	[ "$status" -ne 0 ]
	[[ "$output" == *"logs to syslog (/dev/log, tag 'slog-000001'): tetherctl cannot read them back"* ]]
}

# --- compression --------------------------------------------------------------

# check_gz_logs PATH FIRST LAST: the files PATH.N[.gz] and PATH hold the lines
# FIRST..LAST once each, in order (FIRST 0: from the first whole line); the
# .gz ones are valid gzip.
check_gz_logs() {
	local path=$1 first=$2 last=$3 f
	for f in "$path".*.gz; do
		[ -e "$f" ] || continue
		gzip -t "$f"
	done
	python3 - "$path" "$first" "$last" <<-'PY'
	import glob, gzip, os, re, sys
	path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	files = {}
	for f in glob.glob(path + ".*"):
	    m = re.fullmatch(re.escape(path) + r"\.(\d+)(\.gz)?", f)
	    if m and (int(m.group(1)) not in files or not m.group(2)):
	        files[int(m.group(1))] = f
	data = b""
	for n in sorted(files, reverse=True):
	    f = files[n]
	    data += gzip.open(f).read() if f.endswith(".gz") else open(f, "rb").read()
	data += open(path, "rb").read()
	text, lines = b"", []
	for rec in data.splitlines():
	    _, _, tag, content = rec.split(b" ", 3)
	    text += content
	    if tag == b"F":
	        lines.append(text)
	        text = b""
	if first == 0:
	    # From the first whole line on (the file may start with a line's end).
	    lines = lines[1:]
	    first = int(lines[0])
	want = [str(i).encode() for i in range(first, last + 1)]
	assert lines == want, (len(lines), lines[:3], lines[-3:])
	PY
}

@test "log-compress: rotation under load keeps every line once; tetherctl logs reads them all" {
	ctl run -d -b "$BUNDLE" --log-size-max 64k --log-max-files 100 --log-compress \
		comp-000001 sh -c 'seq 1 100000'
	wait_until 30 sh -c "'$TETHERCTL' --root '$ROOT' ps -a | grep -q 'comp-000001.*exited'"
	local log=$ROOT/containers/comp-000001/ctr.log
	ls "$log".*.gz >/dev/null
	# No leftover of the compressor.
	[ ! -e "$log.gz-tmp" ]
	check_gz_logs "$log" 1 100000
	run ctl logs comp-000001
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 1 100000)" ]
	run ctl logs --tail 3 comp-000001
	[ "$output" = "$(seq 99998 100000)" ]
}

@test "log-compress: json-file too; logs reads it back" {
	ctl run -d -b "$BUNDLE" --log-driver json-file --log-size-max 32k --log-max-files 100 \
		--log-compress comp-json0001 sh -c 'seq 1 20000'
	wait_until 30 sh -c "'$TETHERCTL' --root '$ROOT' ps -a | grep -q 'comp-json0001.*exited'"
	local log=$ROOT/containers/comp-json0001/ctr.json
	ls "$log".*.gz >/dev/null
	for f in "$log".*.gz; do gzip -t "$f"; done
	run ctl logs comp-json0001
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 1 20000)" ]
}

@test "log-compress: logs -f follows across rotations as files are compressed" {
	ctl run -d -b "$BUNDLE" --log-size-max 64k --log-max-files 500 --log-compress \
		comp-follow01 sh -c 'i=0; while [ $i -lt 40 ]; do seq $((i * 2000 + 1)) $((i * 2000 + 2000)); usleep 50000; i=$((i + 1)); done'
	"$TETHERCTL" --root "$ROOT" logs -f comp-follow01 >"$BATS_TEST_TMPDIR/follow" 2>"$BATS_TEST_TMPDIR/follow.err" &
	local fpid=$!
	wait_until 60 sh -c "! kill -0 $fpid 2>/dev/null"
	wait "$fpid"
	ls "$ROOT"/containers/comp-follow01/ctr.log.*.gz >/dev/null
	# Every line once, in order: no file read twice in its compressed form.
	seq 1 80000 | cmp - "$BATS_TEST_TMPDIR/follow"
}

@test "log-compress: --log-max-files counts the .gz files; the oldest go" {
	make_test_bundle -- sh -c 'seq 1 100000'
	monitor_create -l "k8s-file:$T/ctr.log" --log-size-max 65536 --log-rotate --log-max-files 3 \
		--log-compress
	runtime_start
	wait_exit_file 30
	n=$(ls "$T"/ctr.log.* | grep -cE 'ctr\.log\.[0-9]+(\.gz)?$')
	# Three kept: plain or compressed, never both for long.
	[ "$(ls "$T"/ctr.log.[0-9]* | sed 's/\.gz$//' | sort -u | wc -l)" -eq 3 ]
	[ "$n" -ge 3 ]
	[ ! -e "$T/ctr.log.4" ] && [ ! -e "$T/ctr.log.4.gz" ]
	# What is kept is the end of the output, each line once, in order.
	check_gz_logs "$T/ctr.log" 0 100000
}

@test "log-compress: needs --log-rotate" {
	make_test_bundle -- true
	run "$MONITOR" -c "$CID" -u "$CID" -r "$RUNC" -b "$T/bundle" -l "$T/ctr.log" --log-compress
	[ "$status" -ne 0 ]
	[[ "$output" == *"--log-compress needs --log-rotate"* ]]
}

@test "log-compress: a damaged .gz is named in a clear error, not read as garbage" {
	ctl run -d -b "$BUNDLE" --log-size-max 32k --log-max-files 100 --log-compress \
		comp-broken01 sh -c 'seq 1 20000'
	wait_until 30 sh -c "'$TETHERCTL' --root '$ROOT' ps -a | grep -q 'comp-broken01.*exited'"
	local gz
	gz=$(ls "$ROOT"/containers/comp-broken01/ctr.log.*.gz | head -1)
	# Cut short, as by a full disk or a copy that stopped.
	truncate -s 100 "$gz"
	run ctl logs comp-broken01
	[ "$status" -ne 0 ]
	[[ "$output" == *"$gz is not a whole gzip file (damaged or cut short)"* ]]
}
