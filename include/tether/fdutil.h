/* fdutil: small fd helpers shared by the shim and the controller.
 * Every helper returns >= 0 on success or -errno, and never logs. */
#ifndef TETHER_FDUTIL_H
#define TETHER_FDUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Close an fd on scope exit; -1 means "nothing to close". */
void fdutil_closep(int *fd);
#define _cleanup_close_ __attribute__((cleanup(fdutil_closep)))

/* Close and set to -1; never retries on EINTR. */
void fdutil_close(int *fd);

int fdutil_set_cloexec(int fd, bool on);
int fdutil_set_nonblock(int fd, bool on);

/* Write everything, retrying on EINTR and short writes. On a non-blocking
 * fd, EAGAIN is returned as -EAGAIN with *ret_written (if given) set. */
int fdutil_write_all(int fd, const void *buf, size_t len);

/* Read up to cap bytes until EOF or EAGAIN; returns bytes read or -errno. */
ssize_t fdutil_read_some(int fd, void *buf, size_t cap);

/* Parse a decimal fd number from an environment variable's value.
 * Returns the fd, -ENOENT if unset/empty, -EINVAL if malformed, -EBADF if
 * not open. */
int fdutil_fd_from_env(const char *name);

/* A pidfd for pid (close-on-exec; readable once it exits), or -errno
 * (-ENOSYS before Linux 5.3). */
int fdutil_pidfd_open(pid_t pid);

/* Make fd 0, 1 and 2 point at /dev/null unless keep is set for that fd. */
int fdutil_stdio_devnull(bool keep_stdio);

#endif
