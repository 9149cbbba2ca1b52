/* Log records rendered back into the container's stdout and stderr. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_logout.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CTL_LOGOUT_CHUNK (64 * 1024)
#define CTL_LOGOUT_FLUSH (64 * 1024)

void ctl_logout_init(struct ctl_logout *out, int out_fd, int err_fd, enum ctl_logread_format format,
		     bool timestamps)
{
	memset(out, 0, sizeof(*out));
	out->fd[0] = out_fd;
	out->fd[1] = err_fd;
	out->timestamps = timestamps;
	out->bol[0] = out->bol[1] = true;
	out->pending = g_string_new(NULL);
	out->read = ctl_logread_new(format);
}

int ctl_logout_flush(struct ctl_logout *out)
{
	int fd = out->fd[out->pending_stream];
	if (out->pending->len > 0 && fd >= 0 && out->error == 0)
		out->error = fdutil_write_all(fd, out->pending->str, out->pending->len);
	g_string_truncate(out->pending, 0);
	return out->error;
}

void ctl_logout_clear(struct ctl_logout *out)
{
	if (out->pending != NULL)
		g_string_free(out->pending, TRUE);
	out->pending = NULL;
	g_clear_pointer(&out->read, ctl_logread_free);
}

static void emit(struct ctl_logout *out, int stream, const char *data, size_t len)
{
	if (out->fd[stream] < 0)
		return;
	/* One buffer for both streams keeps their order on a shared terminal. */
	if (stream != out->pending_stream || out->pending->len >= CTL_LOGOUT_FLUSH) {
		ctl_logout_flush(out);
		out->pending_stream = stream;
	}
	g_string_append_len(out->pending, data, (gssize)len);
}

static void corrupt(struct ctl_logout *out)
{
	if (out->corrupt++ > 0 || out->fd[0] < 0)
		return;
	ctl_logout_flush(out);
	fprintf(stderr, "tetherctl: warning: corrupt log record at line %lld%s%s skipped\n",
		out->lineno, out->source ? " of " : "", out->source ? out->source : "");
}

/* Returns false for a record whose time --since cannot read. */
static bool render(struct ctl_logout *out, const struct ctl_logread_record *rec)
{
	int s = rec->stream == K8SLOG_STDERR ? 1 : 0;
	bool bol = out->bol[s];
	/* Whether a line is shown is decided at its first record. */
	if (bol) {
		struct timespec t;
		if (out->since_set && ctl_logread_record_time(rec, &t) < 0)
			return false;
		out->hide[s] = out->since_set && ctl_logread_time_before(&t, &out->since);
		if (!out->hide[s]) {
			out->lines++;
			if (out->skip > 0) {
				out->skip--;
				out->hide[s] = true;
			}
		}
	}
	out->bol[s] = !rec->partial;
	if (out->hide[s])
		return true;
	if (out->timestamps && bol) {
		emit(out, s, rec->time, rec->time_len);
		emit(out, s, " ", 1);
	}
	emit(out, s, rec->content, rec->content_len);
	if (!rec->partial)
		emit(out, s, "\n", 1);
	return true;
}

size_t ctl_logout_feed(struct ctl_logout *out, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		const char *line = buf + done;
		const char *nl = memchr(line, '\n', len - done);
		if (nl == NULL)
			break;
		done += (size_t)(nl - line) + 1;
		out->lineno++;
		struct ctl_logread_record rec;
		if (ctl_logread_parse(out->read, line, (size_t)(nl - line), &rec) < 0 ||
		    !render(out, &rec))
			corrupt(out);
	}
	return done;
}

int ctl_logout_drain(struct ctl_logout *out, int fd, GByteArray *buf)
{
	g_autofree char *chunk = g_malloc(CTL_LOGOUT_CHUNK);
	for (;;) {
		ssize_t n = read(fd, chunk, CTL_LOGOUT_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		g_byte_array_append(buf, (const guint8 *)chunk, (guint)n);
		size_t used = ctl_logout_feed(out, (const char *)buf->data, buf->len);
		g_byte_array_remove_range(buf, 0, (guint)used);
		if (out->error < 0)
			return out->error;
	}
}

void ctl_logout_end_file(struct ctl_logout *out, GByteArray *buf)
{
	if (buf->len > 0)
		corrupt(out);
	g_byte_array_set_size(buf, 0);
}
