/* The shim's exit file, and waiting for it. */
#include "tether/ctl_exit.h"
#include "tether/ctl_state.h"
#include "tether/fdutil.h"
#include "tether/fileio.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

gint64 ctl_now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

int ctl_exit_read(const char *cdir, const char *id, int *ret_code)
{
	g_autofree char *path = g_build_filename(cdir, "exits", id, NULL);
	long long v = 0;
	int r = fileio_read_int(path, &v);
	if (r < 0)
		return r;
	if (v < INT_MIN || v > INT_MAX)
		return -ERANGE;
	*ret_code = (int)v;
	return 0;
}

/* A pidfd for the shim, or -1: then its liveness is checked on a timer. */
static int open_pidfd(pid_t pid, const char *shim, const char *id)
{
	int fd = fdutil_pidfd_open(pid);
	if (fd < 0)
		return -1;
	/* Opened after the pid was read: make sure it is still the shim. */
	if (!ctl_shim_alive(pid, shim, id)) {
		close(fd);
		return -1;
	}
	return fd;
}

int ctl_exit_wait(const char *cdir, const char *id, int timeout_ms, pid_t shim_pid,
		  const char *shim, int cancel_fd, int *ret_code)
{
	g_autofree char *exits = g_build_filename(cdir, "exits", NULL);
	_cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0)
		return -errno;
	/* Watch first, then look: a file written in between is not missed. */
	if (inotify_add_watch(ifd, exits, IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR) <
	    0)
		return -errno;
	_cleanup_close_ int pidfd = -1;
	if (shim_pid > 0) {
		if (!ctl_shim_alive(shim_pid, shim, id))
			return ctl_exit_read(cdir, id, ret_code) == 0 ? 0 : -ESRCH;
		pidfd = open_pidfd(shim_pid, shim, id);
	}
	gint64 deadline = timeout_ms < 0 ? -1 : ctl_now_ms() + timeout_ms;

	for (;;) {
		int r = ctl_exit_read(cdir, id, ret_code);
		if (r != -ENOENT)
			return r;
		if (shim_pid > 0 && pidfd < 0 && !ctl_shim_alive(shim_pid, shim, id))
			return ctl_exit_read(cdir, id, ret_code) == 0 ? 0 : -ESRCH;

		int wait_ms = -1;
		if (deadline >= 0) {
			gint64 left = deadline - ctl_now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait_ms = (int)MIN(left, G_MAXINT);
		}
		/* Without a pidfd, look at the shim once a second. */
		if (shim_pid > 0 && pidfd < 0 && (wait_ms < 0 || wait_ms > 1000))
			wait_ms = 1000;

		struct pollfd pfd[3] = {
			{ifd, POLLIN, 0}, {pidfd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
		int n = poll(pfd, 3, wait_ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (pfd[2].revents)
			return -ECANCELED;
		if (pfd[0].revents) {
			char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
			ssize_t len = read(ifd, buf, sizeof(buf));
			for (char *p = buf; len > 0 && p < buf + len;) {
				struct inotify_event *ev = (struct inotify_event *)p;
				if (ev->mask & (IN_DELETE_SELF | IN_IGNORED))
					return -ENOENT;
				p += sizeof(*ev) + ev->len;
			}
		}
		if (pfd[1].revents) {
			/* The shim writes the exit file before it exits. */
			return ctl_exit_read(cdir, id, ret_code) == 0 ? 0 : -ESRCH;
		}
	}
}
