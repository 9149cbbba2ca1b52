/* ctl_service: a container run as a service — who tells systemd it is ready
 * (--sdnotify), and how a stop reaches it (--stop-signal, --stop-timeout);
 * see docs/systemd.md.
 *
 *   shim       the shim is the unit's main process: MAINPID, READY=1 once
 *              the container is started, STATUS, WATCHDOG=1, STOPPING=1
 *   container  the same, but READY=1 is the container's own: its config
 *              gets NOTIFY_SOCKET=/run/notify/notify.sock and CDIR/notify
 *              mounted there, and the shim relays what it sends
 *   ignore     NOTIFY_SOCKET is not used (and not passed on)
 *
 * The default is shim when tetherctl runs with NOTIFY_SOCKET set (under a
 * Type=notify unit), else ignore. */
#ifndef TETHER_CTL_SERVICE_H
#define TETHER_CTL_SERVICE_H

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

enum ctl_sdnotify {
	CTL_SDNOTIFY_IGNORE,
	CTL_SDNOTIFY_SHIM,
	CTL_SDNOTIFY_CONTAINER,
};

/* Health checks the shim runs (tether(8) --health-*); cmd NULL: none. The
 * strings point into the args (create) or are owned by a ctl_state. */
struct ctl_health {
	char *cmd;
	int interval, timeout, retries, start_period; /* 0: the shim's default */
	char *on_failure;			      /* NULL: none */
};

struct ctl_service {
	enum ctl_sdnotify sdnotify;
	int stop_signal;  /* 0: the shim's default, SIGTERM */
	int stop_timeout; /* seconds; 0: never SIGKILL */
	struct ctl_health health;
	int64_t replay_size; /* bytes of output kept for attach --replay */
	char *memory_warn;   /* tether(8) --memory-warn, as given; NULL: none */
	int memory_warn_signal;
	bool fd_store; /* tether(8) --fd-store */
};

/* As given on create's and run's command line. */
struct ctl_service_args {
	char *sdnotify;
	char *stop_signal;
	int stop_timeout; /* -1: not given */
	char *health_cmd, *health_on_failure;
	int health_interval, health_timeout, health_retries, health_start_period; /* -1 */
	char *replay_size;
	char *memory_warn, *memory_warn_signal;
	gboolean fd_store;
};
#define CTL_SERVICE_ARGS_INIT                                                                      \
	{                                                                                          \
		NULL, NULL, -1, NULL, NULL, -1, -1, -1, -1, NULL, NULL, NULL, FALSE                \
	}
#define CTL_SERVICE_N_ENTRIES 13

/* With -t, this much of the latest output is kept for attach --replay. */
#define CTL_REPLAY_SIZE_TERMINAL (64 * 1024)
void ctl_service_args_entries(struct ctl_service_args *a, GOptionEntry ret[CTL_SERVICE_N_ENTRIES]);
void ctl_service_args_clear(struct ctl_service_args *a);

/* Check the options; notify_socket is $NOTIFY_SOCKET (may be NULL);
 * terminal: the container has one (the replay default). */
bool ctl_service_from_args(const struct ctl_service_args *a, const char *notify_socket,
			   bool terminal, struct ctl_service *ret, GError **error);

const char *ctl_service_sdnotify_name(enum ctl_sdnotify mode);
int ctl_service_sdnotify_from_name(const char *name, enum ctl_sdnotify *ret);

/* The shim's flags for it, appended to a (strings owned by a). */
void ctl_service_shim_args(const struct ctl_service *svc, const char *notify_socket, GPtrArray *a);

/* container mode: NOTIFY_SOCKET in process.env and CDIR/notify (made
 * here) bind-mounted at /run/notify. */
bool ctl_service_prepare_config(const struct ctl_service *svc, const char *cdir,
				json_object *config, GError **error);

/* Tell the shim its container was started (the runtime's start returned):
 * the control socket's "started", so that it can announce READY=1. A shim
 * without the socket (conmon) is no error. */
void ctl_service_started(const char *cdir, const char *id);

#endif
