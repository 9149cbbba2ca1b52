/* A container's state.json and its live status. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_state.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_runtime.h"
#include "tether/fileio.h"
#include "tether/jsonutil.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#define CTL_STATE_MAX (64 * 1024)

void ctl_state_clear(struct ctl_state *st)
{
	g_clear_pointer(&st->id, g_free);
	g_clear_pointer(&st->name, g_free);
	g_clear_pointer(&st->bundle, g_free);
	g_clear_pointer(&st->runtime, g_free);
	g_clear_pointer(&st->shim, g_free);
	g_clear_pointer(&st->created, g_free);
	g_clear_pointer(&st->log_driver, g_free);
	g_clear_pointer(&st->log_path, g_free);
	st->log_size_max = 0;
	st->log_max_files = 0;
	st->log_policy = (struct ctl_log_policy){0};
	st->terminal = false;
	st->interactive = false;
	g_free(st->service.health.cmd);
	g_free(st->service.health.on_failure);
	g_free(st->service.memory_warn);
	st->service = (struct ctl_service){0};
	st->shim_pid = 0;
	st->pid = 0;
}

static void add_str(json_object *obj, const char *key, const char *val)
{
	if (val != NULL)
		json_object_object_add(obj, key, json_object_new_string(val));
}

char *ctl_state_to_json(const struct ctl_state *st)
{
	g_autoptr(json_object) obj = json_object_new_object();
	add_str(obj, "id", st->id);
	add_str(obj, "name", st->name);
	add_str(obj, "bundle", st->bundle);
	add_str(obj, "runtime", st->runtime);
	add_str(obj, "shim", st->shim);
	add_str(obj, "created", st->created);
	add_str(obj, "log_driver", st->log_driver);
	add_str(obj, "log_path", st->log_path);
	if (st->log_size_max > 0)
		json_object_object_add(obj, "log_size_max",
				       json_object_new_int64(st->log_size_max));
	if (st->log_max_files > 0)
		json_object_object_add(obj, "log_max_files",
				       json_object_new_int(st->log_max_files));
	const struct ctl_log_policy *lp = &st->log_policy;
	if (lp->rate > 0)
		json_object_object_add(obj, "log_rate", json_object_new_int64(lp->rate));
	if (lp->burst > 0)
		json_object_object_add(obj, "log_burst", json_object_new_int64(lp->burst));
	if (lp->block)
		add_str(obj, "log_rate_policy", "block");
	if (lp->compress)
		json_object_object_add(obj, "log_compress", json_object_new_boolean(true));
	json_object_object_add(obj, "terminal", json_object_new_boolean(st->terminal));
	json_object_object_add(obj, "interactive", json_object_new_boolean(st->interactive));
	if (st->service.sdnotify != CTL_SDNOTIFY_IGNORE)
		add_str(obj, "sdnotify", ctl_service_sdnotify_name(st->service.sdnotify));
	if (st->service.stop_signal > 0)
		json_object_object_add(obj, "stop_signal",
				       json_object_new_int(st->service.stop_signal));
	if (st->service.stop_timeout > 0)
		json_object_object_add(obj, "stop_timeout",
				       json_object_new_int(st->service.stop_timeout));
	add_str(obj, "memory_warn", st->service.memory_warn);
	if (st->service.memory_warn_signal > 0)
		json_object_object_add(obj, "memory_warn_signal",
				       json_object_new_int(st->service.memory_warn_signal));
	if (st->service.replay_size > 0)
		json_object_object_add(obj, "replay_size",
				       json_object_new_int64(st->service.replay_size));
	const struct ctl_health *h = &st->service.health;
	if (h->cmd != NULL) {
		json_object *ho = json_object_new_object();
		add_str(ho, "cmd", h->cmd);
		const char *keys[] = {"interval", "timeout", "retries", "start_period"};
		const int values[] = {h->interval, h->timeout, h->retries, h->start_period};
		for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
			if (values[i] > 0)
				json_object_object_add(ho, keys[i], json_object_new_int(values[i]));
		add_str(ho, "on_failure", h->on_failure);
		json_object_object_add(obj, "health", ho);
	}
	json_object_object_add(obj, "shim_pid", json_object_new_int(st->shim_pid));
	json_object_object_add(obj, "pid", json_object_new_int(st->pid));
	return g_strdup_printf(
		"%s\n", json_object_to_json_string_ext(
				obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int get_str(json_object *obj, const char *key, bool required, char **ret)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return required ? -EINVAL : 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*ret = g_strdup(json_object_get_string(v));
	return 0;
}

static int get_int(json_object *obj, const char *key, int64_t max, int64_t *ret)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	int64_t n = json_object_get_int64(v);
	if (n < 0 || n > max)
		return -EINVAL;
	*ret = n;
	return 0;
}

static int get_pid(json_object *obj, const char *key, pid_t *ret)
{
	int64_t n = *ret;
	int r = get_int(obj, key, INT32_MAX, &n);
	*ret = (pid_t)n;
	return r;
}

int ctl_state_from_json(const char *text, size_t len, struct ctl_state *ret_st)
{
	g_autoptr(json_tokener) tok = json_tokener_new();
	g_autoptr(json_object) obj = json_tokener_parse_ex(tok, text, (int)len);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return -EINVAL;
	struct ctl_state st = {0};
	int64_t max_files = 0, stop_signal = 0, stop_timeout = 0, warn_signal = 0;
	g_autofree char *sdnotify = NULL;
	int r = 0;
	if ((r = get_str(obj, "id", true, &st.id)) < 0 ||
	    (r = get_str(obj, "name", false, &st.name)) < 0 ||
	    (r = get_str(obj, "bundle", false, &st.bundle)) < 0 ||
	    (r = get_str(obj, "runtime", false, &st.runtime)) < 0 ||
	    (r = get_str(obj, "shim", false, &st.shim)) < 0 ||
	    (r = get_str(obj, "created", false, &st.created)) < 0 ||
	    (r = get_str(obj, "log_driver", false, &st.log_driver)) < 0 ||
	    (r = get_str(obj, "log_path", false, &st.log_path)) < 0 ||
	    (r = get_int(obj, "log_size_max", INT64_MAX, &st.log_size_max)) < 0 ||
	    (r = get_int(obj, "log_max_files", INT32_MAX, &max_files)) < 0 ||
	    (r = get_int(obj, "log_rate", INT64_C(1) << 30, &st.log_policy.rate)) < 0 ||
	    (r = get_int(obj, "log_burst", INT64_C(1) << 30, &st.log_policy.burst)) < 0 ||
	    (r = get_str(obj, "sdnotify", false, &sdnotify)) < 0 ||
	    (r = get_int(obj, "stop_signal", 64, &stop_signal)) < 0 ||
	    (r = get_int(obj, "stop_timeout", INT32_MAX, &stop_timeout)) < 0 ||
	    (r = get_int(obj, "replay_size", 16 << 20, &st.service.replay_size)) < 0 ||
	    (r = get_str(obj, "memory_warn", false, &st.service.memory_warn)) < 0 ||
	    (r = get_int(obj, "memory_warn_signal", 64, &warn_signal)) < 0 ||
	    (sdnotify != NULL &&
	     (r = ctl_service_sdnotify_from_name(sdnotify, &st.service.sdnotify)) < 0) ||
	    (r = get_pid(obj, "shim_pid", &st.shim_pid)) < 0 ||
	    (r = get_pid(obj, "pid", &st.pid)) < 0) {
		ctl_state_clear(&st);
		return r;
	}
	st.log_max_files = (int)max_files;
	st.service.stop_signal = (int)stop_signal;
	st.service.stop_timeout = (int)stop_timeout;
	st.service.memory_warn_signal = (int)warn_signal;
	json_object *ho = NULL;
	if (json_object_object_get_ex(obj, "health", &ho) &&
	    json_object_is_type(ho, json_type_object)) {
		struct ctl_health *h = &st.service.health;
		const char *keys[] = {"interval", "timeout", "retries", "start_period"};
		int *values[] = {&h->interval, &h->timeout, &h->retries, &h->start_period};
		int64_t v = 0;
		if ((r = get_str(ho, "cmd", true, &h->cmd)) < 0 ||
		    (r = get_str(ho, "on_failure", false, &h->on_failure)) < 0) {
			ctl_state_clear(&st);
			return r;
		}
		for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
			if ((r = get_int(ho, keys[i], INT32_MAX, &v)) < 0) {
				ctl_state_clear(&st);
				return r;
			}
			*values[i] = (int)v;
			v = 0;
		}
	}
	json_object *b = NULL;
	/* Absent (older state.json): neither. */
	st.terminal = json_object_object_get_ex(obj, "terminal", &b) && json_object_get_boolean(b);
	st.log_policy.compress =
		json_object_object_get_ex(obj, "log_compress", &b) && json_object_get_boolean(b);
	st.log_policy.block = json_object_object_get_ex(obj, "log_rate_policy", &b) &&
			      g_strcmp0(json_object_get_string(b), "block") == 0;
	st.interactive =
		json_object_object_get_ex(obj, "interactive", &b) && json_object_get_boolean(b);
	*ret_st = st;
	return 0;
}

