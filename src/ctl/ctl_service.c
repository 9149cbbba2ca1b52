/* A container as a service: sd_notify mode and stop settings. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_service.h"
#include "tether/ctl.h"
#include "tether/ctl_control.h"
#include "tether/ctl_fs.h"
#include "tether/signame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CONTAINER_NOTIFY_DIR "/run/notify"

static const char *const sdnotify_names[] = {"ignore", "shim", "container"};

const char *ctl_service_sdnotify_name(enum ctl_sdnotify mode)
{
	return sdnotify_names[mode];
}

int ctl_service_sdnotify_from_name(const char *name, enum ctl_sdnotify *ret)
{
	for (size_t i = 0; i < G_N_ELEMENTS(sdnotify_names); i++)
		if (strcmp(name, sdnotify_names[i]) == 0) {
			*ret = (enum ctl_sdnotify)i;
			return 0;
		}
	return -EINVAL;
}

void ctl_service_args_entries(struct ctl_service_args *a, GOptionEntry ret[CTL_SERVICE_N_ENTRIES])
{
	const GOptionEntry entries[CTL_SERVICE_N_ENTRIES] = {
		{"sdnotify", 0, 0, G_OPTION_ARG_STRING, &a->sdnotify,
		 "Who tells systemd the container is ready: shim (the default under "
		 "NOTIFY_SOCKET), container, or ignore",
		 "MODE"},
		{"stop-signal", 0, 0, G_OPTION_ARG_STRING, &a->stop_signal,
		 "Signal the container gets when its shim is stopped (default: TERM)", "SIGNAL"},
		{"stop-timeout", 0, 0, G_OPTION_ARG_INT, &a->stop_timeout,
		 "SIGKILL it this many seconds after the stop signal (default: never)", "SECONDS"},
		{"health-cmd", 0, 0, G_OPTION_ARG_STRING, &a->health_cmd,
		 "Shell command the shim runs in the container to check its health", "COMMAND"},
		{"health-interval", 0, 0, G_OPTION_ARG_INT, &a->health_interval,
		 "Seconds between checks (30)", "SECONDS"},
		{"health-timeout", 0, 0, G_OPTION_ARG_INT, &a->health_timeout,
		 "Seconds a check may take (30)", "SECONDS"},
		{"health-retries", 0, 0, G_OPTION_ARG_INT, &a->health_retries,
		 "Failed checks in a row that make it unhealthy (3)", "N"},
		{"health-start-period", 0, 0, G_OPTION_ARG_INT, &a->health_start_period,
		 "Seconds after its start in which failures do not count (0)", "SECONDS"},
		{"health-on-failure", 0, 0, G_OPTION_ARG_STRING, &a->health_on_failure,
		 "Once unhealthy: none (default), kill or restart", "ACTION"},
		{"memory-warn", 0, 0, G_OPTION_ARG_STRING, &a->memory_warn,
		 "Warn (an event) when its memory passes this: bytes (k, m, g) or N% of its limit",
		 "SIZE|N%"},
		{"memory-warn-signal", 0, 0, G_OPTION_ARG_STRING, &a->memory_warn_signal,
		 "Also send it this signal with each warning", "SIGNAL"},
		{"replay-size", 0, 0, G_OPTION_ARG_STRING, &a->replay_size,
		 "Output the shim keeps for attach --replay (default: 64k with -t, else 0)",
		 "SIZE"},
		{"fd-store", 0, 0, G_OPTION_ARG_NONE, &a->fd_store,
		 "Under systemd: the shim keeps its fds in the unit's fd store, so that a restart "
		 "after it was killed (run --replace) takes the container over",
		 NULL},
	};
	memcpy(ret, entries, sizeof(entries));
}

void ctl_service_args_clear(struct ctl_service_args *a)
{
	g_clear_pointer(&a->sdnotify, g_free);
	g_clear_pointer(&a->stop_signal, g_free);
	g_clear_pointer(&a->health_cmd, g_free);
	g_clear_pointer(&a->health_on_failure, g_free);
	g_clear_pointer(&a->replay_size, g_free);
	g_clear_pointer(&a->memory_warn, g_free);
	g_clear_pointer(&a->memory_warn_signal, g_free);
}

/* "N%" (1-100) or a size (the shim checks again, more strictly). */
static bool memory_warn_valid(const char *text)
{
	size_t len = strlen(text);
	if (len > 1 && text[len - 1] == '%') {
		char *end = NULL;
		long v = strtol(text, &end, 10);
		return g_ascii_isdigit(text[0]) && end == text + len - 1 && v >= 1 && v <= 100;
	}
	int64_t bytes = 0;
	return ctl_logcfg_parse_size(text, &bytes) == 0 && bytes > 0;
}

