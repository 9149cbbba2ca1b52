#define G_LOG_DOMAIN "console"

#include "tether/console.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* runc sends the terminal's name with the fd; conmon accepts 4096 bytes. */
#define CONSOLE_NAME_MAX 4096

struct console {
	char *dir;
	char *path;
	int listen_fd;
	GSource *source;
	console_func func;
	void *data;
};

int console_recv_fd(int sock)
{
	char name[CONSOLE_NAME_MAX];
	struct iovec iov = {name, sizeof(name)};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			return fd;
		}
	}
	return -EBADMSG;
}

static void remove_socket(struct console *c)
{
	if (c->source != NULL) {
		g_source_destroy(c->source);
		g_clear_pointer(&c->source, g_source_unref);
	}
	fdutil_close(&c->listen_fd);
	if (c->path != NULL)
		(void)unlink(c->path);
	if (c->dir != NULL)
		(void)rmdir(c->dir);
}

static gboolean on_connect(int fd, GIOCondition revents, gpointer data)
{
	struct console *c = data;
	_cleanup_close_ int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return G_SOURCE_CONTINUE;
		c->func(-errno, c->data);
		return G_SOURCE_CONTINUE;
	}
	int master = console_recv_fd(conn);
	/* One terminal per container: the socket has served its purpose. */
	remove_socket(c);
	c->func(master, c->data);
	return G_SOURCE_CONTINUE;
}

struct console *console_new(console_func func, void *data, GError **error)
{
	g_autoptr(console) c = g_new0(struct console, 1);
	c->listen_fd = -1;
	c->func = func;
	c->data = data;
	/* A private directory: nobody else can connect, or plant a socket. */
	c->dir = g_build_filename(g_get_tmp_dir(), "tether-term.XXXXXX", NULL);
	if (g_mkdtemp_full(c->dir, 0700) == NULL) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Failed to create a directory for the console socket: %s",
			    g_strerror(errno));
		g_clear_pointer(&c->dir, g_free);
		return NULL;
	}
	c->path = g_build_filename(c->dir, "sock", NULL);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int r = 0;
	if (strlen(c->path) >= sizeof(addr.sun_path))
		r = -ENAMETOOLONG;
	if (r == 0) {
		memcpy(addr.sun_path, c->path, strlen(c->path));
		c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c->listen_fd < 0 ||
		    bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
		    listen(c->listen_fd, 1) < 0)
			r = -errno;
	}
	if (r < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-r),
			    "Failed to create the console socket %s: %s", c->path, g_strerror(-r));
		return NULL;
	}
	c->source = fdsource_new(c->listen_fd, G_IO_IN, on_connect, c);
	return g_steal_pointer(&c);
}

void console_poll(struct console *c)
{
	if (c->listen_fd >= 0)
		(void)on_connect(c->listen_fd, G_IO_IN, c);
}

const char *console_path(const struct console *c)
{
	return c->path;
}

void console_free(struct console *c)
{
	if (c == NULL)
		return;
	remove_socket(c);
	g_free(c->path);
	g_free(c->dir);
	g_free(c);
}
