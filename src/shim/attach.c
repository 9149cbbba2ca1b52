#define G_LOG_DOMAIN "attach"

#include "tether/attach.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"
#include "tether/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct client {
	struct attach *owner;
	int fd;
	GSource *source;
	bool reading;	      /* false once the client shut its write side */
	bool waiting;	      /* its next packet waits for room in stdin */
	bool congesting;      /* far behind: holding the relay up */
	bool stuck;	      /* took nothing for ATTACH_STUCK_MS: output dropped */
	gint64 last_progress; /* monotonic µs of its last packet taken */
	GQueue queue;	      /* GBytes packets waiting for POLLOUT */
	size_t queued;
	uint64_t dropped;
};

struct attach {
	const struct attach_ops *ops;
	void *ops_data;
	int listen_fd;
	GSource *listen_source;
	int bundle_fd; /* O_PATH, to unlink "attach" whatever the path length */
	char *symlink_path;
	GList *clients;
	uint64_t dropped;
	bool congested;
	guint check_src;
};

static void update_congestion(struct attach *a);

static void client_free(struct client *c)
{
	g_source_destroy(c->source);
	g_source_unref(c->source);
	fdutil_close(&c->fd);
	g_queue_clear_full(&c->queue, (GDestroyNotify)g_bytes_unref);
	g_free(c);
}

static void client_remove(struct client *c)
{
	struct attach *a = c->owner;
	a->clients = g_list_remove(a->clients, c);
	a->dropped += c->dropped;
	bool was_congesting = c->congesting;
	diag_debug("attach client fd %d closed (%u left)", c->fd, g_list_length(a->clients));
	client_free(c);
	if (was_congesting)
		update_congestion(a);
}

static void client_update_events(struct client *c)
{
	GIOCondition ev = G_IO_HUP | G_IO_ERR;
	if (c->reading && !c->waiting)
		ev |= G_IO_IN;
	if (c->queued > 0)
		ev |= G_IO_OUT;
	fdsource_set_events(c->source, ev);
}

/* Send one packet now. Returns 0, -EAGAIN, or another -errno (client gone). */
static int send_packet(int fd, const void *data, size_t len)
{
	ssize_t n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	return 0;
}

/* Returns false if the client is gone. */
static bool client_flush(struct client *c)
{
	GBytes *b;
	bool progress = false;
	while ((b = g_queue_peek_head(&c->queue)) != NULL) {
		gsize len;
		const void *data = g_bytes_get_data(b, &len);
		int r = send_packet(c->fd, data, len);
		if (r == -EAGAIN)
			break;
		if (r < 0)
			return false;
		g_queue_pop_head(&c->queue);
		c->queued -= len;
		g_bytes_unref(b);
		progress = true;
	}
	if (progress)
		c->last_progress = g_get_monotonic_time();
	if (c->queued == 0 && c->stuck) {
		diag_info("attach client fd %d reads again", c->fd);
		c->stuck = false;
	}
	/* Hysteresis: let go of the relay once half way down. */
	if (c->congesting && c->queued < ATTACH_CLIENT_QUEUE_HIGH / 2) {
		c->congesting = false;
		update_congestion(c->owner);
	}
	return true;
}

/* Read one packet from a client into the container's stdin. Packets of any
 * size are read whole (conmon cuts them at 32 KiB); one that does not fit in
 * stdin yet waits in the socket. Returns false if the client is gone. */
