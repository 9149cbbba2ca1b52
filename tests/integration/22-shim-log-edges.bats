#!/usr/bin/env bats
# The k8s-file log path's hard cases (conmon-spec §2.12.2, §2.12.4): output
# that arrives in pieces (lines split across writes, a line longer than any
# buffer, no newline at exit, binary bytes, many writers at once, stdout and
# stderr interleaved), output still in the pipe when the container exits or
# the monitor is told to stop, and a log that cannot be written (a full disk,
# an immutable file, a path that became a directory). Runs against tether and
# conmon; where conmon 2.1.6 behaves differently the case says what was seen.

load ../lib/monitor

setup() {
	monitor_setup
	MOUNTS=() IMMUTABLE=()
}

teardown() {
	local f m
	for f in "${IMMUTABLE[@]}"; do chattr -i "$f" 2>/dev/null || true; done
	# Lazily: a monitor still running keeps its log open; the tmpfs goes
	# away with it.
	for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
	monitor_teardown
}

# --- helpers ------------------------------------------------------------------

# shared_bundle ARGS...: make_test_bundle, plus $T/shared bind-mounted at
# /run in the container: the test hands it files and the two signal each
# other through files there.
shared_bundle() {
	mkdir -p "$T/shared"
	make_test_bundle -- "$@"
	python3 - "$T/bundle/config.json" "$T/shared" <<-'PY'
	import json, sys
	path, src = sys.argv[1], sys.argv[2]
	with open(path) as f:
	    cfg = json.load(f)
	cfg["mounts"].append({"destination": "/run", "type": "bind", "source": src,
	                      "options": ["rbind", "rw"]})
	with open(path, "w") as f:
	    json.dump(cfg, f, indent=1)
	PY
}

# log_bytes STREAM [FILE]: the bytes the container wrote on STREAM, rebuilt
# byte for byte (binary-safe, unlike log_stream). Fails, saying where, unless
# every record is whole: "TIMESTAMP STREAM F|P CONTENT\n", with no second
# record header inside the content (a torn record that the next one was
# glued onto).
log_bytes() {
	python3 - "$1" "${2:-$T/ctr.log}" <<-'PY'
	import re, sys
	stream, path = sys.argv[1].encode(), sys.argv[2]
	data = open(path, "rb").read()
	hdr = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d (stdout|stderr) ([FP]) "
	rec = re.compile(hdr)
	if data and not data.endswith(b"\n"):
	    sys.exit("log_bytes: the log ends inside a record: %r" % data[-80:])
	out = bytearray()
	for n, line in enumerate(data.split(b"\n")[:-1], 1):
	    m = rec.match(line)
	    if not m:
	        sys.exit("log_bytes: record %d is malformed: %r" % (n, line[:100]))
	    content = line[m.end():]
	    g = rec.search(content)
	    if g:
	        sys.exit("log_bytes: record %d is torn, another record glued on: %r"
	                 % (n, line[max(0, g.start() - 60):g.end() + 20]))
	    if m.group(1) == stream:
	        out += content
	        if m.group(2) == b"F":
	            out += b"\n"
	sys.stdout.buffer.write(out)
	PY
}

# md5 FILE|-: just the digest.
md5() {
	md5sum "$@" | cut -d' ' -f1
}

# shared_count: the counter the container keeps in /run/count (read again
# if caught while it is being rewritten; 0 if there is none).
shared_count() {
	local c try
	for try in $(seq 100); do
		c=$(cat "$T/shared/count" 2>/dev/null) || true
		if [[ "$c" =~ ^[0-9]+$ ]]; then
			echo "$c"
			return
		fi
		[ -e "$T/shared/count" ] || break
		sleep 0.01
	done
	echo 0
}

# numbers_increasing: stdin holds numbers, one a line, strictly increasing.
numbers_increasing() {
	awk 'NR > 1 && $1 + 0 <= prev { print "not increasing at line " NR ": " prev " then " $1 > "/dev/stderr"; bad = 1; exit 1 }
	     { prev = $1 + 0 } END { exit bad }'
}

