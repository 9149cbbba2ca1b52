/* resize: set the window size of a container's terminal (the control
 * socket's resize). */
#include "tether/ctl.h"
#include "tether/ctl_control.h"
#include "tether/ctl_state.h"
#include "tether/jsonutil.h"

#include <errno.h>
#include <stdlib.h>

#define CTL_RESIZE_TIMEOUT_MS 5000

static bool parse_dim(const char *text, int *ret)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 0 || v > 65535)
		return false;
	*ret = (int)v;
	return true;
}

int ctl_resize_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
	bool help;
	if (!ctl_parse_options("resize", "ID ROWS COLS",
			       "Set the window size of a container's terminal (-t).", entries,
			       false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	int rows = 0, cols = 0;
	if (argc != 4 || !parse_dim(argv[2], &rows) || !parse_dim(argv[3], &cols)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    "resize: expected a container id, ROWS and COLS (0-65535)");
		return -1;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	g_autoptr(json_object) args = json_object_new_object();
	json_object_object_add(args, "rows", json_object_new_int(rows));
	json_object_object_add(args, "cols", json_object_new_int(cols));
	g_autoptr(json_object) reply =
		ctl_control_call(cdir, argv[1], "resize", args, CTL_RESIZE_TIMEOUT_MS, error);
	return reply != NULL ? 0 : -1;
}
