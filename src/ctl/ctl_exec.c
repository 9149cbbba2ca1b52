/* exec: run a command in a running container under its own shim, launched
 * as podman's startExec does (API 1, --exec-attach), in CDIR/exec/SESSION;
 * attach to it (the same session as run and attach) and exit with its exit
 * code, or with -d print the session id. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_attach.h"
#include "tether/ctl_exec_spec.h"
#include "tether/ctl_fs.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_session.h"
#include "tether/ctl_shim.h"
#include "tether/ctl_state.h"
#include "tether/ctl_exec_spec.h"
#include "tether/fdutil.h"
#include "tether/jsonutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct exec_opts {
	gboolean tty, interactive, detach;
	char **env;
	char *user, *workdir, *detach_keys;
};

/* A new CDIR/exec/SESSION; its name in *ret_sid. */
static char *make_session_dir(const char *cdir, char **ret_sid, GError **error)
{
	g_autofree char *base = g_build_filename(cdir, CTL_EXEC_SUBDIR, NULL);
	if (mkdir(base, 0700) < 0 && errno != EEXIST) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot create %s: %s", base,
			    g_strerror(errno));
		return NULL;
	}
	for (int tries = 0; tries < 16; tries++) {
		g_autofree char *sid = g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
		g_autofree char *dir = g_build_filename(base, sid, NULL);
		if (mkdir(dir, 0700) == 0) {
			g_autofree char *exits = g_build_filename(dir, "exit", NULL);
			if (mkdir(exits, 0700) < 0) {
				g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
					    "cannot create %s: %s", exits, g_strerror(errno));
				(void)ctl_fs_rm_rf(dir);
				return NULL;
			}
			*ret_sid = g_steal_pointer(&sid);
			return g_steal_pointer(&dir);
		}
		if (errno != EEXIST) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot create %s: %s", dir,
				    g_strerror(errno));
			return NULL;
		}
	}
	g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "no free exec session id in %s", base);
	return NULL;
}

static char **shim_argv(const struct ctl_context *ctx, const char *id, const char *sid,
			const char *dir, const char *spec, const struct exec_opts *o)
{
	/* As podman starts an exec session's monitor. */
	GPtrArray *a = ctl_shim_argv_begin(ctx, id, sid, NULL, dir, "exec_pid", "exit");
	const char *fixed[] = {"--full-attach",	      "-l", "none", "-e", "--exec-attach",
			       "--exec-process-spec", spec};
	for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_ptr_array_add(a, g_strdup(fixed[i]));
	/* As create: with both, only -t (the terminal is the stdin). */
	if (o->tty || o->interactive)
		g_ptr_array_add(a, g_strdup(o->tty ? "-t" : "-i"));
	return ctl_shim_argv_end(ctx, a);
}

static bool write_spec(const char *cdir, const char *dir, const struct exec_opts *o, char **cmd,
		       char **ret_path, GError **error)
{
	g_autofree char *cfgpath = g_build_filename(cdir, "config.json", NULL);
	g_autoptr(json_object) config = json_object_from_file(cfgpath);
	if (config == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot read %s", cfgpath);
		return false;
	}
	const char *rootfs = NULL;
	json_object *root = NULL, *rpath = NULL;
	if (json_object_object_get_ex(config, "root", &root) &&
	    json_object_object_get_ex(root, "path", &rpath))
		rootfs = json_object_get_string(rpath);
	const struct ctl_exec_spec_opts so = {
		.args = cmd,
		.env = o->env,
		.user = o->user,
		.cwd = o->workdir,
		.terminal = o->tty,
	};
	g_autoptr(json_object) spec = ctl_exec_spec_build(config, rootfs, &so, error);
	if (spec == NULL)
		return false;
	g_autofree char *path = g_build_filename(dir, "exec-process.json", NULL);
	const char *text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN);
	if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      error)) {
		g_prefix_error(error, "exec process spec: ");
		return false;
	}
	*ret_path = g_steal_pointer(&path);
	return true;
}

struct exec_exit {
	struct ctl_shim_exec *ex;
	const char *dir, *id;
	bool called;
};

/* The second sync message, else the exit file the shim writes. */
static int exec_exit_code(void *data, int timeout_ms, int *ret_code)
{
	struct exec_exit *e = data;
	e->called = true;
	int r = ctl_shim_exec_exit(e->ex, timeout_ms, ret_code);
	if (r == 0)
		return 0;
	g_autofree char *path = g_build_filename(e->dir, "exit", e->id, NULL);
	g_autofree char *text = NULL;
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		char *end;
		long v = strtol(text, &end, 10);
		if (end != text) {
			*ret_code = (int)v;
			return 0;
		}
	}
	return r;
}

/* podman's codes for a command the runtime could not run. */
static int exec_failed_code(const GError *error)
{
	g_autofree char *m = g_ascii_strdown(error->message, -1);
	if (strstr(m, "permission denied"))
		return 126;
	if (strstr(m, "no such file") || strstr(m, "not found"))
		return 127;
	return -1;
}

