/* start: RUNTIME start ID, for a container made by create. */
#include "tether/ctl.h"
#include "tether/ctl_runtime.h"

int ctl_start_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	bool help;
	if (!ctl_parse_options("start", "ID", "Start a created container.", NULL, false, &argc,
			       &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("start", argc, error))
		return -1;
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	const char *args[] = {"start", argv[1], NULL};
	if (!ctl_runtime_run(ctx, args, NULL, error))
		return -1;
	ctl_service_started(cdir, argv[1]);
	return 0;
}