# A container that writes "c N" every millisecond or so, keeps N in
# /run/count, and stops (exit 0) once /run/stop exists; after 30000 lines
# it gives up (exit 3), so it never runs unbounded.
TICKER='i=0
while [ ! -e /run/stop ]; do
	i=$((i + 1))
	[ $i -le 30000 ] || exit 3
	echo "c $i"
	echo $i >/run/count
	usleep 1000
done
echo done
exit 0'

# ticks_logged [FILE]: the numbers of the whole "c N" lines in the log.
ticks_logged() {
	log_stream stdout "${1:-$T/ctr.log}" | sed -n 's/^c \([0-9][0-9]*\)$/\1/p'
}

# last_tick_logged [FILE]
last_tick_logged() {
	ticks_logged "$@" | tail -1
}

# 90 bytes of padding: lines of 100 bytes.
PAD=$(printf '%090d' 0 | tr 0 x)

# A container that writes 20000 lines "a NNNNNN PAD" (2 MB), says so in
# /run/phase1, waits (bounded) for /run/go, then writes 300 lines
# "b NNNNNN PAD" and exits 0.
PHASES='pad='"$PAD"'
i=1
while [ $i -le 20000 ]; do printf "a %06d %s\n" $i "$pad"; i=$((i + 1)); done
touch /run/phase1
n=0
while [ ! -e /run/go ]; do n=$((n + 1)); [ $n -le 3000 ] || exit 3; usleep 10000; done
i=1
while [ $i -le 300 ]; do printf "b %06d %s\n" $i "$pad"; i=$((i + 1)); done
exit 0'

# drained PID FD: nothing waits in the pipe that PID has as FD, and then the
# monitor sleeps in poll: it has read and handled all of it.
drained() {
	[ "$(python3 -c '
import fcntl, os, struct, sys, termios
fd = os.open("/proc/%s/fd/%s" % (sys.argv[1], sys.argv[2]), os.O_RDONLY | os.O_NONBLOCK)
print(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0])' "$1" "$2")" = 0 ] &&
		[[ "$(cat "/proc/$MON_PID/wchan" 2>/dev/null)" == *poll* ]]
}

# small_disk SIZE: a tmpfs of SIZE at $T/small, unmounted by teardown.
small_disk() {
	mkdir -p "$T/small"
	mount -t tmpfs -o "size=$1" tmpfs "$T/small"
	MOUNTS+=("$T/small")
}

# create_logging_to PATH [EXTRA MONITOR ARGS]: monitor_create with the
# k8s-file log at PATH instead of $T/ctr.log (the last -l wins); $T/ctr.log
# is made a symlink to it so that the log_* helpers read it (tether never
# opens a log through a symlink).
create_logging_to() {
	local path=$1
	shift
	ln -s "$path" "$T/ctr.log"
	monitor_create -l "k8s-file:$path" "$@"
}

# create_logging_to_wrapped PATH: create_logging_to through with_syslog's
# wrapper.
create_logging_to_wrapped() {
	ln -s "$1" "$T/ctr.log"
	monitor_create_wrapped -l "k8s-file:$1"
}

# with_syslog: start a syslog receiver on $T/syslog.sock (one message a line
# in $T/syslog.txt) and make MONITOR_WRAP a command prefix that runs the
# monitor in a private mount namespace whose /dev is an overlay of the real
# one with /dev/log pointing at that socket. This host has no syslog daemon
# and no /dev/log; nothing outside the namespace changes.
with_syslog() {
	mkdir -p "$T/ovl/up" "$T/ovl/work"
	bg syslog python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        m = s.recv(65536)
        f.write(m.rstrip(b"\n").replace(b"\n", b" ") + b"\n")
' "$T/syslog.sock" "$T/syslog.txt"
	wait_for "[ -S '$T/syslog.sock' ]" 5
	cat >"$T/privdev" <<-EOF
	#!/bin/sh
	set -e
	mount -t overlay overlay -o lowerdir=/dev,upperdir=$T/ovl/up,workdir=$T/ovl/work /dev
	ln -sf $T/syslog.sock /dev/log
	exec "\$@"
	EOF
	chmod +x "$T/privdev"
	MONITOR_WRAP=(unshare -m --propagation private "$T/privdev")
	"${MONITOR_WRAP[@]}" true 2>/dev/null ||
		skip "cannot give the monitor a private /dev with a /dev/log here"
}

