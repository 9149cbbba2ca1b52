/* control: tether's own control socket, BUNDLE/control (SOCK_STREAM, owner
 * only; only the shim's uid and root may connect, checked with SO_PEERCRED).
 * One JSON object per line each way (docs/protocol.md):
 *   request  {"id": ANY, "request": "version|state|wait|resize|reopen|stats|subscribe", ...}
 *   response {"id": ANY, "ok": true, ...} or {"id": ANY, "ok": false, "error": "..."}
 *   event    {"event": "started|exited|oom|log-rotated|attach-opened|attach-closed", ...}
 * "wait" is answered when the container has exited; "subscribe" turns the
 * connection into a stream of events. A malformed request gets an error
 * reply; a line over CONTROL_LINE_MAX an error reply and the connection
 * closed. Nothing else changes. */
#ifndef TETHER_CONTROL_H
#define TETHER_CONTROL_H

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>

struct handover_fds;

#define CONTROL_LINE_MAX (64 * 1024)

/* What the socket asks of the monitor. */
struct control_ops {
	/* Fill obj with the state (pid, status, exit code, oom, times, logs). */
	void (*state)(void *data, json_object *obj);
	void (*stats)(void *data, json_object *obj);
	bool (*exited)(void *data);
	/* Returns NULL or an error message (static). */
	const char *(*resize)(void *data, unsigned rows, unsigned cols);
	const char *(*reopen)(void *data);
	/* The caller has started the container (the runtime's start
	 * returned): readiness may be announced. */
	const char *(*started)(void *data);
	/* The counters and state in Prometheus' text format (a new string). */
	char *(*metrics)(void *data);
	/* The last n bytes of output (a JSON array), or NULL: none kept. */
	json_object *(*replay)(void *data, size_t n);
	/* Re-execute binary (NULL: our own) keeping everything (upgrade.h);
	 * NULL once under way (control_upgrade_done answers), or why not (a
	 * new string). */
	char *(*upgrade)(void *data, const char *binary);
};

typedef struct control control;

struct control *control_new(const char *bundle, const struct control_ops *ops, void *data,
			    GError **error);
void control_free(struct control *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(control, control_free)

/* Send an event to every subscriber; takes a reference on fields (may be
 * NULL) and adds "event" and "time". When it is "exited", pending waits are
 * answered too. */
void control_event(struct control *c, const char *event, json_object *fields);

/* What a request leaves to the connection: an answer at exit (wait), events
 * from now on (subscribe), an answer once the upgrade is done. */
struct control_defer {
	bool wait;
	bool subscribe;
	bool upgrade;
};

/* Handle one request line; returns the reply (a new reference) or NULL when
 * the answer comes later (ret says why). Exposed for tests. */
json_object *control_handle(const struct control_ops *ops, void *data, const char *line, size_t len,
			    struct control_defer *ret);

/* Answer every pending "upgrade": ok with fields (taken), or error. */
void control_upgrade_done(struct control *c, const char *error, json_object *fields);

/* Live upgrade (upgrade.h): the socket and, if conns_too, its connections,
 * fds added to keep; and adopted back after the exec. */
json_object *control_export(struct control *c, GArray *keep, bool conns_too);
struct control *control_adopt(json_object *st, const struct handover_fds *fds, const char *bundle,
			      const struct control_ops *ops, void *data, GError **error);

#endif
