/* ctl_logread: the records of the two file log formats parsed into one
 * shape, and the times --since accepts.
 *
 *   k8s-file   TIMESTAMP STREAM F|P CONTENT          (k8slog.h)
 *   json-file  {"log":"...","stream":"stdout","time":"...Z"}   (Docker's)
 *
 * A json-file record is partial when its "log" does not end in "\n". */
#ifndef TETHER_CTL_LOGREAD_H
#define TETHER_CTL_LOGREAD_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "tether/k8slog.h"

enum ctl_logread_format {
	CTL_LOGREAD_K8S,
	CTL_LOGREAD_JSON,
};

struct ctl_logread_record {
	const char *time; /* as the file has it */
	size_t time_len;
	enum k8slog_stream stream;
	bool partial;
	const char *content; /* without the line's "\n" */
	size_t content_len;
};

typedef struct ctl_logread ctl_logread;

struct ctl_logread *ctl_logread_new(enum ctl_logread_format format);
void ctl_logread_free(struct ctl_logread *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ctl_logread, ctl_logread_free)

/* Parse one line (without its "\n"). The record points into line, or into
 * r (json-file), and is valid until the next call. 0 or -EINVAL. */
int ctl_logread_parse(struct ctl_logread *r, const char *line, size_t len,
		      struct ctl_logread_record *ret_rec);

/* The record's time. 0 or -EINVAL. */
int ctl_logread_record_time(const struct ctl_logread_record *rec, struct timespec *ret_ts);

/* A --since value: RFC 3339 (2026-11-23T12:00:00Z, ...T12:00:00.5+01:00),
 * Unix seconds (1795435200 or 1795435200.25), or a duration before now
 * (10s, 5m, 2h, 1h30m, 1.5h, 250ms, 2d). 0 or -EINVAL. */
int ctl_logread_parse_since(const char *text, const struct timespec *now, struct timespec *ret_ts);

/* a < b */
bool ctl_logread_time_before(const struct timespec *a, const struct timespec *b);

#endif
