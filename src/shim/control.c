#define G_LOG_DOMAIN "control"

#include "tether/control.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"
#include "tether/handover.h"
#include "tether/jsonutil.h"
#include "tether/version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A client that does not read its replies or events gets this much queued,
 * then is disconnected: it never holds the monitor up. */
#define CONTROL_OUT_MAX (1024 * 1024)

struct conn {
	struct control *owner;
	int fd;
	GSource *source;
	GString *in;
	GString *out;
	json_object *wait_id;	 /* a "wait" to answer at exit (its id, or null) */
	json_object *upgrade_id; /* an "upgrade" to answer once done (its id) */
	bool waiting;
	bool upgrading;
	bool subscribed;
	bool closing; /* close once out is flushed */
};

struct control {
	const struct control_ops *ops;
	void *data;
	int listen_fd;
	int bundle_fd;
	GSource *source;
	GList *conns;
};

static json_object *error_reply(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static json_object *error_reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_object *r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

static json_object *ok_reply(void)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	return r;
}

static bool get_uint(json_object *req, const char *key, unsigned max, unsigned *ret)
{
	json_object *v;
	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	int64_t n = json_object_get_int64(v);
	if (n < 0 || n > max)
		return false;
	*ret = (unsigned)n;
	return true;
}

static json_object *handle(const struct control_ops *ops, void *data, json_object *req,
			   struct control_defer *ret)
{
	json_object *v;
	if (!json_object_object_get_ex(req, "request", &v) ||
	    !json_object_is_type(v, json_type_string))
		return error_reply("a request needs a \"request\" string");
	const char *what = json_object_get_string(v);
	json_object *r;
	if (strcmp(what, "version") == 0) {
		r = ok_reply();
		json_object_object_add(r, "version", json_object_new_string(TETHER_VERSION));
		json_object_object_add(r, "conmon_version",
				       json_object_new_string(TETHER_CONMON_COMPAT_VERSION));
	} else if (strcmp(what, "state") == 0) {
		r = ok_reply();
		ops->state(data, r);
	} else if (strcmp(what, "stats") == 0) {
		r = ok_reply();
		ops->stats(data, r);
	} else if (strcmp(what, "wait") == 0) {
		if (!ops->exited(data)) {
			ret->wait = true;
			return NULL;
		}
		r = ok_reply();
		ops->state(data, r);
	} else if (strcmp(what, "resize") == 0) {
		unsigned rows, cols;
		if (!get_uint(req, "rows", 65535, &rows) || !get_uint(req, "cols", 65535, &cols))
			return error_reply("resize needs \"rows\" and \"cols\" from 0 to 65535");
		const char *err = ops->resize(data, rows, cols);
		r = err ? error_reply("%s", err) : ok_reply();
	} else if (strcmp(what, "reopen") == 0) {
		const char *err = ops->reopen(data);
		r = err ? error_reply("%s", err) : ok_reply();
	} else if (strcmp(what, "metrics") == 0) {
		r = ok_reply();
		char *text = ops->metrics(data);
		json_object_object_add(r, "text", json_object_new_string(text));
		g_free(text);
	} else if (strcmp(what, "replay") == 0) {
		unsigned n;
		if (!get_uint(req, "bytes", 1u << 30, &n))
			return error_reply("replay needs \"bytes\" from 0 to 1073741824");
		json_object *chunks = ops->replay(data, n);
		if (chunks == NULL)
			return error_reply("no output is kept for replay (--replay-size)");
		r = ok_reply();
		json_object_object_add(r, "chunks", chunks);
	} else if (strcmp(what, "started") == 0) {
		const char *err = ops->started(data);
		r = err ? error_reply("%s", err) : ok_reply();
	} else if (strcmp(what, "subscribe") == 0) {
		ret->subscribe = true;
		r = ok_reply();
	} else if (strcmp(what, "upgrade") == 0) {
		json_object *bin = NULL;
		if (json_object_object_get_ex(req, "binary", &bin) &&
		    !json_object_is_type(bin, json_type_string))
			return error_reply("upgrade's \"binary\" is a path");
		g_autofree char *err =
			ops->upgrade ? ops->upgrade(data, bin ? json_object_get_string(bin) : NULL)
				     : g_strdup("live upgrade is not possible here");
		if (err != NULL)
			return error_reply("%s", err);
		ret->upgrade = true;
		return NULL;
	} else {
		r = error_reply("unknown request '%s'", what);
	}
	return r;
}

