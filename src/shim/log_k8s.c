#define G_LOG_DOMAIN "log-k8s"

#include "tether/log_k8s.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Enough for a whole read chunk of long lines; short lines flush early. */
#define LOG_K8S_BUF (64 * 1024)
/* "TIMESTAMP stdout F " */
#define LOG_K8S_HDR_MAX (K8SLOG_TS_LEN + 16)

struct log_k8s {
	char *path;
	int fd;
	char *buf;
	size_t len;
	uint64_t lost;
	int last_errno; /* reported once until writing works again */
};

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	return fd < 0 ? -errno : fd;
}

struct log_k8s *log_k8s_new(const char *path, GError **error)
{
	int fd = open_log(path);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-fd),
			    "Failed to open log file %s: %s", path, g_strerror(-fd));
		return NULL;
	}
	struct log_k8s *log = g_new0(struct log_k8s, 1);
	log->path = g_strdup(path);
	log->fd = fd;
	return log;
}

static void flush(struct log_k8s *log)
{
	if (log->len == 0)
		return;
	int r = log->fd < 0 ? -EBADF : fdutil_write_all(log->fd, log->buf, log->len);
	if (r < 0) {
		log->lost += log->len;
		if (log->last_errno != -r)
			diag_warn("Failed to write log file '%s': %s (output is being lost)",
				  log->path, g_strerror(-r));
		log->last_errno = -r;
	} else if (log->last_errno != 0) {
		diag_warn("Log file '%s' writable again; %" G_GUINT64_FORMAT " bytes were lost",
			  log->path, log->lost);
		log->last_errno = 0;
	}
	log->len = 0;
}

void log_k8s_write(struct log_k8s *log, enum k8slog_stream stream, const char *data, size_t len,
		   const struct timespec *ts)
{
	if (log->buf == NULL)
		log->buf = g_malloc(LOG_K8S_BUF);

	char hdr[LOG_K8S_HDR_MAX];
	size_t ts_len = k8slog_format_timestamp(hdr, sizeof(hdr), ts);
	const char *sname = stream == K8SLOG_STDERR ? " stderr " : " stdout ";
	memcpy(hdr + ts_len, sname, 8);
	size_t hdr_len = ts_len + 8 + 2; /* + "F " */
	hdr[hdr_len - 1] = ' ';

	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		bool full = nl != NULL;
		size_t piece = full ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		/* A piece larger than the buffer is split into P records. */
		size_t room = LOG_K8S_BUF - hdr_len - 1;
		if (piece > room) {
			piece = room;
			full = false;
		}
		if (log->len + hdr_len + piece + 1 > LOG_K8S_BUF)
			flush(log);
		hdr[hdr_len - 2] = full ? 'F' : 'P';
		memcpy(log->buf + log->len, hdr, hdr_len);
		memcpy(log->buf + log->len + hdr_len, p, piece);
		log->len += hdr_len + piece;
		/* A full line keeps its own "\n"; a partial one gets one. */
		if (!full)
			log->buf[log->len++] = '\n';
		p += piece;
	}
	flush(log);
}

int log_k8s_reopen(struct log_k8s *log)
{
	flush(log);
	/* A fresh inode at the path: whoever renamed the old file keeps it. */
	g_autofree char *tmp = g_strdup_printf("%s.tmp", log->path);
	int fd = open(tmp,
		      O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
		      0600);
	if (fd < 0)
		return -errno;
	if (rename(tmp, log->path) < 0) {
		int r = -errno;
		close(fd);
		(void)unlink(tmp);
		return r;
	}
	fdutil_close(&log->fd);
	log->fd = fd;
	return 0;
}

int log_k8s_sync(struct log_k8s *log)
{
	flush(log);
	if (log->fd >= 0 && fsync(log->fd) < 0)
		return -errno;
	return 0;
}

uint64_t log_k8s_lost_bytes(const struct log_k8s *log)
{
	return log->lost;
}

void log_k8s_free(struct log_k8s *log)
{
	if (log == NULL)
		return;
	flush(log);
	fdutil_close(&log->fd);
	g_free(log->buf);
	g_free(log->path);
	g_free(log);
}

static void ops_write(void *sink, enum k8slog_stream stream, const char *data, size_t len,
		      const struct timespec *ts)
{
	log_k8s_write(sink, stream, data, len, ts);
}

static int ops_reopen(void *sink)
{
	return log_k8s_reopen(sink);
}

static int ops_finish(void *sink, bool sync)
{
	struct log_k8s *log = sink;
	if (sync)
		return log_k8s_sync(log);
	flush(log);
	return 0;
}

static uint64_t ops_lost_bytes(const void *sink)
{
	return log_k8s_lost_bytes(sink);
}

static void ops_free(void *sink)
{
	log_k8s_free(sink);
}

const struct log_sink_ops log_k8s_ops = {
	.name = "k8s-file",
	.write = ops_write,
	.reopen = ops_reopen,
	.finish = ops_finish,
	.lost_bytes = ops_lost_bytes,
	.free = ops_free,
};
