#define G_LOG_DOMAIN "log-syslog"

#include "tether/log_syslog.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* The journald sink's choice: room for bursts before the queue is full. */
#define SYSLOG_SNDBUF (1024 * 1024)

struct log_syslog {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	char *tag;
	int pid; /* the sender's, taken at the first record (after daemonizing) */
	int block_ms;
	/* The start of a line not yet ended, per stream (lazily allocated). */
	char *pending[2];
	size_t pending_len[2];
	uint64_t lost;
	int warned_errno; /* each cause is reported once */
	bool connected;
	bool failing;
	bool absent; /* no socket during this write(): skip the rest of it */
};

char *log_syslog_tag(const struct log_syslog_config *cfg)
{
	const char *src = cfg->tag != NULL && *cfg->tag != '\0'	    ? cfg->tag
			  : cfg->name != NULL && *cfg->name != '\0' ? cfg->name
								    : cfg->cid;
	size_t max = src == cfg->cid ? 12 : LOG_SYSLOG_TAG_MAX;
	char *tag = g_strndup(src != NULL ? src : "tether", max);
	for (char *p = tag; *p != '\0'; p++)
		if (g_ascii_isspace(*p) || *p == ':' || *p == '[' || *p == ']' ||
		    (unsigned char)*p < 0x20)
			*p = '_';
	return tag;
}

size_t log_syslog_format_header(char *buf, enum k8slog_stream stream, const struct timespec *ts,
				const char *tag, int pid)
{
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	localtime_r(&ts->tv_sec, &tm);
	int pri = LOG_SYSLOG_FACILITY * 8 + (stream == K8SLOG_STDERR ? 3 : 6);
	int n = snprintf(buf, LOG_SYSLOG_HDR_MAX, "<%d>%s %2d %02d:%02d:%02d %s[%d]: ", pri,
			 months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tag,
			 pid);
	return n < 0 ? 0 : MIN((size_t)n, (size_t)LOG_SYSLOG_HDR_MAX - 1);
}

size_t log_syslog_piece(const char *data, size_t len, size_t max)
{
	if (len <= max)
		return len;
	/* Back to the start of the character the cut would split (at most 3
	 * continuation bytes; anything else is cut where it is). */
	for (size_t n = max; n > 0 && n + 3 > max; n--)
		if (((unsigned char)data[n] & 0xc0) != 0x80)
			return n;
	return max;
}

struct log_syslog *log_syslog_new(const struct log_syslog_config *cfg, GError **error)
{
	const char *path = cfg->socket_path != NULL ? cfg->socket_path : LOG_SYSLOG_SOCKET;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t path_len = strlen(path);
	if (path_len == 0 || path_len >= sizeof(addr.sun_path)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "Invalid syslog socket path '%s'", path);
		return NULL;
	}
	memcpy(addr.sun_path, path, path_len);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
			    "Failed to create the syslog socket: %s", g_strerror(e));
		return NULL;
	}
	int size = SYSLOG_SNDBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	struct log_syslog *sl = g_new0(struct log_syslog, 1);
	sl->fd = fd;
	sl->addr = addr;
	sl->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len + 1);
	sl->tag = log_syslog_tag(cfg);
	sl->block_ms = cfg->block_ms > 0 ? cfg->block_ms : LOG_SYSLOG_BLOCK_MS;
	return sl;
}

/* Connected, so that poll() tells when the receiver's queue has room; a
 * daemon restarted since is a new socket: connect again. */
