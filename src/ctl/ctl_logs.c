/* logs: the container's output, read back from its log file and the files
 * it was rotated into, or from the journal. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_logfiles.h"
#include "tether/ctl_logjournal.h"
#include "tether/ctl_logout.h"
#include "tether/ctl_logs.h"
#include "tether/ctl_state.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>

/* -f re-checks at least this often, whatever inotify says. */
#define CTL_LOGS_POLL_MS 1000

/* Count the lines of the files (since may be NULL), and rewind them. */
static int count_files(GArray *files, enum ctl_logread_format format, const struct timespec *since,
		       long long *ret_lines)
{
	struct ctl_logout counter;
	ctl_logout_init(&counter, -1, -1, format, false);
	counter.since_set = since != NULL;
	if (since != NULL)
		counter.since = *since;
	g_autoptr(GByteArray) buf = g_byte_array_new();
	int r = 0;
	for (guint i = 0; i < files->len && r == 0; i++) {
		int fd = g_array_index(files, struct ctl_logfile, i).fd;
		r = ctl_logout_drain(&counter, fd, buf);
		if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
			r = -errno;
		ctl_logout_end_file(&counter, buf);
	}
	if (r == 0)
		*ret_lines = counter.lines;
	ctl_logout_clear(&counter);
	return r;
}

int ctl_logs_count_lines(const char *path, enum ctl_logread_format format,
			 const struct timespec *since, long long *ret_lines)
{
	g_autoptr(GArray) files = NULL;
	int r = ctl_logfiles_open(path, NULL, &files);
	if (r < 0)
		return r;
	return count_files(files, format, since, ret_lines);
}

/* One reader of a log: the file it reads now, and how it hears of more. */
struct reader {
	const char *cdir;
	const struct ctl_state *st;
	const char *path;
	struct ctl_logout *out;
	enum ctl_logread_format format;
	GByteArray *buf;
	struct ctl_logfile cur; /* fd -1: none yet */
	int ifd;		/* inotify, -f only */
	int wd;			/* the watch on cur */
};

/* Read the files in turn; the last one stays open as cur. */
static int read_files(struct reader *rd, GArray *files)
{
	for (guint i = 0; i < files->len; i++) {
		if (rd->cur.fd >= 0)
			ctl_logout_end_file(rd->out, rd->buf);
		ctl_logfile_clear(&rd->cur);
		rd->cur = ctl_logfile_steal(&g_array_index(files, struct ctl_logfile, i));
		rd->out->source = rd->cur.path;
		rd->out->lineno = 0;
		if (rd->ifd >= 0) {
			/* The open file itself, whatever its name is by now. */
			g_autofree char *self = g_strdup_printf("/proc/self/fd/%d", rd->cur.fd);
			if (rd->wd >= 0)
				(void)inotify_rm_watch(rd->ifd, rd->wd);
			rd->wd = inotify_add_watch(rd->ifd, self, IN_MODIFY);
		}
		int r = ctl_logout_drain(rd->out, rd->cur.fd, rd->buf);
		if (r < 0)
			return r;
	}
	return 0;
}

/* While the log's path names another file than cur (rotated, or started
 * anew), finish cur and read the files written after it. */
static int catch_up(struct reader *rd)
{
	for (;;) {
		bool have = rd->cur.fd >= 0;
		int r = ctl_logfiles_replaced(rd->path, have ? &rd->cur : NULL);
		if (r <= 0)
			return r;
		if (have && (r = ctl_logout_drain(rd->out, rd->cur.fd, rd->buf)) < 0)
			return r;
		g_autoptr(GArray) files = NULL;
		r = ctl_logfiles_open(rd->path, have ? &rd->cur : NULL, &files);
		if (r < 0)
			return r;
		if (files->len == 0)
			return 0;
		if ((r = read_files(rd, files)) < 0)
			return r;
	}
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

static int follow_loop(struct reader *rd, bool follow)
{
	/* After the container is done, one more pass reads what it left. */
	bool last_pass = false;
	for (;;) {
		int r = rd->cur.fd >= 0 ? ctl_logout_drain(rd->out, rd->cur.fd, rd->buf) : 0;
		if (r == 0)
			r = catch_up(rd);
		if (r == 0)
			r = ctl_logout_flush(rd->out);
		if (r < 0 || !follow || last_pass)
			return r;
		if (finished(rd->cdir, rd->st)) {
			last_pass = true;
			continue;
		}
		if (rd->ifd >= 0)
			wait_for_change(rd->ifd);
		else
			g_usleep(CTL_LOGS_POLL_MS * 1000);
	}
}

static int show(struct reader *rd, bool follow, long long tail)
{
	_cleanup_close_ int ifd = -1;
	if (follow) {
		g_autofree char *exits = g_build_filename(rd->cdir, "exits", NULL);
		g_autofree char *dir = g_path_get_dirname(rd->path);
		ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ifd >= 0) {
			/* A new file at the path, a rotation, the exit file. */
			(void)inotify_add_watch(ifd, dir, IN_CREATE | IN_MOVED_TO);
			(void)inotify_add_watch(ifd, exits, IN_CREATE | IN_MOVED_TO);
		}
	}
	rd->ifd = ifd;
	g_autoptr(GArray) files = NULL;
	int r = ctl_logfiles_open(rd->path, NULL, &files);
	if (r == 0 && tail >= 0) {
		long long lines = 0;
		r = count_files(files, rd->format, rd->out->since_set ? &rd->out->since : NULL,
				&lines);
		rd->out->skip = MAX(0, lines - tail);
	}
	if (r == 0)
		r = read_files(rd, files);
	if (r == 0)
		r = follow_loop(rd, follow);
	ctl_logfile_clear(&rd->cur);
	rd->out->source = NULL;
	rd->ifd = -1;
	return r;
}

