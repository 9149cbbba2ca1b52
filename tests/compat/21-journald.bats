#!/usr/bin/env bats
# podman's journald log driver, with tether and with conmon: podman reads the
# container's output back from a real systemd-journald.
#
# No journald runs on a test host, and the host's own must not be touched:
# the file starts one (a named instance, "tether": no kmsg, no audit) in a
# private mount namespace where /run/systemd and /var/log are directories of
# this file, and runs podman, and so the monitor, inside that namespace
# (nsenter). The monitor finds the socket at the standard path through a
# symlink journal -> journal.tether. podman's reader opens the machine's own
# journal directory (/var/log/journal/MACHINE-ID), not a named instance's
# (MACHINE-ID.tether): a symlink gives it that one. podman logs -f over
# journald waits for the container's death event in the journal, so podman
# logs its events there too (events_logger = "journald").

load helpers

JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root: a mount namespace and bind mounts"
	[ -x "$JOURNALD" ] || skip "no systemd-journald at $JOURNALD (the systemd package)"
	command -v nsenter >/dev/null && command -v unshare >/dev/null ||
		skip "no nsenter/unshare (util-linux)"
	[ -s /etc/machine-id ] || skip "no /etc/machine-id: journald names its directory after it"
	[ -d /run/systemd ] || skip "no /run/systemd to mount over"
	local j=$BATS_FILE_TMPDIR/journal mid
	mid=$(cat /etc/machine-id)
	mkdir -p "$j/run" "$j/log/journal"
	ln -s journal.tether "$j/run/journal"
	ln -s "$mid.tether" "$j/log/journal/$mid"
	unshare --mount --propagation private -- sh -c '
		mount --bind "$1/run" /run/systemd &&
		mount --bind "$1/log" /var/log &&
		exec "$2" tether' sh "$j" "$JOURNALD" >"$j/journald.log" 2>&1 </dev/null 3>&- &
	export JOURNALD_PID=$!
	wait_until 10 test -S "$j/run/journal.tether/socket" || {
		echo "journald did not start: $(cat "$j/journald.log")" >&2
		return 1
	}
	compat_setup_file
	sed -i -e 's/^events_logger = .*/events_logger = "journald"/' \
		-e 's/^log_driver = .*/log_driver = "journald"/' "$P"/*.conf
}

teardown_file() {
	compat_teardown_file
	[ -z "${JOURNALD_PID:-}" ] || kill "$JOURNALD_PID" 2>/dev/null || true
}

# pod: podman in journald's mount namespace (bounded, as in helpers.bash).
pod() {
	timeout -k 10 "${POD_TIMEOUT:-120}" nsenter -t "$JOURNALD_PID" -m -- \
		env CONTAINERS_CONF="$P/$MON.conf" podman --root "$P/root" --runroot "$P/runroot" \
		--storage-driver vfs --tmpdir "$P/tmp" "$@"
}

@test "journald: podman logs reads both streams, partial lines, --tail and --since" {
	scenario() {
		ID=$(pod run -d --network none "$IMG" sh -c \
			'echo out-1; echo err-1 >&2; echo out-2; printf partial; exit 3')
		say wait pod wait "$ID"
		say driver pod inspect "$ID" --format '{{.HostConfig.LogConfig.Type}}'
		# journald keeps no order between the two streams' entries sent
		# from one read each; compare each stream on its own.
		only_out() { "$@" 2>/dev/null; }
		only_err() { "$@" 2>&1 >/dev/null; }
		say stdout only_out pod logs "$ID"
		say stderr only_err pod logs "$ID"
		# --tail counts entries; in one stream, order is certain.
		ID=$(pod run -d --network none "$IMG" seq 1 5)
		pod wait "$ID" >/dev/null
		say tail-2 pod logs --tail 2 "$ID"
		say since-future pod logs --since 2099-01-01T00:00:00Z "$ID"
		say since-past pod logs --since 2000-01-01T00:00:00Z "$ID"
	}
	compare_monitors
	expect <<-'EOF'
	wait: [0] 3
	driver: [0] journald
	stdout: [0] out-1|out-2|partial
	stderr: [0] err-1
	tail-2: [0] 4|5
	since-future: [0] 
	since-past: [0] 1|2|3|4|5
	EOF
}

@test "journald: podman logs -f follows the container to its death" {
	scenario() {
		ID=$(pod run -d --network none "$IMG" sh -c \
			'echo before; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo after; exit 4')
		follow follow before pod logs -f "$ID"
		pod exec "$ID" touch /tmp/go
		say wait pod wait "$ID"
		followed follow
		say run-rm pod run --rm --network none "$IMG" sh -c 'echo attached; exit 2'
	}
	compare_monitors
	expect <<-'EOF'
	wait: [0] 4
	follow: [0] before|after
	run-rm: [2] attached
	EOF
}
