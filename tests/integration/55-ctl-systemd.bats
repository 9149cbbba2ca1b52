#!/usr/bin/env bats
# Containers as systemd services, under a real systemd: `make install` puts
# tether@.service and the tmpfiles entry in place (systemd-analyze verify
# passes), and a systemd started by this file in its own PID and mount
# namespaces (systemd is not PID 1 on this machine) runs tether@NAME: MAINPID
# is the shim, READY once the container runs, `journalctl CONTAINER_NAME=`
# finds its output (a systemd-journald of that systemd), a stop reaches the
# container with its stop signal and its exit code becomes the unit's,
# WatchdogSec= catches a hung shim, and a reload live-upgrades the shim
# (still the unit's main process, its exit code still the unit's). `tetherctl generate systemd` writes a
# unit that verifies and runs. A container that speaks sd_notify itself
# (--sdnotify container) decides when its unit is ready. The exact notification sequence is checked
# message by message in 41-systemd-notify.bats.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup_file() {
	command -v runc >/dev/null || skip "runc is not installed (make deps)"
	command -v systemd-analyze >/dev/null || skip "systemd is not installed"
	[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd to start"
	export S=$BATS_FILE_TMPDIR/s
	mkdir -p "$S/units" "$S/etc/tether" "$S/bundles" "$S/root"
	# The cgroup v1 hierarchies the host has: the test's systemd mounts the
	# ones it lacks (net_cls, perf_event...), and they last as long as its
	# namespace; teardown waits for them to go (podman trips over them).
	cut -d: -f2 /proc/self/cgroup | sort >"$S/cgroups.before"
	"$REPO/tests/lib/mkrootfs.sh" "$REPO/build/rootfs" >&2
	# The files a packager installs, with the paths of this test.
	make -s -C "$REPO" install SANITIZE="${TETHER_SANITIZE:-}" BUILD="${TETHER_BUILD:-$REPO/build}" DESTDIR="$S/dest" \
		PREFIX=/usr SYSCONFDIR="$S/etc" BUNDLEDIR="$S/bundles" >&2
	# A prefix that exists, for a unit systemd can really run.
	make -s -C "$REPO" install SANITIZE="${TETHER_SANITIZE:-}" BUILD="${TETHER_BUILD:-$REPO/build}" PREFIX="$S/prefix" \
		SYSCONFDIR="$S/etc" BUNDLEDIR="$S/bundles" >&2
	cp "$S/prefix/lib/systemd/system/tether@.service" "$S/units/"
	# The few targets a service's default dependencies name, and a journal.
	local t
	for t in sysinit basic shutdown local-fs multi-user sockets; do
		printf '[Unit]\nDescription=%s (test stub)\n' "$t" >"$S/units/$t.target"
	done
	printf '[Unit]\nDescription=test default\n' >"$S/units/default.target"
	cat >"$S/units/systemd-journald.socket" <<-UNIT
	[Unit]
	DefaultDependencies=no
	[Socket]
	ListenDatagram=/run/systemd/journal/socket
	ListenStream=/run/systemd/journal/stdout
	PassCredentials=yes
	SocketMode=0666
	Service=systemd-journald.service
	UNIT
	cat >"$S/units/systemd-journald.service" <<-UNIT
	[Unit]
	DefaultDependencies=no
	Requires=systemd-journald.socket
	After=systemd-journald.socket
	[Service]
	Type=notify
	Sockets=systemd-journald.socket
	ExecStart=/lib/systemd/systemd-journald
	UNIT
	# systemd as PID 1 of its own namespaces: /run, the unit directories
	# and /proc are its own; everything else (this test's files) is shared.
	# /sys/fs/cgroup gets a tmpfs of its own holding the host's hierarchies,
	# so that the directories systemd makes for the controllers it mounts
	# stay in its namespace.
	cat >"$S/boot.sh" <<-'BOOT'
	#!/bin/sh
	set -e
	mount --make-rprivate /
	mount -t tmpfs tmpfs /run
	mount --bind "$S/units" /etc/systemd/system
	mount -t tmpfs tmpfs /lib/systemd/system
	mkdir /run/cg
	mount -t tmpfs -o mode=755 cgroup /run/cg
	for d in /sys/fs/cgroup/*; do
		if mountpoint -q "$d"; then
			mkdir "/run/cg/${d##*/}"
			mount --bind "$d" "/run/cg/${d##*/}"
		fi
	done
	umount -l /sys/fs/cgroup
	mount --move /run/cg /sys/fs/cgroup
	exec env container=tether-test /lib/systemd/systemd --system --log-target=console --unit=default.target
	BOOT
	chmod +x "$S/boot.sh"
	unshare --pid --fork --mount --mount-proc --uts "$S/boot.sh" >"$S/systemd.log" 2>&1 </dev/null 3>&- &
	echo $! >"$S/unshare.pid"
	local i
	for i in $(seq 200); do
		SYSD=$(pgrep -f -P "$(cat "$S/unshare.pid")" -x '/lib/systemd/systemd --system.*' || true)
		[ -n "$SYSD" ] && sysctl_in is-system-running >/dev/null 2>&1 && break
		[ -n "$SYSD" ] && [ "$(sysctl_in is-system-running 2>/dev/null)" = degraded ] && break
		sleep 0.05
	done
	[ -n "$SYSD" ] || skip "systemd cannot start in its own namespaces here: $(tail -3 "$S/systemd.log")"
	echo "$SYSD" >"$S/systemd.pid"
	sysctl_in start systemd-journald.socket systemd-journald.service
}