/* Which log, and where: older state.json files name no driver. */
static bool log_source(const char *cdir, const struct ctl_state *st,
		       enum ctl_log_driver *ret_driver, char **ret_path, GError **error)
{
	enum ctl_log_driver driver = CTL_LOG_K8S_FILE;
	if (st->log_driver != NULL && ctl_logcfg_driver_from_name(st->log_driver, &driver) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "container %s has an unknown log driver '%s'", st->id, st->log_driver);
		return false;
	}
	if (st->log_driver == NULL) {
		/* state.json lost: the file that is there tells. */
		g_autofree char *k8s = ctl_logcfg_file_path(CTL_LOG_K8S_FILE, cdir);
		g_autofree char *json = ctl_logcfg_file_path(CTL_LOG_JSON_FILE, cdir);
		if (!g_file_test(k8s, G_FILE_TEST_EXISTS) && g_file_test(json, G_FILE_TEST_EXISTS))
			driver = CTL_LOG_JSON_FILE;
	}
	*ret_driver = driver;
	*ret_path = st->log_path != NULL && st->log_driver != NULL
			    ? g_strdup(st->log_path)
			    : ctl_logcfg_file_path(driver, cdir);
	return true;
}

/* Every kept file is open at once (up to 1000 rotated ones and the log),
 * more than a soft limit of 1024 leaves room for. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int show_file(const char *cdir, const struct ctl_state *st, enum ctl_log_driver driver,
		     const char *path, const struct ctl_logs_request *req, GError **error)
{
	raise_fd_limit();
	struct ctl_logout out;
	enum ctl_logread_format format =
		driver == CTL_LOG_JSON_FILE ? CTL_LOGREAD_JSON : CTL_LOGREAD_K8S;
	ctl_logout_init(&out, STDOUT_FILENO, STDERR_FILENO, format, req->timestamps);
	out.since_set = req->since_set;
	out.since = req->since;
	g_autoptr(GByteArray) buf = g_byte_array_new();
	struct reader rd = {
		.cdir = cdir,
		.st = st,
		.path = path,
		.out = &out,
		.format = format,
		.buf = buf,
		.cur = {.fd = -1},
		.ifd = -1,
		.wd = -1,
	};
	int r = show(&rd, req->follow, req->tail);
	ctl_logout_clear(&out);
	if (r == -EPIPE || r == 0)
		return 0;
	g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "%s: %s", path, g_strerror(-r));
	return -1;
}

int ctl_logs_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	gboolean timestamps = FALSE, follow = FALSE;
	int tail = -1;
	g_autofree char *since = NULL;
	const GOptionEntry entries[] = {
		{"timestamps", 't', 0, G_OPTION_ARG_NONE, &timestamps,
		 "Prefix each line with its time", NULL},
		{"tail", 'n', 0, G_OPTION_ARG_INT, &tail, "Show only the last N lines", "N"},
		{"since", 0, 0, G_OPTION_ARG_STRING, &since,
		 "Only lines from TIME on: RFC 3339, Unix seconds, or a duration ago (10s, 5m, "
		 "2h)",
		 "TIME"},
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
	if (!ctl_one_id("logs", argc, error))
		return -1;
	struct ctl_logs_request req = {.timestamps = timestamps, .follow = follow, .tail = tail};
	if (since != NULL) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (ctl_logread_parse_since(since, &now, &req.since) < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
				    "logs: invalid --since '%s': use RFC 3339 "
				    "(2026-11-23T12:00:00Z), Unix seconds or a duration (10s, 5m, "
				    "2h)",
				    since);
			return -1;
		}
		req.since_set = true;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	struct ctl_state st;
	ctl_state_load_lenient(cdir, argv[1], &st);
	enum ctl_log_driver driver;
	g_autofree char *path = NULL;
	int ret = -1;
	if (!log_source(cdir, &st, &driver, &path, error))
		ret = -1;
	else if (driver == CTL_LOG_JOURNALD)
		ret = ctl_logjournal_show(cdir, &st, &req, error);
	else if (driver == CTL_LOG_SYSLOG)
		g_set_error(
			error, CTL_ERROR, CTL_ERROR_FAILED,
			"container %s logs to syslog (/dev/log, tag '%s'): tetherctl cannot read "
			"them back; see the syslog daemon's files (journalctl -t %s, "
			"/var/log/syslog)",
			st.id, st.name != NULL ? st.name : st.id,
			st.name != NULL ? st.name : st.id);
	else if (driver == CTL_LOG_NONE)
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "container %s keeps no log (--log-driver none)", st.id);
	else
		ret = show_file(cdir, &st, driver, path, &req, error);
	ctl_state_clear(&st);
	return ret;
}
