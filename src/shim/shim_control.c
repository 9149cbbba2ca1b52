#define G_LOG_DOMAIN "shim"

/* The monitor's answers to the control socket (control.h): its state and
 * counters, and the requests that act on it. */

#include "tether/shim.h"
#include "tether/attach.h"
#include "tether/control.h"
#include "tether/log.h"
#include "tether/oom.h"
#include "tether/ratelimit.h"
#include "tether/replay.h"
#include "tether/upgrade.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

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
	return shim_container_started(s) ? "running" : "created";
}

bool shim_container_started(struct shim *s)
{
	/* Until the runtime's start, the container's process is its init,
	 * waiting to exec the real one. */
	g_autofree char *path = g_strdup_printf("/proc/%d/comm", s->container_pid);
	g_autofree char *comm = NULL;
	return !g_file_get_contents(path, &comm, NULL, NULL) ||
	       !g_str_has_prefix(comm, "runc:[2:INIT]");
}

static void ctl_state(void *data, json_object *obj)
{
	struct shim *s = data;
	json_object_object_add(obj, "container_id", json_object_new_string(s->opts->cid));
	json_object_object_add(obj, "pid", json_object_new_int(s->container_pid));
	json_object_object_add(obj, "status", json_object_new_string(status_of(s)));
	if (s->stopping && s->state == SHIM_RUNNING)
		json_object_object_add(obj, "stopping", json_object_new_boolean(true));
	if (s->state == SHIM_EXITED) {
		json_object_object_add(obj, "exit_code", json_object_new_int(s->exit_code));
		if (WIFSIGNALED(s->container_status))
			json_object_object_add(obj, "signal",
					       json_object_new_int(WTERMSIG(s->container_status)));
		json_object_object_add(obj, "timed_out", json_object_new_boolean(s->timed_out));
	}
	json_object_object_add(obj, "oom", json_object_new_boolean(oom_check(s->oom)));
	health_state(s, obj);
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
	json_object_object_add(
		obj, "log_lost_bytes",
		json_object_new_int64((int64_t)(s->lost_before + log_lost_bytes(s->log))));
	json_object_object_add(obj, "upgrades", json_object_new_int64(s->generation));
	json_object_object_add(obj, "recoveries", json_object_new_int64(s->recoveries));
	json_object_object_add(
		obj, "attach_clients",
		json_object_new_int(s->attach ? (int)attach_client_count(s->attach) : 0));
	json_object_object_add(
		obj, "attach_dropped_bytes",
		json_object_new_int64(s->attach ? (int64_t)attach_dropped_bytes(s->attach) : 0));
	ratelimit_stats(s->ratelimit, obj);
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

/* A label value in the text format: \\, \" and \n escaped. */
static void add_label(GString *s, const char *key, const char *value)
{
	g_string_append_printf(s, "%s=\"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			g_string_append_c(s, '\\');
		if (*p == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_c(s, *p);
	}
	g_string_append_c(s, '"');
}

/* One family with one sample: HELP, TYPE, then name{labels} value. */
static void add_metric(GString *s, const char *labels, const char *name, const char *type,
		       const char *help, double value)
{
	g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	g_string_append_printf(s, "%s{%s} %.17g\n", name, labels, value);
}

static long self_rss_bytes(void)
{
	g_autofree char *statm = NULL;
	long pages = 0, rss = 0;
	if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL) ||
	    sscanf(statm, "%ld %ld", &pages, &rss) != 2)
		return 0;
	return rss * sysconf(_SC_PAGESIZE);
}

static int self_fd_count(void)
{
	g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
	int n = 0;
	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	return n > 0 ? n - 1 : 0; /* less the directory's own */
}

static char *ctl_metrics(void *data)
{
	struct shim *s = data;
	g_autoptr(GString) labels = g_string_new(NULL);
	add_label(labels, "container_id", s->opts->cid);
	g_string_append_c(labels, ',');
	add_label(labels, "name", s->opts->name ? s->opts->name : s->opts->cid);
	const char *l = labels->str;
	GString *m = g_string_new(NULL);
	add_metric(m, l, "tether_container_running", "gauge",
		   "1 while the container runs (or is created), 0 once it exited",
		   s->state == SHIM_RUNNING);
	if (s->state == SHIM_EXITED)
		add_metric(m, l, "tether_container_exit_code", "gauge",
			   "The container's exit code (128+N for signal N)", s->exit_code);
	add_metric(m, l, "tether_container_oom_killed", "gauge",
		   "1 if the kernel's OOM killer struck in the container's cgroup",
		   oom_check(s->oom));
	if (s->created_at > 0)
		add_metric(m, l, "tether_container_created_seconds", "gauge",
			   "When the runtime created the container (Unix time)",
			   (double)s->created_at / G_USEC_PER_SEC);
	g_string_append(m, "# HELP tether_output_bytes_total Bytes of container output relayed\n"
			   "# TYPE tether_output_bytes_total counter\n");
	const char *streams[] = {"stdout", "stderr"};
	for (size_t i = 0; i < 2; i++)
		g_string_append_printf(
			m, "tether_output_bytes_total{%s,stream=\"%s\"} %" G_GUINT64_FORMAT "\n", l,
			streams[i], s->bytes[i]);
	add_metric(m, l, "tether_log_lost_bytes_total", "counter",
		   "Bytes of output no log could take (a full disk, a global limit)",
		   (double)(s->lost_before + log_lost_bytes(s->log)));
	add_metric(m, l, "tether_shim_upgrades_total", "counter",
		   "Live upgrades of this monitor (re-executions keeping the container)",
		   s->generation);
	add_metric(m, l, "tether_shim_recoveries_total", "counter",
		   "Crashes of this monitor recovered from in place (docs/crash-recovery.md)",
		   s->recoveries);
	ratelimit_metrics(s->ratelimit, l, m);
	add_metric(m, l, "tether_attach_clients", "gauge", "Attach clients connected",
		   s->attach ? attach_client_count(s->attach) : 0);
	add_metric(m, l, "tether_attach_dropped_bytes_total", "counter",
		   "Bytes of output dropped for attach clients too slow to take them",
		   s->attach ? (double)attach_dropped_bytes(s->attach) : 0);
	add_metric(m, l, "tether_shim_resident_memory_bytes", "gauge",
		   "The monitor's own resident memory", (double)self_rss_bytes());
	add_metric(m, l, "tether_shim_open_fds", "gauge", "The monitor's own open fds",
		   self_fd_count());
	return g_string_free(m, FALSE);
}

static json_object *ctl_replay(void *data, size_t n)
{
	struct shim *s = data;
	return s->replay != NULL ? replay_last(s->replay, n) : NULL;
}

static const char *ctl_started(void *data)
{
	return shim_service_started(data);
}

static char *ctl_upgrade(void *data, const char *binary)
{
	return upgrade_request(data, binary);
}

const struct control_ops shim_control_ops = {
	.state = ctl_state,
	.stats = ctl_stats,
	.exited = ctl_exited,
	.resize = ctl_resize,
	.reopen = ctl_reopen,
	.started = ctl_started,
	.metrics = ctl_metrics,
	.replay = ctl_replay,
	.upgrade = ctl_upgrade,
};