int ctl_state_save(const char *cdir, const struct ctl_state *st)
{
	g_autofree char *path = g_build_filename(cdir, "state.json", NULL);
	g_autofree char *text = ctl_state_to_json(st);
	return fileio_write_atomic(path, text, strlen(text), 0600);
}

int ctl_state_load(const char *cdir, struct ctl_state *ret_st)
{
	g_autofree char *path = g_build_filename(cdir, "state.json", NULL);
	g_autofree char *text = NULL;
	size_t len = 0;
	int r = fileio_read_small(path, CTL_STATE_MAX, &text, &len);
	if (r < 0)
		return r;
	return ctl_state_from_json(text, len, ret_st);
}

static pid_t read_pid_file(const char *cdir, const char *name)
{
	g_autofree char *path = g_build_filename(cdir, name, NULL);
	long long v = 0;
	if (fileio_read_int(path, &v) < 0 || v <= 0 || v > INT32_MAX)
		return 0;
	return (pid_t)v;
}

void ctl_state_load_lenient(const char *cdir, const char *id, struct ctl_state *ret_st)
{
	struct ctl_state st = {0};
	if (ctl_state_load(cdir, &st) < 0) {
		ctl_state_clear(&st);
		st.id = g_strdup(id);
	} else if (strcmp(st.id, id) != 0) {
		/* The directory's name is what the shim and the runtime know. */
		g_free(st.id);
		st.id = g_strdup(id);
	}
	if (st.name == NULL)
		st.name = g_strdup(st.id);
	if (st.shim_pid == 0)
		st.shim_pid = read_pid_file(cdir, "shim.pid");
	if (st.pid == 0)
		st.pid = read_pid_file(cdir, "pidfile");
	if (st.created == NULL) {
		struct stat sb;
		if (stat(cdir, &sb) == 0) {
			g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(sb.st_mtime);
			st.created = t ? g_date_time_format_iso8601(t) : NULL;
		}
	}
	*ret_st = st;
}

