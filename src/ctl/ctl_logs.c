/* logs: the container's output, read back from its k8s-file log. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_logs.h"
#include "tether/ctl_state.h"
#include "tether/fdutil.h"
#include "tether/k8slog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define CTL_LOGS_CHUNK (64 * 1024)
#define CTL_LOGS_FLUSH (64 * 1024)
/* -f re-checks at least this often, whatever inotify says. */
#define CTL_LOGS_POLL_MS 1000

void ctl_logs_out_init(struct ctl_logs_out *out, int out_fd, int err_fd, bool timestamps)
{
	memset(out, 0, sizeof(*out));
	out->fd[0] = out_fd;
	out->fd[1] = err_fd;
	out->timestamps = timestamps;
	out->bol[0] = out->bol[1] = true;
	out->pending = g_string_new(NULL);
}

int ctl_logs_out_flush(struct ctl_logs_out *out)
{
	int fd = out->fd[out->pending_stream];
	if (out->pending->len > 0 && fd >= 0 && out->error == 0)
		out->error = fdutil_write_all(fd, out->pending->str, out->pending->len);
	g_string_truncate(out->pending, 0);
	return out->error;
}

void ctl_logs_out_clear(struct ctl_logs_out *out)
{
	if (out->pending != NULL)
		g_string_free(out->pending, TRUE);
	out->pending = NULL;
}

static void emit(struct ctl_logs_out *out, int stream, const char *data, size_t len)
{
	if (out->fd[stream] < 0)
		return;
	/* One buffer for both streams keeps their order on a shared terminal. */
	if (stream != out->pending_stream || out->pending->len >= CTL_LOGS_FLUSH) {
		ctl_logs_out_flush(out);
		out->pending_stream = stream;
	}
	g_string_append_len(out->pending, data, (gssize)len);
}

static void render(struct ctl_logs_out *out, const struct k8slog_record *rec)
{
	int s = rec->stream == K8SLOG_STDERR ? 1 : 0;
	out->last_partial = rec->partial;
	if (!rec->partial)
		out->lines++;
	if (out->skip > 0) {
		if (!rec->partial)
			out->skip--;
		return;
	}
	if (out->timestamps && out->bol[s]) {
		emit(out, s, rec->timestamp, rec->timestamp_len);
		emit(out, s, " ", 1);
	}
	emit(out, s, rec->content, rec->content_len);
	if (!rec->partial)
		emit(out, s, "\n", 1);
	out->bol[s] = !rec->partial;
}

size_t ctl_logs_feed(struct ctl_logs_out *out, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		const char *line = buf + done;
		const char *nl = memchr(line, '\n', len - done);
		if (nl == NULL)
			break;
		done += (size_t)(nl - line) + 1;
		out->lineno++;
		struct k8slog_record rec;
		if (k8slog_parse_record(line, (size_t)(nl - line), &rec) < 0) {
			if (out->corrupt++ == 0 && out->fd[0] >= 0) {
				ctl_logs_out_flush(out);
				fprintf(stderr,
					"tetherctl: warning: corrupt log record at line %lld "
					"skipped\n",
					out->lineno);
			}
			continue;
		}
		render(out, &rec);
	}
	return done;
}

/* Read fd to EOF through the renderer; buf keeps an incomplete last line. */
static int drain(int fd, GByteArray *buf, struct ctl_logs_out *out)
{
	g_autofree char *chunk = g_malloc(CTL_LOGS_CHUNK);
	for (;;) {
		ssize_t n = read(fd, chunk, CTL_LOGS_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		g_byte_array_append(buf, (const guint8 *)chunk, (guint)n);
		size_t used = ctl_logs_feed(out, (const char *)buf->data, buf->len);
		g_byte_array_remove_range(buf, 0, (guint)used);
		if (out->error < 0)
			return out->error;
	}
}

int ctl_logs_count_lines(const char *path, long long *ret_lines)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		*ret_lines = 0;
		return 0;
	}
	if (fd < 0)
		return -errno;
	struct ctl_logs_out out;
	ctl_logs_out_init(&out, -1, -1, false);
	g_autoptr(GByteArray) buf = g_byte_array_new();
	int r = drain(fd, buf, &out);
	if (r == 0)
		*ret_lines = out.lines + (out.last_partial ? 1 : 0);
	ctl_logs_out_clear(&out);
	return r;
}

