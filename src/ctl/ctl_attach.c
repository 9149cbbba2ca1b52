/* A client of the shim's attach socket. */
#include "tether/ctl_attach.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_attach_connect(const char *cdir)
{
	_cleanup_close_ int dfd = open(cdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dfd);
	int r;
	while ((r = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -errno;
	int ret = fd;
	fd = -1;
	return ret;
}

int ctl_attach_deliver(const char *pkt, size_t len, int out_fd, int err_fd)
{
	if (len < 2)
		return 0;
	int fd = pkt[0] == 2 ? out_fd : pkt[0] == 3 ? err_fd : -1;
	if (fd < 0)
		return 0;
	return fdutil_write_all(fd, pkt + 1, len - 1);
}

int ctl_attach_relay(int fd, int out_fd, int err_fd, int sig_fd, ctl_attach_signal_fn on_signal,
		     void *userdata)
{
	g_autofree char *buf = g_malloc(CTL_ATTACH_BUF);
	for (;;) {
		struct pollfd pfd[2] = {{fd, POLLIN, 0}, {sig_fd, POLLIN, 0}};
		int n = poll(pfd, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof(si)) == sizeof(si) && on_signal != NULL &&
			    !on_signal((int)si.ssi_signo, userdata))
				return -EINTR;
		}
		if (pfd[0].revents == 0)
			continue;
		ssize_t len = recv(fd, buf, CTL_ATTACH_BUF, MSG_DONTWAIT);
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (len < 0 && errno == ECONNRESET)
			return 0;
		if (len < 0)
			return -errno;
		if (len == 0)
			return 0;
		/* A reader that went away must not stop the relay: the other
		 * stream may still be read, and EOF still tells us the end. */
		if (ctl_attach_deliver(buf, (size_t)len, out_fd, err_fd) < 0) {
			if (buf[0] == 2)
				out_fd = -1;
			else
				err_fd = -1;
		}
	}
}
