/* resume: thaw a paused container (the runtime's resume). */
#include "tether/ctl.h"
#include "tether/ctl_state.h"
#include "tether/ctl_state.h"

int ctl_resume_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
	bool help;
	if (!ctl_parse_options("resume", "ID", "Resume a paused container.", entries, false, &argc,
			       &argv, &help, error))
		return -1;
	if (help)
		return 0;
	return ctl_pause_resume(ctx, "resume", CTL_STATUS_PAUSED, argc, argv, error);
}
