/* recover: crash recovery. A container's shim that crashes (a fault such as
 * SIGSEGV, or an abort of its own) re-executes itself in place, as a live
 * upgrade does (upgrade.h), from a state it keeps current in a memfd: its
 * pid, its parent and its children stay, so the container is still its
 * child to reap and its exit code is never lost; the pipes or terminal, the
 * sockets and FIFOs carry on. What the crash takes: attach clients and
 * control connections (they reconnect), output read but not yet written,
 * and up to a second of counters (docs/crash-recovery.md). */
#ifndef TETHER_RECOVER_H
#define TETHER_RECOVER_H

#include <json-c/json.h>

#include "tether/shim.h"

/* The container runs: keep its state current and catch crashes. */
void recover_arm(struct shim *s);
/* A counter the state holds changed: save it within a second. */
void recover_touch(struct shim *s);
/* The container's state changed (started, stopping, health): save it now. */
void recover_save(struct shim *s);
/* The container exited (or the shim is going): crashes are crashes again. */
void recover_disarm(struct shim *s);

/* In the new binary, before the modules adopt st: count the deadlines in
 * it down by the time since the crashed shim saved it. */
void recover_check(struct shim *s, json_object *st);
/* Done adopting: say so in the shim's diagnostics. */
void recover_adopted(struct shim *s);
/* Taken over from systemd's fd store by a new process: the container is
 * not our child. Its pidfd says when it exits, and (Linux 6.15) with what
 * status, once the service manager reaped it. */
void recover_watch_reparented(struct shim *s);

#endif
