/* ctl_logs: rendering a k8s-file log (TIMESTAMP STREAM F|P CONTENT) back into
 * the container's stdout and stderr. */
#ifndef TETHER_CTL_LOGS_H
#define TETHER_CTL_LOGS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

struct ctl_logs_out {
	int fd[2];	   /* stdout, stderr; -1: count only */
	bool timestamps;   /* prefix each line with its first record's time */
	long long skip;	   /* lines still to skip (--tail) */
	long long lines;   /* lines ended so far (F records) */
	bool last_partial; /* the last record was a P: one more line is open */
	bool bol[2];	   /* at the beginning of a line, per stream */
	long long corrupt; /* corrupt records skipped */
	long long lineno;  /* records read, for messages */
	int error;	   /* first write error (-errno), writing stops */
	GString *pending;  /* output not yet written, all of one stream */
	int pending_stream;
};

void ctl_logs_out_init(struct ctl_logs_out *out, int out_fd, int err_fd, bool timestamps);
/* Write what is pending; returns out->error. */
int ctl_logs_out_flush(struct ctl_logs_out *out);
void ctl_logs_out_clear(struct ctl_logs_out *out);

/* Render the complete ("\n"-terminated) lines of buf; returns the bytes
 * consumed (a trailing incomplete line is left for the next call). The
 * first corrupt record is reported on stderr, the others only counted. */
size_t ctl_logs_feed(struct ctl_logs_out *out, const char *buf, size_t len);

/* Lines in a log file (F records, plus an unfinished one at the end);
 * a missing file has none. */
int ctl_logs_count_lines(const char *path, long long *ret_lines);

#endif
