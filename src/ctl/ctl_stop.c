/* stop: SIGTERM, a grace period, then SIGKILL; print the exit code. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_state.h"
#include "tether/ctl_state.h"

#include <errno.h>
#include <stdio.h>

#define CTL_STOP_DEFAULT_S 10
/* How long the shim gets to record the exit after SIGKILL. */
#define CTL_STOP_KILL_WAIT_MS 10000

static void send_signal(struct ctl_context *ctx, const char *id, const char *sig)
{
	const char *args[] = {"kill", id, sig, NULL};
	g_autoptr(GError) err = NULL;
	/* It may have exited since we looked: the wait tells. */
	if (!ctl_runtime_run(ctx, args, NULL, &err))
		diag_debug("%s", err->message);
}

int ctl_stop_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	int timeout_s = CTL_STOP_DEFAULT_S;
	const GOptionEntry entries[] = {
		{"time", 't', 0, G_OPTION_ARG_INT, &timeout_s,
		 "Seconds to wait after SIGTERM before SIGKILL (default: 10)", "SECONDS"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("stop", "ID",
			       "Stop a container: SIGTERM, then SIGKILL after the grace period; "
			       "print its exit code.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc != 2 || timeout_s < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    "stop: expected one container id and -t SECONDS >= 0");
		return -1;
	}
	const char *id = argv[1];
	struct ctl_state st;
	int code;
	enum ctl_status status;
	g_autofree char *cdir = ctl_container_open(ctx, id, &st, &status, &code, error);
	if (cdir == NULL)
		return -1;
	int r = 0;
	if (status == CTL_STATUS_EXITED)
		goto done;
	if (status == CTL_STATUS_SHIM_DEAD) {
		ctl_state_clear(&st);
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "the shim of container %s is gone and left no exit code; "
			    "use rm -f or gc",
			    id);
		return -1;
	}
	if (status == CTL_STATUS_PAUSED) {
		/* A frozen process takes its signal only once thawed. */
		const char *resume_args[] = {"resume", id, NULL};
		g_autoptr(GError) rerr = NULL;
		if (!ctl_runtime_run(ctx, resume_args, NULL, &rerr))
			diag_debug("%s", rerr->message);
	}
	if (status != CTL_STATUS_STOPPED) {
		send_signal(ctx, id, "TERM");
		int grace_ms = (int)MIN((gint64)timeout_s * 1000, G_MAXINT);
		r = ctl_exit_wait(cdir, id, grace_ms, st.shim_pid, st.shim, -1, &code);
		if (r == -ETIMEDOUT) {
			diag_info("container %s still running after %d s: SIGKILL", id, timeout_s);
			send_signal(ctx, id, "KILL");
		}
	}
	if (status == CTL_STATUS_STOPPED || r == -ETIMEDOUT)
		r = ctl_exit_wait(cdir, id, CTL_STOP_KILL_WAIT_MS, st.shim_pid, st.shim, -1, &code);
done:
	ctl_state_clear(&st);
	if (r == -ESRCH) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "the shim of container %s is gone and left no exit code", id);
		return -1;
	}
	if (r < 0) {
		g_set_error(error, CTL_ERROR,
			    r == -ETIMEDOUT ? CTL_ERROR_TIMEOUT : CTL_ERROR_FAILED,
			    "container %s did not stop: %s", id, g_strerror(-r));
		return -1;
	}
	printf("%d\n", code);
	return 0;
}
