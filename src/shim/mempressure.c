#define G_LOG_DOMAIN "mempressure"

#include "tether/mempressure.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"
#include "tether/fileio.h"
#include "tether/oom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

/* v1 reports "no limit" as a page-rounded LONG_MAX. */
#define V1_NO_LIMIT (UINT64_C(1) << 62)
/* v2 PSI trigger: some task stalled 100 ms within a 1 s window. */
#define PSI_TRIGGER "some 100000 1000000"

struct mempressure {
	char *dir;
	bool v2;
	uint64_t threshold, limit;
	bool above; /* v1: warned, until usage falls below again */
	long long high, max;
	int event_fd, usage_fd, psi_fd;
	GSource *source, *psi_source;
	mempressure_func func;
	void *data;
};

int mempressure_parse_threshold(const char *text, uint64_t *ret_bytes, unsigned *ret_percent)
{
	if (text == NULL || !g_ascii_isdigit(text[0]))
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	guint64 v = g_ascii_strtoull(text, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (strcmp(end, "%") == 0) {
		if (v < 1 || v > 100)
			return -EINVAL;
		*ret_bytes = 0;
		*ret_percent = (unsigned)v;
		return 0;
	}
	unsigned shift = 0;
	switch (g_ascii_tolower(*end)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0' && end[1] != '\0')
		return -EINVAL;
	if (v == 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*ret_bytes = v << shift;
	*ret_percent = 0;
	return 0;
}

void mempressure_parse_events(const char *text, long long *ret_high, long long *ret_max)
{
	*ret_high = *ret_max = -1;
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "high ", 5) == 0)
			*ret_high = strtoll(p + 5, NULL, 10);
		else if (strncmp(p, "max ", 4) == 0)
			*ret_max = strtoll(p + 4, NULL, 10);
	}
}

static uint64_t read_u64(const char *dir, const char *file)
{
	g_autofree char *path = g_build_filename(dir, file, NULL);
	g_autofree char *text = NULL;
	if (fileio_read_small(path, 4096, &text, NULL) < 0)
		return 0;
	/* v2's "max" (no limit) reads as 0 here. */
	return g_ascii_strtoull(text, NULL, 10);
}

static void warn(struct mempressure *m, const char *why)
{
	uint64_t usage = read_u64(m->dir, m->v2 ? "memory.current" : "memory.usage_in_bytes");
	diag_warn("memory pressure (%s): the container uses %" G_GUINT64_FORMAT
		  " of %" G_GUINT64_FORMAT " bytes",
		  why, usage, m->limit);
	m->func(m->data, why, usage, m->limit);
}

