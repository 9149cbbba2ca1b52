/* log: the container's log sinks. Each chunk of output is handed once to
 * every sink selected with -l (several at once, as conmon allows). A sink
 * never blocks the container: errors are counted, reported once, and
 * writing resumes when it can. */
#ifndef TETHER_LOG_H
#define TETHER_LOG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tether/k8slog.h"

struct log_sink_ops {
	const char *name;
	void (*write)(void *sink, enum k8slog_stream stream, const char *data, size_t len,
		      const struct timespec *ts);
	/* ctl "2 0 0": start a fresh file at the same path. NULL: nothing to do. */
	int (*reopen)(void *sink);
	/* At exit: flush what is buffered (and fsync if asked). */
	int (*finish)(void *sink, bool sync);
	uint64_t (*lost_bytes)(const void *sink);
	/* Give back memory kept for the next output (idle). NULL: nothing. */
	void (*trim)(void *sink);
	void (*free)(void *sink);
	/* A child of the shim was reaped: true if it was this sink's (a log
	 * compressor). NULL: the sink has none. */
	bool (*reap)(void *sink, int pid, int wait_status);
	/* A child of this sink's is running (a live upgrade waits for it).
	 * NULL: never. */
	bool (*busy)(const void *sink);
};

struct log *log_new(void);
void log_free(struct log *l);

/* Takes ownership of sink. */
void log_add_sink(struct log *l, const struct log_sink_ops *ops, void *sink);
unsigned log_sink_count(const struct log *l);

void log_write(struct log *l, enum k8slog_stream stream, const char *data, size_t len,
	       const struct timespec *ts);
/* Returns the first error, after trying every sink. */
int log_reopen(struct log *l);
int log_finish(struct log *l, bool sync);
uint64_t log_lost_bytes(const struct log *l);
void log_trim(struct log *l);
/* True if pid was a sink's child (then it is accounted for). */
bool log_reap(struct log *l, int pid, int wait_status);
/* Some sink has a child running (log_sink_ops.busy). */
bool log_busy(const struct log *l);

#endif
