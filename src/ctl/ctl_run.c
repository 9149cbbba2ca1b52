/* run: create, attach, start, relay the output (and with -i our stdin),
 * and exit with the container's exit code. Or, with -d, create and start,
 * and print the id. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_attach.h"
#include "tether/ctl_fdstore.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_session.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int attached(struct ctl_context *ctx, const struct ctl_create_opts *opts, const char *keys,
		    size_t keys_len, GError **error)
{
	g_autofree char *cdir = ctl_container_dir(ctx, opts->id);
	int afd = ctl_attach_connect(cdir);
	if (afd < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "cannot attach to container %s: %s (it is created; start or rm it)",
			    opts->id, g_strerror(-afd));
		return -1;
	}
	const struct ctl_session_opts so = {
		.in_fd = opts->interactive ? STDIN_FILENO : -1,
		.terminal = opts->terminal,
		.start = true,
		.keys = keys,
		.keys_len = keys_len,
	};
	return ctl_session_run(ctx, opts->id, cdir, afd, &so, error);
}

int ctl_run_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_auto(ctl_create_args) args = CTL_CREATE_ARGS_INIT;
	g_autofree char *detach_keys = NULL;
	gboolean detach = FALSE, replace = FALSE;
	GOptionEntry entries[CTL_CREATE_N_ENTRIES + 4] = {
		{"detach", 'd', 0, G_OPTION_ARG_NONE, &detach,
		 "Start it in the background and print its id", NULL},
		{"detach-keys", 0, 0, G_OPTION_ARG_STRING, &detach_keys,
		 "Keys that detach with -i (default: " CTL_DETACH_KEYS_DEFAULT "; \"\": none)",
		 "KEYS"},
		{"replace", 0, 0, G_OPTION_ARG_NONE, &replace,
		 "Remove a container of this id first (rm -f); but under systemd, restarted "
		 "after its shim was killed, take it over from the fd store (--fd-store)",
		 NULL},
	};
	ctl_create_args_entries(&args, entries + 3);
	bool help;
	if (!ctl_parse_options("run", "ID [COMMAND [ARG...]]",
			       "Create and start a container; without -d, relay its output (and "
			       "with -i its input) and exit with its exit code.",
			       entries, true, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	struct ctl_create_opts opts;
	if (!ctl_create_args_finish(&args, "run", argc, argv, &opts, error))
		return -1;
	g_autofree char *keys = NULL;
	size_t keys_len = 0;
	if (ctl_detach_keys_parse(detach_keys ? detach_keys : CTL_DETACH_KEYS_DEFAULT, &keys,
				  &keys_len) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "invalid --detach-keys '%s'",
			    detach_keys);
		return -1;
	}
	if (replace) {
		if (ctl_fdstore_adopt(ctx, opts.id, error) < 0)
			return -1;
		g_autofree char *old = ctl_container_dir(ctx, opts.id);
		g_autoptr(GError) rerr = NULL;
		if (g_file_test(old, G_FILE_TEST_IS_DIR) && ctl_rm(ctx, opts.id, true, &rerr) < 0)
			diag_warn("--replace: %s", rerr->message);
	}
	if (ctl_create_container(ctx, &opts, error) < 0)
		return -1;
	if (!detach)
		return attached(ctx, &opts, keys, keys_len, error);

	const char *start[] = {"start", opts.id, NULL};
	if (!ctl_runtime_run(ctx, start, NULL, error))
		return -1;
	g_autofree char *cdir = ctl_container_dir(ctx, opts.id);
	ctl_service_started(cdir, opts.id);
	printf("%s\n", opts.id);
	return 0;
}