json_object *control_handle(const struct control_ops *ops, void *data, const char *line, size_t len,
			    struct control_defer *ret)
{
	*ret = (struct control_defer){0};
	g_autoptr(json_tokener) tok = json_tokener_new();
	g_autoptr(json_object) req = json_tokener_parse_ex(tok, line, (int)len);
	if (req == NULL || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(req, json_type_object))
		return error_reply("malformed request: one JSON object per line");
	json_object *r = handle(ops, data, req, ret);
	json_object *id;
	if (r != NULL && json_object_object_get_ex(req, "id", &id))
		json_object_object_add(r, "id", json_object_get(id));
	return r;
}

/* --- connections ------------------------------------------------------------ */

static void conn_free(struct conn *k)
{
	g_source_destroy(k->source);
	g_source_unref(k->source);
	fdutil_close(&k->fd);
	g_string_free(k->in, TRUE);
	g_string_free(k->out, TRUE);
	json_object_put(k->wait_id);
	json_object_put(k->upgrade_id);
	g_free(k);
}

static void conn_remove(struct conn *k)
{
	k->owner->conns = g_list_remove(k->owner->conns, k);
	conn_free(k);
}

static void conn_events(struct conn *k)
{
	GIOCondition ev = G_IO_HUP | G_IO_ERR;
	if (!k->closing)
		ev |= G_IO_IN;
	if (k->out->len > 0)
		ev |= G_IO_OUT;
	fdsource_set_events(k->source, ev);
}

/* Returns false if the connection is gone. */
static bool conn_flush(struct conn *k)
{
	while (k->out->len > 0) {
		ssize_t n = send(k->fd, k->out->str, k->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return false;
		g_string_erase(k->out, 0, n);
	}
	if (k->out->len == 0 && k->closing)
		return false;
	conn_events(k);
	return true;
}

static bool conn_send(struct conn *k, json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (k->out->len + strlen(s) + 1 > CONTROL_OUT_MAX) {
		diag_warn("control client fd %d does not read: disconnecting it", k->fd);
		return false;
	}
	g_string_append(k->out, s);
	g_string_append_c(k->out, '\n');
	return conn_flush(k);
}

static bool conn_lines(struct conn *k)
{
	struct control *c = k->owner;
	char *nl;
	while (!k->closing && (nl = memchr(k->in->str, '\n', k->in->len)) != NULL) {
		size_t len = (size_t)(nl - k->in->str);
		struct control_defer d;
		g_autoptr(json_object) r = control_handle(c->ops, c->data, k->in->str, len, &d);
		if (d.wait || d.upgrade) {
			/* Answer later (at exit; once upgraded), with the
			 * request's id. */
			g_autoptr(json_tokener) tok = json_tokener_new();
			g_autoptr(json_object) req =
				json_tokener_parse_ex(tok, k->in->str, (int)len);
			json_object *id = NULL;
			if (req)
				(void)json_object_object_get_ex(req, "id", &id);
			if (d.wait) {
				k->wait_id = json_object_get(id);
				k->waiting = true;
			} else {
				k->upgrade_id = json_object_get(id);
				k->upgrading = true;
			}
		}
		if (d.subscribe)
			k->subscribed = true;
		g_string_erase(k->in, 0, (gssize)len + 1);
		if (r != NULL && !conn_send(k, r))
			return false;
	}
	if (k->in->len > CONTROL_LINE_MAX) {
		g_autoptr(json_object) r =
			error_reply("request longer than %d bytes", CONTROL_LINE_MAX);
		k->closing = true;
		g_string_truncate(k->in, 0);
		return conn_send(k, r);
	}
	return true;
}

static gboolean on_conn(int fd, GIOCondition revents, gpointer data)
{
	struct conn *k = data;
	if (revents & G_IO_IN) {
		char buf[8192];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_remove(k);
			return G_SOURCE_CONTINUE;
		}
		if (n > 0) {
			g_string_append_len(k->in, buf, n);
			if (!conn_lines(k)) {
				conn_remove(k);
				return G_SOURCE_CONTINUE;
			}
		}
	}
	if (((revents & G_IO_OUT) && !conn_flush(k)) || (revents & (G_IO_ERR | G_IO_HUP))) {
		conn_remove(k);
		return G_SOURCE_CONTINUE;
	}
	return G_SOURCE_CONTINUE;
}