static bool client_read(struct client *c)
{
	struct attach *a = c->owner;
	ssize_t size = recv(c->fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	if (size < 0)
		return errno == EAGAIN || errno == EINTR;
	if (size > 0 && a->ops != NULL && a->ops->room(a->ops_data) < (size_t)size) {
		c->waiting = true;
		return true;
	}
	g_autofree char *buf = g_malloc(size > 0 ? (size_t)size : 1);
	ssize_t n = recv(c->fd, buf, size > 0 ? (size_t)size : 1, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		/* The client shut its write side (detach, or stdin EOF): it
		 * still gets output. */
		c->reading = false;
		if (a->ops != NULL)
			a->ops->eof(a->ops_data);
		return true;
	}
	if (a->ops != NULL)
		a->ops->input(a->ops_data, buf, (size_t)n);
	return true;
}

void attach_resume_input(struct attach *a)
{
	for (GList *l = a->clients; l != NULL; l = l->next) {
		struct client *c = l->data;
		if (c->waiting) {
			c->waiting = false;
			client_update_events(c);
		}
	}
}

static gboolean on_client(int fd, GIOCondition revents, gpointer data)
{
	struct client *c = data;
	if ((revents & G_IO_IN) && !client_read(c)) {
		client_remove(c);
		return G_SOURCE_CONTINUE; /* destroyed by client_remove */
	}
	if ((revents & G_IO_OUT) && !client_flush(c)) {
		client_remove(c);
		return G_SOURCE_CONTINUE;
	}
	/* HUP: the client closed both ends. With queued output, ERR/HUP also
	 * means nobody will ever read it. */
	if ((revents & G_IO_ERR) || ((revents & G_IO_HUP) && !(revents & G_IO_IN))) {
		if (c->reading && c->owner->ops != NULL)
			c->owner->ops->eof(c->owner->ops_data);
		client_remove(c);
		return G_SOURCE_CONTINUE;
	}
	client_update_events(c);
	return G_SOURCE_CONTINUE;
}

static struct client *client_new(struct attach *a, int cfd);

static gboolean on_listen(int fd, GIOCondition revents, gpointer data)
{
	struct attach *a = data;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				diag_warn("Failed to accept attach client: %s", g_strerror(errno));
			break;
		}
		/* Room in the socket for a whole read's packets (256 KiB of
		 * output is 32 of them), so the relay rarely finds it full: a
		 * packet that does not fit is copied into the queue and waits
		 * for a POLLOUT wake-up. FORCE passes wmem_max when we may. */
		int sndbuf = ATTACH_CLIENT_SNDBUF;
		if (setsockopt(cfd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
			(void)setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		(void)client_new(a, cfd);
		diag_debug("attach client fd %d connected", cfd);
	}
	return G_SOURCE_CONTINUE;
}

static struct client *client_new(struct attach *a, int cfd)
{
	struct client *c = g_new0(struct client, 1);
	c->owner = a;
	c->fd = cfd;
	c->reading = true;
	c->last_progress = g_get_monotonic_time();
	g_queue_init(&c->queue);
	c->source = fdsource_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client, c);
	a->clients = g_list_prepend(a->clients, c);
	return c;
}

void attach_accept_pending(struct attach *a)
{
	(void)on_listen(a->listen_fd, G_IO_IN, a);
}

static int bind_in_dir(int fd, int dir_fd, const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir_fd, name);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	return 0;
}

static bool make_symlink(struct attach *a, const char *bundle, const char *socket_dir,
			 const char *cuuid, GError **error)
{
	if (g_mkdir_with_parents(socket_dir, 0700) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Failed to create socket directory %s: %s", socket_dir,
			    g_strerror(errno));
		return false;
	}
	g_autofree char *link = g_build_filename(socket_dir, cuuid, NULL);
	if (unlink(link) < 0 && errno != ENOENT) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Failed to remove old %s: %s", link, g_strerror(errno));
		return false;
	}
	if (symlink(bundle, link) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Failed to create symlink %s: %s", link, g_strerror(errno));
		return false;
	}
	a->symlink_path = g_steal_pointer(&link);
	return true;
}

/* The struct, the bundle's fd and the symlink: what a new socket and an
 * adopted one share. */