teardown_file() {
	[ -n "${S:-}" ] || return 0
	local pid
	pid=$(cat "$S/systemd.pid" 2>/dev/null || true)
	if [ -n "$pid" ]; then
		sysctl_in stop 'tether@*' 'container-*' >/dev/null 2>&1 || true
	fi
	# Whatever a failed test left running under the test's state root.
	for d in "$S"/root/containers/*; do
		[ -d "$d" ] && [ -n "$pid" ] && ctl_in rm -f "${d##*/}" >/dev/null 2>&1
	done
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	kill -KILL "$(cat "$S/unshare.pid")" 2>/dev/null || true
	local i
	for i in $(seq 100); do
		kill -0 "$(cat "$S/unshare.pid")" 2>/dev/null || break
		sleep 0.1
	done
	release_cgroup_hierarchies
	for i in $(seq 200); do
		cut -d: -f2 /proc/self/cgroup | sort | cmp -s - "$S/cgroups.before" && break
		sleep 0.1
	done
	cut -d: -f2 /proc/self/cgroup | sort | cmp -s - "$S/cgroups.before" || {
		echo "teardown: the test systemd's cgroup hierarchies are still there:" >&2
		cat /proc/self/cgroup >&2
		return 1
	}
}

# release_cgroup_hierarchies: a v1 hierarchy the test's systemd mounted
# lives on while it has child cgroups, even with nothing mounted and no
# process left. Mount each such hierarchy here, remove its (empty) cgroups
# deepest first, and unmount it: then the kernel lets it go.
release_cgroup_hierarchies() {
	local h d
	for h in $(cut -d: -f2 /proc/self/cgroup | sort | comm -23 - "$S/cgroups.before"); do
		case $h in name=* | "") continue ;; esac
		d=$(mktemp -d)
		if mount -t cgroup -o "$h" cgroup "$d" 2>/dev/null; then
			find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
			umount "$d"
		fi
		rmdir "$d"
	done
	true
}

# sysctl_in ARGS...: systemctl against the test's systemd.
sysctl_in() {
	local pid=${SYSD:-$(cat "$S/systemd.pid" 2>/dev/null)}
	timeout 30 nsenter -t "$pid" -m -p systemctl --no-pager "$@"
}

in_ns() {
	timeout 30 nsenter -t "$(cat "$S/systemd.pid")" -m -p --wd="$PWD" "$@"
}

journal_in() {
	timeout 30 nsenter -t "$(cat "$S/systemd.pid")" -m -p journalctl --no-pager "$@"
}

prop() { # UNIT PROPERTY
	sysctl_in show -p "$2" --value "$1"
}

# main_status_is UNIT CODE: the unit's main process (the shim) exited with
# CODE, the container's.
main_status_is() {
	local st code
	st=$(prop "$1" ExecMainStatus)
	code=$(prop "$1" ExecMainCode)
	[ "$st" = "$2" ] && [ "$code" = 1 ] || { # exited, not killed
		echo "$1: ExecMainStatus=$st ExecMainCode=$code, not $2 and 1" >&2
		return 1
	}
}

