#define G_LOG_DOMAIN "upgrade"

/* Live upgrade (upgrade.h). The old binary, on request:
 *   1. checks that the new one adopts its state format (it prints the same
 *      --live-upgrade-protocol), and waits for a moment with no health check
 *      or log compression in flight (their pipes and pids would be lost);
 *   2. flushes its log sinks, writes its state as JSON into a memfd, clears
 *      FD_CLOEXEC on every fd the state names, and execs the new binary with
 *      its own argv plus --adopt-state=FD. The pid, the children (the
 *      container stays ours to reap), the blocked signal mask and anything
 *      pending (a SIGCHLD that came meanwhile) all survive execve.
 * If the exec fails, everything is as it was and the request gets the error.
 * The new binary's shim_run() adopts instead of starting: see shim.c. */

#include "tether/upgrade.h"
#include "tether/attach.h"
#include "tether/control.h"
#include "tether/ctlfifo.h"
#include "tether/diag.h"
#include "tether/fdutil.h"
#include "tether/handover.h"
#include "tether/jsonutil.h"
#include "tether/log.h"
#include "tether/oom.h"
#include "tether/replay.h"
#include "tether/sdnotify.h"
#include "tether/version.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long the new binary's --live-upgrade-protocol may take. */
#define UPGRADE_PROBE_MS 5000
/* How often to look again while a health check runs. */
#define UPGRADE_RETRY_MS 20
/* The largest state we read back (the attach and control queues are
 * bounded well below this). */
#define UPGRADE_STATE_MAX (256 << 20)

#define PROTOCOL_LINE G_STRINGIFY(TETHER_UPGRADE_PROTOCOL) "\n"

/* The binary at our own path: after a package upgrade replaced it,
 * /proc/self/exe names the old, deleted inode as "PATH (deleted)". */
static char *own_binary(void)
{
	char *exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL && g_str_has_suffix(exe, " (deleted)"))
		exe[strlen(exe) - strlen(" (deleted)")] = '\0';
	return exe;
}

/* NULL if binary adopts our state format and takes our command line (it is
 * run with it and --live-upgrade-protocol), else why not. */
