/* A client of the shim's control socket. */
#include "tether/ctl_control.h"
#include "tether/ctl.h"
#include "tether/ctl_exit.h"
#include "tether/fdutil.h"
#include "tether/jsonutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_control_open(const char *cdir, struct ctl_control *ret_conn)
{
	_cleanup_close_ int dfd = open(cdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/control", dfd);
	int r;
	while ((r = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -errno;
	ret_conn->fd = fd;
	fd = -1;
	ret_conn->buf = g_string_new(NULL);
	return 0;
}

void ctl_control_close(struct ctl_control *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	if (conn->buf != NULL)
		g_string_free(conn->buf, TRUE);
	conn->buf = NULL;
}

int ctl_control_send(struct ctl_control *conn, json_object *req)
{
	g_autofree char *line = g_strdup_printf(
		"%s\n", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	return fdutil_write_all(conn->fd, line, strlen(line));
}

int ctl_control_next(struct ctl_control *conn, json_object **ret_obj)
{
	for (;;) {
		char *nl = memchr(conn->buf->str, '\n', conn->buf->len);
		if (nl == NULL)
			return conn->buf->len > CTL_CONTROL_LINE_MAX ? -EBADMSG : 0;
		size_t len = (size_t)(nl - conn->buf->str);
		json_object *obj = NULL;
		if (len > 0) {
			g_autoptr(json_tokener) tok = json_tokener_new();
			obj = json_tokener_parse_ex(tok, conn->buf->str, (int)len);
		}
		g_string_erase(conn->buf, 0, (gssize)len + 1);
		if (len == 0)
			continue;
		if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			return -EBADMSG;
		}
		*ret_obj = obj;
		return 1;
	}
}

int ctl_control_fill(struct ctl_control *conn)
{
	char chunk[8192];
	ssize_t n;
	while ((n = read(conn->fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	g_string_append_len(conn->buf, chunk, n);
	return (int)n;
}

int ctl_control_read(struct ctl_control *conn, int timeout_ms, json_object **ret_obj)
{
	gint64 deadline = timeout_ms < 0 ? -1 : ctl_now_ms() + timeout_ms;
	for (;;) {
		int r = ctl_control_next(conn, ret_obj);
		if (r != 0)
			return r;
		int wait_ms = -1;
		if (deadline >= 0) {
			gint64 left = deadline - ctl_now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait_ms = (int)MIN(left, G_MAXINT);
		}
		struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
		r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		r = ctl_control_fill(conn);
		if (r == 0)
			return 0;
		if (r < 0 && r != -EAGAIN)
			return r;
	}
}

json_object *ctl_control_call(const char *cdir, const char *id, const char *request,
			      json_object *args, int timeout_ms, GError **error)
{
	struct ctl_control conn = {.fd = -1};
	int r = ctl_control_open(cdir, &conn);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "cannot reach the shim of container %s (its control socket): %s", id,
			    g_strerror(-r));
		return NULL;
	}
	g_autoptr(json_object) req = json_object_new_object();
	json_object_object_add(req, "request", json_object_new_string(request));
	if (args != NULL) {
		json_object_object_foreach(args, k, v)
		{
			json_object_object_add(req, k, json_object_get(v));
		}
	}
	json_object *reply = NULL;
	r = ctl_control_send(&conn, req);
	while (r >= 0) {
		r = ctl_control_read(&conn, timeout_ms, &reply);
		if (r <= 0)
			break;
		if (json_object_object_get_ex(reply, "ok", NULL))
			break;
		/* An event, not our reply. */
		g_clear_pointer(&reply, json_object_put);
	}
	ctl_control_close(&conn);
	if (r <= 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "no answer to '%s' from the shim of container %s: %s", request, id,
			    r == 0 ? "it closed the connection" : g_strerror(-r));
		return NULL;
	}
	json_object *ok = NULL, *msg = NULL;
	json_object_object_get_ex(reply, "ok", &ok);
	if (!json_object_get_boolean(ok)) {
		json_object_object_get_ex(reply, "error", &msg);
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM, "the shim of container %s: %s: %s",
			    id, request, msg ? json_object_get_string(msg) : "request failed");
		json_object_put(reply);
		return NULL;
	}
	return reply;
}
