#!/usr/bin/env bats
# podman container checkpoint and restore, with tether and with conmon. They
# need a working CRIU: where 'criu check' fails (on some kernels it cannot
# read the vDSO), the round trip skips saying so, and what can be checked
# still is: a failed checkpoint leaves the container running under its
# monitor, as podman reports with either monitor.

load helpers

setup_file() { compat_setup_file; }
teardown_file() { compat_teardown_file; }

# criu_works: whether CRIU can checkpoint here; CRIU_WHY says why not.
criu_works() {
	command -v criu >/dev/null || {
		CRIU_WHY="criu is not installed"
		return 1
	}
	local out
	out=$(criu check 2>&1) || {
		CRIU_WHY="'criu check' fails on this kernel: $(printf '%s' "$out" | head -1)"
		return 1
	}
}

COUNTER='i=0; while :; do i=$((i+1)); echo $i >/tmp/n; echo tick-$i; sleep 0.1; done'

@test "checkpoint and restore: the process carries on where it was, under a new monitor" {
	criu_works || skip "$CRIU_WHY"
	scenario() {
		ID=$(pod run -d --network none "$IMG" sh -c "$COUNTER")
		wait_until 10 log_has tick-3
		say checkpoint pod container checkpoint "$ID"
		say checkpointed state
		local n
		say restore pod container restore "$ID"
		say restored state
		n=$(pod exec "$ID" cat /tmp/n)
		wait_until 10 eval '[ "$(pod exec "$ID" cat /tmp/n)" -gt "$n" ]' && echo "counting on"
		# The count went on from where it stopped: never back to 1.
		pod logs "$ID" | grep -c '^tick-1$'
		say stop pod stop -t 0 "$ID"
		say stopped state
	}
	compare_monitors
	expect <<-'EOF'
	checkpoint: [0] ID
	checkpointed: [0] exited 0
	restore: [0] ID
	restored: [0] running 0
	counting on
	1
	stop: [0] ID
	stopped: [0] exited 137
	EOF
}

@test "checkpoint that CRIU cannot take: the container runs on under its monitor" {
	! criu_works || skip "CRIU works here: the round trip above covers checkpointing"
	scenario() {
		ID=$(pod run -d --network none "$IMG" sh -c "$COUNTER")
		wait_until 10 log_has tick-3
		local mon_pid
		mon_pid=$(pod inspect "$ID" --format '{{.State.ConmonPid}}')
		pod container checkpoint "$ID" >/dev/null 2>&1
		echo "checkpoint: [$?]"
		say state state
		[ "$(pod inspect "$ID" --format '{{.State.ConmonPid}}')" = "$mon_pid" ] &&
			[ -e "/proc/$mon_pid" ] && echo "same monitor"
		local n
		n=$(pod exec "$ID" cat /tmp/n)
		wait_until 10 eval '[ "$(pod exec "$ID" cat /tmp/n)" -gt "$n" ]' && echo "counting on"
		say stop pod stop -t 0 "$ID"
		say stopped state
	}
	compare_monitors
	expect <<-'EOF'
	checkpoint: [125]
	state: [0] running 0
	same monitor
	counting on
	stop: [0] ID
	stopped: [0] exited 137
	EOF
}
