/* attach: conmon's attach socket. SOCK_SEQPACKET; to clients every packet is
 * one stream byte (2 stdout, 3 stderr) and at most 8192 bytes of data; from
 * clients raw stdin bytes. Output never blocks: a client that does not read
 * gets a bounded queue, then loses packets, counted. */
#ifndef TETHER_ATTACH_H
#define TETHER_ATTACH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct handover_fds;

#define ATTACH_STREAM_STDIN  1
#define ATTACH_STREAM_STDOUT 2
#define ATTACH_STREAM_STDERR 3
/* podman reads 8193-byte packets. */
#define ATTACH_PACKET_DATA_MAX 8192
/* Flow control: while a client has more than this queued, the relay stops
 * reading the container (it waits, as with conmon), so a slow client loses
 * nothing. */
#define ATTACH_CLIENT_QUEUE_HIGH (4 * 1024 * 1024)
/* Each client socket's send buffer (the kernel doubles it for overhead). */
#define ATTACH_CLIENT_SNDBUF (1024 * 1024)
/* Packets per sendmmsg(): a 256 KiB read's worth. */
#define ATTACH_SEND_BATCH 32
/* A client that takes nothing for this long while it holds the relay up is
 * stuck: its output is dropped (counted) and the relay goes on. */
#define ATTACH_STUCK_MS 2000

typedef struct attach attach;

/* What the attach socket needs from the monitor. */
struct attach_ops {
	/* Bytes it can take now; a client whose next packet is larger waits
	 * (attach_resume_input) instead of losing it. */
	size_t (*room)(void *data);
	void (*input)(void *data, const char *buf, size_t len);
	/* A client shut its write side or went away. */
	void (*eof)(void *data);
	/* A live client is far behind (true): stop reading the container
	 * until called with false. */
	void (*congested)(void *data, bool on);
};

/* Create BUNDLE/attach (bound through /proc/self/fd so long paths work) and,
 * unless full_attach, the symlink SOCKET_DIR/CUUID -> BUNDLE. ops may be
 * NULL: input is then read and dropped. */
struct attach *attach_new(const char *bundle, const char *socket_dir, const char *cuuid,
			  bool full_attach, const struct attach_ops *ops, void *data,
			  GError **error);

/* Live upgrade (upgrade.h): the socket and, if clients_too, each client with
 * what it has queued, their fds added to keep (crash recovery, recover.h,
 * keeps the socket alone); and the same, adopted after the exec. */
struct json_object;
struct json_object *attach_export(struct attach *a, GArray *keep, bool clients_too);
struct attach *attach_adopt(struct json_object *st, const struct handover_fds *fds,
			    const char *bundle, const char *socket_dir, const char *cuuid,
			    bool full_attach, const struct attach_ops *ops, void *data,
			    GError **error);

/* There is room again: read the clients that were waiting. */
void attach_resume_input(struct attach *a);
void attach_free(struct attach *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(attach, attach_free)

void attach_broadcast(struct attach *a, int stream, const char *data, size_t len);

/* Accept the clients waiting in the socket's backlog now, as the loop would
 * have: they connected before what happens next (the container's exit). */
void attach_accept_pending(struct attach *a);

/* At exit: give clients up to timeout_ms to take their queued output, then
 * close them (they read EOF) and remove the socket and the symlink. */
void attach_shutdown(struct attach *a, int timeout_ms);

unsigned attach_client_count(const struct attach *a);
uint64_t attach_dropped_bytes(const struct attach *a);

#endif
