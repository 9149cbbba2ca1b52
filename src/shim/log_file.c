#define G_LOG_DOMAIN "log-file"

#include "tether/log_file.h"
#include "tether/log_compress.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* A log that keeps failing is reported again after this long. */
#define LOG_FILE_WARN_EVERY_US (60 * G_USEC_PER_SEC)

/* One write per read chunk: a 256 KiB chunk of short lines grows by the
 * record headers (about 45 bytes a line). */
#define LOG_FILE_BUF (512 * 1024)
/* A piece this long is not copied into the buffer: one writev() takes the
 * buffer, its header and the piece where it lies. */
#define LOG_FILE_DIRECT_MIN (16 * 1024)
/* "TIMESTAMP stdout F " */
#define LOG_FILE_HDR_MAX (K8SLOG_TS_LEN + 16)
/* The longest piece one JSON record takes: escaping may grow a byte to six. */
#define LOG_FILE_JSON_PIECE ((LOG_FILE_BUF - 128) / 6)

struct log_file {
	enum log_file_format format;
	struct log_file_limits limits;
	char *path;
	int fd;
	char *buf;
	size_t len;
	uint64_t written; /* bytes in the current file */
	uint64_t total;	  /* bytes written over all files (--log-global-size-max) */
	uint64_t lost;
	int last_errno;	     /* 0 while writing works */
	int warned_errno;    /* the cause last reported */
	gint64 last_warning; /* monotonic µs */
	bool global_full;
	struct log_compress *compress; /* --log-compress, or NULL */
};

/* Never through a symlink planted at the path: the monitor may be root, and
 * what it writes there is the container's. */
static int open_log(const char *path)
{
	int fd =
		open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

struct log_file *log_file_new(const char *path, enum log_file_format format,
			      const struct log_file_limits *limits, GError **error)
{
	int fd = open_log(path);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-fd),
			    "Failed to open log file %s: %s", path, g_strerror(-fd));
		return NULL;
	}
	struct log_file *log = g_new0(struct log_file, 1);
	log->format = format;
	if (limits != NULL)
		log->limits = *limits;
	log->path = g_strdup(path);
	log->fd = fd;
	if (log->limits.compress && log->limits.rotate && log->limits.max_files > 0)
		log->compress = log_compress_new(path, log->limits.max_files);
	/* A restarted container appends: count what is there (conmon < 2.1.10
	 * started at 0 and grew the file forever). */
	struct stat st;
	if (fstat(fd, &st) == 0)
		log->written = (uint64_t)st.st_size;
	return log;
}

/* Write all of iov; returns 0 or -errno with *ret_done bytes written. */
static int write_iov(int fd, struct iovec *iov, int cnt, size_t *ret_done)
{
	size_t done = 0;
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*ret_done = done;
			return n < 0 ? -errno : -ENOSPC;
		}
		done += (size_t)n;
		size_t left = (size_t)n;
		while (cnt > 0 && left >= iov[0].iov_len) {
			left -= iov[0].iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov[0].iov_base = (char *)iov[0].iov_base + left;
			iov[0].iov_len -= left;
		}
	}
	*ret_done = done;
	return 0;
}

/* Write the buffer, then extra_len bytes of extra and a "\n" if newline:
 * a long line goes from the read buffer to the file without being copied
 * into ours. */
static void flush_with(struct log_file *log, const char *extra, size_t extra_len, bool newline)
{
	size_t total = log->len + extra_len + (newline ? 1 : 0);
	if (total == 0)
		return;
	struct iovec iov[3] = {
		{.iov_base = log->buf, .iov_len = log->len},
		{.iov_base = (void *)extra, .iov_len = extra_len},
		{.iov_base = (void *)"\n", .iov_len = newline ? 1 : 0},
	};
	size_t done = 0;
	int r = log->fd < 0 ? -EBADF : write_iov(log->fd, iov, 3, &done);
	if (r < 0) {
		/* A write cut short by a full disk leaves part of a record: take
		 * back what this write added (someone may have truncated the file
		 * meanwhile, so from its size now), and the file holds whole
		 * records when writing resumes. */
		struct stat st;
		if (done > 0 && fstat(log->fd, &st) == 0 && (uint64_t)st.st_size >= done)
			(void)!ftruncate(log->fd, st.st_size - (off_t)done);
		log->lost += total;
		/* Near a full disk small writes fit again now and then: say it
		 * once, and again only after a while, not at every flap. */
		gint64 now = g_get_monotonic_time();
		if (log->warned_errno != -r || now - log->last_warning > LOG_FILE_WARN_EVERY_US) {
			diag_warn("Failed to write log file '%s': %s (output is being lost; "
				  "%" G_GUINT64_FORMAT " bytes so far)",
				  log->path, g_strerror(-r), log->lost);
			log->last_warning = now;
			log->warned_errno = -r;
		}
		log->last_errno = -r;
	} else {
		log->written += total;
		log->total += total;
		if (log->last_errno != 0) {
			diag_debug("Log file '%s' writable again; %" G_GUINT64_FORMAT " bytes lost",
				   log->path, log->lost);
			log->last_errno = 0;
		}
	}
	log->len = 0;
}

