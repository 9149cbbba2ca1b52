/* fileio: whole-file helpers. Return 0 / -errno, never log. */
#ifndef TETHER_FILEIO_H
#define TETHER_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write data to path atomically: a temporary file in the same directory,
 * fchmod to mode, then rename over path. Readers see the old file or the
 * whole new one. The final path component is never followed if a symlink. */
int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Read a small regular file (at most max bytes) into a NUL-terminated
 * g_malloc'd buffer. -EFBIG if larger. */
int fileio_read_small(const char *path, size_t max, char **ret_data, size_t *ret_len);

/* Parse a file holding one decimal integer (surrounding whitespace allowed),
 * as pid files and exit files do. */
int fileio_read_int(const char *path, long long *ret_value);

#endif
