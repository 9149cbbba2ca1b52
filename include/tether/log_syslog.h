/* log_syslog: the syslog log sink (-l syslog, or -l syslog:SOCKET). One
 * datagram per line, in the local form of RFC 3164 that syslog(3) sends and
 * rsyslog, syslog-ng and journald's /dev/log accept:
 *
 *   <PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE
 *
 * PRI is facility daemon (3) with severity info (6) for stdout and err (3)
 * for stderr: <30> and <27>. TAG is --log-tag, else the container's name
 * (-n), else the first 12 characters of its id; PID is the shim's (the
 * sender's, as syslog(3) gives it). MESSAGE is the line without its "\n".
 *
 * Partial lines are buffered per stream, as the journald sink does, so short
 * writes join into one record; a line longer than LOG_SYSLOG_MSG_MAX goes
 * out in several records of at most that many bytes (never splitting a
 * UTF-8 character). A socket that is missing or keeps its queue full never
 * blocks the container for long: the record is counted as lost bytes and
 * reported once per cause; the next one is tried again. */
#ifndef TETHER_LOG_SYSLOG_H
#define TETHER_LOG_SYSLOG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tether/k8slog.h"
#include "tether/log.h"

#define LOG_SYSLOG_SOCKET "/dev/log"
/* The most MESSAGE bytes in one record. */
#define LOG_SYSLOG_MSG_MAX 2048
/* LOG_DAEMON */
#define LOG_SYSLOG_FACILITY 3
/* A queue that stays full this long is taken as failing. */
#define LOG_SYSLOG_BLOCK_MS 1000
/* "<191>Nov 23 12:00:00 " + a tag of at most this + "[4194304]: " */
#define LOG_SYSLOG_TAG_MAX 64
#define LOG_SYSLOG_HDR_MAX (LOG_SYSLOG_TAG_MAX + 48)

struct log_syslog_config {
	const char *socket_path; /* NULL: LOG_SYSLOG_SOCKET */
	const char *tag;	 /* --log-tag; NULL: name, else the id's start */
	const char *name;	 /* -n; may be NULL */
	const char *cid;
	int block_ms; /* longest wait for a full queue; 0: default */
};

typedef struct log_syslog log_syslog;

/* Check the socket path and make the socket; nothing is sent yet, and a
 * socket that is not there is not an error here. */
struct log_syslog *log_syslog_new(const struct log_syslog_config *cfg, GError **error);
void log_syslog_free(struct log_syslog *sl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(log_syslog, log_syslog_free)

void log_syslog_write(struct log_syslog *sl, enum k8slog_stream stream, const char *data,
		      size_t len, const struct timespec *ts);
/* Send the buffered partial lines (at exit). */
void log_syslog_flush(struct log_syslog *sl);
uint64_t log_syslog_lost_bytes(const struct log_syslog *sl);

extern const struct log_sink_ops log_syslog_ops;

/* --- the wire format, pure functions for the tests ------------------------ */

/* The tag for cfg: at most LOG_SYSLOG_TAG_MAX bytes, with blanks, ':', '['
 * and ']' (which would end it early for a parser) made '_' (g_free). */
char *log_syslog_tag(const struct log_syslog_config *cfg);

/* "<PRI>Mmm dd hh:mm:ss TAG[PID]: " for a record of stream at ts (local
 * time) into buf (LOG_SYSLOG_HDR_MAX bytes); returns its length. */
size_t log_syslog_format_header(char *buf, enum k8slog_stream stream, const struct timespec *ts,
				const char *tag, int pid);

/* How many of the len bytes at data fit in max: all if len <= max, else
 * max less the start of a UTF-8 character the cut would split. */
size_t log_syslog_piece(const char *data, size_t len, size_t max);

#endif
