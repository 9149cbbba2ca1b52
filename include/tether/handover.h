/* handover: the state a live upgrade (upgrade.h) carries from the running
 * shim to the tether binary it re-executes, as JSON. Each module exports its
 * part (fds by number, kept open across the exec) and adopts it back. */
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
/* The fd at key, made close-on-exec again; -1 if absent or not open. */
int handover_get_fd(json_object *o, const char *key);
int handover_to_fd(json_object *v);

json_object *handover_bytes(const void *data, size_t len);
/* The bytes at key (base64); NULL if absent or invalid. */
GBytes *handover_get_bytes(json_object *o, const char *key);
/* v, a base64 string, decoded; NULL if it is none. */
GBytes *handover_to_bytes(json_object *v);
int64_t handover_get_int(json_object *o, const char *key, int64_t dflt);
bool handover_get_bool(json_object *o, const char *key);
json_object *handover_get(json_object *o, const char *key, json_type type);

#endif