# wait_prop UNIT PROPERTY VALUE: poll (bounded, 20 s) until it holds.
wait_prop() {
	local i
	for i in $(seq 400); do
		[ "$(prop "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	echo "wait_prop: $1 $2 is '$(prop "$1" "$2")', not '$3'" >&2
	sysctl_in status "$1" >&2 || true
	return 1
}

# tetherctl as a unit's processes see things (pids of systemd's namespace).
ctl_in() {
	in_ns "$REPO/build/tetherctl" --root "$S/root" "$@"
}

bundle() { # NAME ARGS...
	local name=$1
	shift
	"$REPO/tests/lib/mkbundle.py" "$S/bundles/$name" "$REPO/build/rootfs" -- "$@"
	printf 'TETHER_ROOT=%s\n' "$S/root" >"$S/etc/tether/$name.env"
	sanitizer_env >>"$S/etc/tether/$name.env"
}

# Under SANITIZE the units' shims report where every other test's do (a
# service does not inherit our environment).
sanitizer_env() {
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS; do
		[ -n "${!v:-}" ] && printf '%s=%s\n' "$v" "${!v}"
	done
	true
}

@test "systemd files: make install places them with their paths, and they verify" {
	[ -f "$S/dest/usr/lib/systemd/system/tether@.service" ]
	[ -f "$S/dest/usr/lib/tmpfiles.d/tether.conf" ]
	grep -qx "d /run/tether 0700 root root -" "$S/dest/usr/lib/tmpfiles.d/tether.conf"
	grep -qx "d $S/bundles 0700 root root -" "$S/dest/usr/lib/tmpfiles.d/tether.conf"
	grep -q "^ExecStart=/usr/bin/tetherctl run " "$S/dest/usr/lib/systemd/system/tether@.service"
	[ "$(grep -cE '@[A-Z]+@' "$S/dest/usr/lib/tmpfiles.d/tether.conf")" = 0 ]
	[ "$(grep -cE '@[A-Z]+@' "$S/dest/usr/lib/systemd/system/tether@.service")" = 0 ]
	# Against binaries that exist (verify checks ExecStart= paths).
	systemd-analyze verify "$S/prefix/lib/systemd/system/tether@.service"
	cp "$S/prefix/lib/systemd/system/tether@.service" "$BATS_TEST_TMPDIR/tether@web.service"
	systemd-analyze verify "$BATS_TEST_TMPDIR/tether@web.service"
	# verify does fail a unit whose program is missing.
	sed 's|^ExecStart=[^ ]*|ExecStart=/no/such/tetherctl|' \
		"$S/prefix/lib/systemd/system/tether@.service" >"$BATS_TEST_TMPDIR/tether@bad.service"
	run systemd-analyze verify "$BATS_TEST_TMPDIR/tether@bad.service"
	[ "$status" -ne 0 ]
}

@test "systemd: tether@web runs the bundle; MAINPID is the shim, READY once running" {
	bundle web sh -c 'echo hello from web; trap "echo stopping; exit 7" TERM; while :; do sleep 0.1; done'
	sysctl_in start tether@web.service
	[ "$(prop tether@web.service ActiveState)" = active ]
	[ "$(prop tether@web.service SubState)" = running ]
	shim=$(sed -n 's/.*"shim_pid": *\([0-9]*\).*/\1/p' "$S/root/containers/tether-unit-web/state.json")
	[ -n "$shim" ]
	# The unit's main pid is the shim (both as systemd's pid namespace
	# sees them).
	[ "$(prop tether@web.service MainPID)" = "$shim" ]
	[ "$(in_ns cat /proc/"$shim"/comm)" = tether ]
	[[ "$(prop tether@web.service StatusText)" == "Container tether-unit-web running (pid "* ]]
	ctl_in ps | grep -q '^tether-unit-web *web *running'
	# Its output is in the journal under its name (journald is the default).
	for _ in $(seq 100); do
		journal_in -o cat CONTAINER_NAME=web | grep -qx 'hello from web' && break
		sleep 0.1
	done
	journal_in -o cat CONTAINER_NAME=web | grep -qx 'hello from web'
	# tetherctl logs reads it back through journalctl.
	[ "$(ctl_in logs tether-unit-web)" = "hello from web" ]
	[ "$(journal_in -o cat CONTAINER_NAME=web -n 1 --output-fields=CONTAINER_ID -o export |
		sed -n 's/^CONTAINER_ID=//p')" = tether-unit- ]
}

@test "systemd: reload live-upgrades the shim: the same MainPID, the container untouched" {
	local pid
	pid=$(prop tether@web.service MainPID)
	sysctl_in reload tether@web.service
	local i
	for i in $(seq 100); do
		python3 "$REPO/tests/lib/control_client.py" "$S/root/containers/tether-unit-web/control" \
			'{"request":"stats"}' | grep -q '"upgrades":1' && break
		sleep 0.1
	done
	python3 "$REPO/tests/lib/control_client.py" "$S/root/containers/tether-unit-web/control" \
		'{"request":"stats"}' | grep -q '"upgrades":1'
	[ "$(prop tether@web.service MainPID)" = "$pid" ]
	[ "$(prop tether@web.service ActiveState)" = active ]
	[[ "$(prop tether@web.service StatusText)" == *"monitor upgraded"* ]]
	ctl_in ps | grep -q '^tether-unit-web *web *running'
}

@test "systemd: a killed shim's restart takes the container over from the fd store" {
	bundle phoenix sh -c 'trap "echo stopping; exit 5" TERM; i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.05; done'
	sysctl_in start tether@phoenix.service
	local shim ctr n
	shim=$(prop tether@phoenix.service MainPID)
	ctr=$(cat "$S/root/containers/tether-unit-phoenix/pidfile")
	in_ns kill -0 "$ctr"
	# SIGKILL: no crash handler runs. systemd restarts the unit, whose
	# tetherctl run --replace gets the fds the shim stored and becomes it.
	in_ns kill -KILL "$shim"
	local i
	for i in $(seq 200); do
		[ "$(prop tether@phoenix.service MainPID)" != "$shim" ] &&
			[ "$(prop tether@phoenix.service ActiveState)" = active ] &&
			[ "$(prop tether@phoenix.service MainPID)" != 0 ] && break
		sleep 0.05
	done
	[ "$(prop tether@phoenix.service ActiveState)" = active ] || {
		sysctl_in status tether@phoenix.service >&2 || true
		journal_in -n 40 -o cat >&2
		false
	}
	local new
	new=$(prop tether@phoenix.service MainPID)
	[ "$new" != "$shim" ]
	[ "$(in_ns cat /proc/"$new"/comm)" = tether ]
	[[ "$(prop tether@phoenix.service StatusText)" == *"monitor recovered from a crash"* ]]
	# The same container, still running, still logging, still in ps.
	in_ns kill -0 "$ctr"
	ctl_in ps | grep -q '^tether-unit-phoenix *phoenix *running'
	n=$(journal_in -o cat CONTAINER_NAME=phoenix | grep -c '^line')
	for i in $(seq 100); do
		[ "$(journal_in -o cat CONTAINER_NAME=phoenix | grep -c '^line')" -gt "$((n + 5))" ] && break
		sleep 0.1
	done
	[ "$(journal_in -o cat CONTAINER_NAME=phoenix | grep -c '^line')" -gt "$((n + 5))" ]
	# Not its parent, the new shim still reports its exit code (the pidfd's
	# exit status, Linux 6.15; 255 before).
	sysctl_in stop tether@phoenix.service
	local want=5
	[ "$(printf '%s\n' 6.15 "$(uname -r)" | sort -V | head -n 1)" = 6.15 ] || want=255
	main_status_is tether@phoenix.service $want
	ctl_in ps -a | grep -q "^tether-unit-phoenix .*exited ($want)"
}

@test "systemd: stopping tether@web stops the container and records its exit code" {
	sysctl_in is-active tether@web.service
	sysctl_in stop tether@web.service
	[ "$(prop tether@web.service ActiveState)" != active ]
	ctl_in ps -a | grep -q '^tether-unit-web .*exited (7)'
	main_status_is tether@web.service 7
	journal_in -o cat CONTAINER_NAME=web | grep -qx stopping
}

@test "systemd: --stop-signal and TETHER_STOP_TIMEOUT from the instance's env file" {
	bundle stubborn sh -c 'trap "echo usr1" USR1; trap "" TERM; echo up; while :; do sleep 0.1; done'
	printf 'TETHER_STOP_TIMEOUT=1\nTETHER_OPTIONS="--stop-signal USR1"\n' >>"$S/etc/tether/stubborn.env"
	sysctl_in start tether@stubborn.service
	sysctl_in stop tether@stubborn.service
	# USR1 came (and was trapped), then SIGKILL after 1 s: 137.
	ctl_in ps -a | grep -q '^tether-unit-stubborn .*exited (137)'
	main_status_is tether@stubborn.service 137
	journal_in -o cat CONTAINER_NAME=stubborn | grep -qx usr1
}

@test "systemd: --sdnotify container: the unit is ready when the container says so" {
	bundle selfready sh -c 'echo starting; sleep 1; sdnotify "READY=1\nSTATUS=serving requests"; echo ready; sleep 1000'
	printf 'TETHER_OPTIONS="--sdnotify container"\n' >>"$S/etc/tether/selfready.env"
	# start returns once READY=1 came: by then the container said "ready".
	sysctl_in start tether@selfready.service
	[ "$(prop tether@selfready.service SubState)" = running ]
	[ "$(prop tether@selfready.service StatusText)" = "serving requests" ]
	for _ in $(seq 50); do
		journal_in -o cat CONTAINER_NAME=selfready | grep -qx ready && break
		sleep 0.1
	done
	journal_in -o cat CONTAINER_NAME=selfready | grep -qx ready
	sysctl_in stop tether@selfready.service
}

@test "systemd: WatchdogSec= catches a shim that stops answering" {
	bundle dog sleep 1000
	mkdir -p "$S/units/tether@dog.service.d"
	printf '[Service]\nWatchdogSec=2\nRestart=no\n' >"$S/units/tether@dog.service.d/watchdog.conf"
	sysctl_in daemon-reload
	sysctl_in start tether@dog.service
	# Alive and pinging: still running after several watchdog periods.
	shim=$(sed -n 's/.*"shim_pid": *\([0-9]*\).*/\1/p' "$S/root/containers/tether-unit-dog/state.json")
	sleep 5
	[ "$(prop tether@dog.service ActiveState)" = active ]
	# A hung shim (stopped) misses its pings: systemd acts.
	in_ns kill -STOP "$shim"
	wait_prop tether@dog.service Result watchdog
	in_ns kill -CONT "$shim" 2>/dev/null || true
}

@test "systemd: tetherctl generate systemd writes a unit that verifies and runs" {
	"$REPO/tests/lib/mkbundle.py" "$S/gen-bundle" "$REPO/build/rootfs" -- sh -c 'echo generated; sleep 1000'
	ctl_in create --name gen --log-driver k8s-file --stop-timeout 3 -b "$S/gen-bundle" gen-container-0001 \
		sh -c 'echo "from create: $((6*7)) 100%"; trap "exit 3" TERM; while :; do sleep 0.1; done'
	ctl_in generate systemd gen-container-0001 >"$BATS_TEST_TMPDIR/out.service"
	cd "$BATS_TEST_TMPDIR"
	path=$(ctl_in generate systemd --files gen-container-0001)
	[ "$path" = "$BATS_TEST_TMPDIR/container-gen.service" ]
	cmp "$path" "$BATS_TEST_TMPDIR/out.service"
	grep -q '^TimeoutStopSec=33$' "$path"
	systemd-analyze verify "$path"
	ctl_in rm -f gen-container-0001
	cp "$path" "$S/units/"
	mkdir -p "$S/units/container-gen.service.d"
	sanitizer_env | sed 's/^/Environment=/' >"$S/units/container-gen.service.d/env.conf"
	sed -i '1i [Service]' "$S/units/container-gen.service.d/env.conf"
	sysctl_in daemon-reload
	sysctl_in start container-gen.service
	[ "$(prop container-gen.service SubState)" = running ]
	# The command given to create, with its quotes, $ and %, came through.
	for _ in $(seq 100); do
		ctl_in logs gen-container-0001 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	[ "$(ctl_in logs gen-container-0001)" = "from create: 42 100%" ]
	sysctl_in stop container-gen.service
	ctl_in ps -a | grep -q '^gen-container-0001 .*exited (3)'
	main_status_is container-gen.service 3
}
