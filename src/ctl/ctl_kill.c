/* kill: send a signal to the container's process through the runtime. */
#include "tether/ctl.h"
#include "tether/ctl_runtime.h"
#include "tether/signame.h"

int ctl_kill_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *signal_opt = NULL;
	gboolean all = FALSE;
	const GOptionEntry entries[] = {
		{"all", 'a', 0, G_OPTION_ARG_NONE, &all,
		 "Signal every process of the container, not only its first", NULL},
		{"signal", 's', 0, G_OPTION_ARG_STRING, &signal_opt,
		 "Signal name or number (default: TERM)", "SIGNAL"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("kill", "ID [SIGNAL]", "Send a signal to a container.", entries,
			       false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc < 2 || argc > 3 || (argc == 3 && signal_opt != NULL)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    "kill: expected a container id and at most one signal");
		return -1;
	}
	const char *sigtext = argc == 3 ? argv[2] : signal_opt ? signal_opt : "TERM";
	int signo = signame_parse(sigtext);
	if (signo < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "unknown signal '%s'", sigtext);
		return -1;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	g_autofree char *num = g_strdup_printf("%d", signo);
	const char *args[] = {"kill", argv[1], num, NULL};
	const char *all_args[] = {"kill", "--all", argv[1], num, NULL};
	if (all)
		return ctl_runtime_run(ctx, all_args, NULL, error) ? 0 : -1;
	return ctl_runtime_run(ctx, args, NULL, error) ? 0 : -1;
}
