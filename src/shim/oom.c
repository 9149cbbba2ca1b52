#define G_LOG_DOMAIN "oom"

#include "tether/oom.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"
#include "tether/handover.h"
#include "tether/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"

struct oom {
	char *counter_path; /* memory.oom_control or memory.events */
	long long start_count;
	bool killed;
	bool v2;
	int event_fd; /* v1: eventfd; v2: inotify */
	int control_fd;
	GSource *source;
	oom_func func;
	void *data;
};

long long oom_parse_kill_count(const char *text)
{
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "oom_kill ", 9) == 0)
			return strtoll(p + 9, NULL, 10);
	}
	return -1;
}

char *oom_parse_cgroup(const char *text, bool *ret_v2)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	const char *v2 = NULL;
	for (char **l = lines; *l != NULL; l++) {
		g_auto(GStrv) f = g_strsplit(*l, ":", 3);
		if (g_strv_length(f) != 3)
			continue;
		if (strcmp(f[0], "0") == 0 && f[1][0] == '\0') {
			v2 = strchr(strchr(*l, ':') + 1, ':') + 1;
			continue;
		}
		g_auto(GStrv) ctrls = g_strsplit(f[1], ",", -1);
		if (g_strv_contains((const char *const *)ctrls, "memory")) {
			*ret_v2 = false;
			return g_strdup(f[2]);
		}
	}
	if (v2 == NULL)
		return NULL;
	*ret_v2 = true;
	return g_strdup(v2);
}

static long long read_count(const char *path)
{
	g_autofree char *text = NULL;
	if (fileio_read_small(path, 64 * 1024, &text, NULL) < 0)
		return -1;
	return oom_parse_kill_count(text);
}

bool oom_check(struct oom *o)
{
	if (o == NULL)
		return false;
	if (!o->killed) {
		long long n = read_count(o->counter_path);
		if (n > o->start_count) {
			o->killed = true;
			diag_info("the container was killed for lack of memory");
		}
	}
	return o->killed;
}

static gboolean on_event(int fd, GIOCondition revents, gpointer data)
{
	struct oom *o = data;
	char buf[4096];
	/* Drain the eventfd counter or the inotify events; what matters is the
	 * kernel's own count. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	bool was = o->killed;
	/* v1 notifies when the OOM killer is invoked, before its kill count
	 * moves: the event itself tells, unless the cgroup is gone (removal
	 * also signals the eventfd). v2's counters move with the event. */
	if (!o->v2 && access(o->counter_path, F_OK) == 0 && !o->killed) {
		o->killed = true;
		diag_info("the container was killed for lack of memory");
	}
	if (oom_check(o) && !was && o->func != NULL)
		o->func(o->data);
	return G_SOURCE_CONTINUE;
}

static int watch_v1(struct oom *o, const char *dir)
{
	g_autofree char *control = g_build_filename(dir, "cgroup.event_control", NULL);
	o->control_fd = open(o->counter_path, O_RDONLY | O_CLOEXEC);
	if (o->control_fd < 0)
		return -errno;
	o->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (o->event_fd < 0)
		return -errno;
	_cleanup_close_ int cfd = open(control, O_WRONLY | O_CLOEXEC);
	if (cfd < 0)
		return -errno;
	char line[64];
	int len = snprintf(line, sizeof(line), "%d %d", o->event_fd, o->control_fd);
	return fdutil_write_all(cfd, line, (size_t)len);
}

static int watch_v2(struct oom *o)
{
	o->event_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (o->event_fd < 0)
		return -errno;
	if (inotify_add_watch(o->event_fd, o->counter_path, IN_MODIFY) < 0)
		return -errno;
	return 0;
}

char *oom_memory_cgroup_dir(pid_t pid, bool *ret_v2)
{
	g_autofree char *proc = g_strdup_printf("/proc/%d/cgroup", pid);
	g_autofree char *text = NULL;
	g_autofree char *path = NULL;
	if (fileio_read_small(proc, 64 * 1024, &text, NULL) < 0 ||
	    (path = oom_parse_cgroup(text, ret_v2)) == NULL)
		return NULL;
	/* Hybrid hosts (v1 controllers beside /sys/fs/cgroup/unified) use v1. */
	return *ret_v2 ? g_build_filename(CGROUP_ROOT, path, NULL)
		       : g_build_filename(CGROUP_ROOT, "memory", path, NULL);
}

struct oom *oom_watch(pid_t pid, oom_func func, void *data)
{
	bool v2 = false;
	g_autofree char *dir = oom_memory_cgroup_dir(pid, &v2);
	if (dir == NULL) {
		diag_debug("no memory cgroup to watch for container %d", pid);
		return NULL;
	}
	g_autoptr(oom) o = g_new0(struct oom, 1);
	o->event_fd = o->control_fd = -1;
	o->v2 = v2;
	o->func = func;
	o->data = data;
	o->counter_path = g_build_filename(dir, v2 ? "memory.events" : "memory.oom_control", NULL);
	o->start_count = read_count(o->counter_path);
	if (o->start_count < 0) {
		diag_debug("no OOM count in %s", o->counter_path);
		return NULL;
	}
	/* Without events the final check still tells (some kernels refuse
	 * cgroup.event_control registrations). */
	int r = v2 ? watch_v2(o) : watch_v1(o, dir);
	if (r < 0)
		diag_debug("no OOM events from %s: %s", dir, g_strerror(-r));
	else
		o->source = fdsource_new(o->event_fd, G_IO_IN, on_event, o);
	return g_steal_pointer(&o);
}

void oom_export(const struct oom *o, json_object *st)
{
	if (o == NULL)
		return;
	json_object_object_add(st, "oom_start_count", json_object_new_int64(o->start_count));
	json_object_object_add(st, "oom_killed", json_object_new_boolean(o->killed));
}

void oom_adopt(struct oom *o, json_object *st)
{
	if (o == NULL)
		return;
	/* Kills since the container started count, not since the upgrade. */
	o->start_count = handover_get_int(st, "oom_start_count", o->start_count);
	o->killed = o->killed || handover_get_bool(st, "oom_killed");
}

void oom_free(struct oom *o)
{
	if (o == NULL)
		return;
	if (o->source != NULL) {
		g_source_destroy(o->source);
		g_source_unref(o->source);
	}
	fdutil_close(&o->event_fd);
	fdutil_close(&o->control_fd);
	g_free(o->counter_path);
	g_free(o);
}
