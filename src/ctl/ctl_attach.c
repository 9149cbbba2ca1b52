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