static char *probe(const char *binary, char **argv)
{
	if (access(binary, X_OK) < 0)
		return g_strdup_printf("%s: %s", binary, g_strerror(errno));
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return g_strdup_printf("pipe: %s", g_strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return g_strdup_printf("fork: %s", g_strerror(e));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		execv(binary, argv);
		_exit(127);
	}
	close(p[1]);
	char out[4096];
	size_t len = 0;
	gint64 deadline = g_get_monotonic_time() + UPGRADE_PROBE_MS * 1000;
	for (;;) {
		int left = (int)((deadline - g_get_monotonic_time()) / 1000);
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		if (left <= 0 || len == sizeof(out) - 1 || poll(&pfd, 1, left) == 0)
			break;
		ssize_t n = read(p[0], out + len, sizeof(out) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(p[0]);
	(void)kill(pid, SIGKILL); /* gone already, unless it hangs */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (strcmp(out, PROTOCOL_LINE) == 0)
		return NULL;
	/* Its own words, when it says why (a tether that rejects our flags). */
	char *nl = strchr(out, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (g_str_has_prefix(out, "tether: "))
		return g_strdup_printf("%s cannot take over this container: %s", binary,
				       out + strlen("tether: "));
	return g_strdup_printf("%s cannot take over a running container: it does not adopt "
			       "live-upgrade state format %d",
			       binary, TETHER_UPGRADE_PROTOCOL);
}

static json_object *fd_array(GArray *keep, const int *fds, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int(handover_keep_fd(keep, fds[i])));
	return a;
}

static int64_t left_ms(gint64 deadline)
{
	if (deadline == 0)
		return -1;
	return MAX(deadline - g_get_monotonic_time(), 0) / 1000;
}

json_object *upgrade_export(struct shim *s, const char *binary, GArray *keep, bool full)
{
	json_object *st = json_object_new_object();
#define ADD(key, val) json_object_object_add(st, key, val)
	ADD("protocol", json_object_new_int(TETHER_UPGRADE_PROTOCOL));
	ADD("from_version", json_object_new_string(TETHER_VERSION));
	ADD("binary", json_object_new_string(binary));
	ADD("generation", json_object_new_int64(s->generation + (full ? 1 : 0)));
	ADD("container_pid", json_object_new_int(s->container_pid));
	ADD("created_at", json_object_new_int64(s->created_at));
	ADD("started", json_object_new_boolean(s->started));
	ADD("stopping", json_object_new_boolean(s->stopping));
	ADD("timed_out", json_object_new_boolean(s->timed_out));
	ADD("timeout_left_ms", json_object_new_int64(left_ms(s->timeout_deadline)));
	ADD("stop_left_ms", json_object_new_int64(left_ms(s->stop_deadline)));
	json_object *bytes = json_object_new_array();
	json_object_array_add(bytes, json_object_new_int64((int64_t)s->bytes[0]));
	json_object_array_add(bytes, json_object_new_int64((int64_t)s->bytes[1]));
	ADD("bytes", bytes);
	ADD("lost", json_object_new_int64((int64_t)(s->lost_before + log_lost_bytes(s->log))));
	ADD("oom_score_adj", json_object_new_int(s->oom_score_adj));
	ADD("have_oom_score_adj", json_object_new_boolean(s->have_oom_score_adj));
	ADD("recoveries", json_object_new_int64(s->recoveries));
	/* For a shim restarted from systemd's fd store (recover.h). */
	json_object *argv = json_object_new_array();
	for (char **p = s->argv; p != NULL && *p != NULL; p++)
		json_object_array_add(argv, json_object_new_string(*p));
	ADD("argv", argv);

	ADD("sync_fd", json_object_new_int(handover_keep_fd(keep, s->sync_fd)));
	ADD("container_pidfd", json_object_new_int(handover_keep_fd(keep, s->container_pidfd)));
	ADD("inherited_fds",
	    fd_array(keep, (const int *)(void *)s->inherited_fds->data, s->inherited_fds->len));
	ADD("out_fds", fd_array(keep, s->out_fd, 2));
	ADD("term_fd", json_object_new_int(handover_keep_fd(keep, s->term_fd)));
	ADD("rows", json_object_new_int((int)s->rows));
	ADD("cols", json_object_new_int((int)s->cols));
	ADD("have_size", json_object_new_boolean(s->have_size));
	ADD("stdin_fd", json_object_new_int(handover_keep_fd(keep, s->stdin_fd)));
	if (full && s->stdin_queue != NULL)
		ADD("stdin_queue", handover_bytes(s->stdin_queue->data, s->stdin_queue->len));
	ADD("stdin_close_pending", json_object_new_boolean(s->stdin_close_pending));
	ADD("stdin_dead", json_object_new_boolean(s->stdin_dead));

	if (s->attach != NULL)
		ADD("attach", attach_export(s->attach, keep, full));
	if (s->ctl != NULL)
		ADD("ctlfifo", ctlfifo_export(s->ctl, keep));
	if (s->control != NULL)
		ADD("control", control_export(s->control, keep, full));
	if (full && s->replay != NULL)
		ADD("replay", replay_last(s->replay, replay_size(s->replay)));
	oom_export(s->oom, st);
	json_object *health = health_export(s);
	if (health != NULL)
		ADD("health", health);
#undef ADD
	handover_add_fd_ids(st, keep);
	return st;
}

/* The state in a memfd that the exec keeps open; -errno on failure. */
static int state_fd(json_object *st)
{
	int fd = memfd_create("tether-upgrade", 0);
	if (fd < 0)
		return -errno;
	size_t len;
	const char *text = json_object_to_json_string_length(st, JSON_C_TO_STRING_PLAIN, &len);
	int r = fdutil_write_all(fd, text, len);
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

char **upgrade_argv(char **argv, const char *const *extra)
{
	GPtrArray *a = g_ptr_array_new();
	for (char **p = argv; *p != NULL; p++) {
		if (g_str_has_prefix(*p, "--adopt-state=") ||
		    g_str_has_prefix(*p, "--recovered-from="))
			continue;
		g_ptr_array_add(a, g_strdup(*p));
	}
	for (const char *const *e = extra; *e != NULL; e++)
		g_ptr_array_add(a, g_strdup(*e));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static void set_cloexec(GArray *fds, bool on)
{
	for (guint i = 0; i < fds->len; i++)
		(void)fdutil_set_cloexec(g_array_index(fds, int, i), on);
}

/* Returns only if the exec failed: then the error (a new string). */
static char *reexec(struct shim *s, const char *binary)
{
	int r = log_finish(s->log, false);
	if (r < 0)
		diag_warn("Failed to flush the logs before the upgrade: %s", g_strerror(-r));
	g_autoptr(GArray) keep = g_array_new(FALSE, FALSE, sizeof(int));
	g_autoptr(json_object) st = upgrade_export(s, binary, keep, true);
	int fd = state_fd(st);
	if (fd < 0)
		return g_strdup_printf("Failed to write the state: %s", g_strerror(-fd));
	g_autofree char *adopt = g_strdup_printf("--adopt-state=%d", fd);
	g_auto(GStrv) argv = upgrade_argv(s->argv, (const char *const[]){adopt, NULL});
	g_auto(GStrv) envp = sdnotify_environ(s->sd, g_get_environ());
	diag_info("upgrading: re-executing %s (generation %u)", binary, s->generation + 1);
	set_cloexec(keep, false);
	execve(binary, argv, envp);
	int e = errno;
	close(fd);
	set_cloexec(keep, true);
	return g_strdup_printf("Failed to execute %s: %s", binary, g_strerror(e));
}

static gboolean on_upgrade(gpointer data)
{
	struct shim *s = data;
	/* A health check's pipe and pid, a log compressor's rename, are not
	 * handed over: let them end. */
	if (health_busy(s) || log_busy(s->log))
		return G_SOURCE_CONTINUE;
	s->upgrade_src = 0;
	g_autofree char *binary = g_steal_pointer(&s->upgrade_binary);
	if (s->state != SHIM_RUNNING) {
		control_upgrade_done(s->control, "the container exited before the upgrade", NULL);
		return G_SOURCE_REMOVE;
	}
	g_autofree char *err = reexec(s, binary);
	diag_warn("Live upgrade failed: %s", err);
	control_upgrade_done(s->control, err, NULL);
	return G_SOURCE_REMOVE;
}

char *upgrade_request(struct shim *s, const char *binary)
{
	if (s->opts->exec)
		return g_strdup(
			"an exec session's monitor is not upgraded (it ends with the exec)");
	if (s->state != SHIM_RUNNING)
		return g_strdup(s->state == SHIM_CREATING ? "the container is not created yet"
							  : "the container has exited");
	if (s->argv == NULL)
		return g_strdup("live upgrade is not possible here");
	if (s->upgrade_src != 0)
		return g_strdup("an upgrade is already under way");
	g_autofree char *path = binary != NULL ? g_strdup(binary) : own_binary();
	if (path == NULL)
		return g_strdup("cannot tell which binary this is");
	if (!g_path_is_absolute(path))
		return g_strdup_printf("%s: an absolute path is needed", path);
	g_auto(GStrv) check =
		upgrade_argv(s->argv, (const char *const[]){"--live-upgrade-protocol", NULL});
	g_free(check[0]);
	check[0] = g_strdup(path);
	char *err = probe(path, check);
	if (err != NULL)
		return err;
	s->upgrade_binary = g_steal_pointer(&path);
	s->upgrade_src = g_timeout_add(UPGRADE_RETRY_MS, on_upgrade, s);
	return NULL;
}

/* --- the new binary's side --------------------------------------------------- */

/* The fds of the array at key, made close-on-exec again (-1: not open). */
static void restore_fds(const struct handover_fds *h, json_object *st, const char *key, GArray *fds)
{
	json_object *a = handover_get(st, key, json_type_array);
	for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
		int fd = handover_to_fd(h, json_object_array_get_idx(a, i));
		g_array_append_val(fds, fd);
	}
}

json_object *upgrade_load(struct shim *s, struct handover_fds **ret_fds, GError **error)
{
	int fd = s->opts->adopt_state_fd;
	struct stat sb;
	g_autofree char *text = NULL;
	if (fstat(fd, &sb) < 0 || sb.st_size <= 0 || sb.st_size > UPGRADE_STATE_MAX) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "--adopt-state=%d: no state to adopt", fd);
		close(fd);
		return NULL;
	}
	text = g_malloc((size_t)sb.st_size + 1);
	ssize_t n = pread(fd, text, (size_t)sb.st_size, 0);
	close(fd);
	s->opts->adopt_state_fd = -1;
	if (n != sb.st_size) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "--adopt-state: short read");
		return NULL;
	}
	text[n] = '\0';
	json_object *st = json_tokener_parse(text);
	if (st == NULL || !json_object_is_type(st, json_type_object) ||
	    handover_get_int(st, "protocol", 0) != TETHER_UPGRADE_PROTOCOL ||
	    handover_get_int(st, "container_pid", 0) <= 0) {
		json_object_put(st);
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "--adopt-state: not a live-upgrade state of protocol %d",
			    TETHER_UPGRADE_PROTOCOL);
		return NULL;
	}
	s->state = SHIM_RUNNING;
	s->generation = (unsigned)handover_get_int(st, "generation", 1);
	s->container_pid = (pid_t)handover_get_int(st, "container_pid", 0);
	s->created_at = handover_get_int(st, "created_at", g_get_real_time());
	s->started = handover_get_bool(st, "started");
	s->stopping = handover_get_bool(st, "stopping");
	s->timed_out = handover_get_bool(st, "timed_out");
	json_object *bytes = handover_get(st, "bytes", json_type_array);
	for (size_t i = 0; bytes != NULL && i < 2 && i < json_object_array_length(bytes); i++)
		s->bytes[i] = (uint64_t)json_object_get_int64(json_object_array_get_idx(bytes, i));
	s->lost_before = (uint64_t)handover_get_int(st, "lost", 0);
	s->oom_score_adj = (int)handover_get_int(st, "oom_score_adj", 0);
	s->have_oom_score_adj = handover_get_bool(st, "have_oom_score_adj");
	s->recoveries = (unsigned)handover_get_int(st, "recoveries", 0);

	/* Before any fd is taken: which are still what the state says. */
	struct handover_fds *fds = handover_fds_new(st);
	s->sync_fd = handover_get_fd(fds, st, "sync_fd");
	restore_fds(fds, st, "inherited_fds", s->inherited_fds);
	g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(int));
	restore_fds(fds, st, "out_fds", out);
	for (guint i = 0; i < 2; i++)
		s->out_fd[i] = i < out->len ? g_array_index(out, int, i) : -1;
	s->term_fd = handover_get_fd(fds, st, "term_fd");
	s->rows = (unsigned)handover_get_int(st, "rows", 0);
	s->cols = (unsigned)handover_get_int(st, "cols", 0);
	s->have_size = handover_get_bool(st, "have_size");
	s->stdin_close_pending = handover_get_bool(st, "stdin_close_pending");
	s->stdin_dead = handover_get_bool(st, "stdin_dead");
	g_autoptr(GBytes) queue = handover_get_bytes(st, "stdin_queue");
	if (queue != NULL) {
		gsize len;
		const guint8 *data = g_bytes_get_data(queue, &len);
		s->stdin_queue = g_byte_array_new();
		if (data != NULL)
			g_byte_array_append(s->stdin_queue, data, (guint)len);
	}
	*ret_fds = fds;
	return st;
}

