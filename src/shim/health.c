#define G_LOG_DOMAIN "health"

/* Health checks run by the monitor itself (--health-cmd and friends), with
 * no systemd timer and no podman process: every interval the shim runs
 * `RUNTIME exec --pid-file BUNDLE/health.pid ID /bin/sh -c CMD`, bounded by
 * the timeout, and keeps podman's states:
 *
 *   starting   until the first success (failures within the start period
 *              do not count)
 *   healthy    the last check passed
 *   unhealthy  the last RETRIES checks failed; the --health-on-failure
 *              action runs once (kill; restart, which is a kill for the
 *              exit command or systemd's Restart= to act on), and under a
 *              systemd watchdog WATCHDOG=trigger is sent
 *
 * Each change is a health_status event; the state reply carries "health".
 * A container not yet started (its process still the runtime's init) is
 * not checked. */

#include "tether/shim.h"
#include "tether/control.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"
#include "tether/handover.h"
#include "tether/fileio.h"
#include "tether/recover.h"
#include "tether/sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEALTH_OUTPUT_MAX 4096

static const char *const status_names[] = {"starting", "healthy", "unhealthy"};

struct health {
	struct shim *shim;
	enum health_status status;
	int streak;
	int last_exit;	   /* -1: none yet */
	GString *output;   /* of the check running */
	char *last_output; /* of the last one that ended */
	gint64 started_us; /* monotonic, first seen started: the start period runs from here */
	guint timer, timeout_src;
	pid_t pid; /* the runtime exec, while a check runs */
	int out_fd;
	GSource *out_source;
	bool timed_out;
	char *pidfile;
};

static void set_status(struct health *h, enum health_status st)
{
	if (h->status == st)
		return;
	h->status = st;
	struct shim *s = h->shim;
	recover_save(s);
	diag_info("container %s is %s", s->opts->cid, status_names[st]);
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "status", json_object_new_string(status_names[st]));
	json_object_object_add(ev, "failing_streak", json_object_new_int(h->streak));
	control_event(s->control, "health_status", ev);
	if (st != HEALTH_UNHEALTHY)
		return;
	(void)sdnotify_sendf(s->sd, "STATUS=Container %s unhealthy (%d failed checks)",
			     s->opts->cid, h->streak);
	if (sdnotify_get_watchdog_usec(s->sd) > 0)
		(void)sdnotify_send(s->sd, "WATCHDOG=trigger");
	if (s->opts->health_action != HEALTH_ACTION_NONE && s->state == SHIM_RUNNING) {
		diag_warn("container %s is unhealthy: killing it", s->opts->cid);
		shim_kill_container(s);
	}
}

static void finish_check(struct health *h, int code)
{
	h->last_exit = code;
	if (code == 0) {
		h->streak = 0;
		set_status(h, HEALTH_HEALTHY);
		return;
	}
	gint64 period = (gint64)h->shim->opts->health_start_period * G_USEC_PER_SEC;
	if (h->status == HEALTH_STARTING && g_get_monotonic_time() - h->started_us < period)
		return;
	h->streak++;
	if (h->streak >= h->shim->opts->health_retries)
		set_status(h, HEALTH_UNHEALTHY);
}

static void close_output(struct health *h)
{
	if (h->out_source != NULL) {
		g_source_destroy(h->out_source);
		g_clear_pointer(&h->out_source, g_source_unref);
	}
	fdutil_close(&h->out_fd);
}