static int run_exec(struct ctl_context *ctx, const char *id, const char *cdir, char **cmd,
		    const struct exec_opts *o, const char *keys, size_t keys_len, GError **error)
{
	g_autofree char *sid = NULL;
	g_autofree char *dir = make_session_dir(cdir, &sid, error);
	if (dir == NULL)
		return -1;
	g_autofree char *spec = NULL;
	int ret = -1;
	bool keep = false;
	struct ctl_shim_exec ex = CTL_SHIM_EXEC_INIT;
	g_auto(GStrv) argv = NULL;
	if (!write_spec(cdir, dir, o, cmd, &spec, error))
		goto out;
	argv = shim_argv(ctx, id, sid, dir, spec, o);
	if (ctl_shim_exec_start(ctx, dir, argv, &ex, error) < 0)
		goto out;
	int afd = -1;
	if (!o->detach) {
		afd = ctl_attach_connect(dir);
		if (afd < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
				    "cannot attach to exec session %s: %s", sid, g_strerror(-afd));
			goto out;
		}
	}
	pid_t pid = ctl_shim_exec_go(&ex, dir, error);
	if (pid < 0) {
		fdutil_close(&afd);
		g_prefix_error(error, "exec in container %s: ", id);
		int code = exec_failed_code(*error);
		if (code > 0) {
			fprintf(stderr, "tetherctl: error: %s\n", (*error)->message);
			g_clear_error(error);
			ret = code;
		}
		goto out;
	}
	if (o->detach) {
		printf("%s\n", sid);
		keep = true;
		ret = 0;
		goto out;
	}
	struct exec_exit ee = {&ex, dir, id, false};
	const struct ctl_session_opts so = {
		.in_fd = o->tty || o->interactive ? STDIN_FILENO : -1,
		.terminal = o->tty,
		.keys = keys,
		.keys_len = keys_len,
		.signal_pid = pid,
		.exit_fn = exec_exit_code,
		.exit_data = &ee,
	};
	ret = ctl_session_run(ctx, id, dir, afd, &so, error);
	/* Left by keys or signals: the session runs on under its shim. */
	keep = !ee.called;
	if (!keep)
		ctl_shim_exec_wait_gone(&ex, CTL_SESSION_EXIT_WAIT_MS);
out:
	ctl_shim_exec_clear(&ex);
	if (!keep) {
		int r = ctl_fs_rm_rf(dir);
		if (r < 0)
			diag_warn("cannot remove %s: %s", dir, g_strerror(-r));
	}
	return ret;
}

static int exec_parsed(struct ctl_context *ctx, const struct exec_opts *o, int argc, char **argv,
		       GError **error)
{
	if (argc < 3) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    argc < 2 ? "exec: missing container id" : "exec: missing command");
		return -1;
	}
	const char *id = argv[1];
	char **cmd = ctl_command_args(argc, argv, 2);
	if (cmd == NULL || cmd[0] == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "exec: missing command");
		return -1;
	}
	g_autofree char *keys = NULL;
	size_t keys_len = 0;
	if (ctl_detach_keys_parse(o->detach_keys ? o->detach_keys : CTL_DETACH_KEYS_DEFAULT, &keys,
				  &keys_len) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "invalid --detach-keys '%s'",
			    o->detach_keys);
		return -1;
	}
	struct ctl_state st;
	int code;
	enum ctl_status status;
	g_autofree char *cdir = ctl_container_open(ctx, id, &st, &status, &code, error);
	if (cdir == NULL)
		return -1;
	ctl_state_clear(&st);
	if (status != CTL_STATUS_RUNNING) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNNING,
			    "container %s is %s: exec needs a running container", id,
			    ctl_status_name(status));
		return -1;
	}
	return run_exec(ctx, id, cdir, cmd, o, keys, keys_len, error);
}

int ctl_exec_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	struct exec_opts o = {0};
	const GOptionEntry entries[] = {
		{"tty", 't', 0, G_OPTION_ARG_NONE, &o.tty, "Give the command a terminal", NULL},
		{"interactive", 'i', 0, G_OPTION_ARG_NONE, &o.interactive, "Relay our stdin", NULL},
		{"detach", 'd', 0, G_OPTION_ARG_NONE, &o.detach,
		 "Run it in the background and print the session id", NULL},
		{"env", 'e', 0, G_OPTION_ARG_STRING_ARRAY, &o.env,
		 "Set K=V (or pass our K) in its environment (repeatable)", "K=V"},
		{"user", 'u', 0, G_OPTION_ARG_STRING, &o.user,
		 "UID[:GID] or a name from the container's /etc/passwd", "USER"},
		{"workdir", 'w', 0, G_OPTION_ARG_FILENAME, &o.workdir,
		 "Working directory (default: the container's)", "DIR"},
		{"detach-keys", 0, 0, G_OPTION_ARG_STRING, &o.detach_keys,
		 "Keys that detach with -t or -i (default: " CTL_DETACH_KEYS_DEFAULT
		 "; \"\": none)",
		 "KEYS"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	int ret = -1;
	if (ctl_parse_options("exec", "ID COMMAND [ARG...]",
			      "Run a command in a running container; without -d, relay its "
			      "output (and with -i or -t its input) and exit with its exit code.",
			      entries, true, &argc, &argv, &help, error))
		ret = help ? 0 : exec_parsed(ctx, &o, argc, argv, error);
	g_strfreev(o.env);
	g_free(o.user);
	g_free(o.workdir);
	g_free(o.detach_keys);
	return ret;
}
