#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <unistd.h>

void fdutil_close(int *fd)
{
	if (*fd >= 0) {
		/* Never retry close(): on Linux the fd is gone even on EINTR. */
		(void)close(*fd);
		*fd = -1;
	}
}

void fdutil_closep(int *fd)
{
	fdutil_close(fd);
}

static int set_flag(int fd, int get, int set, int flag, bool on)
{
	int flags = fcntl(fd, get);
	if (flags < 0)
		return -errno;
	int nflags = on ? (flags | flag) : (flags & ~flag);
	if (nflags != flags && fcntl(fd, set, nflags) < 0)
		return -errno;
	return 0;
}

int fdutil_set_cloexec(int fd, bool on)
{
	return set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int fdutil_set_nonblock(int fd, bool on)
{
	return set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int fdutil_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t fdutil_read_some(int fd, void *buf, size_t cap)
{
	size_t got = 0;
	while (got < cap) {
		ssize_t n = read(fd, (char *)buf + got, cap - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && got > 0)
				break;
			return got > 0 ? (ssize_t)got : -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int fdutil_pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

int fdutil_fd_from_env(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return -ENOENT;
	char *end = NULL;
	errno = 0;
	long fd = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || fd < 0 || fd > INT_MAX)
		return -EINVAL;
	if (fcntl((int)fd, F_GETFD) < 0)
		return -EBADF;
	return (int)fd;
}

int fdutil_stdio_devnull(bool keep_stdio)
{
	if (keep_stdio)
		return 0;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (int i = 0; i < 3; i++) {
		if (dup2(fd, i) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	if (fd > 2)
		close(fd);
	return 0;
}
