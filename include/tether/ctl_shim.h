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

/* The parts of a shim's command line every session shares, as podman builds
 * it: begin with the shim, API 1, ids, runtime, bundle DIR, DIR/PIDFILE and
 * DIR/EXIT_DIR (name may be NULL); the caller adds its own flags; end adds
 * the log level and the runtime's root and returns a NULL-ended vector. */
GPtrArray *ctl_shim_argv_begin(const struct ctl_context *ctx, const char *id, const char *cuuid,
			       const char *name, const char *dir, const char *pidfile,
			       const char *exit_dir);
char **ctl_shim_argv_end(const struct ctl_context *ctx, GPtrArray *a);

/* The shim's argv (NULL-terminated; g_strfreev). */
char **ctl_shim_argv(const struct ctl_context *ctx, const char *id, const char *name,
		     const char *cdir, const struct ctl_log_config *log, unsigned stdio,
		     const char *exit_command, char *const *exit_command_args,
		     const struct ctl_service *svc);

/* Spawn the shim for container id in cdir and wait until the container is
 * created. Returns the container pid, or -1 with *error holding the
 * runtime's or the shim's message. */
pid_t ctl_shim_create(const struct ctl_context *ctx, const char *id, const char *name,
		      const char *cdir, const struct ctl_log_config *log, unsigned stdio,
		      const char *exit_command, char *const *exit_command_args,
		      const struct ctl_service *svc, GError **error);

/* The same, with the shim's argv given (restore adds --restore DIR). */
pid_t ctl_shim_create_argv(const struct ctl_context *ctx, const char *cdir, char **argv,
			   GError **error);

/* An exec session's shim, as podman's startExec drives it (API 1,
 * --exec-attach): start spawns it in dir with the sync, start and attach
 * pipes and returns once {"data": 0} says the attach socket is there;
 * the caller may connect, then go writes the second start byte and
 * returns the exec'd pid; exit reads the exit code (the second sync
 * message, 0 or -errno). */
struct ctl_shim_exec {
	int sync_fd;
	int start_fd;
};
#define CTL_SHIM_EXEC_INIT                                                                         \
	{                                                                                          \
		-1, -1                                                                             \
	}
int ctl_shim_exec_start(const struct ctl_context *ctx, const char *dir, char **argv,
			struct ctl_shim_exec *ret, GError **error);
pid_t ctl_shim_exec_go(struct ctl_shim_exec *ex, const char *dir, GError **error);
int ctl_shim_exec_exit(struct ctl_shim_exec *ex, int timeout_ms, int *ret_code);
/* Wait (bounded) until the shim has closed its end of the sync pipe. */
void ctl_shim_exec_wait_gone(struct ctl_shim_exec *ex, int timeout_ms);
void ctl_shim_exec_clear(struct ctl_shim_exec *ex);

#endif
