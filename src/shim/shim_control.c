#define G_LOG_DOMAIN "shim"

/* The monitor's answers to the control socket (control.h): its state and
 * counters, and the requests that act on it. */

#include "tether/shim.h"
#include "tether/attach.h"
#include "tether/control.h"
#include "tether/log.h"
#include "tether/oom.h"

#include <sys/wait.h>

static void add_time(json_object *obj, const char *key, gint64 us)
{
	if (us == 0)
		return;
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	g_autoptr(GDateTime) t2 = g_date_time_add(t, us % G_USEC_PER_SEC);
	g_autofree char *s = g_date_time_format_iso8601(t2);
	json_object_object_add(obj, key, json_object_new_string(s));
}

static const char *status_of(struct shim *s)
{
	if (s->state == SHIM_EXITED)
		return "exited";
	if (s->state != SHIM_RUNNING)
		return "creating";
	/* Until the runtime's start, the container's process is its init,
	 * waiting to exec the real one. */
	g_autofree char *path = g_strdup_printf("/proc/%d/comm", s->container_pid);
	g_autofree char *comm = NULL;
	if (g_file_get_contents(path, &comm, NULL, NULL) && g_str_has_prefix(comm, "runc:[2:INIT]"))
		return "created";
	return "running";
}

static void ctl_state(void *data, json_object *obj)
{
	struct shim *s = data;
	json_object_object_add(obj, "container_id", json_object_new_string(s->opts->cid));
	json_object_object_add(obj, "pid", json_object_new_int(s->container_pid));
	json_object_object_add(obj, "status", json_object_new_string(status_of(s)));
	if (s->state == SHIM_EXITED) {
		json_object_object_add(obj, "exit_code", json_object_new_int(s->exit_code));
		if (WIFSIGNALED(s->container_status))
			json_object_object_add(obj, "signal",
					       json_object_new_int(WTERMSIG(s->container_status)));
		json_object_object_add(obj, "timed_out", json_object_new_boolean(s->timed_out));
	}
	json_object_object_add(obj, "oom", json_object_new_boolean(oom_check(s->oom)));
	add_time(obj, "created_at", s->created_at);
	add_time(obj, "finished_at", s->finished_at);
	json_object *logs = json_object_new_array();
	const char *paths[] = {s->opts->k8s_log_path, s->opts->json_log_path};
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++)
		if (paths[i] != NULL)
			json_object_array_add(logs, json_object_new_string(paths[i]));
	json_object_object_add(obj, "log_paths", logs);
}

static void ctl_stats(void *data, json_object *obj)
{
	struct shim *s = data;
	json_object_object_add(obj, "stdout_bytes", json_object_new_int64((int64_t)s->bytes[0]));
	json_object_object_add(obj, "stderr_bytes", json_object_new_int64((int64_t)s->bytes[1]));
	json_object_object_add(obj, "log_lost_bytes",
			       json_object_new_int64((int64_t)log_lost_bytes(s->log)));
	json_object_object_add(
		obj, "attach_clients",
		json_object_new_int(s->attach ? (int)attach_client_count(s->attach) : 0));
	json_object_object_add(
		obj, "attach_dropped_bytes",
		json_object_new_int64(s->attach ? (int64_t)attach_dropped_bytes(s->attach) : 0));
}

static bool ctl_exited(void *data)
{
	return ((struct shim *)data)->state == SHIM_EXITED;
}

static const char *ctl_resize(void *data, unsigned rows, unsigned cols)
{
	struct shim *s = data;
	if (!s->opts->terminal)
		return "the container has no terminal";
	terminal_resize(s, rows, cols);
	return NULL;
}

static const char *ctl_reopen(void *data)
{
	struct shim *s = data;
	if (log_reopen(s->log) < 0)
		return "the log could not be reopened";
	control_event(s->control, "log-rotated", NULL);
	return NULL;
}

static const char *ctl_started(void *data)
{
	return shim_service_started(data);
}

const struct control_ops shim_control_ops = {
	.state = ctl_state,
	.stats = ctl_stats,
	.exited = ctl_exited,
	.resize = ctl_resize,
	.reopen = ctl_reopen,
	.started = ctl_started,
};