static struct attach *attach_init(const char *bundle, const char *socket_dir, const char *cuuid,
				  bool full_attach, const struct attach_ops *ops, void *data,
				  GError **error)
{
	g_autoptr(attach) a = g_new0(struct attach, 1);
	a->ops = ops;
	a->ops_data = data;
	a->listen_fd = -1;
	a->bundle_fd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (a->bundle_fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Failed to open bundle %s: %s", bundle, g_strerror(errno));
		return NULL;
	}
	if (!full_attach && !make_symlink(a, bundle, socket_dir, cuuid, error))
		return NULL;
	return g_steal_pointer(&a);
}

struct attach *attach_new(const char *bundle, const char *socket_dir, const char *cuuid,
			  bool full_attach, const struct attach_ops *ops, void *data,
			  GError **error)
{
	g_autoptr(attach) a = attach_init(bundle, socket_dir, cuuid, full_attach, ops, data, error);
	if (a == NULL)
		return NULL;
	a->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r = a->listen_fd < 0 ? -errno : 0;
	/* The mode of the socket inode becomes the file's: owner only. */
	if (r == 0 && fchmod(a->listen_fd, 0700) < 0)
		r = -errno;
	if (r == 0 && unlinkat(a->bundle_fd, "attach", 0) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0)
		r = bind_in_dir(a->listen_fd, a->bundle_fd, "attach");
	if (r == 0 && listen(a->listen_fd, 10) < 0)
		r = -errno;
	if (r < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-r),
			    "Failed to create attach socket in %s: %s", bundle, g_strerror(-r));
		return NULL;
	}
	a->listen_source = fdsource_new(a->listen_fd, G_IO_IN, on_listen, a);
	return g_steal_pointer(&a);
}

json_object *attach_export(struct attach *a, GArray *keep, bool clients_too)
{
	json_object *st = json_object_new_object();
	json_object_object_add(st, "listen_fd",
			       json_object_new_int(handover_keep_fd(keep, a->listen_fd)));
	json_object_object_add(st, "dropped", json_object_new_int64((int64_t)a->dropped));
	if (!clients_too)
		return st;
	json_object *clients = json_object_new_array();
	/* Oldest first, as they connected. */
	for (GList *l = g_list_last(a->clients); l != NULL; l = l->prev) {
		struct client *c = l->data;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "fd", json_object_new_int(handover_keep_fd(keep, c->fd)));
		json_object_object_add(o, "reading", json_object_new_boolean(c->reading));
		json_object_object_add(o, "stuck", json_object_new_boolean(c->stuck));
		json_object_object_add(o, "dropped", json_object_new_int64((int64_t)c->dropped));
		json_object *queue = json_object_new_array();
		for (GList *q = c->queue.head; q != NULL; q = q->next) {
			gsize len;
			const void *data = g_bytes_get_data(q->data, &len);
			json_object_array_add(queue, handover_bytes(data, len));
		}
		json_object_object_add(o, "queue", queue);
		json_object_array_add(clients, o);
	}
	json_object_object_add(st, "clients", clients);
	return st;
}

struct attach *attach_adopt(json_object *st, const struct handover_fds *fds, const char *bundle,
			    const char *socket_dir, const char *cuuid, bool full_attach,
			    const struct attach_ops *ops, void *data, GError **error)
{
	g_autoptr(attach) a = attach_init(bundle, socket_dir, cuuid, full_attach, ops, data, error);
	if (a == NULL)
		return NULL;
	a->listen_fd = handover_get_fd(fds, st, "listen_fd");
	if (a->listen_fd < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_BADF,
			    "the handed-over state has no attach socket");
		return NULL;
	}
	a->dropped = (uint64_t)handover_get_int(st, "dropped", 0);
	json_object *clients = handover_get(st, "clients", json_type_array);
	for (size_t i = 0; clients != NULL && i < json_object_array_length(clients); i++) {
		json_object *o = json_object_array_get_idx(clients, i);
		int fd = handover_get_fd(fds, o, "fd");
		if (fd < 0)
			continue;
		struct client *c = client_new(a, fd);
		c->reading = handover_get_bool(o, "reading");
		c->stuck = handover_get_bool(o, "stuck");
		c->dropped = (uint64_t)handover_get_int(o, "dropped", 0);
		json_object *queue = handover_get(o, "queue", json_type_array);
		for (size_t k = 0; queue != NULL && k < json_object_array_length(queue); k++) {
			GBytes *b = handover_to_bytes(json_object_array_get_idx(queue, k));
			if (b == NULL)
				continue;
			c->queued += g_bytes_get_size(b);
			g_queue_push_tail(&c->queue, b);
		}
		c->congesting = c->queued >= ATTACH_CLIENT_QUEUE_HIGH;
		client_update_events(c);
	}
	a->listen_source = fdsource_new(a->listen_fd, G_IO_IN, on_listen, a);
	update_congestion(a);
	return g_steal_pointer(&a);
}

