/* One attached session: output, input, the local terminal, detach keys and
 * the exit code. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_session.h"
#include "tether/ctl_attach.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_state.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* The shim reads a client's packet with a 32 KiB buffer (conmon truncates
 * larger ones): never send more at once. */
#define CTL_SESSION_IN_CHUNK (32 * 1024)

static int parse_key(const char *k, char *ret)
{
	if (strlen(k) == 1) {
		*ret = k[0];
		return 0;
	}
	if (g_ascii_strncasecmp(k, "ctrl-", 5) != 0 || strlen(k) != 6)
		return -EINVAL;
	char c = g_ascii_tolower(k[5]);
	if (c >= 'a' && c <= 'z')
		*ret = (char)(c - 'a' + 1);
	else if (c == '@')
		*ret = 0;
	else if (c >= '[' && c <= '_')
		*ret = (char)(c - '[' + 27);
	else
		return -EINVAL;
	return 0;
}

int ctl_detach_keys_parse(const char *spec, char **ret_keys, size_t *ret_len)
{
	if (*spec == '\0') {
		*ret_keys = g_malloc0(1);
		*ret_len = 0;
		return 0;
	}
	g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
	g_autofree char *keys = g_malloc0(g_strv_length(parts) + 1);
	size_t n = 0;
	for (char **p = parts; *p; p++)
		if (parse_key(*p, &keys[n++]) < 0)
			return -EINVAL;
	*ret_keys = g_steal_pointer(&keys);
	*ret_len = n;
	return 0;
}

size_t ctl_detach_feed(struct ctl_detach *d, const char *in, size_t len, GString *out,
		       bool *ret_detach)
{
	*ret_detach = false;
	if (d->len == 0) {
		g_string_append_len(out, in, (gssize)len);
		return len;
	}
	for (size_t i = 0; i < len; i++) {
		if (in[i] == d->keys[d->matched]) {
			if (++d->matched == d->len) {
				d->matched = 0;
				*ret_detach = true;
				return i + 1;
			}
			continue;
		}
		/* The sequence broke: what was held goes on, and this byte may
		 * begin it anew. */
		g_string_append_len(out, d->keys, (gssize)d->matched);
		d->matched = 0;
		if (in[i] == d->keys[0])
			d->matched = 1;
		else
			g_string_append_c(out, in[i]);
	}
	return len;
}

struct session {
	struct ctl_context *ctx;
	const char *id, *cdir;
	int afd, sig_fd, in_fd, size_fd, ctl_fd;
	struct ctl_detach detach;
	int signals;
	int signal_pid;
	bool raw;
	struct termios saved;
};

enum session_end {
	END_EOF,     /* the container's output ended */
	END_DETACH,  /* the detach keys */
	END_SIGNALS, /* too many SIGINT/SIGTERM */
	END_HANGUP,  /* SIGHUP: our terminal is gone */
	END_ERROR,   /* *error set */
};

/* Tell the shim our window size through CDIR/ctl: "1 ROWS COLS". */
static void send_size(struct session *s)
{
	struct winsize ws;
	if (s->size_fd < 0 || ioctl(s->size_fd, TIOCGWINSZ, &ws) < 0)
		return;
	if (s->ctl_fd < 0) {
		g_autofree char *path = g_build_filename(s->cdir, "ctl", NULL);
		s->ctl_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
		if (s->ctl_fd < 0) {
			diag_debug("cannot open %s: %s", path, g_strerror(errno));
			return;
		}
	}
	char line[64];
	int n = snprintf(line, sizeof(line), "1 %u %u\n", ws.ws_row, ws.ws_col);
	if (fdutil_write_all(s->ctl_fd, line, (size_t)n) < 0)
		diag_debug("resize: %s", g_strerror(errno));
}

/* Pass SIGINT/SIGTERM on to the container: it lives in the shim's session,
 * not in our terminal's process group. false: time to leave. */