# monitor_create_wrapped [EXTRA MONITOR ARGS]: monitor_create, with the
# monitor started through "${MONITOR_WRAP[@]}" and --syslog.
monitor_create_wrapped() {
	monitor_argv --syslog "$@"
	caller -- "${MONITOR_WRAP[@]}" "${MONITOR_ARGV[@]}" || true
	MON_PID=$(cat "$T/monitor.pid" 2>/dev/null || true)
	if [ "$CALLER_STATUS" != 0 ] || ! [[ "$SYNC_DATA" =~ ^[0-9]+$ ]] || [ "$SYNC_DATA" -le 0 ]; then
		echo "monitor_create_wrapped: caller status '$CALLER_STATUS', sync: $SYNC_RAW" >&2
		cat "$T/caller.err" >&2
		return 1
	fi
	CTR_PID=$SYNC_DATA
}

# --- output in pieces -----------------------------------------------------------

@test "lines split across writes are rebuilt exactly, on both streams" {
	run_container sh -c '
		printf ab; usleep 100000; printf "c\n"
		printf de >&2; usleep 100000; printf "f\n" >&2
		printf g; usleep 100000; printf h; usleep 100000; printf "i\nj"; usleep 100000; printf "k\n"'
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(log_bytes stdout | od -An -c)" = "$(printf 'abc\nghi\njk\n' | od -An -c)" ]
	[ "$(log_bytes stderr | od -An -c)" = "$(printf 'def\n' | od -An -c)" ]
	# A piece without its newline is a P record; the one that ends the
	# line is F. Nothing else: no empty records.
	[ "$(log_lines | grep -c '^stdout F ')" -eq 3 ]
	[ "$(log_lines | grep -c '^stderr F ')" -eq 1 ]
	[ "$(log_lines | grep -c '^std... [FP] $')" -eq 0 ]
}

