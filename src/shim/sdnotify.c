#define G_LOG_DOMAIN "sdnotify"

#include "tether/sdnotify.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sdnotify {
	char *path; /* NOTIFY_SOCKET, as it was */
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_usec;
	bool warned;
};

int sdnotify_address(const char *text, struct sockaddr_un *ret_addr, socklen_t *ret_len)
{
	size_t len = text != NULL ? strlen(text) : 0;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (len < 2 || len >= sizeof(a.sun_path) || (text[0] != '/' && text[0] != '@'))
		return -EINVAL;
	memcpy(a.sun_path, text, len);
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (text[0] == '@')
		a.sun_path[0] = '\0'; /* abstract: the length says where it ends */
	else
		alen++;
	*ret_addr = a;
	*ret_len = alen;
	return 0;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	if (s == NULL || !g_ascii_isdigit(*s))
		return false;
	char *end = NULL;
	errno = 0;
	guint64 v = g_ascii_strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*ret = v;
	return true;
}

uint64_t sdnotify_watchdog_usec(const char *usec, const char *watchdog_pid, pid_t pid)
{
	uint64_t v = 0, wpid = 0;
	if (!parse_u64(usec, &v))
		return 0;
	if (watchdog_pid != NULL && (!parse_u64(watchdog_pid, &wpid) || wpid != (uint64_t)pid))
		return 0;
	return v;
}

struct sdnotify *sdnotify_from_env(GError **error)
{
	const char *path = g_getenv("NOTIFY_SOCKET");
	if (path == NULL) {
		diag_debug("--systemd-notify: NOTIFY_SOCKET is not set, nobody to tell");
		return NULL;
	}
	g_autoptr(sdnotify) n = g_new0(struct sdnotify, 1);
	n->fd = -1;
	if (sdnotify_address(path, &n->addr, &n->addr_len) < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "Invalid NOTIFY_SOCKET '%s': an absolute path or @name is needed",
			    path);
		return NULL;
	}
	n->watchdog_usec = sdnotify_watchdog_usec(g_getenv("WATCHDOG_USEC"),
						  g_getenv("WATCHDOG_PID"), getpid());
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Failed to create the sd_notify socket: %s", g_strerror(errno));
		return NULL;
	}
	n->path = g_strdup(path);
	g_unsetenv("NOTIFY_SOCKET");
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
	return g_steal_pointer(&n);
}

void sdnotify_free(struct sdnotify *n)
{
	if (n == NULL)
		return;
	fdutil_close(&n->fd);
	g_free(n->path);
	g_free(n);
}

uint64_t sdnotify_get_watchdog_usec(const struct sdnotify *n)
{
	return n != NULL ? n->watchdog_usec : 0;
}

int sdnotify_send(struct sdnotify *n, const char *text)
{
	if (n == NULL)
		return 0;
	/* systemd takes the sender's pid from SCM_CREDENTIALS, which the
	 * kernel adds for it (SO_PASSCRED on its side). */
	if (sendto(n->fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&n->addr, n->addr_len) < 0) {
		int r = -errno;
		if (!n->warned)
			diag_warn("Failed to notify the service manager: %s", g_strerror(-r));
		n->warned = true;
		return r;
	}
	n->warned = false;
	diag_debug("told the service manager: %s", text);
	return 0;
}

int sdnotify_send_fd(struct sdnotify *n, const char *text, int fd)
{
	if (n == NULL)
		return 0;
	struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} control = {0};
	struct msghdr msg = {.msg_name = &n->addr,
			     .msg_namelen = n->addr_len,
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(n->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		int r = -errno;
		diag_warn("Failed to pass an fd to the service manager: %s", g_strerror(-r));
		return r;
	}
	diag_debug("told the service manager, with fd %d: %s", fd, text);
	return 0;
}

int sdnotify_sendf(struct sdnotify *n, const char *fmt, ...)
{
	if (n == NULL)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return sdnotify_send(n, text);
}

char **sdnotify_environ(const struct sdnotify *n, char **envp)
{
	if (n == NULL)
		return envp;
	envp = g_environ_setenv(envp, "NOTIFY_SOCKET", n->path, TRUE);
	if (n->watchdog_usec > 0) {
		g_autofree char *usec = g_strdup_printf("%" G_GUINT64_FORMAT, n->watchdog_usec);
		g_autofree char *pid = g_strdup_printf("%d", (int)getpid());
		envp = g_environ_setenv(envp, "WATCHDOG_USEC", usec, TRUE);
		envp = g_environ_setenv(envp, "WATCHDOG_PID", pid, TRUE);
	}
	return envp;
}
