#define G_LOG_DOMAIN "log-journald"

#include "tether/log_journald.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* What sd_journal_sendv asks for: room for bursts before the queue is full. */
#define JOURNAL_SNDBUF (8 * 1024 * 1024)

static const char partial_field[] = "CONTAINER_PARTIAL_MESSAGE=true\n";
static const char *const priority_field[] = {"PRIORITY=6\n", "PRIORITY=3\n"};

struct log_journald {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	bool no_partial;
	/* The fixed fields, serialized once: CONTAINER_ID_FULL; CONTAINER_ID to
	 * SYSLOG_IDENTIFIER; the labels. */
	GString *id_full, *ids, *labels;
	/* The start of a line not yet ended, per stream (lazily allocated). */
	char *pending[2];
	size_t pending_len[2];
	uint64_t lost;
	int warned_errno; /* each cause is reported once, not per entry */
	int block_ms;
	bool connected;
	bool failing;
	bool absent; /* no journal during this write(): skip the rest of it */
};

void log_journald_field_append(GString *out, const char *key, const char *value, size_t len)
{
	g_string_append(out, key);
	if (memchr(value, '\n', len) == NULL) {
		g_string_append_c(out, '=');
	} else {
		g_string_append_c(out, '\n');
		guint64 le = GUINT64_TO_LE((guint64)len);
		g_string_append_len(out, (const char *)&le, sizeof(le));
	}
	g_string_append_len(out, value, (gssize)len);
	g_string_append_c(out, '\n');
}

static void field_str(GString *out, const char *key, const char *value)
{
	log_journald_field_append(out, key, value, strlen(value));
}

static bool G_GNUC_PRINTF(2, 3) fail(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, msg);
	return false;
}

bool log_journald_check_labels(char *const *labels, GError **error)
{
	for (char *const *l = labels; l != NULL && *l != NULL; l++) {
		const char *eq = strchr(*l, '=');
		if (eq == *l)
			return fail(error,
				    "Container labels must be in format LABEL=VALUE (no LABEL "
				    "present in '%s')",
				    *l);
		if (eq == NULL || strchr(eq + 1, '=') != NULL)
			return fail(error,
				    "Container labels must be in format LABEL=VALUE (none or more "
				    "than one '=' present in '%s')",
				    *l);
		for (const char *c = *l; c < eq; c++)
			if (!g_ascii_isupper(*c) && !g_ascii_isdigit(*c) && *c != '_')
				return fail(error,
					    "Container label names must contain only uppercase "
					    "letters, numbers and underscore (in '%s')",
					    *l);
	}
	return true;
}

struct log_journald *log_journald_new(const struct log_journald_config *cfg, GError **error)
{
	if (cfg->cid == NULL || strlen(cfg->cid) <= LOG_JOURNALD_SHORT_ID) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "Container ID must be longer than 12 characters");
		return NULL;
	}
	if (!log_journald_check_labels(cfg->labels, error))
		return NULL;
	const char *path = cfg->socket_path ? cfg->socket_path : LOG_JOURNALD_SOCKET;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t path_len = strlen(path);
	if (path_len == 0 || path_len >= sizeof(addr.sun_path)) {
		fail(error, "Invalid journal socket path '%s'", path);
		return NULL;
	}
	memcpy(addr.sun_path, path, path_len);

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
			    "Failed to create the journal socket: %s", g_strerror(e));
		return NULL;
	}
	/* Best effort, as sd_journal does; beyond wmem_max only with privilege. */
	int size = JOURNAL_SNDBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

	struct log_journald *j = g_new0(struct log_journald, 1);
	j->fd = fd;
	j->addr = addr;
	j->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len + 1);
	j->no_partial = cfg->no_partial;
	j->block_ms = cfg->block_ms > 0 ? cfg->block_ms : LOG_JOURNALD_BLOCK_MS;

	j->id_full = g_string_new(NULL);
	field_str(j->id_full, "CONTAINER_ID_FULL", cfg->cid);

	j->ids = g_string_new(NULL);
	log_journald_field_append(j->ids, "CONTAINER_ID", cfg->cid, LOG_JOURNALD_SHORT_ID);
	if (cfg->tag != NULL)
		field_str(j->ids, "CONTAINER_TAG", cfg->tag);
	if (cfg->name != NULL)
		field_str(j->ids, "CONTAINER_NAME", cfg->name);
	if (cfg->tag != NULL)
		field_str(j->ids, "SYSLOG_IDENTIFIER", cfg->tag);
	else if (cfg->name != NULL)
		field_str(j->ids, "SYSLOG_IDENTIFIER", cfg->name);
	else
		log_journald_field_append(j->ids, "SYSLOG_IDENTIFIER", cfg->cid,
					  LOG_JOURNALD_SHORT_ID);

	j->labels = g_string_new(NULL);
	for (char **l = cfg->labels; l != NULL && *l != NULL; l++) {
		const char *eq = strchr(*l, '=');
		g_autofree char *key = g_strndup(*l, (gsize)(eq - *l));
		field_str(j->labels, key, eq + 1);
	}
	return j;
}