@test "a 3 MiB line is cut into P records and closed by one F, byte for byte" {
	mkdir -p "$T/shared"
	head -c 2400000 /dev/urandom | base64 -w 0 >"$T/shared/line"
	echo >>"$T/shared/line"
	shared_bundle sh -c 'cat /run/line; echo next'
	monitor_create
	runtime_start
	wait_exit_file 20
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(log_bytes stdout | md5)" = "$( (cat "$T/shared/line"; echo next) | md5)" ]
	# Every record but the last two is P: P...P F(the long line) F(next).
	local tags
	tags=$(cut -d' ' -f2,3 "$T/ctr.log" | uniq -c | awk '{ print $2, $3, ($1 > 1 ? "many" : "one") }')
	[ "$tags" = "stdout P many
stdout F many" ]
	[ "$(tail -1 "$T/ctr.log" | cut -d' ' -f2-)" = "stdout F next" ]
	# No record longer than the 3 MiB line itself: it really was cut.
	[ "$(wc -L <"$T/ctr.log")" -lt 3200000 ]
}

@test "no newline at exit: the last record is P and nothing is lost" {
	mkdir -p "$T/shared"
	head -c 150000 /dev/urandom | base64 -w 0 >"$T/shared/tail"
	shared_bundle sh -c 'echo first; cat /run/tail; printf "err-without-newline" >&2'
	monitor_create
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(log_bytes stdout | md5)" = "$( (echo first; cat "$T/shared/tail") | md5)" ]
	[ "$(log_bytes stderr)" = "err-without-newline" ]
	[ "$(grep ' stdout ' "$T/ctr.log" | tail -1 | cut -d' ' -f2,3)" = "stdout P" ]
	[ "$(grep ' stderr ' "$T/ctr.log" | cut -d' ' -f2-)" = "stderr P err-without-newline" ]
}

@test "binary output (every byte value, NUL and CR included) is kept byte for byte" {
	mkdir -p "$T/shared"
	# All 256 byte values, forwards and backwards, eight times; CR LF and a
	# lone CR and NUL runs between; no newline at the very end.
	python3 -c '
import sys
b = bytes(range(256))
chunk = b + b"\r\n" + b[::-1] + b"\0\0\0\r" + b
sys.stdout.buffer.write(chunk * 8 + b"end\r")' >"$T/shared/bin"
	shared_bundle sh -c 'cat /run/bin; cat /run/bin >&2'
	monitor_create
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	log_bytes stdout >"$T/got.out"
	log_bytes stderr >"$T/got.err"
	cmp "$T/shared/bin" "$T/got.out"
	cmp "$T/shared/bin" "$T/got.err"
}

@test "8 processes writing at once: each of 16000 lines is logged exactly once, in each writer's order" {
	shared_bundle sh -c '
		pad='"$PAD"'
		for w in 1 2 3 4 5 6 7 8; do
			( i=1; while [ $i -le 2000 ]; do echo "w$w $i $pad"; i=$((i + 1)); done ) &
		done
		wait'
	monitor_create
	runtime_start
	wait_exit_file 30
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	log_stream stdout >"$T/got"
	[ "$(wc -l <"$T/got")" -eq 16000 ]
	local w
	for w in 1 2 3 4 5 6 7 8; do seq -f "w$w %g $PAD" 1 2000; done | sort >"$T/want"
	sort "$T/got" | cmp - "$T/want"
	for w in 1 2 3 4 5 6 7 8; do
		grep "^w$w " "$T/got" | cut -d' ' -f2 | numbers_increasing
	done
}

@test "stdout and stderr interleaved: each stream complete and in order" {
	run_container sh -c 'i=1; while [ $i -le 5000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i + 1)); done'
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(log_stream stdout | md5)" = "$(seq -f 'out %g' 1 5000 | md5)" ]
	[ "$(log_stream stderr | md5)" = "$(seq -f 'err %g' 1 5000 | md5)" ]
}

# --- nothing buffered is lost ------------------------------------------------------

@test "5 MiB written quickly just before exit: all of it is logged" {
	run_container sh -c 'seq 1 750000; exit 0'
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(log_stream stdout | md5)" = "$(seq 1 750000 | md5)" ]
}

@test "output still in the pipe when the container exits is logged (monitor stopped meanwhile)" {
	# The monitor is stopped while the container writes (less than a pipe
	# holds) and exits; when it runs again the exit and the data are both
	# waiting, and the data must be read first.
	make_test_bundle -- sh -c '
		i=1; while [ $i -le 4000 ]; do echo "z $i"; i=$((i + 1)); done
		i=1; while [ $i -le 1000 ]; do echo "e $i" >&2; i=$((i + 1)); done
		printf tail'
	monitor_create
	kill -STOP "$MON_PID"
	runtime_start || { kill -CONT "$MON_PID"; false; }
	local zombie="[ \"\$(cut -d' ' -f3 /proc/$CTR_PID/stat 2>/dev/null)\" = Z ]"
	wait_for "$zombie" 10 || { kill -CONT "$MON_PID"; false; }
	kill -CONT "$MON_PID"
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	log_grammar_ok
	[ "$(log_stream stdout | md5)" = "$( (seq -f 'z %g' 1 4000; printf tail) | md5)" ]
	[ "$(log_stream stderr | md5)" = "$(seq -f 'e %g' 1 1000 | md5)" ]
}

@test "SIGTERM to the monitor is forwarded; the container's last words are logged" {
	# The container writes as fast as it can, so the pipe is full when the
	# signal comes.
	make_test_bundle -- sh -c '
		trap "echo bye; exit 0" TERM
		i=0
		while [ $i -lt 3000000 ]; do i=$((i + 1)); echo "tick $i"; done
		exit 7'
	monitor_create
	runtime_start
	wait_for "[ \$(grep -c ' stdout F tick ' '$T/ctr.log' 2>/dev/null) -ge 20000 ] 2>/dev/null"
	kill -TERM "$MON_PID"
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	wait_monitor_gone
	log_grammar_ok
	# Every tick from the first on, no gap, then "bye" as the last line.
	log_stream stdout >"$T/got"
	[ "$(tail -1 "$T/got")" = bye ]
	local n
	n=$(grep -c '^tick ' "$T/got")
	[ "$n" -ge 20000 ]
	[ "$(head -n -1 "$T/got" | md5)" = "$(seq -f 'tick %g' 1 "$n" | md5)" ]
}

# --- a log that cannot be written ------------------------------------------------

# disk_full_run: PHASES on a 256 KiB tmpfs that a filler leaves 96 KiB of:
# 2 MB of "a" lines fill it; once they are all written (the container never
# waits on the monitor), the filler goes, space returns, and 300 "b" lines
# (30 KB) follow.
disk_full_run() {
	small_disk 256k
	head -c 160k /dev/zero >"$T/small/filler"
	shared_bundle sh -c "$PHASES"
	"${CREATE:-create_logging_to}" "$T/small/ctr.log"
	runtime_start
	# Not stalled: all 2 MB are written although the log takes in < 100 KB.
	wait_for "[ -e '$T/shared/phase1' ]" 30
	monitor_alive
	# Space returns only once the monitor has read everything and failed
	# to write it (else what is still in the pipe takes the space).
	wait_for "drained $CTR_PID 1" 10
	[ "$(df --output=avail "$T/small" | tail -1 | tr -d ' ')" -lt 8 ]
	rm "$T/small/filler"
	touch "$T/shared/go"
	wait_exit_file 30
	[ "$EXIT_CODE" = 0 ]
	wait_monitor_gone
}

@test "disk full: the container is not stalled, the monitor survives, writing resumes" {
	disk_full_run
	# (Whether every record is whole is the next case's.)
	log_stream stdout >"$T/got"
	# Output was lost (the disk really was full) ...
	local a
	a=$(grep -cE "^a [0-9]{6} $PAD\$" "$T/got" || true)
	[ "$a" -gt 0 ] && [ "$a" -lt 20000 ]
	# ... what was kept is in order ...
	grep -E "^a [0-9]{6} $PAD\$" "$T/got" | cut -d' ' -f2 | numbers_increasing
	# ... and writing resumed: the "b" lines are all there, in order (the
	# first one is checked by the next case: a torn record may hide it).
	[ "$(grep -E "^b [0-9]{6} $PAD\$" "$T/got" | grep -v '^b 000001 ' | md5)" = \
		"$(seq -f "b %06g $PAD" 2 300 | md5)" ]
	[ "$(tail -1 "$T/got")" = "b 000300 $PAD" ]
}

@test "disk full: no torn record; the first line after space returns is a record of its own" {
	skip_for conmon "conmon 2.1.6 leaves the record that ENOSPC cut short in the file and glues the first record written after space returns onto it (observed: a record '2' + '2026-...stdout F b 000001 ...')"
	disk_full_run
	# Every record whole, none with another glued on.
	log_bytes stdout >"$T/got"
	# From the record that starts the "b" lines, the stream is exactly them.
	python3 - "$T/ctr.log" "$T/after" <<-'PY'
	import sys
	lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
	first = next((i for i, l in enumerate(lines)
	              if l.split(b" ", 3)[3].startswith(b"b 000001 ")), None)
	if first is None:
	    sys.exit("no record starts with 'b 000001'")
	with open(sys.argv[2], "wb") as f:
	    f.write(b"\n".join(lines[first:]) + b"\n")
	PY
	[ "$(log_stream stdout "$T/after" | md5)" = "$(seq -f "b %06g $PAD" 1 300 | md5)" ]
}

@test "disk full: the error is reported once, and the bytes lost are totalled" {
	skip_for conmon "conmon 2.1.6 warns at every failed write (observed: about 9,800 'failed to write ... to log' warnings for one full disk) and keeps no count of lost bytes"
	with_syslog
	CREATE=create_logging_to_wrapped disk_full_run
	# The monitor is gone: its last words are in (or on their way to) the
	# receiver.
	wait_for "grep -q 'could not be logged' '$T/syslog.txt'" 5
	# One warning for the whole episode, naming the cause.
	[ "$(grep -c 'Failed to write log file' "$T/syslog.txt")" -eq 1 ]
	grep 'Failed to write log file' "$T/syslog.txt" | grep -q 'No space left on device'
	# The total, once, at exit: "N bytes of container output could not be
	# logged". At least a whole record (145 bytes) for each "a" line that
	# is missing (a few may be missing only in part), at most that plus a
	# P record's header each, and some slack.
	[ "$(grep -c 'could not be logged' "$T/syslog.txt")" -eq 1 ]
	local lost missing
	lost=$(sed -n 's/.* \([0-9][0-9]*\) bytes of container output could not be logged.*/\1/p' "$T/syslog.txt")
	missing=$((20000 - $(log_stream stdout | grep -cE "^a [0-9]{6} $PAD\$")))
	echo "lost $lost bytes, $missing lines missing" >&2
	[ "$lost" -ge $(((missing - 20) * 145)) ]
	[ "$lost" -le $((missing * 200 + 65536)) ]
}

@test "an unwritable log (immutable mid-run): the container goes on, the monitor survives, writing resumes" {
	shared_bundle sh -c "$TICKER"
	monitor_create
	runtime_start
	wait_for "[ \"\$(last_tick_logged)\" -ge 20 ] 2>/dev/null"
	# Writes to an immutable file fail (EPERM), even through an open fd. A
	# read-only remount is no way to do this: with the log open for
	# writing it fails with EBUSY.
	chattr +i "$T/ctr.log" 2>/dev/null || skip "chattr +i does not work on $T's filesystem"
	IMMUTABLE+=("$T/ctr.log")
	local c0 c1
	c0=$(shared_count)
	wait_for "[ \$(shared_count) -ge $((c0 + 300)) ]" 15
	monitor_alive
	chattr -i "$T/ctr.log"
	c1=$(shared_count)
	wait_for "[ \"\$(last_tick_logged)\" -gt $c1 ] 2>/dev/null" 10
	touch "$T/shared/stop"
	wait_exit_file 10
	[ "$EXIT_CODE" = 0 ]
	wait_monitor_gone
	log_grammar_ok
	ticks_logged | numbers_increasing
	# Lines were lost while the file was immutable.
	[ "$(ticks_logged | awk -v a="$c0" -v b="$c1" '$1 > a + 1 && $1 < b - 1' | wc -l)" -lt $((c1 - c0 - 2)) ]
	[ "$(log_stream stdout | tail -1)" = done ]
}

@test "the log path becomes a directory: a reopen fails harmlessly, and works again once the path is free" {
	skip_for conmon "conmon 2.1.6 exits when a reopen fails (pexit 'Failed to rename log file'; observed: the monitor gone right after the reopen), leaving the container without a monitor"
	shared_bundle sh -c "$TICKER"
	monitor_create
	runtime_start
	wait_for "[ \"\$(last_tick_logged)\" -ge 20 ] 2>/dev/null"
	ln "$T/ctr.log" "$T/old.log"
	rm "$T/ctr.log"
	mkdir "$T/ctr.log"
	timeout 5 sh -c "printf '2 0 0\n' > '$T/bundle/ctl'"
	local c0
	c0=$(shared_count)
	wait_for "[ \$(shared_count) -ge $((c0 + 300)) ]" 15
	monitor_alive
	[ -d "$T/ctr.log" ]
	# The path is free again: the next reopen makes a new log there, and
	# output goes to it.
	rmdir "$T/ctr.log"
	timeout 5 sh -c "printf '2 0 0\n' > '$T/bundle/ctl'"
	wait_for "[ -f '$T/ctr.log' ] && [ \"\$(last_tick_logged)\" -gt 0 ] 2>/dev/null" 10
	touch "$T/shared/stop"
	wait_exit_file 10
	[ "$EXIT_CODE" = 0 ]
	wait_monitor_gone
	log_grammar_ok
	log_grammar_ok "$T/old.log"
	[ "$(log_stream stdout | tail -1)" = done ]
	ticks_logged | numbers_increasing
	ticks_logged "$T/old.log" | numbers_increasing
	[ "$(ticks_logged "$T/old.log" | head -1)" = 1 ]
}
