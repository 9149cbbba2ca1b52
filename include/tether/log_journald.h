/* log_journald: the journald log sink (conmon-spec §2.12.3). One journal
 * entry per line, with conmon's fields in conmon's order, sent in the
 * journal's native protocol over its datagram socket (no libsystemd: it
 * would cost every shim ~125 kB of private memory).
 *
 * Partial lines are buffered per stream, up to LOG_JOURNALD_LINE_MAX bytes,
 * so short writes join into one entry; a longer line goes out as partial
 * entries (CONTAINER_PARTIAL_MESSAGE=true) of that size and a final one.
 * A journal that is absent or full never blocks the container: the entry is
 * counted as lost, reported once, and the next one is tried again. (conmon's
 * blocking libsystemd socket slows the container down instead, so a burst
 * larger than journald's queue is kept there and partly lost here.) */
#ifndef TETHER_LOG_JOURNALD_H
#define TETHER_LOG_JOURNALD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "tether/k8slog.h"
#include "tether/log.h"

#define LOG_JOURNALD_SOCKET "/run/systemd/journal/socket"
/* The longest MESSAGE one entry carries (conmon's STDIO_BUF_SIZE). */
#define LOG_JOURNALD_LINE_MAX 8192
/* The cid is cut to this for CONTAINER_ID (and SYSLOG_IDENTIFIER). */
#define LOG_JOURNALD_SHORT_ID 12

/* A journal whose queue stays full this long is taken as failing. */
#define LOG_JOURNALD_BLOCK_MS 1000

struct log_journald_config {
	const char *cid;	 /* longer than LOG_JOURNALD_SHORT_ID */
	const char *name;	 /* -n; NULL: no CONTAINER_NAME */
	const char *tag;	 /* --log-tag; NULL: no CONTAINER_TAG */
	char **labels;		 /* --log-label NAME=VALUE; may be NULL */
	bool no_partial;	 /* --no-container-partial-message */
	const char *socket_path; /* NULL: LOG_JOURNALD_SOCKET */
	int block_ms;		 /* longest wait for a full journal; 0: default */
};

typedef struct log_journald log_journald;

/* Check the config (conmon's messages) and make the socket. Nothing is sent
 * yet: a journal that is not running is not an error here. */
struct log_journald *log_journald_new(const struct log_journald_config *cfg, GError **error);
void log_journald_free(struct log_journald *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(log_journald, log_journald_free)

/* The --log-label checks alone (conmon's messages), for option validation. */
bool log_journald_check_labels(char *const *labels, GError **error);

/* Record one chunk read from a stream: an entry per complete line. */
void log_journald_write(struct log_journald *j, enum k8slog_stream stream, const char *data,
			size_t len);
/* Send the buffered partial lines as partial entries (at exit). */
void log_journald_flush(struct log_journald *j);
/* Bytes of container output the journal did not take. */
uint64_t log_journald_lost_bytes(const struct log_journald *j);

extern const struct log_sink_ops log_journald_ops;

/* --- the wire format, pure functions for the tests ------------------------ */

/* MESSAGE, its terminator, CONTAINER_ID_FULL, PRIORITY, the ids, PARTIAL,
 * labels. */
#define LOG_JOURNALD_IOV_MAX 9

/* One entry's datagram as iovecs: into rec->msg_hdr, into j's
 * pre-serialized fields, and into the caller's message bytes, which must
 * outlive it. Points into itself: do not copy it. */
struct log_journald_record {
	struct iovec iov[LOG_JOURNALD_IOV_MAX];
	size_t n_iov;
	size_t len;	  /* the datagram's size */
	char msg_hdr[16]; /* "MESSAGE=" or "MESSAGE\n" + 64-bit LE length */
};

/* Build the entry whose MESSAGE is head + tail (the buffered start of a
 * line, and the rest from the current chunk). No I/O, no allocation. */
void log_journald_record_build(const struct log_journald *j, enum k8slog_stream stream,
			       bool partial, const char *head, size_t head_len, const char *tail,
			       size_t tail_len, struct log_journald_record *ret_rec);

/* Append KEY=VALUE\n, or, when the value holds a newline, the binary form
 * KEY\n + 64-bit little-endian length + VALUE + \n. */
void log_journald_field_append(GString *out, const char *key, const char *value, size_t len);

#endif
