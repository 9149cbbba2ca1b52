#define G_LOG_DOMAIN "notify"

#include "tether/notify.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* sd_notify datagrams are small; conmon reads 32 KiB. */
#define NOTIFY_MSG_MAX (32 * 1024)

struct notify {
	int listen_fd; /* bound in the bundle, for the container */
	int send_fd;   /* unbound, to the host */
	struct sockaddr_un host;
	socklen_t host_len;
	int dir_fd;
	GSource *source;
};

char *notify_filter(const char *msg, size_t len)
{
	static const char *const exact[] = {"READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1",
					    "WATCHDOG=trigger"};
	static const char *const prefixes[] = {"STATUS=", "ERRNO=", "BUSERROR=", "MONOTONIC_USEC="};
	g_autofree char *text = g_strndup(msg, len);
	g_auto(GStrv) lines = g_strsplit_set(text, "\n\r", -1);
	GString *out = g_string_new(NULL);
	for (char **l = lines; *l != NULL; l++) {
		bool pass = false;
		for (size_t i = 0; i < G_N_ELEMENTS(exact) && !pass; i++)
			pass = strcmp(*l, exact[i]) == 0;
		for (size_t i = 0; i < G_N_ELEMENTS(prefixes) && !pass; i++)
			pass = g_str_has_prefix(*l, prefixes[i]);
		if (!pass)
			continue;
		if (out->len > 0)
			g_string_append_c(out, '\n');
		g_string_append(out, *l);
	}
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static gboolean on_message(int fd, GIOCondition revents, gpointer data)
{
	struct notify *n = data;
	char buf[NOTIFY_MSG_MAX];
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0)
			break;
		g_autofree char *pass = notify_filter(buf, (size_t)len);
		if (pass == NULL)
			continue;
		diag_debug("relaying to systemd: %s", pass);
		if (sendto(n->send_fd, pass, strlen(pass), MSG_DONTWAIT | MSG_NOSIGNAL,
			   (struct sockaddr *)&n->host, n->host_len) < 0)
			diag_warn("Failed to relay an sd_notify message to %s: %s",
				  n->host.sun_path, g_strerror(errno));
	}
	return G_SOURCE_CONTINUE;
}

struct notify *notify_new(const char *bundle, const char *host_socket, GError **error)
{
	g_autoptr(notify) n = g_new0(struct notify, 1);
	n->listen_fd = n->send_fd = n->dir_fd = -1;
	size_t hlen = strlen(host_socket);
	n->host.sun_family = AF_UNIX;
	if (hlen == 0 || hlen >= sizeof(n->host.sun_path)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
			    "Invalid sd-notify socket path '%s'", host_socket);
		return NULL;
	}
	memcpy(n->host.sun_path, host_socket, hlen);
	n->host_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + hlen + 1);

	/* The directory is podman's (it mounts it in the container); bind
	 * through it so a long bundle path works, as for the attach socket. */
	g_autofree char *dir = g_build_filename(bundle, "notify", NULL);
	int r = 0;
	n->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (n->dir_fd < 0)
		r = -errno;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (r == 0) {
		snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/notify.sock",
			 n->dir_fd);
		(void)unlinkat(n->dir_fd, "notify.sock", 0);
		n->listen_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		n->send_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (n->listen_fd < 0 || n->send_fd < 0 ||
		    bind(n->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
			r = -errno;
	}
	/* Any user in the container may notify, as with conmon. */
	if (r == 0 && fchmodat(n->dir_fd, "notify.sock", 0777, 0) < 0)
		r = -errno;
	if (r < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-r),
			    "Failed to create the sd-notify socket in %s: %s", dir, g_strerror(-r));
		return NULL;
	}
	n->source = fdsource_new(n->listen_fd, G_IO_IN, on_message, n);
	return g_steal_pointer(&n);
}

void notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->source != NULL) {
		g_source_destroy(n->source);
		g_source_unref(n->source);
	}
	if (n->dir_fd >= 0)
		(void)unlinkat(n->dir_fd, "notify.sock", 0);
	fdutil_close(&n->listen_fd);
	fdutil_close(&n->send_fd);
	fdutil_close(&n->dir_fd);
	g_free(n);
}