static bool forward_signal(struct session *s, int signo)
{
	if (s->signal_pid > 0) {
		if (kill(s->signal_pid, signo) < 0)
			diag_debug("forwarding signal %d: %s", signo, g_strerror(errno));
		return ++s->signals < CTL_SESSION_SIGNALS_TO_DETACH;
	}
	g_autofree char *num = g_strdup_printf("%d", signo);
	const char *args[] = {"kill", s->id, num, NULL};
	g_autoptr(GError) error = NULL;
	if (!ctl_runtime_run(s->ctx, args, NULL, &error))
		diag_debug("forwarding signal %d: %s", signo, error->message);
	return ++s->signals < CTL_SESSION_SIGNALS_TO_DETACH;
}

/* Handle what is on the signalfd; returns END_EOF to go on. */
static enum session_end on_signals(struct session *s)
{
	struct signalfd_siginfo si;
	enum session_end end = END_EOF;
	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH)
			send_size(s);
		else if (si.ssi_signo == SIGHUP)
			end = END_HANGUP;
		else if (!forward_signal(s, (int)si.ssi_signo) && end == END_EOF)
			end = END_SIGNALS;
	}
	return end;
}

/* Some input: to the socket, unless it holds the detach keys. */
static enum session_end on_input(struct session *s, char *buf)
{
	ssize_t n = read(s->in_fd, buf, CTL_SESSION_IN_CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return END_EOF;
	if (n <= 0) {
		/* EOF: the container's stdin (with -i) sees EOF too; its
		 * output still comes. */
		if (n < 0)
			diag_debug("reading stdin: %s", g_strerror(errno));
		(void)shutdown(s->afd, SHUT_WR);
		s->in_fd = -1;
		return END_EOF;
	}
	g_autoptr(GString) out = g_string_sized_new((gsize)n);
	bool detach = false;
	ctl_detach_feed(&s->detach, buf, (size_t)n, out, &detach);
	for (size_t off = 0; off < out->len;) {
		size_t chunk = MIN(out->len - off, CTL_SESSION_IN_CHUNK);
		ssize_t w = send(s->afd, out->str + off, chunk, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* The shim is going away: its EOF will follow. */
			diag_debug("sending stdin: %s", g_strerror(errno));
			s->in_fd = -1;
			break;
		}
		off += (size_t)w;
	}
	return detach ? END_DETACH : END_EOF;
}

static enum session_end relay(struct session *s)
{
	g_autofree char *buf = g_malloc(MAX(CTL_ATTACH_BUF, CTL_SESSION_IN_CHUNK));
	int out_fd = STDOUT_FILENO, err_fd = STDERR_FILENO;
	for (;;) {
		struct pollfd pfd[3] = {
			{s->afd, POLLIN, 0}, {s->sig_fd, POLLIN, 0}, {s->in_fd, POLLIN, 0}};
		int n = poll(pfd, 3, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_warn("poll: %s", g_strerror(errno));
			return END_EOF;
		}
		if (pfd[1].revents & POLLIN) {
			enum session_end end = on_signals(s);
			if (end != END_EOF)
				return end;
		}
		if (s->in_fd >= 0 && pfd[2].revents != 0 && on_input(s, buf) == END_DETACH)
			return END_DETACH;
		if (pfd[0].revents == 0)
			continue;
		ssize_t len = recv(s->afd, buf, CTL_ATTACH_BUF, MSG_DONTWAIT);
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (len <= 0) {
			if (len < 0 && errno != ECONNRESET)
				diag_warn("attach socket of %s: %s", s->id, g_strerror(errno));
			return END_EOF;
		}
		/* A reader that went away must not stop the relay: the other
		 * stream may still be read, and EOF still tells us the end. */
		if (ctl_attach_deliver(buf, (size_t)len, out_fd, err_fd) < 0) {
			if (buf[0] == 2)
				out_fd = -1;
			else
				err_fd = -1;
		}
	}
}

static int exit_code(struct session *s, GError **error)
{
	struct ctl_state st;
	ctl_state_load_lenient(s->cdir, s->id, &st);
	gint64 deadline = ctl_now_ms() + CTL_SESSION_EXIT_WAIT_MS;
	int code = 0, r;
	for (;;) {
		gint64 left = MAX(0, deadline - ctl_now_ms());
		r = ctl_exit_wait(s->cdir, s->id, (int)left, st.shim_pid, st.shim, s->sig_fd,
				  &code);
		if (r != -ECANCELED || on_signals(s) != END_EOF)
			break;
	}
	ctl_state_clear(&st);
	if (r == 0)
		/* -1 (a shim's --timeout kill) reads as 255, as conmon exits. */
		return code >= 0 && code <= 255 ? code : 255;
	if (r == -ECANCELED)
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "detached from container %s after %d signals; it runs on under its "
			    "shim",
			    s->id, CTL_SESSION_SIGNALS_TO_DETACH);
	else if (r == -ESRCH)
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "the shim of container %s is gone and left no exit code", s->id);
	else
		g_set_error(error, CTL_ERROR, CTL_ERROR_TIMEOUT,
			    "no exit code for container %s: %s", s->id, g_strerror(-r));
	return -1;
}

