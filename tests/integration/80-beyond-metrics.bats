#!/usr/bin/env bats
# Metrics (docs/protocol.md "metrics"): each shim's counters in Prometheus'
# text format on its control socket, and `tetherctl stats --prometheus`
# over every shim as one valid exposition. tether only.

load ../lib/ctl

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

# check_exposition FILE: the text format's rules — each family one HELP and
# one TYPE before its samples, every sample "name{labels} number".
check_exposition() {
	python3 - "$1" <<-'PY'
	import re, sys
	sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$')
	seen, current, heads = set(), None, {}
	for line in open(sys.argv[1]).read().splitlines():
	    m = re.match(r'^# (HELP|TYPE) (\S+) (.+)$', line)
	    if m:
	        kind, name = m.group(1), m.group(2)
	        assert name not in seen or name == current, "family %s split" % name
	        assert (name, kind) not in heads, "two %s for %s" % (kind, name)
	        heads[(name, kind)] = m.group(3)
	        seen.add(name); current = name
	        continue
	    m = sample.match(line)
	    assert m, "bad line: %r" % line
	    assert m.group(1) == current, "sample %s outside its family" % m.group(1)
	    assert heads.get((current, "TYPE")) in ("gauge", "counter"), current
	PY
}

@test "metrics: stats --prometheus covers every live shim with exact counters" {
	"$REPO/tests/lib/mkbundle.py" "$BATS_TEST_TMPDIR/w" "$ROOTFS" -- sh -c \
		'head -c 1000 /dev/zero | tr "\0" x; printf 0123456789 >&2; exec sleep 100'
	ctl run -d -b "$BATS_TEST_TMPDIR/w" --name writer metrics-writer-1
	ctl run -d -b "$BUNDLE" --name idle metrics-idle-1 sleep 100
	ctl run -d -b "$BUNDLE" --name gone metrics-gone-1 true
	ctl wait metrics-gone-1
	wait_until 10 sh -c "'$TETHERCTL' --root '$ROOT' stats --prometheus |
		grep -q 'tether_output_bytes_total{container_id=\"metrics-writer-1\",name=\"writer\",stream=\"stdout\"} 1000'"
	ctl stats --prometheus >"$BATS_TEST_TMPDIR/m"
	cat "$BATS_TEST_TMPDIR/m"
	check_exposition "$BATS_TEST_TMPDIR/m"
	grep -qx 'tether_output_bytes_total{container_id="metrics-writer-1",name="writer",stream="stderr"} 10' "$BATS_TEST_TMPDIR/m"
	grep -qx 'tether_container_running{container_id="metrics-idle-1",name="idle"} 1' "$BATS_TEST_TMPDIR/m"
	grep -qx 'tether_attach_clients{container_id="metrics-idle-1",name="idle"} 0' "$BATS_TEST_TMPDIR/m"
	# The exited container's shim is gone: nothing of it in a sweep.
	refute grep -q metrics-gone-1 "$BATS_TEST_TMPDIR/m"
	# Each shim reports its own memory and fds.
	[ "$(grep -c '^tether_shim_open_fds{' "$BATS_TEST_TMPDIR/m")" = 2 ]
	grep -E '^tether_shim_resident_memory_bytes\{container_id="metrics-idle-1",name="idle"\} [1-9][0-9]{5,}$' "$BATS_TEST_TMPDIR/m"
	# Named ones only; one whose shim is gone is an error.
	ctl stats --prometheus metrics-idle-1 >"$BATS_TEST_TMPDIR/one"
	check_exposition "$BATS_TEST_TMPDIR/one"
	refute grep -q metrics-writer-1 "$BATS_TEST_TMPDIR/one"
	run ctl stats --prometheus metrics-gone-1
	[ "$status" -eq 125 ]
	[[ "$output" == *"no metrics from the shim of metrics-gone-1"* ]]
	run ctl stats --prometheus no-such-ctr
	[ "$status" -eq 125 ]
}

@test "metrics: the control socket's metrics request answers with the text" {
	ctl run -d -b "$BUNDLE" --name m metrics-ctl-1 sleep 100
	r=$(python3 "$REPO/tests/lib/control_client.py" "$ROOT/containers/metrics-ctl-1/control" \
		'{"id": 3, "request": "metrics"}')
	python3 -c 'import json, sys
r = json.loads(sys.argv[1])
assert r["ok"] is True and r["id"] == 3, r
open(sys.argv[2], "w").write(r["text"])' "$r" "$BATS_TEST_TMPDIR/m"
	check_exposition "$BATS_TEST_TMPDIR/m"
	grep -qx 'tether_container_oom_killed{container_id="metrics-ctl-1",name="m"} 0' "$BATS_TEST_TMPDIR/m"
}
