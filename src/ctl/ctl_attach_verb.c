/* attach: join a running container's attach socket, as run does after
 * start: its output to ours, our stdin to it (with -t or -i), detach keys,
 * and its exit code when it ends while attached. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_attach.h"
#include "tether/ctl_session.h"
#include "tether/ctl_state.h"

#include "tether/ctl_control.h"
#include "tether/jsonutil.h"
#include "tether/fdutil.h"

#include <string.h>
#include <unistd.h>

/* --replay N: the last N bytes of output the shim kept, to our stdout and
 * stderr, before the live output. Output that comes between the attach
 * and this request may show twice. */
static bool replay(const char *cdir, const char *id, int n, GError **error)
{
	json_object *args = json_object_new_object();
	json_object_object_add(args, "bytes", json_object_new_int(n));
	g_autoptr(json_object) r = ctl_control_call(cdir, id, "replay", args, 5000, error);
	json_object_put(args);
	json_object *chunks;
	if (r == NULL || !json_object_object_get_ex(r, "chunks", &chunks)) {
		g_prefix_error(error, "--replay: ");
		return false;
	}
	for (size_t i = 0; i < json_object_array_length(chunks); i++) {
		json_object *c = json_object_array_get_idx(chunks, i), *st, *d;
		if (!json_object_object_get_ex(c, "stream", &st) ||
		    !json_object_object_get_ex(c, "data", &d))
			continue;
		gsize len = 0;
		g_autofree guchar *raw = g_base64_decode(json_object_get_string(d), &len);
		int fd = strcmp(json_object_get_string(st), "stderr") == 0 ? 2 : 1;
		(void)fdutil_write_all(fd, raw, len);
	}
	return true;
}

int ctl_attach_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *detach_keys = NULL;
	gboolean no_stdin = FALSE;
	int replay_bytes = -1;
	const GOptionEntry entries[] = {
		{"replay", 0, 0, G_OPTION_ARG_INT, &replay_bytes,
		 "First show the last N bytes of output (kept by the shim: --replay-size)", "N"},
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
	struct ctl_state st;
	int code;
	enum ctl_status status;
	g_autofree char *cdir = ctl_container_open(ctx, id, &st, &status, &code, error);
	if (cdir == NULL)
		return -1;
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
	if (replay_bytes >= 0 && !replay(cdir, id, replay_bytes, error)) {
		close(afd);
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
