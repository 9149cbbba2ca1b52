/* create: a container under its shim, left in the runtime's "created" state. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_bundle.h"
#include "tether/ctl_fs.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_shim.h"
#include "tether/ctl_state.h"
#include "tether/fileio.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static bool make_dir(const char *path, GError **error)
{
	int r = ctl_fs_mkdir_p(path, 0700);
	if (r < 0)
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot create %s: %s", path,
			    g_strerror(-r));
	return r == 0;
}

static pid_t read_shim_pid(const char *cdir)
{
	g_autofree char *path = g_build_filename(cdir, "shim.pid", NULL);
	long long v = 0;
	if (fileio_read_int(path, &v) < 0 || v <= 0 || v > INT32_MAX)
		return 0;
	return (pid_t)v;
}

/* Everything after the container directory exists; on failure the caller
 * removes the directory. */
static pid_t populate(struct ctl_context *ctx, const struct ctl_create_opts *opts, const char *cdir,
		      GError **error)
{
	g_autofree char *exits = g_build_filename(cdir, "exits", NULL);
	if (!make_dir(exits, error))
		return -1;
	const char *bundle_in = opts->bundle ? opts->bundle : ".";
	if (!ctl_bundle_copy_config(bundle_in, cdir, opts->args, opts->terminal, &opts->service,
				    error))
		return -1;

	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	struct ctl_state st = {
		.id = (char *)opts->id,
		.name = (char *)(opts->name ? opts->name : opts->id),
		.bundle = g_canonicalize_filename(bundle_in, NULL),
		.runtime = ctx->runtime,
		.shim = ctx->shim,
		.created = g_date_time_format_iso8601(now),
		.log_driver = (char *)ctl_logcfg_driver_name(opts->log.driver),
		.log_path = ctl_logcfg_file_path(opts->log.driver, cdir),
		.log_size_max = opts->log.size_max,
		.log_max_files = opts->log.max_files,
		.log_policy = opts->log.policy,
		.terminal = opts->terminal,
		.interactive = opts->interactive,
		.service = opts->service,
	};
	g_autofree char *bundle = st.bundle, *created = st.created, *log_path = st.log_path;
	/* Written before the shim starts, so a tetherctl killed while waiting
	 * leaves a directory ps can explain. */
	int r = ctl_state_save(cdir, &st);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot write state.json: %s",
			    g_strerror(-r));
		return -1;
	}
	unsigned stdio =
		(opts->terminal ? CTL_SHIM_TERMINAL : 0) | (opts->interactive ? CTL_SHIM_STDIN : 0);
	pid_t pid =
		ctl_shim_create(ctx, st.id, st.name, cdir, &opts->log, stdio, opts->exit_command,
				opts->exit_command_args, &opts->service, error);
	if (pid < 0)
		return -1;
	st.pid = pid;
	st.shim_pid = read_shim_pid(cdir);
	r = ctl_state_save(cdir, &st);
	if (r < 0)
		diag_warn("cannot update state.json of %s: %s", st.id, g_strerror(-r));
	return pid;
}

pid_t ctl_create_container(struct ctl_context *ctx, const struct ctl_create_opts *opts,
			   GError **error)
{
	if (!ctl_check_id(opts->id, error))
		return -1;
	if (opts->name != NULL && !ctl_id_valid(opts->name)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "invalid name '%s'", opts->name);
		return -1;
	}
	if (ctx->shim == NULL || ctx->runtime == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "%s not found (use %s)",
			    ctx->shim == NULL ? "shim 'tether'" : "OCI runtime",
			    ctx->shim == NULL ? "--shim PATH" : "--runtime PATH");
		return -1;
	}
	g_autofree char *containers = ctl_containers_dir(ctx);
	g_autofree char *rroot = ctl_runtime_root(ctx);
	if (!make_dir(containers, error) || !make_dir(rroot, error))
		return -1;

	g_autofree char *cdir = ctl_container_dir(ctx, opts->id);
	if (mkdir(cdir, 0700) < 0) {
		if (errno == EEXIST)
			g_set_error(error, CTL_ERROR, CTL_ERROR_EXISTS,
				    "container %s already exists", opts->id);
		else
			g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot create %s: %s",
				    cdir, g_strerror(errno));
		return -1;
	}
	pid_t pid = populate(ctx, opts, cdir, error);
	if (pid < 0) {
		int r = ctl_fs_rm_rf(cdir);
		if (r < 0)
			diag_warn("cannot remove %s: %s", cdir, g_strerror(-r));
	}
	return pid;
}

