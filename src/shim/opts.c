#define G_LOG_DOMAIN "opts"

#include "tether/opts.h"
#include "tether/log_journald.h"
#include "tether/mempressure.h"
#include "tether/ratelimit.h"
#include "tether/signame.h"
#include "tether/version.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define OPTS_ERROR opts_error_quark()
G_DEFINE_QUARK(tether - opts - error - quark, opts_error)

/* --api-version is a flag to conmon, yet callers write "--api-version 1":
 * the stray "1" is then an ignored positional. "--api-version=N" works too. */
static gboolean on_api_version(const char *name, const char *value, gpointer data, GError **error)
{
	struct tether_opts *opts = data;
	opts->api_version = 1;
	if (value != NULL) {
		char *end = NULL;
		long v = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || v < 0) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "Invalid --api-version '%s'", value);
			return FALSE;
		}
		opts->api_version = v >= 1 ? 1 : 0;
	}
	return TRUE;
}

/* Hidden deprecated aliases: --pidfile for -p, --restore-arg for --runtime-opt. */
struct opts_aliases {
	char *pidfile;
	char **restore_args;
};

bool opts_parse(struct tether_opts *o, int argc, char **argv, GError **error)
{
	struct opts_aliases alias = {0};
	memset(o, 0, sizeof(*o));
	o->log_size_max = -1;
	o->log_global_size_max = -1;
	o->log_max_files = 1;
	o->health_interval = o->health_timeout = 30;
	o->health_retries = 3;
	o->adopt_state_fd = -1;

#define S(x)  G_OPTION_ARG_STRING, &o->x
#define SA(x) G_OPTION_ARG_STRING_ARRAY, &o->x
#define F(x)  G_OPTION_ARG_NONE, &o->x
#define FN(x) G_OPTION_ARG_FILENAME, &o->x
	const GOptionEntry entries[] = {
		/* FILENAME: the value reaches on_api_version unconverted (GLib's
		 * conversion of an optional argument sets its error twice). */
		{"api-version", 0, G_OPTION_FLAG_OPTIONAL_ARG | G_OPTION_FLAG_FILENAME,
		 G_OPTION_ARG_CALLBACK, (gpointer)on_api_version, "Conmon API version to use",
		 NULL},
		{"bundle", 'b', 0, FN(bundle), "Location of the OCI Bundle path", NULL},
		{"cid", 'c', 0, S(cid), "Identification of Container", NULL},
		{"conmon-pidfile", 'P', 0, FN(conmon_pidfile), "PID file for the monitor process",
		 NULL},
		{"container-pidfile", 'p', 0, FN(container_pidfile),
		 "PID file for the initial pid inside of container", NULL},
		{"pidfile", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &alias.pidfile,
		 "PID file (deprecated alias of --container-pidfile)", NULL},
		{"cuuid", 'u', 0, S(cuuid), "Container UUID", NULL},
		{"exec", 'e', 0, F(exec), "Exec a command into a running container", NULL},
		{"exec-attach", 0, 0, F(exec_attach), "Attach to an exec session", NULL},
		{"exec-process-spec", 0, 0, FN(exec_process_spec),
		 "Path to the process spec for execution", NULL},
		{"exit-command", 0, 0, FN(exit_command),
		 "Path to the program to execute when the container terminates its execution",
		 NULL},
		{"exit-command-arg", 0, 0, SA(exit_command_args),
		 "Additional arg to pass to the exit command.  Can be specified multiple times",
		 NULL},
		{"exit-delay", 0, 0, G_OPTION_ARG_INT, &o->exit_delay,
		 "Delay before invoking the exit command (in seconds)", NULL},
		{"exit-dir", 0, 0, FN(exit_dir),
		 "Path to the directory where exit files are written", NULL},
		{"leave-stdin-open", 0, 0, F(leave_stdin_open),
		 "Leave stdin open when attached client disconnects", NULL},
		{"log-level", 0, 0, S(log_level), "Print debug logs based on log level", NULL},
		{"log-path", 'l', 0, SA(log_paths), "Log file path", NULL},
		{"log-size-max", 0, 0, G_OPTION_ARG_INT64, &o->log_size_max,
		 "Maximum size of log file", NULL},
		{"log-global-size-max", 0, 0, G_OPTION_ARG_INT64, &o->log_global_size_max,
		 "Maximum size of all log files", NULL},
		{"log-tag", 0, 0, S(log_tag), "Additional tag to use for logging", NULL},
		{"log-label", 0, 0, SA(log_labels),
		 "Additional label to include in logs. Can be specified multiple times", NULL},
		{"no-container-partial-message", 0, 0, F(no_container_partial_message),
		 "Disable CONTAINER_PARTIAL_MESSAGE for journald", NULL},
		{"name", 'n', 0, S(name), "Container name", NULL},
		{"no-new-keyring", 0, 0, F(no_new_keyring),
		 "Do not create a new session keyring for the container", NULL},
		{"no-pivot", 0, 0, F(no_pivot), "Do not use pivot_root", NULL},
		{"no-sync-log", 0, 0, F(no_sync_log),
		 "Do not manually call sync on logs after container shutdown", NULL},
		{"persist-dir", '0', 0, FN(persist_dir),
		 "Persistent directory for a container that can be used for storing container data",
		 NULL},
		{"replace-listen-pid", 0, 0, F(replace_listen_pid),
		 "Replace listen pid if set for oci-runtime pid", NULL},
		{"restore", 0, 0, FN(restore), "Restore a container from a checkpoint", NULL},
		{"restore-arg", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING_ARRAY,
		 &alias.restore_args,
		 "Additional arg to pass to the restore command (deprecated alias of "
		 "--runtime-opt)",
		 NULL},
		{"runtime", 'r', 0, FN(runtime), "Path to store runtime data for the container",
		 NULL},
		{"runtime-arg", 0, 0, SA(runtime_args),
		 "Additional arg to pass to the runtime. Can be specified multiple times", NULL},
		{"runtime-opt", 0, 0, SA(runtime_opts),
		 "Additional opts to pass to the restore or exec command. Can be specified "
		 "multiple times",
		 NULL},
		{"sdnotify-socket", 0, 0, FN(sdnotify_socket),
		 "Path to the host's sd-notify socket to relay messages to", NULL},
		{"socket-dir-path", 0, 0, FN(socket_dir_path),
		 "Location of container attach sockets", NULL},
		{"stdin", 'i', 0, F(stdin_open), "Open up a pipe to pass stdin to the container",
		 NULL},
		{"sync", 0, 0, F(sync),
		 "Keep the main monitor process as its child by only forking once", NULL},
		{"syslog", 0, 0, F(syslog), "Log to syslog (use with cgroupfs cgroup manager)",
		 NULL},
		{"systemd-cgroup", 's', 0, F(systemd_cgroup),
		 "Enable systemd cgroup manager, rather then use the cgroupfs directly", NULL},
		{"terminal", 't', 0, F(terminal), "Allocate a pseudo-TTY. The default is false",
		 NULL},
		{"timeout", 'T', 0, G_OPTION_ARG_INT, &o->timeout,
		 "Kill container after specified timeout in seconds.", NULL},
		{"version", 0, 0, F(version), "Print the version and exit", NULL},
		{"live-upgrade-protocol", 0, 0, F(upgrade_protocol),
		 "tether: print the live-upgrade state format this binary adopts, and exit", NULL},
		{"full-attach", 0, 0, F(full_attach),
		 "Don't truncate the path to the attach socket. This option causes conmon to "
		 "ignore --socket-dir-path",
		 NULL},
		{"seccomp-notify-socket", 0, 0, FN(seccomp_notify_socket),
		 "Path to the socket where the seccomp notification fd is received", NULL},
		{"seccomp-notify-plugins", 0, 0, S(seccomp_notify_plugins),
		 "Plugins to use for managing the seccomp notifications", NULL},
		{"log-rotate", 0, 0, F(log_rotate),
		 "Rotate the k8s-file log instead of truncating it", NULL},
		{"log-max-files", 0, 0, G_OPTION_ARG_INT, &o->log_max_files,
		 "Number of rotated k8s-file logs to keep", NULL},
		{"log-allowlist-dir", 0, 0, SA(log_allowlist_dirs),
		 "Directory a rotated log may live in. Can be specified multiple times", NULL},
		{"foreground", 0, 0, F(foreground),
		 "tether: stay in the foreground and keep stderr for diagnostics (debugging by "
		 "hand)",
		 NULL},
		{"diagnostics-file", 0, 0, FN(diagnostics_file),
		 "tether: also append the monitor's own messages to this file (stderr is /dev/null "
		 "once it runs in the background)",
		 NULL},
		{"systemd-notify", 0, 0, F(systemd_notify),
		 "tether: tell the service manager at $NOTIFY_SOCKET our pid, status and "
		 "readiness, and ping its watchdog ($WATCHDOG_USEC)",
		 NULL},
		{"stop-signal", 0, 0, S(stop_signal_name),
		 "tether: the signal the container gets when we get SIGTERM (default: SIGTERM)",
		 "SIGNAL"},
		{"stop-timeout", 0, 0, G_OPTION_ARG_INT, &o->stop_timeout,
		 "tether: SIGKILL the container this many seconds after a stop signal (default 0: "
		 "never)",
		 "SECONDS"},
		{"memory-warn", 0, 0, S(memory_warn),
		 "tether: warn (an event, and --memory-warn-signal) when the container's memory "
		 "passes this: bytes (k, m, g) or a percentage of its limit",
		 "SIZE|N%"},
		{"memory-warn-signal", 0, 0, S(memory_warn_signal_name),
		 "tether: the signal the container gets with a memory warning", "SIGNAL"},
		{"health-cmd", 0, 0, S(health_cmd),
		 "tether: check the container's health with this shell command, run in it every "
		 "--health-interval",
		 "COMMAND"},
		{"health-interval", 0, 0, G_OPTION_ARG_INT, &o->health_interval,
		 "tether: seconds between health checks (30)", "SECONDS"},
		{"health-timeout", 0, 0, G_OPTION_ARG_INT, &o->health_timeout,
		 "tether: a check still running after this many seconds failed (30)", "SECONDS"},
		{"health-retries", 0, 0, G_OPTION_ARG_INT, &o->health_retries,
		 "tether: failed checks in a row that make it unhealthy (3)", "N"},
		{"health-start-period", 0, 0, G_OPTION_ARG_INT, &o->health_start_period,
		 "tether: seconds after the start in which failures do not count (0)", "SECONDS"},
		{"health-on-failure", 0, 0, S(health_on_failure),
		 "tether: none, kill or restart (a kill, for the exit command or systemd to act "
		 "on) once unhealthy",
		 "ACTION"},
		{"adopt-state", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->adopt_state_fd,
		 "tether (internal): take over a running container from the shim that re-executed "
		 "us, its state in this fd (a live upgrade)",
		 "FD"},
		{"fd-store", 0, 0, F(fd_store),
		 "tether: with --systemd-notify, keep the container's fds in the service "
		 "manager's fd store (FDSTORE=1; the unit needs FileDescriptorStoreMax=), so that "
		 "a shim restarted after a SIGKILL takes the container over again",
		 NULL},
		{"recovered-from", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->recovered_from,
		 "tether (internal): the --adopt-state is a crashed shim's, and this the signal "
		 "of its crash",
		 "SIGNAL"},
		{"replay-size", 0, 0, G_OPTION_ARG_INT64, &o->replay_size,
		 "tether: keep this many bytes of the latest output for attach clients that ask "
		 "(the control socket's replay; 0: none)",
		 "BYTES"},
		{"log-rate", 0, 0, S(log_rate),
		 "tether: log at most this many bytes a second per stream (k, m, g; see "
		 "--log-rate-policy)",
		 "BYTES"},
		{"log-burst", 0, 0, S(log_burst),
		 "tether: with --log-rate, the bytes a stream may log at once (default: one "
		 "second's worth)",
		 "BYTES"},
		{"log-rate-policy", 0, 0, S(log_rate_policy),
		 "tether: over --log-rate, drop whole lines (counted) or block the container's "
		 "writes (drop)",
		 "drop|block"},
		{"log-compress", 0, 0, F(log_compress),
		 "tether: gzip each rotated k8s-file or json-file log (with --log-rotate)", NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
#undef S
#undef SA
#undef F
#undef FN

	g_autoptr(GOptionContext) ctx = g_option_context_new("- container monitor");
	GOptionGroup *group = g_option_group_new("tether", "tether", "tether options", o, NULL);
	g_option_group_add_entries(group, entries);
	g_option_context_set_main_group(ctx, group);

	/* GOption rearranges and frees the vector it is given: hand it a copy. */
	g_auto(GStrv) args = g_new0(char *, argc + 1);
	for (int i = 0; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	/* GLib may return TRUE having set the error (an optional argument it
	 * cannot convert, found by fuzz_opts): that is a failure too. */
	GError *local = NULL;
	bool ok = g_option_context_parse_strv(ctx, &args, &local) && local == NULL;
	if (local != NULL)
		g_propagate_error(error, local);

	if (alias.pidfile != NULL) {
		if (o->container_pidfile == NULL)
			o->container_pidfile = g_steal_pointer(&alias.pidfile);
		g_free(alias.pidfile);
	}
	if (alias.restore_args != NULL) {
		g_autoptr(GStrvBuilder) b = g_strv_builder_new();
		if (o->runtime_opts)
			g_strv_builder_addv(b, (const char **)o->runtime_opts);
		g_strv_builder_addv(b, (const char **)alias.restore_args);
		g_strfreev(o->runtime_opts);
		o->runtime_opts = g_strv_builder_end(b);
		g_strfreev(alias.restore_args);
	}
	return ok;
}

static bool fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool fail(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, OPTS_ERROR, 1, msg);
	return false;
}

/* Names are used as file names (exit file, socket-dir symlink): refuse what
 * would escape the directory or not fit in one path component. */
static bool check_name(const char *what, const char *value, GError **error)
{
	if (strchr(value, '/') != NULL || strcmp(value, ".") == 0 || strcmp(value, "..") == 0 ||
	    strlen(value) > 255 || *value == '\0')
		return fail(error, "Invalid %s '%s': it must be a single path component", what,
			    value);
	return true;
}

static bool is_driver_name(const char *s)
{
	static const char *const names[] = {"none",	   "off",	"null",	    "journald",
					    "passthrough", "json-file", "k8s-file", "syslog"};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

static bool parse_log_paths(struct tether_opts *o, GError **error)
{
	if (o->log_paths == NULL)
		return fail(error, "Log driver not provided. Use --log-path");
	bool k8s_only = true;
	unsigned drivers = 0; /* other than none */
	for (char **p = o->log_paths; *p != NULL; p++) {
		const char *arg = *p, *colon = strchr(arg, ':');
		if (*arg == '\0')
			return fail(error, "log-path must not be empty");
		g_autofree char *driver = colon ? g_strndup(arg, (gsize)(colon - arg)) : NULL;
		const char *path = colon ? colon + 1 : arg;
		/* Driver names stand alone too ("none", "journald"). */
		if (driver == NULL && is_driver_name(arg)) {
			driver = g_strdup(arg);
			path = "";
		}

		/* A bare path, or ":path", is a k8s-file path (CRI-O passes one). */
		if (driver == NULL || *driver == '\0' || strcmp(driver, "k8s-file") == 0) {
			if (*path == '\0')
				return fail(error, "k8s-file requires a filename");
			g_free(o->k8s_log_path);
			o->k8s_log_path = g_strdup(path);
			drivers++;
			continue;
		}
		if (!strcmp(driver, "none") || !strcmp(driver, "off") || !strcmp(driver, "null"))
			continue;
		k8s_only = false;
		drivers++;
		if (!strcmp(driver, "json-file")) {
			if (*path == '\0')
				return fail(error, "json-file requires a filename");
			g_free(o->json_log_path);
			o->json_log_path = g_strdup(path);
			continue;
		}
		if (!strcmp(driver, "passthrough")) {
			o->log_passthrough = true;
			continue;
		}
		if (!strcmp(driver, "journald")) {
			/* CONTAINER_ID is the first 12 characters of the id. */
			if (strlen(o->cid) <= 12)
				return fail(error,
					    "Container ID must be longer than 12 characters");
			o->log_journald = true;
			continue;
		}
		if (!strcmp(driver, "syslog")) {
			o->log_syslog = true;
			g_free(o->syslog_socket);
			o->syslog_socket = *path != '\0' ? g_strdup(path) : NULL;
			continue;
		}
		return fail(error, "No such log driver %s", driver);
	}
	if (o->log_passthrough && drivers > 1)
		return fail(error, "passthrough cannot be combined with other log drivers");
	/* With -i the container reads our own stdin, as conmon's does (podman
	 * run -i --log-driver passthrough); a terminal would be ours to relay. */
	if (o->log_passthrough && o->terminal)
		return fail(error, "passthrough gives the container this process's own stdio: "
				   "it cannot be used with --terminal");
	if (o->log_journald && !log_journald_check_labels(o->log_labels, error))
		return false;
	if (o->k8s_log_path != NULL && k8s_only && o->log_tag != NULL)
		return fail(error, "k8s-file doesn't support --log-tag");
	if (o->k8s_log_path != NULL && k8s_only && o->log_labels != NULL)
		return fail(error, "k8s-file doesn't support --log-label");
	return true;
}

/* --log-rate, --log-burst, --log-rate-policy, --log-compress. */
static bool validate_log_policies(struct tether_opts *o, GError **error)
{
	if (o->log_rate != NULL && ratelimit_parse_bytes(o->log_rate, &o->log_rate_bytes) < 0)
		return fail(error,
			    "Invalid --log-rate '%s': give bytes a second (with k, m or g), from 1 "
			    "to 1g",
			    o->log_rate);
	if (o->log_burst != NULL && ratelimit_parse_bytes(o->log_burst, &o->log_burst_bytes) < 0)
		return fail(error,
			    "Invalid --log-burst '%s': give bytes (with k, m or g), from 1 to 1g",
			    o->log_burst);
	if (o->log_rate_policy != NULL &&
	    ratelimit_parse_policy(o->log_rate_policy, &o->log_rate_block) < 0)
		return fail(error, "Invalid --log-rate-policy '%s': drop or block",
			    o->log_rate_policy);
	if ((o->log_burst != NULL || o->log_rate_policy != NULL) && o->log_rate == NULL)
		return fail(error, "--log-burst and --log-rate-policy need --log-rate");
	if (o->log_rate != NULL && o->log_passthrough)
		return fail(error, "--log-rate cannot be used with passthrough: nothing is logged");
	if (o->log_compress && !o->log_rotate)
		return fail(error, "--log-compress needs --log-rotate");
	return true;
}

bool opts_validate(struct tether_opts *o, GError **error)
{
	if (o->cid == NULL)
		return fail(error, "Container ID not provided. Use --cid");
	if (!check_name("container ID", o->cid, error))
		return false;
	o->level = DIAG_WARNING;
	if (o->log_level != NULL && diag_parse_level(o->log_level, &o->level) < 0)
		return fail(error, "No such log level %s", o->log_level);
	if (o->restore != NULL && o->exec)
		return fail(error, "Cannot use 'exec' and 'restore' at the same time");
	if (o->exec_attach && !o->exec)
		return fail(error, "Attach can only be specified with exec");
	if (o->fd_store && (!o->systemd_notify || o->exec))
		return fail(error, "--fd-store needs --systemd-notify, and a container");
	if (o->exec_attach && o->api_version < 1)
		return fail(error, "Attach can only be specified for a non-legacy exec session");
	if (o->cuuid == NULL && (!o->exec || o->api_version >= 1))
		return fail(error, "Container UUID not provided. Use --cuuid");
	if (o->cuuid != NULL && !check_name("container UUID", o->cuuid, error))
		return false;
	if (o->runtime == NULL)
		return fail(error, "Runtime path not provided. Use --runtime");
	if (access(o->runtime, X_OK) < 0)
		return fail(error, "Runtime path %s is not valid: %s", o->runtime,
			    g_strerror(errno));
	if (o->exec && o->exec_process_spec == NULL)
		return fail(error, "Exec process spec path not provided. Use --exec-process-spec");
	if (o->exit_delay < 0)
		return fail(
			error,
			"Delay before invoking exit command must be greater than or equal to 0");

	if (!parse_log_paths(o, error))
		return false;

	if (o->timeout < 0)
		return fail(error, "Timeout must be a positive number of seconds");
	o->stop_signal = SIGTERM;
	if (o->stop_signal_name != NULL &&
	    (o->stop_signal = signame_parse(o->stop_signal_name)) < 0)
		return fail(error, "Invalid --stop-signal '%s'", o->stop_signal_name);
	if (o->stop_timeout < 0)
		return fail(error, "--stop-timeout must be 0 or more seconds");
	if (o->memory_warn != NULL &&
	    mempressure_parse_threshold(o->memory_warn, &o->memory_warn_bytes,
					&o->memory_warn_percent) < 0)
		return fail(error,
			    "Invalid --memory-warn '%s': give bytes (with k, m or g) or 1%%-100%%",
			    o->memory_warn);
	if (o->memory_warn_signal_name != NULL &&
	    (o->memory_warn_signal = signame_parse(o->memory_warn_signal_name)) < 0)
		return fail(error, "Invalid --memory-warn-signal '%s'", o->memory_warn_signal_name);
	if (o->memory_warn_signal_name != NULL && o->memory_warn == NULL)
		return fail(error, "--memory-warn-signal needs --memory-warn");
	if (o->replay_size < 0 || o->replay_size > (16 << 20))
		return fail(error, "--replay-size must be from 0 to 16 MiB");
	if (o->health_cmd != NULL && *o->health_cmd == '\0')
		return fail(error, "--health-cmd must not be empty");
	if (o->health_interval < 1 || o->health_timeout < 1 || o->health_retries < 1 ||
	    o->health_start_period < 0)
		return fail(error, "--health-interval, --health-timeout and --health-retries must "
				   "be at least 1, --health-start-period at least 0");
	if (o->health_on_failure != NULL) {
		static const char *const actions[] = {"none", "kill", "restart"};
		size_t i = 0;
		while (i < G_N_ELEMENTS(actions) && strcmp(o->health_on_failure, actions[i]) != 0)
			i++;
		if (i == G_N_ELEMENTS(actions))
			return fail(error,
				    "Invalid --health-on-failure '%s': none, kill or restart",
				    o->health_on_failure);
		o->health_action = i;
	}
	if (!validate_log_policies(o, error))
		return false;
	if (o->log_max_files < 0)
		return fail(error, "log-max-files must be non-negative");
	if (o->log_rotate && o->log_max_files < 1)
		return fail(error, "log-max-files must be at least 1 when log-rotate is enabled");

	if (o->bundle == NULL && !o->exec)
		o->bundle = g_get_current_dir();
	if (o->container_pidfile == NULL) {
		g_autofree char *cwd = g_get_current_dir();
		o->container_pidfile = g_strdup_printf("%s/pidfile-%s", cwd, o->cid);
	}
	if (o->socket_dir_path == NULL)
		o->socket_dir_path = g_strdup("/var/run/crio");
	return true;
}

const char *opts_version_text(void)
{
	return "conmon version " TETHER_CONMON_COMPAT_VERSION "\n"
	       "commit: tether " TETHER_VERSION "\n";
}

void opts_clear(struct tether_opts *o)
{
	char **strs[] = {&o->bundle,
			 &o->cid,
			 &o->conmon_pidfile,
			 &o->container_pidfile,
			 &o->cuuid,
			 &o->exec_process_spec,
			 &o->exit_command,
			 &o->exit_dir,
			 &o->log_level,
			 &o->log_tag,
			 &o->name,
			 &o->persist_dir,
			 &o->restore,
			 &o->runtime,
			 &o->sdnotify_socket,
			 &o->socket_dir_path,
			 &o->seccomp_notify_socket,
			 &o->seccomp_notify_plugins,
			 &o->k8s_log_path,
			 &o->json_log_path,
			 &o->diagnostics_file,
			 &o->stop_signal_name,
			 &o->memory_warn,
			 &o->memory_warn_signal_name,
			 &o->health_cmd,
			 &o->health_on_failure,
			 &o->log_rate,
			 &o->log_burst,
			 &o->log_rate_policy,
			 &o->syslog_socket};
	for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
		g_clear_pointer(strs[i], g_free);
	char ***arrays[] = {&o->exit_command_args, &o->log_paths,  &o->runtime_args,
			    &o->runtime_opts,	   &o->log_labels, &o->log_allowlist_dirs};
	for (size_t i = 0; i < G_N_ELEMENTS(arrays); i++)
		g_clear_pointer(arrays[i], g_strfreev);
}
