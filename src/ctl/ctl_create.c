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
	if (!ctl_bundle_copy_config(bundle_in, cdir, opts->args, error))
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
	pid_t pid = ctl_shim_create(ctx, st.id, st.name, cdir, &opts->log, opts->exit_command,
				    opts->exit_command_args, error);
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

int ctl_create_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *bundle = NULL, *name = NULL, *exit_command = NULL;
	g_auto(GStrv) exit_args = NULL;
	g_auto(ctl_logcfg_args) log_args = CTL_LOGCFG_ARGS_INIT;
	const GOptionEntry entries[] = {
		{"bundle", 'b', 0, G_OPTION_ARG_FILENAME, &bundle,
		 "OCI bundle holding config.json (default: .)", "DIR"},
		{"name", 'n', 0, G_OPTION_ARG_STRING, &name, "Name (default: the id)", "NAME"},
		{"exit-command", 0, 0, G_OPTION_ARG_FILENAME, &exit_command,
		 "Program the shim runs after the container exits", "PATH"},
		{"exit-command-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exit_args,
		 "Argument for the exit command (repeatable)", "ARG"},
		CTL_LOGCFG_OPTION_ENTRIES(&log_args),
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("create", "ID [COMMAND [ARG...]]",
			       "Create a container under its shim, ready to start.", entries, true,
			       &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc < 2) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "create: missing container id");
		return -1;
	}
	struct ctl_create_opts opts = {
		.id = argv[1],
		.name = name,
		.bundle = bundle,
		.args = ctl_command_args(argc, argv, 2),
		.exit_command = exit_command,
		.exit_command_args = exit_args,
	};
	if (!ctl_check_id(opts.id, error) ||
	    !ctl_logcfg_from_args(&log_args, opts.id, &opts.log, error))
		return -1;
	return ctl_create_container(ctx, &opts, error) < 0 ? -1 : 0;
}
