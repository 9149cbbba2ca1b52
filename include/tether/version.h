#ifndef TETHER_VERSION_H
#define TETHER_VERSION_H

#define TETHER_VERSION "0.1.0"
/* What `tether --version` reports on its first line, for callers that parse
 * conmon's version (podman needs >= 2.0.1, CRI-O unlocks --sync at 2.0.19 and
 * --log-global-size-max at 2.1.2). */
#define TETHER_CONMON_COMPAT_VERSION "2.1.6"
/* The live upgrade's state format (upgrade.h): `tether
 * --live-upgrade-protocol` prints it, and a shim re-executes only a binary
 * that prints its own. */
#define TETHER_UPGRADE_PROTOCOL 1

#endif
