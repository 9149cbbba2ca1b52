#include "tether/fileio.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);

	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fdutil_write_all(fd, data, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	/* rename() replaces a symlink at path rather than following it. */
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int fileio_read_small(const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	g_autofree char *buf = g_malloc(max + 1);
	ssize_t n = fdutil_read_some(fd, buf, max + 1);
	if (n < 0)
		return (int)n;
	if ((size_t)n > max)
		return -EFBIG;
	buf[n] = '\0';
	if (ret_len)
		*ret_len = (size_t)n;
	*ret_data = g_steal_pointer(&buf);
	return 0;
}

int fileio_read_int(const char *path, long long *ret_value)
{
	g_autofree char *data = NULL;
	int r = fileio_read_small(path, 64, &data, NULL);
	if (r < 0)
		return r;
	g_strstrip(data);
	if (*data == '\0')
		return -ENODATA;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(data, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret_value = v;
	return 0;
}
