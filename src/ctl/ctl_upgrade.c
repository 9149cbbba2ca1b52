/* upgrade: a live upgrade of a container's shim (the control socket's
 * "upgrade"): it re-executes the tether binary now at its path, or --binary,
 * keeping the container, its output and its attach clients. */
#include "tether/ctl.h"
#include "tether/ctl_control.h"
#include "tether/jsonutil.h"

#include <stdio.h>

/* The new shim answers once it has taken over: its --version and the
 * hand-over are quick, but a health check in flight is waited for. */
#define CTL_UPGRADE_TIMEOUT_MS 60000

int ctl_upgrade_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *binary = NULL;
	const GOptionEntry entries[] = {
		{"binary", 0, 0, G_OPTION_ARG_FILENAME, &binary,
		 "The tether binary to re-execute (default: the one at the shim's own path)",
		 "PATH"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("upgrade", "ID",
			       "Live-upgrade a container's shim: re-execute tether, keeping the "
			       "container, its logs and its attach clients.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc != 2) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "upgrade: expected a container id");
		return -1;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	g_autoptr(json_object) args = json_object_new_object();
	if (binary != NULL) {
		g_autofree char *abs = g_canonicalize_filename(binary, NULL);
		json_object_object_add(args, "binary", json_object_new_string(abs));
	}
	g_autoptr(json_object) reply =
		ctl_control_call(cdir, argv[1], "upgrade", args, CTL_UPGRADE_TIMEOUT_MS, error);
	if (reply == NULL)
		return -1;
	json_object *v;
	printf("%s: shim %d upgraded to tether %s (upgrade %d)\n", argv[1],
	       json_object_object_get_ex(reply, "pid", &v) ? json_object_get_int(v) : 0,
	       json_object_object_get_ex(reply, "version", &v) ? json_object_get_string(v) : "?",
	       json_object_object_get_ex(reply, "generation", &v) ? json_object_get_int(v) : 0);
	return 0;
}
