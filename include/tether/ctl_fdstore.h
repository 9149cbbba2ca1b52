/* ctl_fdstore: a container's shim taken over from systemd's fd store, by
 * `tetherctl run` restarted as the unit's ExecStart= (docs/crash-recovery.md). */
#ifndef TETHER_CTL_FDSTORE_H
#define TETHER_CTL_FDSTORE_H

#include "tether/ctl.h"

/* If the service manager passed us a shim's stored fds for container id
 * (LISTEN_FDS), become that shim: does not return then. 0: nothing of the
 * kind here (any fds passed are closed); -1 with error set. */
int ctl_fdstore_adopt(const struct ctl_context *ctx, const char *id, GError **error);

#endif
