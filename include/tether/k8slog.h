/* k8slog: the CRI ("k8s-file") log record format.
 *   TIMESTAMP STREAM TAG CONTENT\n
 * TIMESTAMP is local time, RFC 3339 with 9 fractional digits and a numeric
 * offset; STREAM is stdout or stderr; TAG is F for a full line (CONTENT keeps
 * no newline of its own: the record's "\n" ends the line) or P for a piece
 * of a line continued in the next record. */
#ifndef TETHER_K8SLOG_H
#define TETHER_K8SLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

enum k8slog_stream { K8SLOG_STDOUT = 0, K8SLOG_STDERR = 1 };

/* "2026-11-22T17:42:19.286123368+00:00" is 35 bytes. */
#define K8SLOG_TS_LEN 35

/* Format ts (CLOCK_REALTIME) into buf (>= K8SLOG_TS_LEN + 1). Returns length. */
size_t k8slog_format_timestamp(char *buf, size_t cap, const struct timespec *ts);

/* One record as parsed by a reader. Pointers point into the input line. */
struct k8slog_record {
	const char *timestamp;
	size_t timestamp_len;
	enum k8slog_stream stream;
	bool partial;
	const char *content; /* without the record's trailing "\n" */
	size_t content_len;
};

/* Parse one line (without its "\n"). Returns 0 or -EINVAL. */
int k8slog_parse_record(const char *line, size_t len, struct k8slog_record *ret_rec);

/* Parse a record's timestamp into seconds + nanoseconds since the epoch. */
int k8slog_parse_timestamp(const char *ts, size_t len, struct timespec *ret_ts);

#endif
