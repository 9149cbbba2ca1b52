/* rm: delete a container from the runtime and remove its directory. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_fs.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_state.h"

#include <errno.h>
#include <signal.h>

/* How long rm -f waits for the shim to record the exit after SIGKILL. */
#define CTL_RM_WAIT_MS 10000

static void force_stop(struct ctl_context *ctx, const char *cdir, const struct ctl_state *st,
		       enum ctl_status status)
{
	const char *kill_args[] = {"kill", st->id, "KILL", NULL};
	g_autoptr(GError) kerr = NULL;
	/* A frozen process takes its SIGKILL only once thawed. */
	const char *resume_args[] = {"resume", st->id, NULL};
	if (status == CTL_STATUS_PAUSED && !ctl_runtime_run(ctx, resume_args, NULL, &kerr)) {
		diag_debug("%s", kerr->message);
		g_clear_error(&kerr);
	}
	if (!ctl_runtime_run(ctx, kill_args, NULL, &kerr))
		diag_debug("%s", kerr->message);
	int code = 0;
	int r = ctl_exit_wait(cdir, st->id, CTL_RM_WAIT_MS, st->shim_pid, st->shim, -1, &code);
	if (r < 0 && r != -ESRCH)
		diag_warn("no exit code from the shim of %s: %s", st->id, g_strerror(-r));
	/* A shim that did not finish in time would write into a removed
	 * directory: stop it. */
	if (r < 0 && ctl_shim_alive(st->shim_pid, st->shim, st->id))
		(void)kill(st->shim_pid, SIGKILL);
}

int ctl_rm_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	gboolean force = FALSE;
	const GOptionEntry entries[] = {
		{"force", 'f', 0, G_OPTION_ARG_NONE, &force, "Kill the container if it is running",
		 NULL},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("rm", "ID", "Remove a container and its state.", entries, false,
			       &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("rm", argc, error))
		return -1;
	return ctl_rm(ctx, argv[1], force, error);
}

int ctl_rm(struct ctl_context *ctx, const char *id, bool force, GError **error)
{
	struct ctl_state st;
	int code;
	enum ctl_status status;
	g_autofree char *cdir = ctl_container_open(ctx, id, &st, &status, &code, error);
	if (cdir == NULL)
		return -1;
	bool live = ctl_status_is_live(status);
	if (status == CTL_STATUS_SHIM_DEAD) {
		/* Nobody monitors it, but the container may still be there. */
		g_autofree char *rstatus = ctl_runtime_state(ctx, id, NULL);
		live = ctl_status_is_live(ctl_status_from_runtime(rstatus));
	}
	if (live && !force) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNNING,
			    "container %s is %s: stop it first or use -f", id,
			    ctl_status_name(status));
		ctl_state_clear(&st);
		return -1;
	}
	if (live)
		force_stop(ctx, cdir, &st, status);
	else if (status == CTL_STATUS_STOPPED)
		/* Exited, and the shim is still draining its output. */
		(void)ctl_exit_wait(cdir, id, CTL_RM_WAIT_MS, st.shim_pid, st.shim, -1, &code);
	ctl_state_clear(&st);

	const char *del_args[] = {"delete", "--force", id, NULL};
	g_autoptr(GError) derr = NULL;
	if (!ctl_runtime_run(ctx, del_args, NULL, &derr) && !ctl_runtime_error_is_not_found(derr)) {
		g_propagate_error(error, g_steal_pointer(&derr));
		return -1;
	}
	int r = ctl_fs_rm_rf(cdir);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot remove %s: %s", cdir,
			    g_strerror(-r));
		return -1;
	}
	return 0;
}
