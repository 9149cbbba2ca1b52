/* gc: remove what is left of containers nobody runs any more: the shim is
 * gone and the runtime has no live container by that id. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_fs.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_state.h"
#include "tether/ctl_state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

/* A directory without a shim pid younger than this may be a create in
 * progress: leave it. */
#define CTL_GC_MIN_AGE_S 60

/* Is it safe to collect? Sets *ret_why for the log when not. */
static bool collectable(struct ctl_context *ctx, const char *cdir, const char *id,
			const char **ret_why)
{
	struct ctl_state st;
	ctl_state_load_lenient(cdir, id, &st);
	bool shim_alive = ctl_shim_alive(st.shim_pid, st.shim, id);
	bool young = false;
	struct stat sb;
	if (st.shim_pid == 0 && stat(cdir, &sb) == 0)
		young = time(NULL) - sb.st_mtime < CTL_GC_MIN_AGE_S;
	ctl_state_clear(&st);
	if (shim_alive) {
		*ret_why = "its shim is running";
		return false;
	}
	if (young) {
		*ret_why = "it may still be being created";
		return false;
	}
	g_autoptr(GError) err = NULL;
	g_autofree char *rstatus = ctl_runtime_state(ctx, id, &err);
	if (rstatus == NULL && !ctl_runtime_error_is_not_found(err)) {
		*ret_why = "the runtime cannot tell its state";
		diag_debug("%s", err->message);
		return false;
	}
	if (rstatus != NULL && ctl_status_from_runtime(rstatus) != CTL_STATUS_STOPPED) {
		*ret_why = "the runtime still has it";
		return false;
	}
	return true;
}

int ctl_gc_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
	bool help;
	if (!ctl_parse_options("gc", "",
			       "Remove the state of containers whose shim is gone and that the "
			       "runtime no longer runs; print each id removed.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc != 1) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "gc: takes no arguments");
		return -1;
	}
	g_autofree char *dir = ctl_containers_dir(ctx);
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot read %s: %s", dir,
			    g_strerror(errno));
		return -1;
	}
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_DIR && ctl_id_valid(de->d_name))
			g_ptr_array_add(ids, g_strdup(de->d_name));
	closedir(d);

	int ret = 0;
	for (guint i = 0; i < ids->len; i++) {
		const char *id = ids->pdata[i];
		g_autofree char *cdir = ctl_container_dir(ctx, id);
		const char *why = NULL;
		if (!collectable(ctx, cdir, id, &why)) {
			diag_info("keeping %s: %s", id, why);
			continue;
		}
		const char *del_args[] = {"delete", "--force", id, NULL};
		g_autoptr(GError) derr = NULL;
		if (!ctl_runtime_run(ctx, del_args, NULL, &derr) &&
		    !ctl_runtime_error_is_not_found(derr)) {
			fprintf(stderr, "tetherctl: error: gc %s: %s\n", id, derr->message);
			ret = CTL_EXIT_ERROR;
			continue;
		}
		int r = ctl_fs_rm_rf(cdir);
		if (r < 0) {
			fprintf(stderr, "tetherctl: error: gc: cannot remove %s: %s\n", cdir,
				g_strerror(-r));
			ret = CTL_EXIT_ERROR;
			continue;
		}
		printf("%s\n", id);
		fflush(stdout);
	}
	return ret;
}
