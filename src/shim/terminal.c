#define G_LOG_DOMAIN "terminal"

#include "tether/shim.h"
#include "tether/console.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static void apply_size(struct shim *s)
{
	if (s->term_fd < 0 || !s->have_size)
		return;
	struct winsize ws = {.ws_row = (unsigned short)s->rows, .ws_col = (unsigned short)s->cols};
	/* The kernel sends the foreground process group SIGWINCH. */
	if (ioctl(s->term_fd, TIOCSWINSZ, &ws) < 0)
		diag_warn("Failed to resize the terminal to %ux%u: %s", s->rows, s->cols,
			  g_strerror(errno));
}

static void on_master(int fd, void *data)
{
	struct shim *s = data;
	if (fd < 0) {
		diag_warn("No terminal from the runtime: %s", g_strerror(-fd));
		return;
	}
	if (s->term_fd >= 0) {
		close(fd);
		return;
	}
	diag_debug("got the terminal from the runtime");
	/* Logs get "\r\n" as conmon's do: the terminal translates output. */
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		t.c_oflag |= ONLCR;
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	(void)fdutil_set_nonblock(fd, true);
	s->term_fd = fd;
	apply_size(s);
	/* Output from the terminal is the container's stdout. */
	s->out_fd[0] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (s->state == SHIM_RUNNING)
		stdio_watch(s);
	/* And clients' input goes to it. */
	int in = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (in >= 0)
		stdin_set_fd(s, in);
}

bool terminal_setup(struct shim *s, GError **error)
{
	if (!s->opts->terminal)
		return true;
	s->console = console_new(on_master, s, error);
	return s->console != NULL;
}

const char *terminal_console_path(const struct shim *s)
{
	return s->console ? console_path(s->console) : NULL;
}

bool terminal_check(struct shim *s)
{
	if (!s->opts->terminal || s->term_fd >= 0)
		return true;
	/* The runtime has exited: the fd it sent may still wait in the queue. */
	if (s->console != NULL)
		console_poll(s->console);
	return s->term_fd >= 0;
}

void terminal_resize(struct shim *s, unsigned rows, unsigned cols)
{
	/* Before the terminal exists the size is kept and applied on arrival:
	 * podman resizes before it starts the container. */
	s->rows = rows;
	s->cols = cols;
	s->have_size = true;
	apply_size(s);
}

void terminal_close(struct shim *s)
{
	g_clear_pointer(&s->console, console_free);
	fdutil_close(&s->term_fd);
}
