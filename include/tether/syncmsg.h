/* syncmsg: the one-line JSON messages conmon writes on _OCI_SYNCPIPE and
 * _OCI_ATTACHPIPE: {"KEY": N} or {"KEY": N, "message": "TEXT"}, with one
 * space after each colon and comma, terminated by "\n". */
#ifndef TETHER_SYNCMSG_H
#define TETHER_SYNCMSG_H

#include <stddef.h>

/* podman reads each message with one 4096-byte read: stay well below. */
#define SYNCMSG_MAX 4000

/* Format a message into buf (cap >= 64). A message too long to fit keeps
 * the tail of the text (where runtimes put the reason). Returns the length
 * written, excluding the NUL. */
size_t syncmsg_format(char *buf, size_t cap, const char *key, long long value, const char *message);

/* The key conmon uses: "data" under --api-version 1, else "exit_code" for
 * exec and "pid" for create/restore. */
const char *syncmsg_key(int api_version, int is_exec);

/* Parse a message as the callers do. Returns 0 and sets ret_value (and
 * ret_message, g_malloc'd or NULL) or -EINVAL. */
int syncmsg_parse(const char *line, size_t len, long long *ret_value, char **ret_message);

#endif
