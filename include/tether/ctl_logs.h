/* ctl_logs: the logs verb. A file log (k8s-file or json-file) is read
 * across its rotated files (ctl_logfiles.h) and rendered back into stdout
 * and stderr (ctl_logout.h); a journald log is left to journalctl
 * (ctl_logjournal.h). */
#ifndef TETHER_CTL_LOGS_H
#define TETHER_CTL_LOGS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "tether/ctl_logread.h"

/* What logs was asked for, whatever the driver. */
struct ctl_logs_request {
	bool timestamps;
	bool follow; /* until the container exits */
	int tail;    /* the last N lines; -1: all */
	bool since_set;
	struct timespec since;
};

/* Lines in a log and its rotated files (an unfinished one at the end
 * counts); a missing file has none. since may be NULL: all lines. */
int ctl_logs_count_lines(const char *path, enum ctl_logread_format format,
			 const struct timespec *since, long long *ret_lines);

#endif
