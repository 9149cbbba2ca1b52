/* ctl_control: a client of the shim's control socket, CDIR/control (JSON
 * lines, docs/protocol.md "The control socket"). */
#ifndef TETHER_CTL_CONTROL_H
#define TETHER_CTL_CONTROL_H

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>

/* The longest line we accept from the shim. */
#define CTL_CONTROL_LINE_MAX (1024 * 1024)

/* One connection: the socket and what has been read past the last line. */
struct ctl_control {
	int fd;
	GString *buf;
};

/* Connect to CDIR/control through /proc/self/fd/N/control, so long state
 * paths fit in sun_path. 0 or -errno (-ENOENT, -ECONNREFUSED: no shim
 * serving it). */
int ctl_control_open(const char *cdir, struct ctl_control *ret_conn);
void ctl_control_close(struct ctl_control *conn);

/* Send one request object (a "request" key and its arguments). 0 or -errno. */
int ctl_control_send(struct ctl_control *conn, json_object *req);

/* Read the next line as a JSON object. timeout_ms < 0: forever. Returns 1
 * with *ret_obj, 0 at EOF, -ETIMEDOUT, -EBADMSG (not JSON, too long) or
 * another -errno. */
int ctl_control_read(struct ctl_control *conn, int timeout_ms, json_object **ret_obj);

/* Take complete lines already buffered without reading: 1 with *ret_obj, 0
 * when no full line is buffered, -EBADMSG. */
int ctl_control_next(struct ctl_control *conn, json_object **ret_obj);

/* Read what the socket has now into the buffer (non-blocking use after
 * poll): >0 bytes, 0 at EOF, -EAGAIN, -errno. */
int ctl_control_fill(struct ctl_control *conn);

/* One request, one reply: connect, send {"request": name, args...}, read
 * the reply (skipping events) within timeout_ms. A reply with "ok": false
 * becomes a CTL_ERROR_SHIM error carrying the shim's message. Returns the
 * reply or NULL with *error; args (may be NULL) is not taken over. */
json_object *ctl_control_call(const char *cdir, const char *id, const char *request,
			      json_object *args, int timeout_ms, GError **error);

#endif