static void make_raw(struct session *s)
{
	if (tcgetattr(s->in_fd, &s->saved) < 0)
		return;
	struct termios raw = s->saved;
	cfmakeraw(&raw);
	if (tcsetattr(s->in_fd, TCSADRAIN, &raw) == 0)
		s->raw = true;
}

static void restore_terminal(struct session *s)
{
	if (s->raw && tcsetattr(s->in_fd, TCSADRAIN, &s->saved) < 0)
		diag_warn("cannot restore the terminal: %s", g_strerror(errno));
	s->raw = false;
}

int ctl_session_run(struct ctl_context *ctx, const char *id, const char *cdir, int afd,
		    const struct ctl_session_opts *opts, GError **error)
{
	_cleanup_close_ int sock = afd;
	struct session s = {
		.ctx = ctx,
		.id = id,
		.cdir = cdir,
		.afd = afd,
		.in_fd = opts->in_fd,
		.size_fd = -1,
		.ctl_fd = -1,
		.signal_pid = opts->signal_pid,
		.detach = {opts->keys, opts->in_fd >= 0 ? opts->keys_len : 0, 0},
	};
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGWINCH);
	/* Blocked for good: a signal left unread when the mask came back
	 * would kill us after the container's exit code is known, or leave
	 * the terminal raw. */
	_cleanup_close_ int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd >= 0)
		sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sig_fd = sig_fd;
	/* A closed stdout must not kill us before the exit code is known. */
	signal(SIGPIPE, SIG_IGN);

	if (opts->terminal) {
		if (s.in_fd >= 0 && isatty(s.in_fd)) {
			make_raw(&s);
			s.size_fd = s.in_fd;
		} else if (isatty(STDOUT_FILENO)) {
			s.size_fd = STDOUT_FILENO;
		}
		send_size(&s);
	}

	enum session_end end = END_ERROR;
	const char *args[] = {"start", id, NULL};
	if (!opts->start || ctl_runtime_run(ctx, args, NULL, error)) {
		if (opts->start)
			ctl_service_started(cdir, id);
		end = relay(&s);
	}
	/* The one place the terminal comes back, whatever ended the session. */
	restore_terminal(&s);
	fdutil_close(&sock);
	fdutil_close(&s.ctl_fd);

	switch (end) {
	case END_EOF:
		if (opts->exit_fn != NULL) {
			int code = 0;
			int r = opts->exit_fn(opts->exit_data, CTL_SESSION_EXIT_WAIT_MS, &code);
			if (r == 0)
				return code >= 0 && code <= 255 ? code : 255;
			g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM, "no exit code for %s: %s", id,
				    g_strerror(-r));
			return -1;
		}
		return exit_code(&s, error);
	case END_DETACH:
		return 0;
	case END_HANGUP:
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "hung up; container %s runs on under its shim", id);
		return -1;
	case END_SIGNALS:
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "detached from container %s after %d signals; it runs on under its "
			    "shim",
			    id, CTL_SESSION_SIGNALS_TO_DETACH);
		return -1;
	case END_ERROR:
	default:
		return -1;
	}
}