static struct conn *conn_new(struct control *c, int cfd)
{
	struct conn *k = g_new0(struct conn, 1);
	k->owner = c;
	k->fd = cfd;
	k->in = g_string_new(NULL);
	k->out = g_string_new(NULL);
	k->source = fdsource_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_conn, k);
	c->conns = g_list_prepend(c->conns, k);
	return k;
}

static gboolean on_accept(int fd, GIOCondition revents, gpointer data)
{
	struct control *c = data;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			break;
		struct ucred cred;
		socklen_t len = sizeof(cred);
		/* Only our own user and root: the socket's mode says so too. */
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != 0 && cred.uid != getuid())) {
			diag_warn("control socket: refused a client of uid %d", (int)cred.uid);
			close(cfd);
			continue;
		}
		(void)conn_new(c, cfd);
	}
	return G_SOURCE_CONTINUE;
}

void control_event(struct control *c, const char *event, json_object *fields)
{
	if (c == NULL) {
		json_object_put(fields);
		return;
	}
	g_autoptr(json_object) ev = fields ? fields : json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string(event));
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *ts = g_date_time_format_iso8601(now);
	json_object_object_add(ev, "time", json_object_new_string(ts));
	bool exited = strcmp(event, "exited") == 0;
	for (GList *l = c->conns; l != NULL;) {
		struct conn *k = l->data;
		l = l->next;
		bool ok = true;
		if (k->subscribed)
			ok = conn_send(k, ev);
		if (ok && exited && k->waiting) {
			g_autoptr(json_object) r = ok_reply();
			c->ops->state(c->data, r);
			if (k->wait_id)
				json_object_object_add(r, "id", json_object_get(k->wait_id));
			k->waiting = false;
			ok = conn_send(k, r);
		}
		if (!ok)
			conn_remove(k);
	}
}

void control_upgrade_done(struct control *c, const char *error, json_object *fields)
{
	g_autoptr(json_object) owned = fields;
	for (GList *l = c ? c->conns : NULL; l != NULL;) {
		struct conn *k = l->data;
		l = l->next;
		if (!k->upgrading)
			continue;
		g_autoptr(json_object) r = error ? error_reply("%s", error) : ok_reply();
		if (error == NULL && fields != NULL) {
			json_object_object_foreach(fields, key, val)
			{
				json_object_object_add(r, key, json_object_get(val));
			}
		}
		if (k->upgrade_id)
			json_object_object_add(r, "id", json_object_get(k->upgrade_id));
		k->upgrading = false;
		g_clear_pointer(&k->upgrade_id, json_object_put);
		if (!conn_send(k, r))
			conn_remove(k);
	}
}

json_object *control_export(struct control *c, GArray *keep, bool conns_too)
{
	json_object *st = json_object_new_object();
	json_object_object_add(st, "listen_fd",
			       json_object_new_int(handover_keep_fd(keep, c->listen_fd)));
	if (!conns_too)
		return st;
	json_object *conns = json_object_new_array();
	for (GList *l = g_list_last(c->conns); l != NULL; l = l->prev) {
		struct conn *k = l->data;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "fd", json_object_new_int(handover_keep_fd(keep, k->fd)));
		json_object_object_add(o, "in", handover_bytes(k->in->str, k->in->len));
		json_object_object_add(o, "out", handover_bytes(k->out->str, k->out->len));
		json_object_object_add(o, "waiting", json_object_new_boolean(k->waiting));
		json_object_object_add(o, "subscribed", json_object_new_boolean(k->subscribed));
		json_object_object_add(o, "closing", json_object_new_boolean(k->closing));
		json_object_object_add(o, "upgrading", json_object_new_boolean(k->upgrading));
		json_object_object_add(o, "wait_id", json_object_get(k->wait_id));
		json_object_object_add(o, "upgrade_id", json_object_get(k->upgrade_id));
		json_object_array_add(conns, o);
	}
	json_object_object_add(st, "conns", conns);
	return st;
}