static gboolean on_threshold(int fd, GIOCondition revents, gpointer data)
{
	struct mempressure *m = data;
	uint64_t n;
	while (read(fd, &n, sizeof(n)) > 0)
		;
	/* The eventfd also fires when the cgroup goes away. */
	if (access(m->dir, F_OK) < 0)
		return G_SOURCE_CONTINUE;
	uint64_t usage = read_u64(m->dir, "memory.usage_in_bytes");
	if (usage >= m->threshold && !m->above) {
		m->above = true;
		warn(m, "threshold");
	} else if (usage < m->threshold) {
		m->above = false;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_events(int fd, GIOCondition revents, gpointer data)
{
	struct mempressure *m = data;
	char buf[4096];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	g_autofree char *path = g_build_filename(m->dir, "memory.events", NULL);
	g_autofree char *text = NULL;
	if (fileio_read_small(path, 64 * 1024, &text, NULL) < 0)
		return G_SOURCE_CONTINUE;
	long long high, max;
	mempressure_parse_events(text, &high, &max);
	if (max > m->max)
		warn(m, "max");
	else if (high > m->high)
		warn(m, "high");
	m->high = high;
	m->max = max;
	return G_SOURCE_CONTINUE;
}

static gboolean on_psi(int fd, GIOCondition revents, gpointer data)
{
	if (revents & (G_IO_ERR | G_IO_NVAL))
		return G_SOURCE_REMOVE;
	warn(data, "psi");
	return G_SOURCE_CONTINUE;
}

static int watch_v1(struct mempressure *m)
{
	g_autofree char *usage = g_build_filename(m->dir, "memory.usage_in_bytes", NULL);
	g_autofree char *control = g_build_filename(m->dir, "cgroup.event_control", NULL);
	m->usage_fd = open(usage, O_RDONLY | O_CLOEXEC);
	m->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->usage_fd < 0 || m->event_fd < 0)
		return -errno;
	_cleanup_close_ int cfd = open(control, O_WRONLY | O_CLOEXEC);
	if (cfd < 0)
		return -errno;
	char line[96];
	int len = snprintf(line, sizeof(line), "%d %d %" G_GUINT64_FORMAT, m->event_fd, m->usage_fd,
			   m->threshold);
	int r = fdutil_write_all(cfd, line, (size_t)len);
	if (r < 0)
		return r;
	m->source = fdsource_new(m->event_fd, G_IO_IN, on_threshold, m);
	return 0;
}

static int watch_v2(struct mempressure *m)
{
	g_autofree char *events = g_build_filename(m->dir, "memory.events", NULL);
	g_autofree char *text = NULL;
	if (fileio_read_small(events, 64 * 1024, &text, NULL) == 0)
		mempressure_parse_events(text, &m->high, &m->max);
	m->event_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (m->event_fd < 0 || inotify_add_watch(m->event_fd, events, IN_MODIFY) < 0)
		return -errno;
	m->source = fdsource_new(m->event_fd, G_IO_IN, on_events, m);
	/* PSI is optional (CONFIG_PSI, psi=1). */
	g_autofree char *pressure = g_build_filename(m->dir, "memory.pressure", NULL);
	m->psi_fd = open(pressure, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (m->psi_fd >= 0 &&
	    fdutil_write_all(m->psi_fd, PSI_TRIGGER, strlen(PSI_TRIGGER) + 1) == 0)
		m->psi_source = fdsource_new(m->psi_fd, G_IO_PRI, on_psi, m);
	else
		diag_debug("no PSI trigger on %s", pressure);
	return 0;
}

struct mempressure *mempressure_watch(pid_t pid, uint64_t bytes, unsigned percent,
				      mempressure_func func, void *data)
{
	bool v2 = false;
	char *dir = oom_memory_cgroup_dir(pid, &v2);
	if (dir == NULL) {
		diag_warn("--memory-warn: container %d has no memory cgroup to watch", pid);
		return NULL;
	}
	g_autoptr(mempressure) m = g_new0(struct mempressure, 1);
	m->dir = dir;
	m->event_fd = m->usage_fd = m->psi_fd = -1;
	m->high = m->max = -1;
	m->v2 = v2;
	m->func = func;
	m->data = data;
	m->limit = read_u64(m->dir, v2 ? "memory.max" : "memory.limit_in_bytes");
	if (m->limit >= V1_NO_LIMIT)
		m->limit = 0;
	if (percent > 0 && m->limit == 0) {
		diag_warn("--memory-warn %u%%: the container has no memory limit to measure "
			  "against",
			  percent);
		return NULL;
	}
	m->threshold = percent > 0 ? m->limit / 100 * percent : bytes;
	int r = v2 ? watch_v2(m) : watch_v1(m);
	if (r < 0) {
		diag_warn("--memory-warn: cannot watch %s: %s", m->dir, g_strerror(-r));
		return NULL;
	}
	diag_info("warning when the container's memory passes %" G_GUINT64_FORMAT " bytes",
		  m->threshold);
	return g_steal_pointer(&m);
}

void mempressure_free(struct mempressure *m)
{
	if (m == NULL)
		return;
	GSource *sources[] = {m->source, m->psi_source};
	for (size_t i = 0; i < G_N_ELEMENTS(sources); i++) {
		if (sources[i] != NULL) {
			g_source_destroy(sources[i]);
			g_source_unref(sources[i]);
		}
	}
	fdutil_close(&m->event_fd);
	fdutil_close(&m->usage_fd);
	fdutil_close(&m->psi_fd);
	g_free(m->dir);
	g_free(m);
}
