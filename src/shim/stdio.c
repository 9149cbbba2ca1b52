#define G_LOG_DOMAIN "stdio"

#include "tether/shim.h"
#include "tether/attach.h"
#include "tether/diag.h"
#include "tether/fdutil.h"
#include "tether/log.h"
#include "tether/ratelimit.h"
#include "tether/recover.h"

#include <errno.h>
#include <glib-unix.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

int stdio_make_pipes(int ret_parent[2], int ret_child[2])
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		int r = -errno;
		close(out[0]);
		close(out[1]);
		return r;
	}
	/* A slow sink never makes us block on the container. */
	(void)fdutil_set_nonblock(out[0], true);
	(void)fdutil_set_nonblock(err[0], true);
	/* Deeper pipes: fewer wake-ups for us and fewer stalls for the
	 * container. Pages are only used while data waits; best effort. */
	(void)fcntl(out[0], F_SETPIPE_SZ, SHIM_PIPE_SIZE);
	(void)fcntl(err[0], F_SETPIPE_SZ, SHIM_PIPE_SIZE);
	ret_parent[0] = out[0];
	ret_parent[1] = err[0];
	ret_child[0] = out[1];
	ret_child[1] = err[1];
	return 0;
}

struct rate_span {
	struct log *log;
	enum k8slog_stream stream;
	const struct timespec *ts;
};

static void rate_emit(void *ctx, const char *data, size_t len)
{
	struct rate_span *span = ctx;
	log_write(span->log, span->stream, data, len, span->ts);
}

/* --log-rate drop: the logs get the lines the stream's bucket admits. */
static void log_write_limited(struct shim *shim, int idx, const char *data, size_t len,
			      const struct timespec *ts)
{
	struct rate_span span = {shim->log, idx == 0 ? K8SLOG_STDOUT : K8SLOG_STDERR, ts};
	(void)ratelimit_filter(shim->ratelimit, idx, data, len, g_get_monotonic_time(), rate_emit,
			       &span);
}

/* Hand one chunk to every sink: the logs first, then attach clients. */
static void dispatch(struct shim *shim, int idx, const char *data, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	shim->bytes[idx] += len;
	recover_touch(shim);
	if (G_LIKELY(shim->ratelimit == NULL) || shim->ratelimit->block)
		log_write(shim->log, idx == 0 ? K8SLOG_STDOUT : K8SLOG_STDERR, data, len, &ts);
	else
		log_write_limited(shim, idx, data, len, &ts);
	if (shim->attach != NULL)
		attach_broadcast(shim->attach,
				 idx == 0 ? ATTACH_STREAM_STDOUT : ATTACH_STREAM_STDERR, data, len);
}

static void stream_unwatch(struct shim *shim, int idx)
{
	if (shim->out_src[idx] != 0) {
		g_source_remove(shim->out_src[idx]);
		shim->out_src[idx] = 0;
	}
}

static void stream_close(struct shim *shim, int idx)
{
	stream_unwatch(shim, idx);
	if (shim->ratelimit != NULL && shim->ratelimit->streams[idx].resume_src != 0) {
		g_source_remove(shim->ratelimit->streams[idx].resume_src);
		shim->ratelimit->streams[idx].resume_src = 0;
	}
	fdutil_close(&shim->out_fd[idx]);
}

static void rate_resume(struct shim *shim, int idx)
{
	shim->ratelimit->streams[idx].resume_src = 0;
	stdio_watch(shim);
}

static gboolean on_rate_resume_out(gpointer data)
{
	rate_resume(data, 0);
	return G_SOURCE_REMOVE;
}

static gboolean on_rate_resume_err(gpointer data)
{
	rate_resume(data, 1);
	return G_SOURCE_REMOVE;
}

/* --log-rate block: how much stream idx may read now. At 0 it is not
 * watched until its bucket has filled again; the pipe holds the rest, and
 * the container waits once it is full. Not after the exit: then what is
 * left in the pipe is read at once. */
static size_t rate_allow(struct shim *shim, int idx)
{
	int64_t wait_us = 0;
	size_t n = ratelimit_allow(shim->ratelimit, idx, SHIM_READ_BUF, g_get_monotonic_time(),
				   &wait_us);
	if (n == 0) {
		stream_unwatch(shim, idx);
		struct ratelimit_stream *rs = &shim->ratelimit->streams[idx];
		if (rs->resume_src == 0)
			rs->resume_src = g_timeout_add_full(
				G_PRIORITY_DEFAULT, (guint)((wait_us + 999) / 1000),
				idx == 0 ? on_rate_resume_out : on_rate_resume_err, shim, NULL);
	}
	return n;
}

