/* wait: block until the container has exited; print its exit code. */
#include "tether/ctl.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_state.h"

#include <errno.h>
#include <stdio.h>

int ctl_wait_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	int timeout_s = -1;
	const GOptionEntry entries[] = {
		{"timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s,
		 "Give up after S seconds (default: never)", "S"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("wait", "ID", "Wait for a container to exit; print its exit code.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("wait", argc, error))
		return -1;
	const char *id = argv[1];
	g_autofree char *cdir = ctl_lookup_container(ctx, id, error);
	if (cdir == NULL)
		return -1;
	struct ctl_state st;
	ctl_state_load_lenient(cdir, id, &st);
	int timeout_ms = timeout_s < 0 ? -1 : (int)MIN((gint64)timeout_s * 1000, G_MAXINT);
	int code = 0;
	int r = ctl_exit_wait(cdir, id, timeout_ms, st.shim_pid, st.shim, -1, &code);
	ctl_state_clear(&st);
	if (r == -ETIMEDOUT) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_TIMEOUT,
			    "container %s still running after %d s", id, timeout_s);
		return -1;
	}
	if (r == -ESRCH) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "the shim of container %s is gone and left no exit code", id);
		return -1;
	}
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "waiting for %s: %s", id,
			    g_strerror(-r));
		return -1;
	}
	printf("%d\n", code);
	return 0;
}