static void flush(struct log_file *log)
{
	flush_with(log, NULL, 0, false);
}

static int open_fresh(struct log_file *log, const char *path)
{
	int fd = open(path,
		      O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
		      0600);
	return fd < 0 ? -errno : fd;
}

/* --log-rotate: PATH.N-1 -> PATH.N ... PATH -> PATH.1, then a new PATH. Only
 * renames, so a reader holding a file keeps reading all of it, and nothing
 * is written between the last flush and the new file. */
static int rotate(struct log_file *log)
{
	int r;
	if (log->compress != NULL && (r = log_compress_shift(log->compress)) < 0)
		return r;
	for (int i = log->limits.max_files - 1; i >= 1 && log->compress == NULL; i--) {
		g_autofree char *from = g_strdup_printf("%s.%d", log->path, i);
		g_autofree char *to = g_strdup_printf("%s.%d", log->path, i + 1);
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	g_autofree char *first = g_strdup_printf("%s.1", log->path);
	if (rename(log->path, first) < 0)
		return -errno;
	int fd = open_fresh(log, log->path);
	if (fd < 0)
		return fd;
	fdutil_close(&log->fd);
	log->fd = fd;
	log->written = 0;
	if (log->compress != NULL)
		log_compress_rotated(log->compress);
	return 0;
}

/* The current file is full: rotate, or start it anew as conmon does. */
static void roll_over(struct log_file *log)
{
	flush(log);
	int r = log->limits.rotate && log->limits.max_files > 0 ? rotate(log)
								: log_file_reopen(log);
	if (r < 0) {
		/* Keep writing to the old file rather than lose output. */
		diag_warn("Failed to rotate log file '%s': %s", log->path, g_strerror(-r));
		log->written = 0;
	}
}

/* Before a record of rec_len bytes goes into the buffer: apply the limits.
 * Returns false if it must be dropped (the global limit was reached). */
static bool admit_slow(struct log_file *log, size_t rec_len)
{
	int64_t global = log->limits.global_size_max;
	if (global > 0 && log->total + log->len + rec_len > (uint64_t)global) {
		if (!log->global_full)
			diag_warn("Log file '%s' reached --log-global-size-max: output from now "
				  "on is dropped",
				  log->path);
		log->global_full = true;
		log->lost += rec_len;
		return false;
	}
	int64_t max = log->limits.size_max;
	if (max > 0 && log->written + log->len + rec_len > (uint64_t)max &&
	    log->written + log->len > 0)
		roll_over(log);
	if (log->len + rec_len > LOG_FILE_BUF)
		flush(log);
	return true;
}

/* Once a line: the common case (no limits, room left) costs two tests. */
static inline bool admit(struct log_file *log, size_t rec_len)
{
	if (log->limits.global_size_max <= 0 && log->limits.size_max <= 0 &&
	    log->len + rec_len <= LOG_FILE_BUF)
		return true;
	return admit_slow(log, rec_len);
}

static void write_k8s(struct log_file *log, enum k8slog_stream stream, const char *data, size_t len,
		      const struct timespec *ts)
{
	char hdr[LOG_FILE_HDR_MAX];
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
		size_t room = LOG_FILE_BUF - hdr_len - 1;
		if (piece > room) {
			piece = room;
			full = false;
		}
		size_t rec_len = hdr_len + piece + (full ? 0 : 1);
		if (!admit(log, rec_len)) {
			p += piece;
			continue;
		}
		hdr[hdr_len - 2] = full ? 'F' : 'P';
		if (piece >= LOG_FILE_DIRECT_MIN) {
			/* Written from where it is, with what the buffer holds. */
			memcpy(log->buf + log->len, hdr, hdr_len);
			log->len += hdr_len;
			flush_with(log, p, piece, !full);
			p += piece;
			continue;
		}
		memcpy(log->buf + log->len, hdr, hdr_len);
		memcpy(log->buf + log->len + hdr_len, p, piece);
		log->len += hdr_len + piece;
		/* A full line keeps its own "\n"; a partial one gets one. */
		if (!full)
			log->buf[log->len++] = '\n';
		p += piece;
	}
}

/* JSON string content as Go's encoding/json writes it, so that Docker's
 * readers see the same bytes: invalid UTF-8 becomes U+FFFD. */
static size_t json_escape(char *out, const char *s, size_t len);

static size_t json_escaped_len(const char *s, size_t len)
{
	size_t n = 0;
	const char *p = s, *end = s + len;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			gunichar u = g_utf8_get_char_validated(p, (gssize)(end - p));
			bool bad = u == (gunichar)-1 || u == (gunichar)-2;
			n += bad ? 6 : (size_t)g_utf8_skip[c];
			p += bad ? 1 : g_utf8_skip[c];
			continue;
		}
		p++;
		if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
			n += 2;
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			n += 6;
		else
			n++;
	}
	return n;
}