static void add_iov(struct log_journald_record *rec, const void *base, size_t len)
{
	if (len == 0)
		return;
	rec->iov[rec->n_iov].iov_base = (void *)base;
	rec->iov[rec->n_iov].iov_len = len;
	rec->n_iov++;
	rec->len += len;
}

void log_journald_record_build(const struct log_journald *j, enum k8slog_stream stream,
			       bool partial, const char *head, size_t head_len, const char *tail,
			       size_t tail_len, struct log_journald_record *ret_rec)
{
	struct log_journald_record *rec = ret_rec;
	rec->n_iov = 0;
	rec->len = 0;
	/* A full line keeps its "\n", so its MESSAGE takes the binary form. */
	bool binary = (head_len > 0 && memchr(head, '\n', head_len) != NULL) ||
		      (tail_len > 0 && memchr(tail, '\n', tail_len) != NULL);
	if (binary) {
		guint64 le = GUINT64_TO_LE((guint64)(head_len + tail_len));
		memcpy(rec->msg_hdr, "MESSAGE\n", 8);
		memcpy(rec->msg_hdr + 8, &le, sizeof(le));
		add_iov(rec, rec->msg_hdr, 16);
	} else {
		memcpy(rec->msg_hdr, "MESSAGE=", 8);
		add_iov(rec, rec->msg_hdr, 8);
	}
	add_iov(rec, head, head_len);
	add_iov(rec, tail, tail_len);
	add_iov(rec, "\n", 1);
	add_iov(rec, j->id_full->str, j->id_full->len);
	add_iov(rec, priority_field[stream == K8SLOG_STDERR], strlen("PRIORITY=6\n"));
	add_iov(rec, j->ids->str, j->ids->len);
	if (partial && !j->no_partial)
		add_iov(rec, partial_field, sizeof(partial_field) - 1);
	add_iov(rec, j->labels->str, j->labels->len);
}

static void add_control_fd(struct msghdr *mh, void *buf, size_t cap, int fd)
{
	mh->msg_control = buf;
	mh->msg_controllen = cap;
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	mh->msg_controllen = c->cmsg_len;
}

/* Connected, so that poll() tells when the journal's queue has room: Linux
 * only reports POLLOUT against the receiver for a connected datagram socket.
 * A journal restarted since is a new socket: connect again. */
