/* ctl_runtime: running the OCI runtime's CLI (runc, crun) as
 *   RUNTIME --root ROOT/runtime VERB ARGS...   */
#ifndef TETHER_CTL_RUNTIME_H
#define TETHER_CTL_RUNTIME_H

#include <glib.h>
#include <stdbool.h>

#include "tether/ctl.h"

/* Run the runtime with args (NULL-terminated, after --root). ret_stdout
 * (may be NULL) gets its standard output. A non-zero exit becomes a
 * CTL_ERROR_RUNTIME error carrying the runtime's own message. */
bool ctl_runtime_run(const struct ctl_context *ctx, const char *const *args, char **ret_stdout,
		     GError **error);

/* The runtime's message out of its stderr: the msg="..." of runc's and
 * crun's logrus-style last error line, else the last non-empty line.
 * g_free the result. */
char *ctl_runtime_error_text(const char *stderr_text);

/* Does this runtime error mean "no such container"? */
bool ctl_runtime_error_is_not_found(const GError *error);

/* "status" of RUNTIME state ID, g_free'd by the caller; NULL and *error if
 * the runtime fails or its answer does not parse. */
char *ctl_runtime_state(const struct ctl_context *ctx, const char *id, GError **error);

#endif
