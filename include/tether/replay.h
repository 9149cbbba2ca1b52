/* replay: the last output kept for attach clients that ask (--replay-size).
 *
 * A log sink that keeps the most recent BYTES of output, in order, with the
 * stream of each piece, so that a client attaching to a quiet terminal can
 * be shown what is on it: the control socket's "replay" request (and
 * `tetherctl attach --replay`). Nothing is kept until output comes; the
 * memory is at most BYTES plus a small header per piece. */
#ifndef TETHER_REPLAY_H
#define TETHER_REPLAY_H

#include <glib.h>
#include <json-c/json.h>
#include <stddef.h>

#include "tether/log.h"

typedef struct replay replay;

struct replay *replay_new(size_t capacity);
extern const struct log_sink_ops replay_sink_ops;

/* The last (at most) n bytes, oldest first: a JSON array of
 * {"stream": "stdout"|"stderr", "data": BASE64}. */
json_object *replay_last(const struct replay *r, size_t n);
/* Bytes kept now. */
size_t replay_size(const struct replay *r);

#endif