bool ctl_service_from_args(const struct ctl_service_args *a, const char *notify_socket,
			   bool terminal, struct ctl_service *ret, GError **error)
{
	struct ctl_service svc = {
		.sdnotify = notify_socket != NULL ? CTL_SDNOTIFY_SHIM : CTL_SDNOTIFY_IGNORE,
	};
	if (a->sdnotify != NULL && ctl_service_sdnotify_from_name(a->sdnotify, &svc.sdnotify) < 0)
		return ctl_usage_error(error,
				       "invalid --sdnotify '%s' (use shim, container or ignore)",
				       a->sdnotify);
	if (svc.sdnotify != CTL_SDNOTIFY_IGNORE && notify_socket == NULL)
		return ctl_usage_error(
			error,
			"--sdnotify %s needs NOTIFY_SOCKET (set by systemd for Type=notify "
			"units)",
			a->sdnotify);
	if (svc.sdnotify == CTL_SDNOTIFY_CONTAINER && notify_socket[0] != '/')
		return ctl_usage_error(
			error, "--sdnotify container needs NOTIFY_SOCKET to be a path, not '%s'",
			notify_socket);
	if (a->stop_signal != NULL && (svc.stop_signal = signame_parse(a->stop_signal)) < 0)
		return ctl_usage_error(error, "invalid --stop-signal '%s'", a->stop_signal);
	if (a->stop_timeout < -1)
		return ctl_usage_error(error, "invalid --stop-timeout %d: 0 or more seconds",
				       a->stop_timeout);
	svc.stop_timeout = a->stop_timeout > 0 ? a->stop_timeout : 0;
	const int nums[] = {a->health_interval, a->health_timeout, a->health_retries,
			    a->health_start_period};
	const bool given = a->health_on_failure != NULL || nums[0] != -1 || nums[1] != -1 ||
			   nums[2] != -1 || nums[3] != -1;
	if (a->health_cmd == NULL && given)
		return ctl_usage_error(error, "the --health-* options need --health-cmd");
	if (a->health_cmd != NULL && *a->health_cmd == '\0')
		return ctl_usage_error(error, "--health-cmd must not be empty");
	for (size_t i = 0; i < G_N_ELEMENTS(nums); i++)
		if (nums[i] != -1 && nums[i] < (i == 3 ? 0 : 1))
			return ctl_usage_error(error, "--health-interval, --health-timeout and "
						      "--health-retries must be at least 1, "
						      "--health-start-period at least 0");
	if (a->health_on_failure != NULL && strcmp(a->health_on_failure, "none") != 0 &&
	    strcmp(a->health_on_failure, "kill") != 0 &&
	    strcmp(a->health_on_failure, "restart") != 0)
		return ctl_usage_error(error,
				       "invalid --health-on-failure '%s' (none, kill or restart)",
				       a->health_on_failure);
	if (a->memory_warn != NULL && !memory_warn_valid(a->memory_warn))
		return ctl_usage_error(
			error, "invalid --memory-warn '%s': bytes (with k, m or g) or 1%%-100%%",
			a->memory_warn);
	if (a->memory_warn_signal != NULL &&
	    (a->memory_warn == NULL ||
	     (svc.memory_warn_signal = signame_parse(a->memory_warn_signal)) < 0))
		return ctl_usage_error(error, "invalid --memory-warn-signal '%s'%s",
				       a->memory_warn_signal,
				       a->memory_warn == NULL ? ": it needs --memory-warn" : "");
	svc.memory_warn = a->memory_warn;
	if (a->fd_store && svc.sdnotify == CTL_SDNOTIFY_IGNORE)
		return ctl_usage_error(error, "--fd-store needs systemd (NOTIFY_SOCKET)");
	svc.fd_store = a->fd_store;
	svc.replay_size = terminal ? CTL_REPLAY_SIZE_TERMINAL : 0;
	if (a->replay_size != NULL &&
	    (ctl_logcfg_parse_size(a->replay_size, &svc.replay_size) < 0 || svc.replay_size < 0 ||
	     svc.replay_size > (16 << 20)))
		return ctl_usage_error(error, "invalid --replay-size '%s': 0 to 16m",
				       a->replay_size);
	svc.health = (struct ctl_health){
		.cmd = a->health_cmd,
		.interval = MAX(nums[0], 0),
		.timeout = MAX(nums[1], 0),
		.retries = MAX(nums[2], 0),
		.start_period = MAX(nums[3], 0),
		.on_failure = a->health_on_failure,
	};
	*ret = svc;
	return true;
}