/* Give back what only busy or starting times needed: the read buffer and
 * the log's after SHIM_IDLE_TRIM_S without output, and the heap pages freed
 * since start-up (once the container runs, before any output). */
static gboolean on_trim(gpointer data)
{
	struct shim *shim = data;
	shim->trim_src = 0;
	if (shim->buf != NULL &&
	    g_get_monotonic_time() - shim->last_output < SHIM_IDLE_TRIM_S * G_USEC_PER_SEC) {
		shim->trim_src = g_timeout_add_seconds(SHIM_IDLE_TRIM_S, on_trim, shim);
		return G_SOURCE_REMOVE;
	}
	g_clear_pointer(&shim->buf, g_free);
	log_trim(shim->log);
	startup_release_memory();
	return G_SOURCE_REMOVE;
}

/* One read; returns false at EOF or on an error (the stream is closed). */
static bool stream_read(struct shim *shim, int idx, bool *ret_again)
{
	if (shim->buf == NULL) {
		shim->buf = g_malloc(SHIM_READ_BUF);
		if (shim->trim_src == 0 && shim->loop != NULL)
			shim->trim_src = g_timeout_add_seconds(SHIM_IDLE_TRIM_S, on_trim, shim);
	}
	shim->last_output = g_get_monotonic_time();
	size_t want = SHIM_READ_BUF;
	bool limited = G_UNLIKELY(shim->ratelimit != NULL) && shim->ratelimit->block &&
		       shim->state == SHIM_RUNNING;
	if (limited && (want = rate_allow(shim, idx)) == 0) {
		*ret_again = true;
		return false;
	}
	ssize_t n = read(shim->out_fd[idx], shim->buf, want);
	*ret_again = false;
	if (n > 0) {
		if (limited)
			ratelimit_charge(shim->ratelimit, idx, (size_t)n);
		dispatch(shim, idx, shim->buf, (size_t)n);
		return true;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		*ret_again = errno == EAGAIN;
		return errno == EINTR;
	}
	/* EIO from a terminal: nothing holds its other side any more. That is
	 * the end of the output, not an error. */
	if (n < 0 && !(errno == EIO && shim->term_fd >= 0 && idx == 0))
		diag_warn("Failed to read container %s: %s", idx == 0 ? "stdout" : "stderr",
			  g_strerror(errno));
	stream_close(shim, idx);
	return false;
}

static gboolean on_output(gint fd, GIOCondition cond, gpointer data)
{
	struct shim *shim = data;
	bool again;
	/* At EOF the stream is closed and its source destroyed in there. */
	(void)stream_read(shim, fd == shim->out_fd[0] ? 0 : 1, &again);
	return G_SOURCE_CONTINUE;
}

void stdio_watch(struct shim *shim)
{
	if (shim->paused)
		return;
	/* The container runs: what start-up used can go as soon as we idle. */
	if (shim->trim_src == 0 && shim->buf == NULL && shim->loop != NULL)
		shim->trim_src = g_idle_add(on_trim, shim);
	for (int i = 0; i < 2; i++) {
		if (shim->out_fd[i] < 0 || shim->out_src[i] != 0)
			continue;
		/* --log-rate block: held back until its timer. */
		if (shim->ratelimit != NULL && shim->ratelimit->streams[i].resume_src != 0)
			continue;
		GSource *src = g_unix_fd_source_new(shim->out_fd[i], G_IO_IN | G_IO_HUP);
		g_source_set_callback(src, G_SOURCE_FUNC(on_output), shim, NULL);
		/* Else glib takes the fd out of its poll set and puts it back
		 * around every dispatch, each time waking itself through its
		 * eventfd: 3 syscalls and a wasted poll per read. Nothing here
		 * runs the main loop from inside a callback. */
		g_source_set_can_recurse(src, TRUE);
		shim->out_src[i] = g_source_attach(src, NULL);
		g_source_unref(src);
	}
}

void stdio_pause(struct shim *shim, bool pause)
{
	shim->paused = pause;
	for (int i = 0; i < 2 && pause; i++)
		stream_unwatch(shim, i);
	if (!pause && shim->state == SHIM_RUNNING)
		stdio_watch(shim);
}

void stdio_drain(struct shim *shim)
{
	/* Take turns, one read each, so that what the container wrote late on
	 * one stream does not all land before what it wrote earlier on the
	 * other: the pipes carry no timestamps, read order is all there is. */
	bool more = true;
	while (more) {
		more = false;
		for (int i = 0; i < 2; i++) {
			bool again = false;
			if (shim->out_fd[i] >= 0 && stream_read(shim, i, &again))
				more = true;
		}
	}
}

void stdio_close(struct shim *shim)
{
	stream_close(shim, 0);
	stream_close(shim, 1);
}
