/* restore: bring a checkpointed container back under a new shim, which
 * runs the runtime's restore (--restore DIR) instead of create, with the
 * container's own log and terminal settings from state.json. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_logcfg.h"
#include "tether/ctl_shim.h"
#include "tether/ctl_state.h"
#include "tether/ctl_exec_spec.h"
#include "tether/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int ctl_restore_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *image = NULL;
	const GOptionEntry entries[] = {
		{"image-path", 0, 0, G_OPTION_ARG_FILENAME, &image,
		 "The checkpoint's image (default: the container's checkpoint/)", "DIR"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("restore", "ID",
			       "Restore a checkpointed container under a new shim.", entries, false,
			       &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("restore", argc, error))
		return -1;
	const char *id = argv[1];
	g_autofree char *cdir = ctl_lookup_container(ctx, id, error);
	if (cdir == NULL)
		return -1;
	g_autofree char *dir = image ? g_canonicalize_filename(image, NULL)
				     : g_build_filename(cdir, "checkpoint", NULL);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND, "no checkpoint image at %s",
			    dir);
		return -1;
	}
	struct ctl_state st;
	if (ctl_state_load(cdir, &st) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot read %s/state.json", cdir);
		return -1;
	}
	int code = 0;
	enum ctl_status status = ctl_status_get(ctx, cdir, &st, &code);
	if (ctl_status_is_live(status)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNNING,
			    "container %s is %s: only a checkpointed one can be restored", id,
			    ctl_status_name(status));
		ctl_state_clear(&st);
		return -1;
	}
	struct ctl_log_config log = {CTL_LOG_K8S_FILE, st.log_size_max, st.log_max_files,
				     st.log_policy};
	if (st.log_driver != NULL)
		(void)ctl_logcfg_driver_from_name(st.log_driver, &log.driver);
	unsigned stdio =
		(st.terminal ? CTL_SHIM_TERMINAL : 0) | (st.interactive ? CTL_SHIM_STDIN : 0);
	/* The old shim's exit file would read as this run's end. */
	g_autofree char *exitfile = g_build_filename(cdir, "exits", id, NULL);
	(void)unlink(exitfile);
	char **base = ctl_shim_argv(ctx, id, st.name ? st.name : id, cdir, &log, stdio, NULL, NULL,
				    &st.service);
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	for (char **p = base; *p; p++)
		g_ptr_array_add(a, *p);
	g_free(base);
	g_ptr_array_add(a, g_strdup("--restore"));
	g_ptr_array_add(a, g_strdup(dir));
	g_ptr_array_add(a, NULL);
	pid_t pid = ctl_shim_create_argv(ctx, cdir, (char **)a->pdata, error);
	g_ptr_array_unref(a);
	if (pid < 0) {
		ctl_state_clear(&st);
		g_prefix_error(error, "restore: ");
		return -1;
	}
	st.pid = pid;
	g_autofree char *shim_pid = g_build_filename(cdir, "shim.pid", NULL);
	long long sp = 0;
	if (fileio_read_int(shim_pid, &sp) == 0)
		st.shim_pid = (pid_t)sp;
	if (ctl_state_save(cdir, &st) < 0)
		diag_warn("cannot update %s/state.json", cdir);
	ctl_state_clear(&st);
	printf("%s\n", id);
	return 0;
}