void upgrade_replay_adopt(struct shim *s, json_object *st)
{
	json_object *chunks = handover_get(st, "replay", json_type_array);
	for (size_t i = 0;
	     s->replay != NULL && chunks != NULL && i < json_object_array_length(chunks); i++) {
		json_object *c = json_object_array_get_idx(chunks, i);
		json_object *stream = handover_get(c, "stream", json_type_string);
		g_autoptr(GBytes) data = handover_get_bytes(c, "data");
		if (stream == NULL || data == NULL)
			continue;
		gsize len;
		const char *p = g_bytes_get_data(data, &len);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		enum k8slog_stream which = strcmp(json_object_get_string(stream), "stderr") == 0
						   ? K8SLOG_STDERR
						   : K8SLOG_STDOUT;
		if (p != NULL)
			replay_sink_ops.write(s->replay, which, p, len, &ts);
	}
}

static json_object *adopted_fields(const struct shim *s)
{
	json_object *fields = json_object_new_object();
	json_object_object_add(fields, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(fields, "version", json_object_new_string(TETHER_VERSION));
	json_object_object_add(fields, "generation", json_object_new_int64(s->generation));
	return fields;
}

void upgrade_adopted(struct shim *s)
{
	diag_info("adopted container %d (generation %u)", s->container_pid, s->generation);
	control_event(s->control, "upgraded", adopted_fields(s));
	control_upgrade_done(s->control, NULL, adopted_fields(s));
}
