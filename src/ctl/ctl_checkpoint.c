/* checkpoint: the runtime's checkpoint (CRIU) of a running container into
 * an image directory (default CDIR/checkpoint). */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_exec_spec.h"

#include <stdio.h>

int ctl_checkpoint_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *image = NULL;
	gboolean leave_running = FALSE;
	const GOptionEntry entries[] = {
		{"image-path", 0, 0, G_OPTION_ARG_FILENAME, &image,
		 "Where the image goes (default: the container's checkpoint/)", "DIR"},
		{"leave-running", 0, 0, G_OPTION_ARG_NONE, &leave_running,
		 "Keep the container running after the checkpoint", NULL},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("checkpoint", "ID",
			       "Checkpoint a running container with the runtime (CRIU); it stops "
			       "unless --leave-running. 'tetherctl restore' brings it back.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("checkpoint", argc, error))
		return -1;
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	g_autofree char *dir = image ? g_canonicalize_filename(image, NULL)
				     : g_build_filename(cdir, "checkpoint", NULL);
	g_autofree char *work = g_strdup_printf("--work-path=%s", dir);
	g_autofree char *img = g_strdup_printf("--image-path=%s", dir);
	const char *args[] = {"checkpoint", img, work, argv[1], NULL, NULL};
	if (leave_running) {
		args[3] = "--leave-running";
		args[4] = argv[1];
	}
	if (!ctl_runtime_run(ctx, args, NULL, error))
		return -1;
	printf("%s\n", argv[1]);
	return 0;
}
