/* notify: --sdnotify-socket. A datagram socket at BUNDLE/notify/notify.sock
 * (podman makes the directory and mounts it in the container as
 * /run/notify, with NOTIFY_SOCKET pointing there) receives the container's
 * sd_notify messages; the lines systemd should see are sent on to the
 * host's socket, as conmon 2.1.9+ does. MAINPID never: podman sends the
 * monitor's own. */
#ifndef TETHER_NOTIFY_H
#define TETHER_NOTIFY_H

#include <glib.h>

typedef struct notify notify;

struct notify *notify_new(const char *bundle, const char *host_socket, GError **error);
void notify_free(struct notify *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(notify, notify_free)

/* The lines of one datagram that may pass, joined with "\n" (g_free), or
 * NULL if none. */
char *notify_filter(const char *msg, size_t len);

#endif
