/* handover: the state a live upgrade (upgrade.h) or a crash recovery
 * (recover.h) carries from the running shim to the tether binary it
 * re-executes, as JSON. Each module exports its part (fds by number, kept
 * open across the exec) and adopts it back. The state also holds each fd's
 * identity (dev:ino, "fd_ids"): the new binary takes an fd only if it is
 * still that file, which after a crash it need not be (closed since the
 * save, its number reused). */
#ifndef TETHER_HANDOVER_H
#define TETHER_HANDOVER_H

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* Remember fd in keep (a GArray of int), the fds the exec keeps open (the
 * exec clears their FD_CLOEXEC right before it, and sets it back if it
 * fails). Returns fd, or -1 for none. */
int handover_keep_fd(GArray *keep, int fd);
/* The identities of the fds in keep, into st as "fd_ids". */
void handover_add_fd_ids(json_object *st, GArray *keep);
/* The new binary, before it takes any fd of st: the fds st hands over, each
 * checked against its identity. One that is another file now is left out
 * (and closed if the old image left it open). */
typedef struct handover_fds handover_fds;
struct handover_fds *handover_fds_new(json_object *st);
void handover_fds_free(struct handover_fds *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(handover_fds, handover_fds_free)
/* The fd at key, made close-on-exec again; -1 if absent, not open, or no
 * longer the file the state names. */
int handover_get_fd(const struct handover_fds *h, json_object *o, const char *key);
int handover_to_fd(const struct handover_fds *h, json_object *v);

json_object *handover_bytes(const void *data, size_t len);
/* The bytes at key (base64); NULL if absent or invalid. */
GBytes *handover_get_bytes(json_object *o, const char *key);
/* v, a base64 string, decoded; NULL if it is none. */
GBytes *handover_to_bytes(json_object *v);
int64_t handover_get_int(json_object *o, const char *key, int64_t dflt);
bool handover_get_bool(json_object *o, const char *key);
json_object *handover_get(json_object *o, const char *key, json_type type);

#endif