static size_t json_escape(char *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	const char *p = s, *end = s + len;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			/* One character at a time: a valid sequence is copied as is. */
			gunichar u = g_utf8_get_char_validated(p, (gssize)(end - p));
			if (u == (gunichar)-1 || u == (gunichar)-2) {
				memcpy(o, "\\ufffd", 6);
				o += 6;
				p++;
			} else {
				int n = g_utf8_skip[c];
				memcpy(o, p, (size_t)n);
				o += n;
				p += n;
			}
			continue;
		}
		p++;
		switch (c) {
		case '"':
			*o++ = '\\';
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			*o++ = '\\';
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		case '\r':
			*o++ = '\\';
			*o++ = 'r';
			break;
		case '\t':
			*o++ = '\\';
			*o++ = 't';
			break;
		default:
			if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 0xf];
				o += 6;
			} else {
				*o++ = (char)c;
			}
		}
	}
	return (size_t)(o - out);
}

static void write_json(struct log_file *log, enum k8slog_stream stream, const char *data,
		       size_t len, const struct timespec *ts)
{
	/* Docker writes UTC with nanoseconds. */
	struct tm tm;
	gmtime_r(&ts->tv_sec, &tm);
	char tail[96];
	int tail_len = snprintf(
		tail, sizeof(tail),
		"\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}\n",
		stream == K8SLOG_STDERR ? "stderr" : "stdout", tm.tm_year + 1900, tm.tm_mon + 1,
		tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec);
	static const char head[] = "{\"log\":\"";

	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t piece = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		piece = MIN(piece, (size_t)LOG_FILE_JSON_PIECE);
		/* Do not cut a UTF-8 sequence in two. */
		if (p + piece < end)
			while (piece > 1 && ((unsigned char)p[piece] & 0xc0) == 0x80)
				piece--;
		size_t rec_len = sizeof(head) - 1 + json_escaped_len(p, piece) + (size_t)tail_len;
		if (!admit(log, rec_len)) {
			p += piece;
			continue;
		}
		memcpy(log->buf + log->len, head, sizeof(head) - 1);
		log->len += sizeof(head) - 1;
		log->len += json_escape(log->buf + log->len, p, piece);
		memcpy(log->buf + log->len, tail, (size_t)tail_len);
		log->len += (size_t)tail_len;
		p += piece;
	}
}

void log_file_write(struct log_file *log, enum k8slog_stream stream, const char *data, size_t len,
		    const struct timespec *ts)
{
	if (log->buf == NULL)
		log->buf = g_malloc(LOG_FILE_BUF);
	if (log->format == LOG_FILE_JSON)
		write_json(log, stream, data, len, ts);
	else
		write_k8s(log, stream, data, len, ts);
	flush(log);
}

int log_file_reopen(struct log_file *log)
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
	log->written = 0;
	return 0;
}

int log_file_sync(struct log_file *log)
{
	flush(log);
	if (log->fd >= 0 && fsync(log->fd) < 0)
		return -errno;
	return 0;
}

uint64_t log_file_lost_bytes(const struct log_file *log)
{
	return log->lost;
}

void log_file_free(struct log_file *log)
{
	if (log == NULL)
		return;
	flush(log);
	fdutil_close(&log->fd);
	log_compress_free(log->compress);
	g_free(log->buf);
	g_free(log->path);
	g_free(log);
}

static void ops_write(void *sink, enum k8slog_stream stream, const char *data, size_t len,
		      const struct timespec *ts)
{
	log_file_write(sink, stream, data, len, ts);
}

static int ops_reopen(void *sink)
{
	return log_file_reopen(sink);
}

static int ops_finish(void *sink, bool sync)
{
	struct log_file *log = sink;
	log_compress_finish(log->compress, LOG_COMPRESS_EXIT_WAIT_MS);
	if (sync)
		return log_file_sync(log);
	flush(log);
	return 0;
}

static uint64_t ops_lost_bytes(const void *sink)
{
	return log_file_lost_bytes(sink);
}

static void ops_trim(void *sink)
{
	struct log_file *log = sink;
	flush(log);
	g_clear_pointer(&log->buf, g_free);
}

static void ops_free(void *sink)
{
	log_file_free(sink);
}

static bool ops_busy(const void *sink)
{
	const struct log_file *log = sink;
	return log_compress_busy(log->compress);
}

static bool ops_reap(void *sink, int pid, int wait_status)
{
	struct log_file *log = sink;
	return log_compress_reap(log->compress, pid, wait_status);
}

const struct log_sink_ops log_file_ops = {
	.name = "k8s-file",
	.write = ops_write,
	.reopen = ops_reopen,
	.finish = ops_finish,
	.lost_bytes = ops_lost_bytes,
	.trim = ops_trim,
	.free = ops_free,
	.reap = ops_reap,
	.busy = ops_busy,
};
