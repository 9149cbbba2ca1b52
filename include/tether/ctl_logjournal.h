/* ctl_logjournal: logs of a container that logs to the journal (the shim's
 * -l journald). tetherctl does not read the journal itself: it runs
 * journalctl, matching the shim's CONTAINER_ID_FULL field, and with -f
 * stops it once the container has exited. */
#ifndef TETHER_CTL_LOGJOURNAL_H
#define TETHER_CTL_LOGJOURNAL_H

#include <glib.h>

#include "tether/ctl_logs.h"
#include "tether/ctl_state.h"

/* After the container exits, -f gives journalctl this long to print the
 * last entries (the journal takes them in asynchronously). */
#define CTL_LOGJOURNAL_GRACE_MS 1000

/* journalctl's command line (g_strfreev):
 *   JOURNALCTL --no-pager -o cat|short-iso-precise -n N|all [--since @S.US] [-f]
 *   CONTAINER_ID_FULL=ID */
char **ctl_logjournal_argv(const char *journalctl, const char *id,
			   const struct ctl_logs_request *req);

/* Run journalctl for the container in cdir. Returns 0, or -1 with *error
 * (no journalctl, or it failed). */
int ctl_logjournal_show(const char *cdir, const struct ctl_state *st,
			const struct ctl_logs_request *req, GError **error);

#endif