const char *ctl_status_name(enum ctl_status status)
{
	static const char *const names[] = {
		[CTL_STATUS_UNKNOWN] = "unknown",     [CTL_STATUS_CREATED] = "created",
		[CTL_STATUS_RUNNING] = "running",     [CTL_STATUS_PAUSED] = "paused",
		[CTL_STATUS_STOPPED] = "stopped",     [CTL_STATUS_EXITED] = "exited",
		[CTL_STATUS_SHIM_DEAD] = "shim-dead",
	};
	return names[status];
}

enum ctl_status ctl_status_from_runtime(const char *status)
{
	if (g_strcmp0(status, "created") == 0 || g_strcmp0(status, "creating") == 0)
		return CTL_STATUS_CREATED;
	if (g_strcmp0(status, "running") == 0)
		return CTL_STATUS_RUNNING;
	if (g_strcmp0(status, "paused") == 0 || g_strcmp0(status, "pausing") == 0)
		return CTL_STATUS_PAUSED;
	if (g_strcmp0(status, "stopped") == 0)
		return CTL_STATUS_STOPPED;
	return CTL_STATUS_UNKNOWN;
}

bool ctl_status_is_live(enum ctl_status status)
{
	return status == CTL_STATUS_CREATED || status == CTL_STATUS_RUNNING ||
	       status == CTL_STATUS_PAUSED;
}

bool ctl_shim_alive(pid_t pid, const char *shim, const char *id)
{
	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
	g_autofree char *cmdline = NULL;
	gsize len = 0;
	/* A zombie's cmdline is empty: it is gone for our purposes. */
	if (!g_file_get_contents(path, &cmdline, &len, NULL) || len == 0)
		return false;
	const char *end = cmdline + len;
	if (shim != NULL && strcmp(cmdline, shim) != 0)
		return false;
	if (id == NULL)
		return true;
	const char *prev = NULL;
	for (const char *p = cmdline; p < end; p += strlen(p) + 1) {
		if (prev != NULL && (strcmp(prev, "-c") == 0 || strcmp(prev, "--cid") == 0) &&
		    strcmp(p, id) == 0)
			return true;
		prev = p;
	}
	return false;
}

enum ctl_status ctl_status_get(const struct ctl_context *ctx, const char *cdir,
			       const struct ctl_state *st, int *ret_exit_code)
{
	if (ctl_exit_read(cdir, st->id, ret_exit_code) == 0)
		return CTL_STATUS_EXITED;

	g_autoptr(GError) error = NULL;
	g_autofree char *rstatus = ctl_runtime_state(ctx, st->id, &error);
	enum ctl_status status = ctl_status_from_runtime(rstatus);
	if (error != NULL)
		diag_debug("%s", error->message);

	if (!ctl_shim_alive(st->shim_pid, st->shim, st->id)) {
		/* It may have written the exit file and left since we looked. */
		if (ctl_exit_read(cdir, st->id, ret_exit_code) == 0)
			return CTL_STATUS_EXITED;
		return CTL_STATUS_SHIM_DEAD;
	}
	return status;
}

char *ctl_container_open(const struct ctl_context *ctx, const char *id, struct ctl_state *ret_st,
			 enum ctl_status *ret_status, int *ret_code, GError **error)
{
	char *cdir = ctl_lookup_container(ctx, id, error);
	if (cdir == NULL)
		return NULL;
	ctl_state_load_lenient(cdir, id, ret_st);
	*ret_code = 0;
	*ret_status = ctl_status_get(ctx, cdir, ret_st, ret_code);
	return cdir;
}
