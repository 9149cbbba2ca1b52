/* opts: the shim's command line, which is conmon's (every 2.1.x flag, long
 * and short forms, same meanings) plus tether's own additions. */
#ifndef TETHER_OPTS_H
#define TETHER_OPTS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "tether/diag.h"

struct tether_opts {
	/* conmon 2.1.6 */
	int api_version;
	char *bundle;
	char *cid;
	char *conmon_pidfile;
	char *container_pidfile;
	char *cuuid;
	gboolean exec;
	gboolean exec_attach;
	char *exec_process_spec;
	char *exit_command;
	char **exit_command_args;
	int exit_delay;
	char *exit_dir;
	gboolean leave_stdin_open;
	char *log_level;
	char **log_paths;
	gint64 log_size_max;
	gint64 log_global_size_max;
	char *log_tag;
	char *name;
	gboolean no_new_keyring;
	gboolean no_pivot;
	gboolean no_sync_log;
	char *persist_dir;
	gboolean replace_listen_pid;
	char *restore;
	char *runtime;
	char **runtime_args;
	char **runtime_opts;
	char *sdnotify_socket;
	char *socket_dir_path;
	gboolean stdin_open;
	gboolean sync;
	gboolean syslog;
	gboolean systemd_cgroup;
	gboolean terminal;
	int timeout;
	gboolean version;
	gboolean full_attach;
	char *seccomp_notify_socket;
	char *seccomp_notify_plugins;
	/* newer conmon (2.2.x) */
	char **log_labels;
	gboolean no_container_partial_message;
	gboolean log_rotate;
	int log_max_files;
	char **log_allowlist_dirs;
	/* tether's own */
	gboolean foreground;
	char *diagnostics_file;
	gboolean systemd_notify;
	char *stop_signal_name;
	int stop_timeout;
	char *memory_warn;
	char *memory_warn_signal_name;
	char *health_cmd;
	int health_interval, health_timeout, health_retries, health_start_period;
	char *health_on_failure;
	gint64 replay_size;
	int adopt_state_fd;	   /* --adopt-state: -1, or a live upgrade's state */
	int recovered_from;	   /* --recovered-from: the signal of a crash (recover.h) */
	gboolean fd_store;	   /* --fd-store: the fds in systemd's fd store too */
	gboolean upgrade_protocol; /* --live-upgrade-protocol */
	char *log_rate, *log_burst, *log_rate_policy; /* docs/log-policies.md */
	gboolean log_compress;

	/* derived by opts_validate() */
	enum diag_level level;
	char *k8s_log_path;	      /* the k8s-file sink, or NULL */
	char *json_log_path;	      /* the json-file sink, or NULL */
	bool log_passthrough;	      /* the container gets our own stdio */
	bool log_journald;	      /* entries to the journal */
	bool log_syslog;	      /* lines to syslog (-l syslog[:SOCKET]) */
	char *syslog_socket;	      /* its socket; NULL: the default */
	uint64_t log_rate_bytes;      /* --log-rate; 0: none */
	uint64_t log_burst_bytes;     /* --log-burst; 0: a second's worth */
	bool log_rate_block;	      /* --log-rate-policy block */
	int stop_signal;	      /* what SIGTERM becomes for the container */
	uint64_t memory_warn_bytes;   /* --memory-warn in bytes, or */
	unsigned memory_warn_percent; /* in percent of the limit; both 0: off */
	int memory_warn_signal;	      /* 0: none */
	enum { HEALTH_ACTION_NONE, HEALTH_ACTION_KILL, HEALTH_ACTION_RESTART } health_action;
};

/* Parse argv into opts (defaults applied first). Unknown options fail.
 * Stray positional arguments are ignored, as conmon does. */
bool opts_parse(struct tether_opts *opts, int argc, char **argv, GError **error);

/* Check the options in conmon's order with conmon's messages, then refuse
 * (with a clear message) what tether does not implement yet. Fills the
 * derived fields. */
bool opts_validate(struct tether_opts *opts, GError **error);

/* The text `tether --version` prints. */
const char *opts_version_text(void);

void opts_clear(struct tether_opts *opts);

#endif
