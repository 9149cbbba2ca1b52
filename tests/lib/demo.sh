#!/bin/bash
# make demo: run a busybox container under tether through tetherctl, show
# its output as it streams, its log read back, and its exit code.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tetherctl=${TETHERCTL:-$repo/build/tetherctl}
tether=${TETHER:-$repo/build/tether}
rootfs=$repo/build/rootfs

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

"$repo/tests/lib/mkrootfs.sh" "$rootfs"
work=$(mktemp -d /tmp/tether-demo.XXXXXX)
root=$work/state
id=demo-$(date +%s)
trap 'status=$?; "$tetherctl" --root "$root" rm -f "$id" >/dev/null 2>&1 || true; rm -rf "$work"; exit $status' EXIT

"$repo/tests/lib/mkbundle.py" "$work/bundle" "$rootfs" -- sh -c '
	echo "hello from a busybox container, pid $$ in its own namespace"
	for i in 1 2 3 4 5; do echo "tick $i"; sleep 0.3; done
	echo "this line goes to stderr" >&2
	exit 3'

ctl() { "$tetherctl" --root "$root" --shim "$tether" "$@"; }

say "tetherctl run $id   (output streams from the container through tether)"
set +e
ctl run --bundle "$work/bundle" "$id"
code=$?
set -e

say "tetherctl ps --all   (the exited container and its exit code)"
ctl ps --all
say "tetherctl logs --timestamps $id   (read back from tether's k8s-file log)"
ctl logs --timestamps "$id"
say "the container's exit code"
echo "tetherctl run returned $code (the container exited with 3)"
[ "$code" -eq 3 ] || { echo "demo: unexpected exit code $code" >&2; exit 1; }
say "done"
