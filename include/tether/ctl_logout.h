/* ctl_logout: log records (ctl_logread.h) rendered back into the
 * container's stdout and stderr: partial records joined into lines, with
 * --timestamps, --since and --tail decided per line, and damaged records
 * reported once and skipped. */
#ifndef TETHER_CTL_LOGOUT_H
#define TETHER_CTL_LOGOUT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "tether/ctl_logread.h"

struct ctl_logout {
	int fd[2];		  /* stdout, stderr; -1: count only */
	bool timestamps;	  /* prefix each line with its first record's time */
	bool since_set;		  /* leave out the lines that began before since */
	struct timespec since;	  /* (a line's time is its first record's) */
	long long skip;		  /* lines still to skip (--tail) */
	long long lines;	  /* lines begun so far, since filtered */
	bool bol[2];		  /* at the beginning of a line, per stream */
	bool hide[2];		  /* the line open on this stream is not shown */
	long long corrupt;	  /* corrupt records skipped */
	long long lineno;	  /* records read from source, for messages */
	const char *source;	  /* the file being read, for messages; may be NULL */
	int error;		  /* first write error (-errno), writing stops */
	GString *pending;	  /* output not yet written, all of one stream */
	int pending_stream;	  /* the stream of pending */
	struct ctl_logread *read; /* the record parser */
};

void ctl_logout_init(struct ctl_logout *out, int out_fd, int err_fd, enum ctl_logread_format format,
		     bool timestamps);
/* Write what is pending; returns out->error. */
int ctl_logout_flush(struct ctl_logout *out);
void ctl_logout_clear(struct ctl_logout *out);

/* Render the complete ("\n"-terminated) lines of buf; returns the bytes
 * consumed (a trailing incomplete line is left for the next call). The
 * first corrupt record is reported on stderr, the others only counted. */
size_t ctl_logout_feed(struct ctl_logout *out, const char *buf, size_t len);

/* Read fd to EOF through out; buf keeps an incomplete last line for the
 * next call. Returns 0 or -errno (a read error, or out->error). */
int ctl_logout_drain(struct ctl_logout *out, int fd, GByteArray *buf);

/* A file is read to its end: the shim ends every record before it moves
 * to the next file, so a line left in buf is a damaged one. */
void ctl_logout_end_file(struct ctl_logout *out, GByteArray *buf);

#endif