void ctl_service_shim_args(const struct ctl_service *svc, const char *notify_socket, GPtrArray *a)
{
	if (svc == NULL)
		return;
	if (svc->sdnotify != CTL_SDNOTIFY_IGNORE)
		g_ptr_array_add(a, g_strdup("--systemd-notify"));
	if (svc->sdnotify == CTL_SDNOTIFY_CONTAINER && notify_socket != NULL) {
		g_ptr_array_add(a, g_strdup("--sdnotify-socket"));
		g_ptr_array_add(a, g_strdup(notify_socket));
	}
	if (svc->fd_store)
		g_ptr_array_add(a, g_strdup("--fd-store"));
	if (svc->stop_signal > 0) {
		g_ptr_array_add(a, g_strdup("--stop-signal"));
		g_ptr_array_add(a, g_strdup_printf("%d", svc->stop_signal));
	}
	if (svc->stop_timeout > 0) {
		g_ptr_array_add(a, g_strdup("--stop-timeout"));
		g_ptr_array_add(a, g_strdup_printf("%d", svc->stop_timeout));
	}
	if (svc->memory_warn != NULL) {
		g_ptr_array_add(a, g_strdup("--memory-warn"));
		g_ptr_array_add(a, g_strdup(svc->memory_warn));
	}
	if (svc->memory_warn_signal > 0) {
		g_ptr_array_add(a, g_strdup("--memory-warn-signal"));
		g_ptr_array_add(a, g_strdup_printf("%d", svc->memory_warn_signal));
	}
	if (svc->replay_size > 0) {
		g_ptr_array_add(a, g_strdup("--replay-size"));
		g_ptr_array_add(a, g_strdup_printf("%" G_GINT64_FORMAT, svc->replay_size));
	}
	const struct ctl_health *h = &svc->health;
	if (h->cmd == NULL)
		return;
	g_ptr_array_add(a, g_strdup("--health-cmd"));
	g_ptr_array_add(a, g_strdup(h->cmd));
	const char *flags[] = {"--health-interval", "--health-timeout", "--health-retries",
			       "--health-start-period"};
	const int values[] = {h->interval, h->timeout, h->retries, h->start_period};
	for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
		if (values[i] > 0) {
			g_ptr_array_add(a, g_strdup(flags[i]));
			g_ptr_array_add(a, g_strdup_printf("%d", values[i]));
		}
	}
	if (h->on_failure != NULL) {
		g_ptr_array_add(a, g_strdup("--health-on-failure"));
		g_ptr_array_add(a, g_strdup(h->on_failure));
	}
}

static json_object *get_or_add(json_object *obj, const char *key, json_type type)
{
	json_object *v;
	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, type))
		return v;
	v = type == json_type_array ? json_object_new_array() : json_object_new_object();
	json_object_object_add(obj, key, v);
	return v;
}

bool ctl_service_prepare_config(const struct ctl_service *svc, const char *cdir,
				json_object *config, GError **error)
{
	if (svc == NULL || svc->sdnotify != CTL_SDNOTIFY_CONTAINER)
		return true;
	g_autofree char *dir = g_build_filename(cdir, "notify", NULL);
	int r = ctl_fs_mkdir_p(dir, 0755);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot create %s: %s", dir,
			    g_strerror(-r));
		return false;
	}
	json_object *process = get_or_add(config, "process", json_type_object);
	json_object *env = get_or_add(process, "env", json_type_array);
	json_object_array_add(
		env, json_object_new_string("NOTIFY_SOCKET=" CONTAINER_NOTIFY_DIR "/notify.sock"));
	json_object *mounts = get_or_add(config, "mounts", json_type_array);
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(CONTAINER_NOTIFY_DIR));
	json_object_object_add(m, "type", json_object_new_string("bind"));
	json_object_object_add(m, "source", json_object_new_string(dir));
	json_object *opts = json_object_new_array();
	json_object_array_add(opts, json_object_new_string("bind"));
	json_object_array_add(opts, json_object_new_string("rw"));
	json_object_object_add(m, "options", opts);
	json_object_array_add(mounts, m);
	return true;
}

void ctl_service_started(const char *cdir, const char *id)
{
	GError *error = NULL;
	json_object *r = ctl_control_call(cdir, id, "started", NULL, 5000, &error);
	if (r == NULL) {
		diag_debug("could not tell the shim of %s it was started: %s", id, error->message);
		g_error_free(error);
	}
	json_object_put(r);
}
