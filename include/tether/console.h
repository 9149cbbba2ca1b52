/* console: the --console-socket handshake. The runtime connects to a socket
 * we listen on and sends the PTY master with SCM_RIGHTS (plus a name). The
 * socket lives in a private directory under $TMPDIR, removed once used. */
#ifndef TETHER_CONSOLE_H
#define TETHER_CONSOLE_H

#include <glib.h>

typedef struct console console;

/* Called once with the PTY master (ownership passes), or with -errno. */
typedef void (*console_func)(int master_fd, void *data);

struct console *console_new(console_func func, void *data, GError **error);
void console_free(struct console *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(console, console_free)

/* The path to hand the runtime as --console-socket. */
const char *console_path(const struct console *c);

/* Take a connection that is already waiting, if any (func is called). */
void console_poll(struct console *c);

/* Receive one fd sent with SCM_RIGHTS on a connected socket. Returns the fd
 * (close-on-exec) or -errno. */
int console_recv_fd(int sock);

#endif
