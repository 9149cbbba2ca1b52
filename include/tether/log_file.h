/* log_file: the file log sinks, k8s-file (CRI format, see k8slog.h) and
 * json-file (Docker's: {"log":"...","stream":"stdout","time":"..."} per
 * line). Records are gathered in one buffer and written with one write()
 * per read chunk (or per 64 KiB), never per line. */
#ifndef TETHER_LOG_FILE_H
#define TETHER_LOG_FILE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tether/k8slog.h"
#include "tether/log.h"

enum log_file_format {
	LOG_FILE_K8S,
	LOG_FILE_JSON,
};

/* Size limits, as conmon's flags. 0 or less means none. */
struct log_file_limits {
	int64_t size_max;	 /* --log-size-max: the file starts anew (or rotates) */
	int64_t global_size_max; /* --log-global-size-max: output beyond is dropped */
	bool rotate;		 /* --log-rotate: keep max_files old files, lose nothing */
	int max_files;		 /* --log-max-files: PATH.1 ... PATH.N */
	bool compress;		 /* --log-compress: PATH.I.gz (log_compress.h) */
};

typedef struct log_file log_file;

/* Open (create, append) path with mode 0600, as conmon 2.1.6 does. limits
 * may be NULL. */
struct log_file *log_file_new(const char *path, enum log_file_format format,
			      const struct log_file_limits *limits, GError **error);
void log_file_free(struct log_file *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(log_file, log_file_free)

/* Record one chunk read from a stream: one timestamp for the whole chunk, one
 * record per line; a piece without "\n" is a partial record (k8s-file: P;
 * json-file: "log" without the newline). */
void log_file_write(struct log_file *log, enum k8slog_stream stream, const char *data, size_t len,
		    const struct timespec *ts);

/* Start a new, empty file at the path (ctl "2 0 0"; kubelet's rotation). */
int log_file_reopen(struct log_file *log);

/* fsync the file (at exit unless --no-sync-log). */
int log_file_sync(struct log_file *log);

/* The sink's entry in the log (log.h). */
extern const struct log_sink_ops log_file_ops;

/* Bytes that could not be written (disk full, I/O error). */
uint64_t log_file_lost_bytes(const struct log_file *log);

#endif
