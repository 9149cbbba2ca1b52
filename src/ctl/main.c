/* tetherctl: a small controller for containers run under the tether shim. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_state.h"
#include "tether/diag.h"
#include "tether/version.h"
#include "tether/ctl_exec_spec.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct ctl_verb ctl_verbs[] = {
	{"create", ctl_create_main, "Create a container under its shim"},
	{"start", ctl_start_main, "Start a created container"},
	{"run", ctl_run_main, "Create and start a container, relay its output"},
	{"attach", ctl_attach_main, "Attach to a running container"},
	{"ps", ctl_ps_main, "List containers"},
	{"logs", ctl_logs_main, "Print a container's output"},
	{"kill", ctl_kill_main, "Send a signal to a container"},
	{"wait", ctl_wait_main, "Wait for a container to exit"},
	{"rm", ctl_rm_main, "Remove a container"},
	{"stop", ctl_stop_main, "Stop a container: SIGTERM, then SIGKILL"},
	{"pause", ctl_pause_main, "Pause every process of a container"},
	{"resume", ctl_resume_main, "Resume a paused container"},
	{"inspect", ctl_inspect_main, "Print what is known of a container, as JSON"},
	{"resize", ctl_resize_main, "Set a container's terminal size"},
	{"events", ctl_events_main, "Print container events as JSON lines"},
	{"gc", ctl_gc_main, "Remove the state of containers nobody runs"},
	{"exec", ctl_exec_main, "Run a command in a running container"},
	{"top", ctl_top_main, "List a container's processes"},
	{"stats", ctl_stats_main, "Print a container's resource usage"},
	{"update", ctl_update_main, "Change a container's resource limits"},
	{"checkpoint", ctl_checkpoint_main, "Checkpoint a running container (CRIU)"},
	{"restore", ctl_restore_main, "Restore a checkpointed container"},
	{"generate", ctl_generate_main, "Write a systemd unit that runs a container"},
	{"upgrade", ctl_upgrade_main, "Live-upgrade a container's shim, keeping the container"},
};

static const struct ctl_verb *find_verb(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(ctl_verbs); i++)
		if (strcmp(ctl_verbs[i].name, name) == 0)
			return &ctl_verbs[i];
	return NULL;
}

/* Children and the shim expect fds 0-2 to exist. */
static void ensure_stdio(void)
{
	struct stat st;
	for (int fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) < 0 && open("/dev/null", O_RDWR) != fd)
			return;
}

static char *verb_list(void)
{
	GString *s = g_string_new("Commands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(ctl_verbs); i++)
		g_string_append_printf(s, "  %-8s %s\n", ctl_verbs[i].name, ctl_verbs[i].summary);
	g_string_append(s, "\nRun 'tetherctl COMMAND --help' for a command's options.");
	return g_string_free(s, FALSE);
}

int main(int argc, char **argv)
{
	g_autofree char *root = NULL, *runtime = NULL, *shim = NULL, *log_level = NULL;
	gboolean help = FALSE, version = FALSE;
	const GOptionEntry entries[] = {
		{"root", 0, 0, G_OPTION_ARG_FILENAME, &root,
		 "State directory (default: $TETHER_ROOT or " CTL_DEFAULT_ROOT ")", "DIR"},
		{"runtime", 0, 0, G_OPTION_ARG_FILENAME, &runtime,
		 "OCI runtime (default: runc in PATH)", "PATH"},
		{"shim", 0, 0, G_OPTION_ARG_FILENAME, &shim,
		 "Monitor binary (default: tether beside tetherctl, else in PATH)", "PATH"},
		{"log-level", 0, 0, G_OPTION_ARG_STRING, &log_level,
		 "error, warn, info, debug or trace (default: warn)", "LEVEL"},
		{"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL},
		{"help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL},
		G_OPTION_ENTRY_NULL,
	};
	ensure_stdio();
	g_set_prgname("tetherctl");
	diag_setup("tetherctl", DIAG_WARNING);

	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("COMMAND [OPTION...] [ARG...]");
	g_option_context_set_help_enabled(oc, FALSE);
	g_option_context_set_strict_posix(oc, TRUE);
	g_option_context_add_main_entries(oc, entries, NULL);
	g_autofree char *verbs = verb_list();
	g_option_context_set_description(oc, verbs);
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "tetherctl: error: %s\n", error->message);
		return CTL_EXIT_ERROR;
	}
	if (help) {
		g_autofree char *text = g_option_context_get_help(oc, TRUE, NULL);
		fputs(text, stdout);
		return 0;
	}
	if (version) {
		printf("tetherctl version %s\n", TETHER_VERSION);
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "tetherctl: error: no command given (see tetherctl --help)\n");
		return CTL_EXIT_ERROR;
	}
	const struct ctl_verb *verb = find_verb(argv[1]);
	if (verb == NULL) {
		fprintf(stderr, "tetherctl: error: unknown command '%s' (see tetherctl --help)\n",
			argv[1]);
		return CTL_EXIT_ERROR;
	}

	/* So each verb's --help reads "tetherctl VERB [OPTION…] ...". */
	g_autofree char *prgname = g_strdup_printf("tetherctl %s", verb->name);
	g_set_prgname(prgname);

	struct ctl_context ctx;
	if (ctl_context_init(&ctx, root, runtime, shim, log_level, &error) < 0) {
		fprintf(stderr, "tetherctl: error: %s\n", error->message);
		return CTL_EXIT_ERROR;
	}
	diag_set_level(ctx.level);
	int ret = verb->fn(&ctx, argc - 1, argv + 1, &error);
	ctl_context_clear(&ctx);
	if (ret < 0) {
		fprintf(stderr, "tetherctl: error: %s\n",
			error ? error->message : "unknown failure");
		return CTL_EXIT_ERROR;
	}
	return ret;
}