static int send_msg(struct log_journald *j, struct msghdr *mh)
{
	if (!j->connected) {
		if (connect(j->fd, (struct sockaddr *)&j->addr, j->addr_len) < 0)
			return -errno;
		j->connected = true;
	}
	while (sendmsg(j->fd, mh, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		int r = -errno;
		if (r == -ECONNREFUSED || r == -ENOTCONN || r == -ECONNRESET)
			j->connected = false;
		return r;
	}
	return 0;
}

/* The journal's queue is full: wait for room, as conmon's blocking socket
 * does, so that a burst slows the container (its pipe fills) instead of
 * losing lines. But never for long: a journal that takes nothing for
 * block_ms is failing, and from then on entries are dropped, counted,
 * until one gets through again. */
static bool wait_for_room(struct log_journald *j)
{
	struct pollfd pfd = {.fd = j->fd, .events = POLLOUT};
	int n;
	while ((n = poll(&pfd, 1, j->block_ms)) < 0 && errno == EINTR)
		;
	return n > 0 && (pfd.revents & POLLOUT);
}

/* Too large for a datagram: the same bytes in a sealed memfd, passed alone
 * with an empty payload (the protocol's second form, as sd_journal does). */
static int send_memfd(struct log_journald *j, const struct log_journald_record *rec)
{
	_cleanup_close_ int fd = memfd_create("journal-data", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < rec->n_iov; i++) {
		int r = fdutil_write_all(fd, rec->iov[i].iov_base, rec->iov[i].iov_len);
		if (r < 0)
			return r;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr mh = {0};
	add_control_fd(&mh, control.buf, sizeof(control.buf), fd);
	return send_msg(j, &mh);
}

static int send_record(struct log_journald *j, struct log_journald_record *rec)
{
	struct msghdr mh = {.msg_iov = rec->iov, .msg_iovlen = rec->n_iov};
	int r = send_msg(j, &mh);
	if (r == -EMSGSIZE || r == -ENOBUFS)
		r = send_memfd(j, rec);
	return r;
}

/* Send one entry whose MESSAGE is head + tail; count it if it is lost. */
static void emit(struct log_journald *j, enum k8slog_stream stream, bool partial, const char *head,
		 size_t head_len, const char *tail, size_t tail_len)
{
	size_t msg_len = head_len + tail_len;
	if (j->absent) {
		j->lost += msg_len;
		return;
	}
	struct log_journald_record rec;
	log_journald_record_build(j, stream, partial, head, head_len, tail, tail_len, &rec);
	int r = send_record(j, &rec);
	while (r == -EAGAIN && !j->failing && wait_for_room(j))
		r = send_record(j, &rec);
	if (r < 0) {
		j->lost += msg_len;
		/* A queue that is full now and then must not flood our own log. */
		if (j->warned_errno != -r)
			diag_warn("Failed to send container output to the journal at '%s': %s "
				  "(output is being lost)",
				  j->addr.sun_path, g_strerror(-r));
		j->warned_errno = -r;
		j->failing = true;
		/* No journal now will not be one a microsecond later; a full
		 * queue (EAGAIN) drains as we go, so keep trying that, without
		 * waiting until an entry gets through. */
		j->absent = r == -ENOENT || r == -ECONNREFUSED;
	} else if (j->failing) {
		diag_info("The journal takes container output again; %" G_GUINT64_FORMAT
			  " bytes lost so far",
			  j->lost);
		j->failing = false;
	}
}

void log_journald_write(struct log_journald *j, enum k8slog_stream stream, const char *data,
			size_t len)
{
	int s = stream == K8SLOG_STDERR;
	j->absent = false;
	while (len > 0) {
		size_t room = LOG_JOURNALD_LINE_MAX - j->pending_len[s];
		const char *nl = memchr(data, '\n', MIN(len, room));
		size_t n;
		if (nl != NULL || len >= room) {
			/* A line ends, or fills an entry: send it from where it is. */
			n = nl != NULL ? (size_t)(nl - data) + 1 : room;
			emit(j, stream, nl == NULL, j->pending[s], j->pending_len[s], data, n);
			j->pending_len[s] = 0;
		} else {
			if (j->pending[s] == NULL)
				j->pending[s] = g_malloc(LOG_JOURNALD_LINE_MAX);
			n = len;
			memcpy(j->pending[s] + j->pending_len[s], data, n);
			j->pending_len[s] += n;
		}
		data += n;
		len -= n;
	}
}

void log_journald_flush(struct log_journald *j)
{
	j->absent = false;
	for (int s = 0; s < 2; s++) {
		if (j->pending_len[s] == 0)
			continue;
		emit(j, s ? K8SLOG_STDERR : K8SLOG_STDOUT, true, j->pending[s], j->pending_len[s],
		     NULL, 0);
		j->pending_len[s] = 0;
	}
}

uint64_t log_journald_lost_bytes(const struct log_journald *j)
{
	return j->lost;
}

void log_journald_free(struct log_journald *j)
{
	if (j == NULL)
		return;
	fdutil_close(&j->fd);
	g_string_free(j->id_full, TRUE);
	g_string_free(j->ids, TRUE);
	g_string_free(j->labels, TRUE);
	g_free(j->pending[0]);
	g_free(j->pending[1]);
	g_free(j);
}

static void ops_write(void *sink, enum k8slog_stream stream, const char *data, size_t len,
		      const struct timespec *ts)
{
	/* journald stamps the entry itself, as with conmon. */
	log_journald_write(sink, stream, data, len);
}

static int ops_finish(void *sink, bool sync)
{
	/* A lost entry was counted and reported already. */
	log_journald_flush(sink);
	return 0;
}

static uint64_t ops_lost_bytes(const void *sink)
{
	return log_journald_lost_bytes(sink);
}

static void ops_free(void *sink)
{
	log_journald_free(sink);
}

const struct log_sink_ops log_journald_ops = {
	.name = "journald",
	.write = ops_write,
	.reopen = NULL,
	.finish = ops_finish,
	.lost_bytes = ops_lost_bytes,
	.free = ops_free,
};
