#!/bin/bash
# Build a busybox root filesystem in DIR from Debian's busybox-static: no
# image pull. Idempotent: a complete DIR is left as it is.
set -euo pipefail
dir=${1:?usage: mkrootfs.sh DIR}
[ -x "$dir/bin/busybox" ] && [ -x "$dir/usr/bin/sdnotify" ] && [ -e "$dir/.complete" ] && exit 0

busybox=$(command -v busybox)
file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked' && {
	echo "mkrootfs: $busybox is not static (install busybox-static)" >&2
	exit 1
}
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,var/tmp,usr/bin,usr/sbin}
cp "$busybox" "$tmp/bin/busybox"
for applet in $("$tmp/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$tmp/bin/$applet"
done
# sd_notify for containers that announce their own readiness (static: the
# root filesystem has no libc).
"${CC:-cc}" -static -Os -o "$tmp/usr/bin/sdnotify" "$(dirname "$0")/sdnotify.c"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
touch "$tmp/.complete"
rm -rf "$dir"
mv "$tmp" "$dir"
