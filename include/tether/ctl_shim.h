/* ctl_shim: spawning the monitor with conmon's command line, as podman does,
 * and reading its one sync message. */
#ifndef TETHER_CTL_SHIM_H
#define TETHER_CTL_SHIM_H

#include <glib.h>
#include <sys/types.h>

#include "tether/ctl.h"

/* Seconds to wait for the shim's sync message. */
#define CTL_SHIM_SYNC_TIMEOUT_S 60

/* stdio flags: -t (process.terminal must be set too) and -i. With both,
 * only -t is passed, as podman does: the terminal is the stdin, and a
 * client's hang-up must not close it (conmon would close the PTY). */
#define CTL_SHIM_TERMINAL (1u << 0)
#define CTL_SHIM_STDIN	  (1u << 1)

/* The shim's argv (NULL-terminated; g_strfreev). */
char **ctl_shim_argv(const struct ctl_context *ctx, const char *id, const char *name,
		     const char *cdir, const struct ctl_log_config *log, unsigned stdio,
		     const char *exit_command, char *const *exit_command_args);

/* Spawn the shim for container id in cdir and wait until the container is
 * created. Returns the container pid, or -1 with *error holding the
 * runtime's or the shim's message. */
pid_t ctl_shim_create(const struct ctl_context *ctx, const char *id, const char *name,
		      const char *cdir, const struct ctl_log_config *log, unsigned stdio,
		      const char *exit_command, char *const *exit_command_args, GError **error);

#endif
