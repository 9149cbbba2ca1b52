/* attach: join a running container's attach socket, as run does after
 * start: its output to ours, our stdin to it (with -t or -i), detach keys,
 * and its exit code when it ends while attached. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_attach.h"
#include "tether/ctl_session.h"
#include "tether/ctl_state.h"

#include <unistd.h>

int ctl_attach_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *detach_keys = NULL;
	gboolean no_stdin = FALSE;
	const GOptionEntry entries[] = {
		{"detach-keys", 0, 0, G_OPTION_ARG_STRING, &detach_keys,
		 "Keys that detach (default: " CTL_DETACH_KEYS_DEFAULT "; \"\": none)", "KEYS"},
		{"no-stdin", 0, 0, G_OPTION_ARG_NONE, &no_stdin, "Do not relay stdin", NULL},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("attach", "ID",
			       "Attach to a running container: relay its output, and with -t or "
			       "-i our input, until it exits or the detach keys are typed.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("attach", argc, error))
		return -1;
	const char *id = argv[1];
	g_autofree char *keys = NULL;
	size_t keys_len = 0;
	if (ctl_detach_keys_parse(detach_keys ? detach_keys : CTL_DETACH_KEYS_DEFAULT, &keys,
				  &keys_len) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "invalid --detach-keys '%s'",
			    detach_keys);
		return -1;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, id, error);
	if (cdir == NULL)
		return -1;
	struct ctl_state st;
	ctl_state_load_lenient(cdir, id, &st);
	int code = 0;
	enum ctl_status status = ctl_status_get(ctx, cdir, &st, &code);
	bool terminal = st.terminal, interactive = st.interactive;
	ctl_state_clear(&st);
	if (status != CTL_STATUS_RUNNING && status != CTL_STATUS_PAUSED) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNNING,
			    "container %s is %s: only a running container can be attached to", id,
			    ctl_status_name(status));
		return -1;
	}
	int afd = ctl_attach_connect(cdir);
	if (afd < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM, "cannot attach to container %s: %s",
			    id, g_strerror(-afd));
		return -1;
	}
	const struct ctl_session_opts so = {
		/* Without -t or -i the container has no stdin to feed. */
		.in_fd = !no_stdin && (terminal || interactive) ? STDIN_FILENO : -1,
		.terminal = terminal,
		.keys = keys,
		.keys_len = keys_len,
	};
	return ctl_session_run(ctx, id, cdir, afd, &so, error);
}
