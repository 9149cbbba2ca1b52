#!/bin/bash
# Install from Debian's archive whatever the build, the tests and the demo
# need and is missing. Quick and silent when everything is there.
set -euo pipefail

pkgs=(
	build-essential pkg-config libglib2.0-dev libsystemd-dev libjson-c-dev zlib1g-dev
	libcmocka-dev clang-format python3
	runc crun conmon podman busybox-static bats socat criu iproute2 uidmap
)
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must be root to install packages (or install them yourself)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
