/* ctl_exit: the shim's exit file, CDIR/exits/ID, holding the container's
 * exit code in decimal (128+N for a signal). */
#ifndef TETHER_CTL_EXIT_H
#define TETHER_CTL_EXIT_H

#include <glib.h>
#include <sys/types.h>

/* 0 and *ret_code, -ENOENT when there is none yet, other -errno. */
int ctl_exit_read(const char *cdir, const char *id, int *ret_code);

/* Wait for the exit file with inotify. timeout_ms < 0: forever. shim_pid
 * > 0 (with shim and id): also stop when that shim is gone, -ESRCH.
 * cancel_fd >= 0: return -ECANCELED as soon as it is readable (a signalfd).
 * Returns 0 with *ret_code, -ETIMEDOUT, or another -errno. */
int ctl_exit_wait(const char *cdir, const char *id, int timeout_ms, pid_t shim_pid,
		  const char *shim, int cancel_fd, int *ret_code);

/* Milliseconds on CLOCK_MONOTONIC, for bounded waits. */
gint64 ctl_now_ms(void);

#endif