static struct control *control_init(const char *bundle, const struct control_ops *ops, void *data)
{
	struct control *c = g_new0(struct control, 1);
	c->ops = ops;
	c->data = data;
	c->listen_fd = -1;
	c->bundle_fd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return c;
}

struct control *control_adopt(json_object *st, const struct handover_fds *fds, const char *bundle,
			      const struct control_ops *ops, void *data, GError **error)
{
	g_autoptr(control) c = control_init(bundle, ops, data);
	c->listen_fd = handover_get_fd(fds, st, "listen_fd");
	if (c->bundle_fd < 0 || c->listen_fd < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_BADF,
			    "the handed-over state has no control socket in %s", bundle);
		return NULL;
	}
	json_object *conns = handover_get(st, "conns", json_type_array);
	for (size_t i = 0; conns != NULL && i < json_object_array_length(conns); i++) {
		json_object *o = json_object_array_get_idx(conns, i);
		int fd = handover_get_fd(fds, o, "fd");
		if (fd < 0)
			continue;
		struct conn *k = conn_new(c, fd);
		g_autoptr(GBytes) in = handover_get_bytes(o, "in");
		g_autoptr(GBytes) out = handover_get_bytes(o, "out");
		gsize len;
		const char *p;
		if (in != NULL && (p = g_bytes_get_data(in, &len)) != NULL)
			g_string_append_len(k->in, p, (gssize)len);
		if (out != NULL && (p = g_bytes_get_data(out, &len)) != NULL)
			g_string_append_len(k->out, p, (gssize)len);
		k->waiting = handover_get_bool(o, "waiting");
		k->subscribed = handover_get_bool(o, "subscribed");
		k->closing = handover_get_bool(o, "closing");
		k->upgrading = handover_get_bool(o, "upgrading");
		json_object *id;
		if (json_object_object_get_ex(o, "wait_id", &id))
			k->wait_id = json_object_get(id);
		if (json_object_object_get_ex(o, "upgrade_id", &id))
			k->upgrade_id = json_object_get(id);
		conn_events(k);
	}
	c->source = fdsource_new(c->listen_fd, G_IO_IN, on_accept, c);
	return g_steal_pointer(&c);
}

struct control *control_new(const char *bundle, const struct control_ops *ops, void *data,
			    GError **error)
{
	g_autoptr(control) c = control_init(bundle, ops, data);
	int r = 0;
	if (c->bundle_fd < 0)
		r = -errno;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (r == 0) {
		snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/control",
			 c->bundle_fd);
		(void)unlinkat(c->bundle_fd, "control", 0);
		c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->listen_fd < 0 || fchmod(c->listen_fd, 0600) < 0 ||
		    bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
		    listen(c->listen_fd, 16) < 0)
			r = -errno;
	}
	if (r < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-r),
			    "Failed to create the control socket in %s: %s", bundle,
			    g_strerror(-r));
		return NULL;
	}
	c->source = fdsource_new(c->listen_fd, G_IO_IN, on_accept, c);
	return g_steal_pointer(&c);
}

void control_free(struct control *c)
{
	if (c == NULL)
		return;
	/* Everyone still connected gets what is queued, as far as it goes. */
	while (c->conns != NULL) {
		struct conn *k = c->conns->data;
		(void)conn_flush(k);
		conn_remove(k);
	}
	if (c->source != NULL) {
		g_source_destroy(c->source);
		g_source_unref(c->source);
	}
	fdutil_close(&c->listen_fd);
	if (c->bundle_fd >= 0)
		(void)unlinkat(c->bundle_fd, "control", 0);
	fdutil_close(&c->bundle_fd);
	g_free(c);
}
