#!/bin/bash
# bench/run.sh [--quick] [shimbench options]: tether and conmon side by side
# (log and attach throughput, lifecycle time, idle memory); prints a table
# and writes docs/benchmarks.md. See bench/shimbench.py for what is measured
# and how.
#
#   TETHER        the monitor under test (default: build/tether)
#   TETHER_BUILD  build dir holding the busybox rootfs (default: build)
#   CONMON, RUNC  override /usr/bin/conmon and runc from PATH
#
# Needs root, runc, conmon and busybox-static (tests/lib/deps.sh installs
# them). Reports only: slowness never fails it; lost output or a container
# that did not run does (exit 1).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build=${TETHER_BUILD:-$repo/build}
export TETHER=${TETHER:-$build/tether}
rootfs=${TETHER_ROOTFS:-$build/rootfs}

if [ "$(id -u)" != 0 ]; then
	echo "bench: must run as root (it runs runc containers)" >&2
	exit 1
fi
if [ ! -x "$TETHER" ]; then
	echo "bench: $TETHER is not built (run make first)" >&2
	exit 1
fi
if [ ! -e "$rootfs/.complete" ]; then
	mkdir -p "$(dirname "$rootfs")"
	flock "$(dirname "$rootfs")" "$repo/tests/lib/mkrootfs.sh" "$rootfs" >&2
fi
export TETHER_ROOTFS=$rootfs
exec python3 "$here/shimbench.py" "$@"
