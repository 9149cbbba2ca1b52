/* ctl_bundle: turning the user's bundle into the container directory's own
 * config.json, so that directory can serve as the bundle. */
#ifndef TETHER_CTL_BUNDLE_H
#define TETHER_CTL_BUNDLE_H

#include <glib.h>
#include <stdbool.h>
#include <json-c/json.h>

#include "tether/ctl_service.h"

/* The largest config.json read. */
#define CTL_CONFIG_MAX (4 * 1024 * 1024)

/* Rewrite a parsed config in place: root.path (and relative bind-mount
 * sources) made absolute against bundle_dir, process.args replaced when
 * args is non-NULL and non-empty. */
bool ctl_bundle_rewrite(json_object *config, const char *bundle_dir, char *const *args,
			GError **error);

/* Set process.terminal: the runtime then hands the shim a PTY (-t). */
bool ctl_bundle_set_terminal(json_object *config, bool terminal, GError **error);

/* Read BUNDLE/config.json, rewrite it, set process.terminal, add what the
 * service needs (svc may be NULL), write DEST/config.json (0600). */
bool ctl_bundle_copy_config(const char *bundle_dir, const char *dest_dir, char *const *args,
			    bool terminal, const struct ctl_service *svc, GError **error);

#endif
