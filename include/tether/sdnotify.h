/* sdnotify: the shim's own messages to its service manager (--systemd-notify).
 *
 * Under a systemd unit (Type=notify, NotifyAccess=all) the shim tells systemd
 * its pid (MAINPID), what it is doing (STATUS), that the container runs
 * (READY=1), that it is stopping (STOPPING=1), and pings the watchdog
 * (WATCHDOG=1 every half of WATCHDOG_USEC). The protocol is a datagram of
 * "KEY=VALUE" lines to $NOTIFY_SOCKET: a path, or "@name" in the abstract
 * namespace. No libsystemd: the shim links glib and json-c only.
 *
 * The container's own messages are another thing: see notify.h. */
#ifndef TETHER_SDNOTIFY_H
#define TETHER_SDNOTIFY_H

#include <glib.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

typedef struct sdnotify sdnotify;

/* $NOTIFY_SOCKET as an address: "/path" or "@abstract". -EINVAL for
 * anything else (empty, relative, too long). */
int sdnotify_address(const char *text, struct sockaddr_un *ret_addr, socklen_t *ret_len);

/* The watchdog interval from $WATCHDOG_USEC, in microseconds: 0 when it is
 * unset or invalid, or when $WATCHDOG_PID names another process than pid
 * (tetherctl hands its watchdog on by not passing WATCHDOG_PID). */
uint64_t sdnotify_watchdog_usec(const char *usec, const char *watchdog_pid, pid_t pid);

/* Take the manager's socket and watchdog from the environment and remove
 * NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from it, so that neither the
 * runtime nor the container acts on them. NULL (not an error) when
 * NOTIFY_SOCKET is unset; NULL and *error when it is invalid. */
struct sdnotify *sdnotify_from_env(GError **error);
void sdnotify_free(struct sdnotify *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sdnotify, sdnotify_free)

uint64_t sdnotify_get_watchdog_usec(const struct sdnotify *n);
/* envp (g_get_environ) with NOTIFY_SOCKET and the watchdog's variables as
 * sdnotify_from_env found them, for the shim's own re-exec (upgrade.h). */
char **sdnotify_environ(const struct sdnotify *n, char **envp);

/* Send one message (lines joined with '\n'); n may be NULL (nothing
 * happens). Returns 0 or -errno; never blocks. */
int sdnotify_send(struct sdnotify *n, const char *text);
/* text with fd attached (SCM_RIGHTS): FDSTORE=1. */
int sdnotify_send_fd(struct sdnotify *n, const char *text, int fd);
int sdnotify_sendf(struct sdnotify *n, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
