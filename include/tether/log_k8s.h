/* log_k8s: the k8s-file log sink (CRI format, see k8slog.h). Records are
 * gathered in one buffer and written with one write() per read chunk (or per
 * 64 KiB), never per line. */
#ifndef TETHER_LOG_K8S_H
#define TETHER_LOG_K8S_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tether/k8slog.h"
#include "tether/log.h"

typedef struct log_k8s log_k8s;

/* Open (create, append) path with mode 0600, as conmon 2.1.6 does. */
struct log_k8s *log_k8s_new(const char *path, GError **error);
void log_k8s_free(struct log_k8s *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(log_k8s, log_k8s_free)

/* Record one chunk read from a stream: one timestamp for the whole chunk, one
 * record per line, F for a line ended by "\n", P for a piece without one. */
void log_k8s_write(struct log_k8s *log, enum k8slog_stream stream, const char *data, size_t len,
		   const struct timespec *ts);

/* Start a new, empty file at the path (ctl "2 0 0"; kubelet's rotation). */
int log_k8s_reopen(struct log_k8s *log);

/* fsync the file (at exit unless --no-sync-log). */
int log_k8s_sync(struct log_k8s *log);

/* The sink's entry in the log (log.h). */
extern const struct log_sink_ops log_k8s_ops;

/* Bytes that could not be written (disk full, I/O error). */
uint64_t log_k8s_lost_bytes(const struct log_k8s *log);

#endif
