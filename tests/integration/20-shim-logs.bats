#!/usr/bin/env bats
# Log drivers and limits (conmon-spec §2.12): passthrough, json-file, several
# drivers at once, --log-size-max, --log-rotate/--log-max-files and
# --log-global-size-max, against a real runc. Runs against tether and conmon;
# what conmon 2.1.6 lacks is skipped for it, saying so.

load ../lib/monitor

setup() {
	monitor_setup
}

teardown() {
	monitor_teardown
}

# create_with_log SPEC... [-- EXTRA ARGS]: the podman argv with its
# "-l k8s-file:..." replaced by "-l SPEC" for each SPEC.
create_with_log() {
	local specs=() extra=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do specs+=(-l "$1"); shift; done
	[ "${1:-}" = -- ] && shift
	extra=("$@")
	monitor_argv "${extra[@]}"
	local argv=() skip=0 a
	for a in "${MONITOR_ARGV[@]}"; do
		if [ "$skip" = 1 ]; then skip=0; argv+=("${specs[@]}"); continue; fi
		if [ "$a" = -l ]; then skip=1; continue; fi
		argv+=("$a")
	done
	caller -- "${argv[@]}" || true
	[ "$CALLER_STATUS" = 0 ] && [[ "$SYNC_DATA" =~ ^[0-9]+$ ]]
}

# numbered N: a container writing "line 000001" .. "line N", one per line.
numbered_bundle() {
	make_test_bundle -- sh -c "i=1; while [ \$i -le $1 ]; do printf 'line %06d\n' \$i; i=\$((i+1)); done"
}

@test "passthrough: the container writes to the caller's own stdout and stderr" {
	make_test_bundle -- sh -c 'echo pass-out; echo pass-err >&2'
	create_with_log passthrough
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	grep -qx pass-out "$T/caller.err"
	grep -qx pass-err "$T/caller.err"
	# Nothing to relay: no attach socket, no FIFOs.
	[ ! -e "$T/bundle/attach" ]
	[ ! -e "$T/bundle/ctl" ]
}

@test "json-file: Docker's records, one per line, streams apart" {
	skip_for conmon "conmon 2.1.6 has no json-file driver (podman maps it to k8s-file)"
	make_test_bundle -- sh -c 'echo "out \"q\""; echo err >&2; printf partial'
	create_with_log "json-file:$T/ctr.json"
	runtime_start
	wait_exit_file
	python3 - "$T/ctr.json" <<-'PY'
	import json, re, sys
	recs = [json.loads(l) for l in open(sys.argv[1])]
	out = [r for r in recs if r["stream"] == "stdout"]
	err = [r for r in recs if r["stream"] == "stderr"]
	assert "".join(r["log"] for r in out) == 'out "q"\npartial', out
	assert [r["log"] for r in err] == ["err\n"], err
	for r in recs:
	    assert list(r) == ["log", "stream", "time"], r
	    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", r["time"]), r
	PY
}

@test "k8s-file and json-file at once carry the same output" {
	skip_for conmon "conmon 2.1.6 has no json-file driver"
	numbered_bundle 2000
	create_with_log "k8s-file:$T/ctr.log" "json-file:$T/ctr.json"
	runtime_start
	wait_exit_file
	[ "$(log_stream stdout | md5sum)" = "$(python3 -c '
import json, sys
sys.stdout.write("".join(json.loads(l)["log"] for l in open(sys.argv[1])))' "$T/ctr.json" | md5sum)" ]
	[ "$(log_stream stdout | wc -l)" -eq 2000 ]
}

@test "--log-size-max: the log starts anew when full; the newest lines are kept, whole" {
	numbered_bundle 3000
	monitor_create --log-size-max 20000
	runtime_start
	wait_exit_file
	[ "$(stat -c %s "$T/ctr.log")" -le 20000 ]
	log_grammar_ok
	# The end of the output is there, in order, with no gap.
	[ "$(log_stream stdout | tail -1)" = "line 003000" ]
	log_stream stdout | awk '{ n = $2 + 0; if (prev && n != prev + 1) exit 1; prev = n }'
}

@test "--log-rotate: every line is kept across exactly --log-max-files old files" {
	skip_for conmon "--log-rotate is conmon 2.2's; 2.1.6 refuses it"
	numbered_bundle 20000
	monitor_create --log-size-max 50000 --log-rotate --log-max-files 100
	runtime_start
	wait_exit_file
	# Oldest first: ctr.log.N ... ctr.log.1, ctr.log; every line once, in order.
	local files=() i
	for i in $(seq 100 -1 1); do [ -e "$T/ctr.log.$i" ] && files+=("$T/ctr.log.$i"); done
	files+=("$T/ctr.log")
	[ "${#files[@]}" -gt 5 ]
	[ ! -e "$T/ctr.log.101" ]
	for f in "${files[@]}"; do
		log_grammar_ok "$f"
		[ "$(stat -c %s "$f")" -le 50000 ]
	done
	cat "${files[@]}" >"$T/all.log"
	[ "$(log_stream stdout "$T/all.log" | md5sum)" = "$(seq -f 'line %06g' 1 20000 | md5sum)" ]
}

@test "--log-rotate keeps no more than --log-max-files" {
	skip_for conmon "--log-rotate is conmon 2.2's; 2.1.6 refuses it"
	numbered_bundle 5000
	monitor_create --log-size-max 10000 --log-rotate --log-max-files 2
	runtime_start
	wait_exit_file
	[ -e "$T/ctr.log.1" ] && [ -e "$T/ctr.log.2" ] && [ ! -e "$T/ctr.log.3" ]
	[ "$(log_stream stdout | tail -1)" = "line 005000" ]
}

@test "--log-global-size-max: output beyond the cap is dropped, the oldest kept" {
	numbered_bundle 3000
	monitor_create --log-global-size-max 10000
	runtime_start
	wait_exit_file
	[ "$EXIT_CODE" = 0 ]
	# conmon writes the record that crosses the cap; tether stops before it.
	local size
	size=$(stat -c %s "$T/ctr.log")
	[ "$size" -gt 9000 ] && [ "$size" -le $((10000 + 57)) ]
	[ "$(log_stream stdout | head -1)" = "line 000001" ]
}

@test "a log that cannot be opened fails the create with a clear message" {
	make_test_bundle -- true
	create_with_log "k8s-file:$T/no/such/dir/ctr.log" || true
	[ "$CALLER_STATUS" != 0 ] || [ "$SYNC_DATA" = -1 ]
	grep -q "Failed to open log file" "$T/caller.err" || [[ "$SYNC_MESSAGE" == *"Failed to open log file"* ]]
	[ -z "$(runtime_state)" ]
}