static void wait_for_change(int ifd)
{
	struct pollfd pfd = {ifd, POLLIN, 0};
	if (poll(&pfd, 1, CTL_LOGS_POLL_MS) > 0) {
		char evbuf[4096];
		while (read(ifd, evbuf, sizeof(evbuf)) > 0)
			;
	}
}

/* Has the container finished writing its log? */
static bool finished(const char *cdir, const struct ctl_state *st)
{
	int code;
	if (ctl_exit_read(cdir, st->id, &code) == 0)
		return true;
	return !ctl_shim_alive(st->shim_pid, st->shim, st->id);
}

static int show(const char *cdir, const struct ctl_state *st, const char *path, bool follow,
		struct ctl_logs_out *out, GError **error)
{
	_cleanup_close_ int ifd = -1, fd = -1;
	if (follow) {
		g_autofree char *exits = g_build_filename(cdir, "exits", NULL);
		ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ifd >= 0) {
			(void)inotify_add_watch(ifd, cdir, IN_CREATE | IN_MOVED_TO);
			(void)inotify_add_watch(ifd, exits, IN_CREATE | IN_MOVED_TO);
		}
	}
	g_autoptr(GByteArray) buf = g_byte_array_new();
	/* After the container is done, one more pass reads what it left. */
	bool last_pass = false;
	for (;;) {
		if (fd < 0) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 && errno != ENOENT) {
				g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
					    "cannot open %s: %s", path, g_strerror(errno));
				return -1;
			}
			if (fd >= 0 && ifd >= 0)
				(void)inotify_add_watch(ifd, path, IN_MODIFY);
		}
		if (fd >= 0) {
			int r = drain(fd, buf, out);
			if (r == -EPIPE)
				return 0;
			if (r < 0) {
				g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "%s: %s", path,
					    g_strerror(-r));
				return -1;
			}
		}
		if (ctl_logs_out_flush(out) == -EPIPE)
			return 0;
		if (!follow || last_pass)
			return 0;
		if (finished(cdir, st)) {
			last_pass = true;
			continue;
		}
		if (ifd >= 0)
			wait_for_change(ifd);
		else
			g_usleep(CTL_LOGS_POLL_MS * 1000);
	}
}

int ctl_logs_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	gboolean timestamps = FALSE, follow = FALSE;
	int tail = -1;
	const GOptionEntry entries[] = {
		{"timestamps", 't', 0, G_OPTION_ARG_NONE, &timestamps,
		 "Prefix each line with its time", NULL},
		{"tail", 'n', 0, G_OPTION_ARG_INT, &tail, "Show only the last N lines", "N"},
		{"follow", 'f', 0, G_OPTION_ARG_NONE, &follow, "Follow until the container exits",
		 NULL},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("logs", "ID", "Print a container's output from its log.", entries,
			       false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc != 2) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "logs: expected one container id");
		return -1;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	struct ctl_state st;
	ctl_state_load_lenient(cdir, argv[1], &st);
	g_autofree char *path = g_build_filename(cdir, "ctr.log", NULL);

	struct ctl_logs_out out;
	ctl_logs_out_init(&out, STDOUT_FILENO, STDERR_FILENO, timestamps);
	int ret = 0;
	if (tail >= 0) {
		long long total = 0;
		int r = ctl_logs_count_lines(path, &total);
		if (r < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "%s: %s", path,
				    g_strerror(-r));
			ret = -1;
		}
		out.skip = MAX(0, total - tail);
	}
	if (ret == 0)
		ret = show(cdir, &st, path, follow, &out, error);
	ctl_logs_out_clear(&out);
	ctl_state_clear(&st);
	return ret;
}
