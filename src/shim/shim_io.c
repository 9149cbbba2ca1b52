#define G_LOG_DOMAIN "shim"

/* The shim's sinks and endpoints: the log sinks of -l, and the attach
 * socket, the ctl and winsz FIFOs and the control socket, with what their
 * callbacks ask of the shim. */

#include "tether/shim.h"
#include "tether/attach.h"
#include "tether/control.h"
#include "tether/ctlfifo.h"
#include "tether/diag.h"
#include "tether/handover.h"
#include "tether/log_file.h"
#include "tether/log_journald.h"
#include "tether/log_syslog.h"
#include "tether/ratelimit.h"
#include "tether/replay.h"

static void on_resize(void *data, unsigned rows, unsigned cols)
{
	struct shim *s = data;
	if (!s->opts->terminal) {
		diag_debug("resize to %ux%u ignored: the container has no terminal", rows, cols);
		return;
	}
	terminal_resize(s, rows, cols);
}

static void on_reopen_log(void *data)
{
	struct shim *s = data;
	int r = log_reopen(s->log);
	if (r < 0)
		diag_warn("Failed to reopen the log file: %s", g_strerror(-r));
	else
		control_event(s->control, "log-rotated", NULL);
}

static const struct ctlfifo_ops ctl_ops = {
	.resize = on_resize,
	.reopen_log = on_reopen_log,
};

static void on_attach_congested(void *data, bool on)
{
	stdio_pause(data, on);
}

static const struct attach_ops attach_ops = {
	.room = stdin_room,
	.input = stdin_input,
	.eof = stdin_eof,
	.congested = on_attach_congested,
};

bool shim_open_logs(struct shim *s, GError **error)
{
	s->log = log_new();
	const struct log_file_limits limits = {
		.size_max = s->opts->log_size_max,
		.global_size_max = s->opts->log_global_size_max,
		.rotate = s->opts->log_rotate,
		.max_files = s->opts->log_max_files,
		.compress = s->opts->log_compress,
	};
	if (s->opts->log_rate_bytes > 0)
		s->ratelimit = ratelimit_new(s->opts->log_rate_bytes, s->opts->log_burst_bytes,
					     s->opts->log_rate_block, g_get_monotonic_time());
	const char *paths[] = {s->opts->k8s_log_path, s->opts->json_log_path};
	const enum log_file_format formats[] = {LOG_FILE_K8S, LOG_FILE_JSON};
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		if (paths[i] == NULL)
			continue;
		struct log_file *f = log_file_new(paths[i], formats[i], &limits, error);
		if (f == NULL)
			return false;
		log_add_sink(s->log, &log_file_ops, f);
	}
	if (s->opts->replay_size > 0) {
		s->replay = replay_new((size_t)s->opts->replay_size);
		log_add_sink(s->log, &replay_sink_ops, s->replay);
	}
	if (s->opts->log_journald) {
		const struct log_journald_config cfg = {
			.cid = s->opts->cid,
			.name = s->opts->name,
			.tag = s->opts->log_tag,
			.labels = s->opts->log_labels,
			.no_partial = s->opts->no_container_partial_message,
		};
		struct log_journald *j = log_journald_new(&cfg, error);
		if (j == NULL)
			return false;
		log_add_sink(s->log, &log_journald_ops, j);
	}
	if (s->opts->log_syslog) {
		const struct log_syslog_config cfg = {
			.socket_path = s->opts->syslog_socket,
			.tag = s->opts->log_tag,
			.name = s->opts->name,
			.cid = s->opts->cid,
		};
		struct log_syslog *sl = log_syslog_new(&cfg, error);
		if (sl == NULL)
			return false;
		log_add_sink(s->log, &log_syslog_ops, sl);
	}
	return true;
}

bool shim_open_endpoints(struct shim *s, json_object *st, const struct handover_fds *fds,
			 GError **error)
{
	struct tether_opts *o = s->opts;
	if (o->bundle == NULL || o->log_passthrough)
		return true;
	json_object *a = st ? handover_get(st, "attach", json_type_object) : NULL;
	json_object *f = st ? handover_get(st, "ctlfifo", json_type_object) : NULL;
	json_object *c = st ? handover_get(st, "control", json_type_object) : NULL;
	s->attach = st ? attach_adopt(a, fds, o->bundle, o->socket_dir_path, o->cuuid,
				      o->full_attach, &attach_ops, s, error)
		       : attach_new(o->bundle, o->socket_dir_path, o->cuuid, o->full_attach,
				    &attach_ops, s, error);
	if (s->attach == NULL)
		return false;
	s->ctl = st ? ctlfifo_adopt(f, fds, &ctl_ops, s, error)
		    : ctlfifo_new(o->bundle, &ctl_ops, s, error);
	if (s->ctl == NULL)
		return false;
	s->control = st ? control_adopt(c, fds, o->bundle, &shim_control_ops, s, error)
			: control_new(o->bundle, &shim_control_ops, s, error);
	return s->control != NULL;
}