static gboolean on_check(gpointer data)
{
	struct attach *a = data;
	gint64 now = g_get_monotonic_time();
	for (GList *l = a->clients; l != NULL; l = l->next) {
		struct client *c = l->data;
		if (c->congesting && now - c->last_progress > ATTACH_STUCK_MS * 1000) {
			diag_warn("attach client fd %d takes no output: dropping what it misses",
				  c->fd);
			c->stuck = true;
			c->congesting = false;
			c->dropped += c->queued;
			g_queue_clear_full(&c->queue, (GDestroyNotify)g_bytes_unref);
			g_queue_init(&c->queue);
			c->queued = 0;
			client_update_events(c);
		}
	}
	update_congestion(a);
	if (a->congested)
		return G_SOURCE_CONTINUE;
	a->check_src = 0;
	return G_SOURCE_REMOVE;
}

/* Tell the monitor whether a live client holds the relay up. */
static void update_congestion(struct attach *a)
{
	bool any = false;
	for (GList *l = a->clients; l != NULL && !any; l = l->next)
		any = ((struct client *)l->data)->congesting;
	if (any && a->check_src == 0)
		a->check_src = g_timeout_add(ATTACH_STUCK_MS / 8, on_check, a);
	if (any != a->congested) {
		a->congested = any;
		diag_debug("attach: %s the relay", any ? "holding up" : "releasing");
		if (a->ops != NULL && a->ops->congested != NULL)
			a->ops->congested(a->ops_data, any);
	}
}

static void client_queue(struct client *c, int stream, const char *data, size_t len)
{
	/* A stuck client misses output; a live one never does (the relay
	 * stops for it), but is bounded anyway. */
	if (c->stuck || c->queued + len + 1 > 2 * ATTACH_CLIENT_QUEUE_HIGH) {
		c->dropped += len;
		return;
	}
	char *pkt = g_malloc(len + 1);
	pkt[0] = (char)stream;
	memcpy(pkt + 1, data, len);
	g_queue_push_tail(&c->queue, g_bytes_new_take(pkt, len + 1));
	c->queued += len + 1;
	if (!c->congesting && c->queued > ATTACH_CLIENT_QUEUE_HIGH) {
		c->congesting = true;
		update_congestion(c->owner);
	}
}

/* Send as many of a chunk's packets as the socket takes now, up to
 * ATTACH_SEND_BATCH per sendmmsg(): one syscall for a whole read's worth.
 * Returns the data bytes sent (whole packets; the caller queues the rest),
 * or -errno if the client is gone. A short count means the socket is full,
 * or the client went away, which its source's HUP/ERR then tells. */
