#define G_LOG_DOMAIN "log-compress"

#include "tether/log_compress.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define COMPRESS_CHUNK (64 * 1024)

struct log_compress {
	char *path;
	char *tmp; /* PATH.gz-tmp: the running child's output */
	int max_files;
	uint64_t rotations; /* shifts so far */
	pid_t pid;	    /* the running child, or 0 */
	int child_index;    /* PATH.I it took, */
	uint64_t child_rot; /* at this many rotations */
	int warned_status;  /* the last failure reported */
};

struct log_compress *log_compress_new(const char *path, int max_files)
{
	struct log_compress *c = g_new0(struct log_compress, 1);
	c->path = g_strdup(path);
	c->tmp = g_strdup_printf("%s.gz-tmp", path);
	c->max_files = max_files;
	return c;
}

static char *rotated_name(const struct log_compress *c, int i, bool gz)
{
	return g_strdup_printf("%s.%d%s", c->path, i, gz ? ".gz" : "");
}

int log_compress_shift(struct log_compress *c)
{
	for (int gz = 0; gz < 2; gz++) {
		g_autofree char *last = rotated_name(c, c->max_files, gz);
		if (unlink(last) < 0 && errno != ENOENT)
			return -errno;
	}
	for (int i = c->max_files - 1; i >= 1; i--) {
		for (int gz = 0; gz < 2; gz++) {
			g_autofree char *from = rotated_name(c, i, gz);
			g_autofree char *to = rotated_name(c, i + 1, gz);
			if (rename(from, to) < 0 && errno != ENOENT)
				return -errno;
		}
	}
	c->rotations++;
	return 0;
}

int log_compress_fd(int in_fd, int out_fd, dev_t dev, ino_t ino)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	/* 15 + 16: a gzip stream, with a header of our own. */
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	char comment[64];
	snprintf(comment, sizeof(comment), LOG_COMPRESS_COMMENT "%ju:%ju", (uintmax_t)dev,
		 (uintmax_t)ino);
	gz_header hdr;
	memset(&hdr, 0, sizeof(hdr));
	hdr.comment = (Bytef *)comment;
	hdr.os = 3; /* Unix */
	int r = 0;
	unsigned char *in = malloc(COMPRESS_CHUNK), *out = malloc(COMPRESS_CHUNK);
	if (in == NULL || out == NULL || deflateSetHeader(&zs, &hdr) != Z_OK)
		r = -ENOMEM;
	bool end = false;
	while (r == 0 && !end) {
		ssize_t n = read(in_fd, in, COMPRESS_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		end = n == 0;
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = out;
			zs.avail_out = COMPRESS_CHUNK;
			int z = deflate(&zs, end ? Z_FINISH : Z_NO_FLUSH);
			if (z == Z_STREAM_ERROR) {
				r = -EIO;
				break;
			}
			size_t have = COMPRESS_CHUNK - zs.avail_out;
			if (have > 0 && (r = fdutil_write_all(out_fd, out, have)) < 0)
				break;
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
	free(in);
	free(out);
	if (r == 0 && fdatasync(out_fd) < 0 && errno != EINVAL)
		r = -errno;
	return r;
}

/* The shim is single-threaded, so the child may call malloc (zlib does). */
static int start_child(struct log_compress *c, int index)
{
	g_autofree char *name = rotated_name(c, index, false);
	_cleanup_close_ int in = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	struct stat st;
	if (fstat(in, &st) < 0)
		return -errno;
	_cleanup_close_ int out = open(
		c->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	if (out < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Hold none of the shim's fds (the container's pipes, the
		 * sockets): only the two files, as stdin and stdout. */
		if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
			_exit(1);
		(void)close_range(3, ~0U, 0);
		(void)!nice(10);
		_exit(log_compress_fd(STDIN_FILENO, STDOUT_FILENO, st.st_dev, st.st_ino) < 0 ? 1
											     : 0);
	}
	c->pid = pid;
	c->child_index = index;
	c->child_rot = c->rotations;
	diag_debug("compressing %s (process %d)", name, pid);
	return 0;
}

/* The oldest plain rotated file, if any. */
static void start_next(struct log_compress *c)
{
	for (int i = c->max_files; i >= 1 && c->pid == 0; i--) {
		g_autofree char *name = rotated_name(c, i, false);
		if (access(name, F_OK) < 0)
			continue;
		int r = start_child(c, i);
		if (r < 0) {
			diag_warn("Failed to compress rotated log '%s': %s", name, g_strerror(-r));
			(void)unlink(c->tmp);
		}
		return;
	}
}

void log_compress_rotated(struct log_compress *c)
{
	if (c->pid == 0)
		start_next(c);
}

/* The child is gone: put its output in place, or throw it away. */
static void child_done(struct log_compress *c, int wait_status, bool next)
{
	c->pid = 0;
	int index = c->child_index + (int)(c->rotations - c->child_rot);
	bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
	if (!ok || index > c->max_files) {
		(void)unlink(c->tmp);
		if (!ok && c->warned_status != wait_status)
			diag_warn("Failed to compress a rotated log of '%s' (status %d): it "
				  "stays uncompressed",
				  c->path, wait_status);
		if (!ok)
			c->warned_status = wait_status;
	} else {
		g_autofree char *gz = rotated_name(c, index, true);
		g_autofree char *plain = rotated_name(c, index, false);
		/* The .gz first: the records are under one name or the other. */
		if (rename(c->tmp, gz) < 0) {
			diag_warn("Failed to rename '%s' to '%s': %s", c->tmp, gz,
				  g_strerror(errno));
			(void)unlink(c->tmp);
			return;
		}
		(void)unlink(plain);
	}
	/* After a failure, the next rotation tries again. */
	if (ok && next)
		start_next(c);
}

bool log_compress_reap(struct log_compress *c, pid_t pid, int wait_status)
{
	if (c == NULL || c->pid == 0 || pid != c->pid)
		return false;
	child_done(c, wait_status, true);
	return true;
}

/* Wait up to timeout_ms for the running child: true once it is reaped. */
static bool wait_child(struct log_compress *c, int timeout_ms)
{
	int pidfd = fdutil_pidfd_open(c->pid);
	if (pidfd >= 0) {
		struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
		while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
			;
		close(pidfd);
	}
	int status;
	pid_t r;
	while ((r = waitpid(c->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == c->pid) {
		child_done(c, status, false);
		return true;
	}
	if (r < 0) {
		/* Reaped already (not by us): nothing to wait for or stop. */
		c->pid = 0;
		(void)unlink(c->tmp);
		return true;
	}
	return false;
}

void log_compress_finish(struct log_compress *c, int timeout_ms)
{
	if (c == NULL)
		return;
	/* The files rotated last are compressed too, while time is left. */
	int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
	while (c->pid != 0) {
		int64_t left_ms = (deadline - g_get_monotonic_time()) / 1000;
		if (!wait_child(c, (int)MAX(left_ms, 0)))
			break;
		if (c->pid == 0 && left_ms > 0)
			start_next(c);
	}
	if (c->pid == 0)
		return;
	diag_info("stopping the compression of a rotated log of '%s': it stays uncompressed",
		  c->path);
	int status;
	(void)kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
	(void)unlink(c->tmp);
}

void log_compress_free(struct log_compress *c)
{
	if (c == NULL)
		return;
	log_compress_finish(c, 0);
	g_free(c->path);
	g_free(c->tmp);
	g_free(c);
}

bool log_compress_busy(const struct log_compress *c)
{
	return c != NULL && c->pid > 0;
}