static gboolean on_output(int fd, GIOCondition revents, gpointer data)
{
	struct health *h = data;
	char buf[1024];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		g_string_append_len(h->output, buf, n);
		if (h->output->len > HEALTH_OUTPUT_MAX)
			g_string_erase(h->output, 0, (gssize)(h->output->len - HEALTH_OUTPUT_MAX));
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close_output(h);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_timeout(gpointer data)
{
	struct health *h = data;
	h->timeout_src = 0;
	h->timed_out = true;
	long long pid = 0;
	/* The command itself (the runtime's exec waits for it), then the exec. */
	if (fileio_read_int(h->pidfile, &pid) == 0 && pid > 1)
		(void)kill((pid_t)pid, SIGKILL);
	if (h->pid > 0)
		(void)kill(h->pid, SIGKILL);
	return G_SOURCE_REMOVE;
}

static gboolean on_interval(gpointer data)
{
	struct health *h = data;
	struct shim *s = h->shim;
	if (h->pid > 0 || s->state != SHIM_RUNNING || !shim_container_started(s))
		return G_SOURCE_CONTINUE;
	if (h->started_us == 0)
		h->started_us = g_get_monotonic_time();
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		diag_warn("health check: pipe: %s", g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int child_stdio[3] = {devnull, p[1], p[1]};
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_strv_builder_add(b, s->opts->runtime);
	if (s->opts->runtime_args != NULL)
		g_strv_builder_addv(b, (const char **)s->opts->runtime_args);
	g_strv_builder_add_many(b, "exec", "--pid-file", h->pidfile, s->opts->cid, "/bin/sh", "-c",
				s->opts->health_cmd, NULL);
	g_auto(GStrv) argv = g_strv_builder_end(b);
	(void)unlink(h->pidfile);
	int r = devnull < 0 ? -EBADF : runtime_spawn(s, argv, child_stdio, &h->pid);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		diag_warn("health check: cannot run the runtime: %s", g_strerror(-r));
		return G_SOURCE_CONTINUE;
	}
	g_string_truncate(h->output, 0);
	h->out_fd = p[0];
	h->out_source = fdsource_new(h->out_fd, G_IO_IN | G_IO_HUP, on_output, h);
	h->timed_out = false;
	h->timeout_src = g_timeout_add_seconds((guint)s->opts->health_timeout, on_timeout, h);
	return G_SOURCE_CONTINUE;
}

void health_start(struct shim *s)
{
	if (s->opts->health_cmd == NULL || s->health != NULL)
		return;
	struct health *h = g_new0(struct health, 1);
	h->shim = s;
	h->last_exit = -1;
	h->out_fd = -1;
	h->output = g_string_new(NULL);
	h->pidfile = g_build_filename(s->opts->bundle, "health.pid", NULL);
	h->timer = g_timeout_add_seconds((guint)s->opts->health_interval, on_interval, h);
	s->health = h;
}

bool health_reap(struct shim *s, pid_t pid, int status)
{
	struct health *h = s->health;
	if (h == NULL || h->pid <= 0 || pid != h->pid)
		return false;
	h->pid = 0;
	if (h->timeout_src != 0) {
		g_source_remove(h->timeout_src);
		h->timeout_src = 0;
	}
	/* What the command wrote is in the pipe: take it now. */
	if (h->out_fd >= 0)
		(void)on_output(h->out_fd, G_IO_IN, h);
	close_output(h);
	int code = h->timed_out ? -1 : shim_exit_code(status);
	g_free(h->last_output);
	h->last_output = h->timed_out ? g_strdup("health check timed out")
				      : g_strndup(h->output->str, h->output->len);
	diag_debug("health check exited with %d", code);
	finish_check(h, code);
	return true;
}

void health_state(struct shim *s, json_object *obj)
{
	struct health *h = s->health;
	if (h == NULL)
		return;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(status_names[h->status]));
	json_object_object_add(o, "failing_streak", json_object_new_int(h->streak));
	if (h->last_output != NULL) {
		json_object_object_add(o, "last_exit_code", json_object_new_int(h->last_exit));
		json_object_object_add(o, "last_output", json_object_new_string(h->last_output));
	}
	json_object_object_add(obj, "health", o);
}

bool health_busy(const struct shim *s)
{
	return s->health != NULL && s->health->pid > 0;
}

json_object *health_export(const struct shim *s)
{
	const struct health *h = s->health;
	if (h == NULL)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_int(h->status));
	json_object_object_add(o, "streak", json_object_new_int(h->streak));
	json_object_object_add(o, "last_exit", json_object_new_int(h->last_exit));
	if (h->last_output != NULL)
		json_object_object_add(o, "last_output", json_object_new_string(h->last_output));
	json_object_object_add(o, "started_us", json_object_new_int64(h->started_us));
	return o;
}

void health_adopt(struct shim *s, json_object *st)
{
	struct health *h = s->health;
	if (h == NULL || st == NULL)
		return;
	int64_t status = handover_get_int(st, "status", HEALTH_STARTING);
	if (status >= HEALTH_STARTING && status <= HEALTH_UNHEALTHY)
		h->status = (enum health_status)status;
	h->streak = (int)handover_get_int(st, "streak", 0);
	h->last_exit = (int)handover_get_int(st, "last_exit", -1);
	json_object *out = handover_get(st, "last_output", json_type_string);
	if (out != NULL)
		h->last_output = g_strdup(json_object_get_string(out));
	h->started_us = handover_get_int(st, "started_us", 0);
}

const char *health_status_name(const struct shim *s)
{
	return s->health != NULL ? status_names[s->health->status] : NULL;
}

void health_free(struct shim *s)
{
	struct health *h = s->health;
	if (h == NULL)
		return;
	if (h->timer != 0)
		g_source_remove(h->timer);
	if (h->timeout_src != 0)
		g_source_remove(h->timeout_src);
	close_output(h);
	if (h->pidfile != NULL)
		(void)unlink(h->pidfile);
	g_free(h->pidfile);
	g_string_free(h->output, TRUE);
	g_free(h->last_output);
	g_free(h);
	s->health = NULL;
}