static ssize_t send_batch(int fd, int stream, const char *data, size_t len)
{
	char prefix = (char)stream;
	struct iovec iov[ATTACH_SEND_BATCH][2];
	struct mmsghdr msgs[ATTACH_SEND_BATCH];
	size_t off = 0;
	while (off < len) {
		unsigned n = 0;
		for (size_t o = off; o < len && n < ATTACH_SEND_BATCH; n++) {
			size_t k = MIN(len - o, (size_t)ATTACH_PACKET_DATA_MAX);
			iov[n][0] = (struct iovec){.iov_base = &prefix, .iov_len = 1};
			iov[n][1] = (struct iovec){.iov_base = (void *)(data + o), .iov_len = k};
			msgs[n] = (struct mmsghdr){.msg_hdr = {.msg_iov = iov[n], .msg_iovlen = 2}};
			o += k;
		}
		int sent = sendmmsg(fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0)
			return errno == EAGAIN || errno == EINTR ? (ssize_t)off : -errno;
		for (int i = 0; i < sent; i++)
			off += iov[i][1].iov_len;
		if ((unsigned)sent < n)
			break;
	}
	return (ssize_t)off;
}

void attach_broadcast(struct attach *a, int stream, const char *data, size_t len)
{
	for (GList *l = a->clients; l != NULL;) {
		struct client *c = l->data;
		l = l->next;
		bool was_empty = c->queued == 0;
		size_t off = 0;
		if (was_empty) {
			ssize_t r = send_batch(c->fd, stream, data, len);
			if (r < 0) {
				client_remove(c);
				continue;
			}
			off = (size_t)r;
		}
		/* Behind a queue, or what the socket did not take: queued in
		 * order, cut where the packets would have been. */
		for (size_t n; off < len; off += n) {
			n = MIN(len - off, (size_t)ATTACH_PACKET_DATA_MAX);
			client_queue(c, stream, data + off, n);
		}
		if (was_empty && c->queued > 0)
			client_update_events(c);
	}
}

void attach_shutdown(struct attach *a, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	for (;;) {
		g_autofree struct pollfd *pfds = g_new0(struct pollfd, g_list_length(a->clients));
		g_autofree struct client **who = g_new0(struct client *, g_list_length(a->clients));
		nfds_t n = 0;
		for (GList *l = a->clients; l != NULL; l = l->next) {
			struct client *c = l->data;
			if (c->queued > 0) {
				pfds[n] = (struct pollfd){.fd = c->fd, .events = POLLOUT};
				who[n++] = c;
			}
		}
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		if (n == 0 || left <= 0)
			break;
		if (poll(pfds, n, (int)left) < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; i < n; i++) {
			if (pfds[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				client_remove(who[i]);
			else if ((pfds[i].revents & POLLOUT) && !client_flush(who[i]))
				client_remove(who[i]);
		}
	}
	while (a->clients != NULL)
		client_remove(a->clients->data);
	if (a->listen_source != NULL) {
		g_source_destroy(a->listen_source);
		g_clear_pointer(&a->listen_source, g_source_unref);
	}
	fdutil_close(&a->listen_fd);
	if (a->bundle_fd >= 0)
		(void)unlinkat(a->bundle_fd, "attach", 0);
	if (a->symlink_path != NULL) {
		(void)unlink(a->symlink_path);
		g_clear_pointer(&a->symlink_path, g_free);
	}
}

unsigned attach_client_count(const struct attach *a)
{
	return g_list_length(a->clients);
}

uint64_t attach_dropped_bytes(const struct attach *a)
{
	uint64_t total = a->dropped;
	for (GList *l = a->clients; l != NULL; l = l->next)
		total += ((struct client *)l->data)->dropped;
	return total;
}

void attach_free(struct attach *a)
{
	if (a == NULL)
		return;
	a->ops = NULL; /* the monitor is going away too */
	if (a->check_src != 0)
		g_source_remove(a->check_src);
	while (a->clients != NULL)
		client_remove(a->clients->data);
	if (a->listen_source != NULL) {
		g_source_destroy(a->listen_source);
		g_source_unref(a->listen_source);
	}
	fdutil_close(&a->listen_fd);
	fdutil_close(&a->bundle_fd);
	g_free(a->symlink_path);
	g_free(a);
}
