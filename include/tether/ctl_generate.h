/* ctl_generate: `tetherctl generate systemd ID`, a unit file that runs an
 * existing container as a service (as `podman generate systemd --new`: the
 * unit creates it afresh from its bundle at every start). */
#ifndef TETHER_CTL_GENERATE_H
#define TETHER_CTL_GENERATE_H

#include <glib.h>

#include "tether/ctl_state.h"

/* One word of an ExecStart= line, quoted and escaped so systemd reads it
 * back as exactly that word (specifiers and variables too). g_free it. */
char *ctl_generate_exec_word(const char *word);

/* The unit's text for the container in st (its config's process.args in
 * args, NULL to keep the bundle's), run by tetherctl at self with state
 * root root; stop_timeout seconds from the stop signal to SIGKILL. */
char *ctl_generate_unit(const struct ctl_state *st, char *const *args, const char *self,
			const char *root, int stop_timeout);

#endif