static int send_iov(struct log_syslog *sl, struct iovec *iov, int n)
{
	if (!sl->connected) {
		if (connect(sl->fd, (struct sockaddr *)&sl->addr, sl->addr_len) < 0)
			return -errno;
		sl->connected = true;
	}
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	while (sendmsg(sl->fd, &mh, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		int r = -errno;
		if (r == -ECONNREFUSED || r == -ENOTCONN || r == -ECONNRESET)
			sl->connected = false;
		return r;
	}
	return 0;
}

static bool wait_for_room(struct log_syslog *sl)
{
	struct pollfd pfd = {.fd = sl->fd, .events = POLLOUT};
	int n;
	while ((n = poll(&pfd, 1, sl->block_ms)) < 0 && errno == EINTR)
		;
	return n > 0 && (pfd.revents & POLLOUT);
}

/* One record whose MESSAGE is head + tail. */
static void emit(struct log_syslog *sl, enum k8slog_stream stream, const struct timespec *ts,
		 const char *head, size_t head_len, const char *tail, size_t tail_len)
{
	size_t msg_len = head_len + tail_len;
	if (sl->absent) {
		sl->lost += msg_len;
		return;
	}
	if (sl->pid == 0)
		sl->pid = getpid();
	char hdr[LOG_SYSLOG_HDR_MAX];
	struct iovec iov[3] = {
		{hdr, log_syslog_format_header(hdr, stream, ts, sl->tag, sl->pid)},
		{(void *)head, head_len},
		{(void *)tail, tail_len},
	};
	int r = send_iov(sl, iov, 3);
	while (r == -EAGAIN && !sl->failing && wait_for_room(sl))
		r = send_iov(sl, iov, 3);
	if (r < 0) {
		sl->lost += msg_len;
		if (sl->warned_errno != -r)
			diag_warn("Failed to send container output to syslog at '%s': %s (output "
				  "is being lost)",
				  sl->addr.sun_path, g_strerror(-r));
		sl->warned_errno = -r;
		sl->failing = true;
		sl->absent = r == -ENOENT || r == -ECONNREFUSED;
	} else if (sl->failing) {
		diag_info("syslog takes container output again; %" G_GUINT64_FORMAT
			  " bytes lost so far",
			  sl->lost);
		sl->failing = false;
	}
}

void log_syslog_write(struct log_syslog *sl, enum k8slog_stream stream, const char *data,
		      size_t len, const struct timespec *ts)
{
	int s = stream == K8SLOG_STDERR;
	sl->absent = false;
	while (len > 0) {
		size_t have = sl->pending_len[s];
		const char *nl = memchr(data, '\n', len);
		size_t line = nl != NULL ? (size_t)(nl - data) : len;
		if (nl != NULL && have + line <= LOG_SYSLOG_MSG_MAX) {
			/* The line ends within one record. */
			emit(sl, stream, ts, sl->pending[s], have, data, line);
			sl->pending_len[s] = 0;
			data += line + 1;
			len -= line + 1;
			continue;
		}
		if (nl == NULL && have + len < LOG_SYSLOG_MSG_MAX) {
			/* An unfinished line waits for the rest. */
			if (sl->pending[s] == NULL)
				sl->pending[s] = g_malloc(LOG_SYSLOG_MSG_MAX);
			memcpy(sl->pending[s] + have, data, len);
			sl->pending_len[s] += len;
			return;
		}
		/* A full record: what is buffered and the start of this piece. */
		size_t take = log_syslog_piece(data, line, LOG_SYSLOG_MSG_MAX - have);
		emit(sl, stream, ts, sl->pending[s], have, data, take);
		sl->pending_len[s] = 0;
		data += take;
		len -= take;
	}
}

void log_syslog_flush(struct log_syslog *sl)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	sl->absent = false;
	for (int s = 0; s < 2; s++) {
		if (sl->pending_len[s] == 0)
			continue;
		emit(sl, s ? K8SLOG_STDERR : K8SLOG_STDOUT, &ts, sl->pending[s], sl->pending_len[s],
		     NULL, 0);
		sl->pending_len[s] = 0;
	}
}

uint64_t log_syslog_lost_bytes(const struct log_syslog *sl)
{
	return sl->lost;
}

void log_syslog_free(struct log_syslog *sl)
{
	if (sl == NULL)
		return;
	fdutil_close(&sl->fd);
	g_free(sl->tag);
	g_free(sl->pending[0]);
	g_free(sl->pending[1]);
	g_free(sl);
}

static void ops_write(void *sink, enum k8slog_stream stream, const char *data, size_t len,
		      const struct timespec *ts)
{
	log_syslog_write(sink, stream, data, len, ts);
}

static int ops_finish(void *sink, bool sync)
{
	log_syslog_flush(sink);
	return 0;
}

static uint64_t ops_lost_bytes(const void *sink)
{
	return log_syslog_lost_bytes(sink);
}

static void ops_free(void *sink)
{
	log_syslog_free(sink);
}

const struct log_sink_ops log_syslog_ops = {
	.name = "syslog",
	.write = ops_write,
	.finish = ops_finish,
	.lost_bytes = ops_lost_bytes,
	.free = ops_free,
};
