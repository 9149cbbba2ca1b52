/* log_compress: --log-compress, gzip for the files a log is rotated into.
 *
 * Rotation stays renames only (log_file.c): PATH.N-1[.gz] -> PATH.N[.gz],
 * ..., PATH -> PATH.1, a new PATH. Then a child process (forked, so the
 * shim's loop never waits for a whole file's compression, and with nice 10)
 * gzips a plain rotated file into PATH.gz-tmp from an fd opened before the
 * fork, so renames meanwhile do not matter. When the shim reaps it, it
 * renames PATH.gz-tmp to PATH.I.gz, I being where that file is by now, and
 * only then removes the plain PATH.I: a reader finds every record in PATH.I
 * or PATH.I.gz at all times (both, briefly: they hold the same records, and
 * readers take the plain one). A file rotated out meanwhile is not kept.
 * One child at a time; when it is done the next plain file is taken.
 *
 * The gzip header's comment names the plain file it came from
 * ("tether-source=DEV:INO"), so that a reader following the log knows the
 * file it was reading in its new form (ctl_logfiles.c).
 *
 * At exit the shim waits up to LOG_COMPRESS_EXIT_WAIT_MS for a child still
 * running, then stops it: that file stays plain, as correct as ever, and is
 * compressed after the next rotation of the same log. Low-level: returns
 * -errno, and logs only the failures it handles. */
#ifndef TETHER_LOG_COMPRESS_H
#define TETHER_LOG_COMPRESS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LOG_COMPRESS_EXIT_WAIT_MS 2000
#define LOG_COMPRESS_COMMENT	  "tether-source="

typedef struct log_compress log_compress;

struct log_compress *log_compress_new(const char *path, int max_files);
/* Waits for (or stops) a running child: see above. */
void log_compress_free(struct log_compress *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(log_compress, log_compress_free)

/* Make room for PATH.1: shift every PATH.I and PATH.I.gz up by one,
 * dropping those past max_files. The caller then renames PATH to PATH.1
 * and calls log_compress_rotated(). */
int log_compress_shift(struct log_compress *c);
/* PATH.1 is new: start a child for it unless one runs. */
void log_compress_rotated(struct log_compress *c);

/* True if pid was this compressor's child (then it is accounted for). */
bool log_compress_reap(struct log_compress *c, pid_t pid, int wait_status);
/* A compression is running (c may be NULL: none). */
bool log_compress_busy(const struct log_compress *c);

/* At exit: wait up to timeout_ms for a running child (see above). */
void log_compress_finish(struct log_compress *c, int timeout_ms);

/* The child's work, exposed for the tests: gzip in_fd into out_fd (level
 * 6), the header naming the source (dev, ino). 0 or -errno (-EIO for a
 * zlib error). */
int log_compress_fd(int in_fd, int out_fd, dev_t dev, ino_t ino);

#endif
