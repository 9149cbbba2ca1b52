/* pause: freeze every process of a running container (the runtime's pause). */
#include "tether/ctl.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_state.h"
#include "tether/ctl_state.h"

int ctl_pause_resume(struct ctl_context *ctx, const char *verb, enum ctl_status need, int argc,
		     char **argv, GError **error)
{
	if (!ctl_one_id(verb, argc, error))
		return -1;
	const char *id = argv[1];
	struct ctl_state st;
	int code;
	enum ctl_status status;
	g_autofree char *cdir = ctl_container_open(ctx, id, &st, &status, &code, error);
	if (cdir == NULL)
		return -1;
	ctl_state_clear(&st);
	if (status != need) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNNING,
			    "cannot %s container %s: it is %s, not %s", verb, id,
			    ctl_status_name(status), ctl_status_name(need));
		return -1;
	}
	const char *args[] = {verb, id, NULL};
	return ctl_runtime_run(ctx, args, NULL, error) ? 0 : -1;
}

int ctl_pause_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
	bool help;
	if (!ctl_parse_options("pause", "ID", "Pause every process of a running container.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	return ctl_pause_resume(ctx, "pause", CTL_STATUS_RUNNING, argc, argv, error);
}
