#define G_LOG_DOMAIN "log"

#include "tether/log.h"

struct sink {
	const struct log_sink_ops *ops;
	void *data;
};

struct log {
	GArray *sinks; /* struct sink */
};

struct log *log_new(void)
{
	struct log *l = g_new0(struct log, 1);
	l->sinks = g_array_new(FALSE, FALSE, sizeof(struct sink));
	return l;
}

void log_free(struct log *l)
{
	if (l == NULL)
		return;
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);
		s->ops->free(s->data);
	}
	g_array_unref(l->sinks);
	g_free(l);
}

void log_add_sink(struct log *l, const struct log_sink_ops *ops, void *data)
{
	struct sink s = {ops, data};
	g_array_append_val(l->sinks, s);
}

unsigned log_sink_count(const struct log *l)
{
	return l->sinks->len;
}

void log_write(struct log *l, enum k8slog_stream stream, const char *data, size_t len,
	       const struct timespec *ts)
{
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);
		s->ops->write(s->data, stream, data, len, ts);
	}
}

int log_reopen(struct log *l)
{
	int first = 0;
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);
		int r = s->ops->reopen ? s->ops->reopen(s->data) : 0;
		if (r < 0 && first == 0)
			first = r;
	}
	return first;
}

int log_finish(struct log *l, bool sync)
{
	int first = 0;
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);
		int r = s->ops->finish ? s->ops->finish(s->data, sync) : 0;
		if (r < 0 && first == 0)
			first = r;
	}
	return first;
}

uint64_t log_lost_bytes(const struct log *l)
{
	uint64_t total = 0;
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);
		if (s->ops->lost_bytes)
			total += s->ops->lost_bytes(s->data);
	}
	return total;
}

void log_trim(struct log *l)
{
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);
		if (s->ops->trim)
			s->ops->trim(s->data);
	}
}

bool log_reap(struct log *l, int pid, int wait_status)
{
	for (guint i = 0; l != NULL && i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);
		if (s->ops->reap != NULL && s->ops->reap(s->data, pid, wait_status))
			return true;
	}
	return false;
}

bool log_busy(const struct log *l)
{
	for (guint i = 0; l != NULL && i < l->sinks->len; i++) {
		const struct sink *s = &g_array_index(l->sinks, struct sink, i);
		if (s->ops->busy != NULL && s->ops->busy(s->data))
			return true;
	}
	return false;
}
