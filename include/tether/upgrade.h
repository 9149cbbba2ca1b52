/* upgrade: live upgrade. Asked on the control socket ("upgrade") or by
 * SIGHUP, the running shim re-executes a tether binary (by default the one
 * now installed at its own path) keeping its pid, its children and its fds:
 * the container, its pipes or terminal, the attach clients, the control
 * connections and the FIFOs carry on untouched. The rest of its state
 * (counters, timers, queued output, the replay ring, health) travels as JSON
 * in a memfd named by --adopt-state=FD; the new binary adopts it and answers
 * the "upgrade" request itself (docs/live-upgrade.md). */
#ifndef TETHER_UPGRADE_H
#define TETHER_UPGRADE_H

#include <json-c/json.h>

#include "tether/shim.h"

struct handover_fds;

/* Check binary (NULL: our own path) and schedule the re-exec. NULL when
 * under way, else why not (a new string). */
char *upgrade_request(struct shim *s, const char *binary);

/* The state (fds by number, each added to keep: the exec keeps them). full:
 * everything a live upgrade carries; else what crash recovery (recover.h)
 * keeps current: no connections, queues or replay ring. */
json_object *upgrade_export(struct shim *s, const char *binary, GArray *keep, bool full);
/* argv without any --adopt-state or --recovered-from, then extra (a NULL-
 * terminated list). */
char **upgrade_argv(char **argv, const char *const *extra);

/* In the new binary: read the state named by --adopt-state and restore the
 * shim's own fields (the modules adopt their parts from what is returned,
 * their fds through *ret_fds, see handover.h). NULL with error set if
 * there is nothing usable. */
json_object *upgrade_load(struct shim *s, struct handover_fds **ret_fds, GError **error);
/* The replay ring's content, into the sink made anew (open_logs). */
void upgrade_replay_adopt(struct shim *s, json_object *st);
/* Done adopting: answer the "upgrade" requests, tell subscribers. */
void upgrade_adopted(struct shim *s);

#endif
