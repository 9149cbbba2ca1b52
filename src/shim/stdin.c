#define G_LOG_DOMAIN "stdin"

#include "tether/shim.h"
#include "tether/attach.h"
#include "tether/diag.h"
#include "tether/fdutil.h"
#include "tether/recover.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <unistd.h>

/* Input queued for a container that does not read it yet. Beyond this, the
 * clients wait (their packets stay in their sockets): nothing is cut. */
#define STDIN_QUEUE_MAX (1024 * 1024)

static bool has_stdin(const struct shim *s)
{
	return s->opts->stdin_open || s->opts->terminal;
}

int stdin_make_pipe(struct shim *s, int *ret_child_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	(void)fdutil_set_nonblock(p[1], true);
	s->stdin_fd = p[1];
	*ret_child_fd = p[0];
	return 0;
}

static void stdin_drop(struct shim *s)
{
	if (s->stdin_src != 0) {
		g_source_remove(s->stdin_src);
		s->stdin_src = 0;
	}
	fdutil_close(&s->stdin_fd);
	if (s->stdin_queue != NULL)
		g_byte_array_set_size(s->stdin_queue, 0);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

static void flush(struct shim *s)
{
	GByteArray *q = s->stdin_queue;
	while (s->stdin_fd >= 0 && q != NULL && q->len > 0) {
		ssize_t n = write(s->stdin_fd, q->data, q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			/* The container closed its stdin: input goes nowhere. */
			diag_debug("container stdin closed: %s", g_strerror(errno));
			s->stdin_dead = true;
			recover_save(s);
			stdin_drop(s);
			break;
		}
		g_byte_array_remove_range(q, 0, (guint)n);
	}
	bool pending = s->stdin_fd >= 0 && q != NULL && q->len > 0;
	if (pending && s->stdin_src == 0)
		s->stdin_src = g_unix_fd_add(s->stdin_fd, G_IO_OUT, on_writable, s);
	if (!pending) {
		if (s->stdin_src != 0) {
			g_source_remove(s->stdin_src);
			s->stdin_src = 0;
		}
		if (s->stdin_close_pending && s->stdin_fd >= 0) {
			diag_debug("closing the container's stdin");
			fdutil_close(&s->stdin_fd);
		}
		if (s->attach != NULL)
			attach_resume_input(s->attach);
	}
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
	struct shim *s = data;
	s->stdin_src = 0;
	flush(s);
	return G_SOURCE_REMOVE; /* flush() adds it again if needed */
}

void stdin_set_fd(struct shim *s, int fd)
{
	fdutil_close(&s->stdin_fd);
	(void)fdutil_set_nonblock(fd, true);
	s->stdin_fd = fd;
	/* What clients typed before the terminal existed goes in first. */
	flush(s);
}

size_t stdin_room(void *data)
{
	struct shim *s = data;
	if (!has_stdin(s) || s->stdin_dead || s->stdin_queue == NULL || s->stdin_queue->len == 0)
		return SIZE_MAX;
	return s->stdin_queue->len < STDIN_QUEUE_MAX ? STDIN_QUEUE_MAX - s->stdin_queue->len : 0;
}

void stdin_input(void *data, const char *buf, size_t len)
{
	struct shim *s = data;
	/* No stdin (or it was closed): input is dropped, as conmon does. */
	if (!has_stdin(s) || s->stdin_dead || s->stdin_close_pending)
		return;
	if (s->stdin_queue == NULL)
		s->stdin_queue = g_byte_array_new();
	g_byte_array_append(s->stdin_queue, (const guint8 *)buf, (guint)len);
	flush(s);
}

void stdin_eof(void *data)
{
	struct shim *s = data;
	/* conmon's rule: a client hanging up closes the container's stdin,
	 * with -i and without --leave-stdin-open. A terminal stays open. */
	if (!s->opts->stdin_open || s->opts->leave_stdin_open || s->opts->terminal)
		return;
	s->stdin_close_pending = true;
	flush(s);
}

void stdin_close(struct shim *s)
{
	stdin_drop(s);
	g_clear_pointer(&s->stdin_queue, g_byte_array_unref);
}