void ctl_create_args_clear(struct ctl_create_args *a)
{
	g_clear_pointer(&a->bundle, g_free);
	g_clear_pointer(&a->name, g_free);
	g_clear_pointer(&a->exit_command, g_free);
	g_clear_pointer(&a->exit_args, g_strfreev);
	ctl_logcfg_args_clear(&a->log);
	ctl_service_args_clear(&a->service);
}

void ctl_create_args_entries(struct ctl_create_args *a, GOptionEntry ret[CTL_CREATE_N_ENTRIES])
{
	const GOptionEntry entries[CTL_CREATE_N_ENTRIES - CTL_SERVICE_N_ENTRIES] = {
		{"bundle", 'b', 0, G_OPTION_ARG_FILENAME, &a->bundle,
		 "OCI bundle holding config.json (default: .)", "DIR"},
		{"name", 'n', 0, G_OPTION_ARG_STRING, &a->name, "Name (default: the id)", "NAME"},
		{"tty", 't', 0, G_OPTION_ARG_NONE, &a->terminal,
		 "Give the container a terminal (process.terminal)", NULL},
		{"interactive", 'i', 0, G_OPTION_ARG_NONE, &a->interactive,
		 "Keep the container's stdin open for attach clients", NULL},
		{"exit-command", 0, 0, G_OPTION_ARG_FILENAME, &a->exit_command,
		 "Program the shim runs after the container exits", "PATH"},
		{"exit-command-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->exit_args,
		 "Argument for the exit command (repeatable)", "ARG"},
		CTL_LOGCFG_OPTION_ENTRIES(&a->log),
	};
	memcpy(ret, entries, sizeof(entries));
	ctl_service_args_entries(&a->service, ret + G_N_ELEMENTS(entries));
}

bool ctl_create_args_finish(const struct ctl_create_args *a, const char *verb, int argc,
			    char **argv, struct ctl_create_opts *ret_opts, GError **error)
{
	if (argc < 2) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "%s: missing container id", verb);
		return false;
	}
	struct ctl_create_opts opts = {
		.id = argv[1],
		.name = a->name,
		.bundle = a->bundle,
		.args = ctl_command_args(argc, argv, 2),
		.exit_command = a->exit_command,
		.exit_command_args = a->exit_args,
		.terminal = a->terminal,
		.interactive = a->interactive,
	};
	/* Under systemd the journal is where a service's output goes. */
	struct ctl_logcfg_args log = a->log;
	bool under_systemd = g_getenv("INVOCATION_ID") != NULL;
	if (log.driver == NULL && under_systemd)
		log.driver = (char *)"journald";
	if (!ctl_check_id(opts.id, error) ||
	    !ctl_service_from_args(&a->service, g_getenv("NOTIFY_SOCKET"), a->terminal,
				   &opts.service, error))
		return false;
	if (!ctl_logcfg_from_args(&log, opts.id, &opts.log, error)) {
		if (a->log.driver == NULL && under_systemd)
			g_prefix_error(error, "under systemd the default log driver is journald "
					      "(--log-driver chooses another): ");
		return false;
	}
	*ret_opts = opts;
	return true;
}

int ctl_create_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_auto(ctl_create_args) args = CTL_CREATE_ARGS_INIT;
	GOptionEntry entries[CTL_CREATE_N_ENTRIES + 1] = {0};
	ctl_create_args_entries(&args, entries);
	bool help;
	if (!ctl_parse_options("create", "ID [COMMAND [ARG...]]",
			       "Create a container under its shim, ready to start.", entries, true,
			       &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	struct ctl_create_opts opts;
	if (!ctl_create_args_finish(&args, "create", argc, argv, &opts, error))
		return -1;
	return ctl_create_container(ctx, &opts, error) < 0 ? -1 : 0;
}
