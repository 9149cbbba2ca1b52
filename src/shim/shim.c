#define G_LOG_DOMAIN "shim"

#include "tether/shim.h"
#include "tether/attach.h"
#include "tether/ctlfifo.h"
#include "tether/diag.h"
#include "tether/fdutil.h"
#include "tether/fileio.h"
#include "tether/handover.h"
#include "tether/jsonutil.h"
#include "tether/control.h"
#include "tether/notify.h"
#include "tether/mempressure.h"
#include "tether/oom.h"
#include "tether/ratelimit.h"
#include "tether/replay.h"
#include "tether/syncmsg.h"
#include "tether/recover.h"
#include "tether/upgrade.h"

#include <dirent.h>
#include <glib-unix.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long clients get to take their last output at exit: callers wait about
 * 5 s for the exit file, which comes after. */
#define SHIM_ATTACH_FLUSH_MS 3000

int shim_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

void shim_sync_send(int *sync_fd, const struct tether_opts *o, long long value, const char *message)
{
	if (*sync_fd < 0)
		return;
	char buf[SYNCMSG_MAX + 1];
	size_t len = syncmsg_format(buf, sizeof(buf), syncmsg_key(o->api_version, o->exec), value,
				    message);
	/* One write: with SEQPACKET a message is one packet. */
	int r = fdutil_write_all(*sync_fd, buf, len);
	if (r < 0) {
		/* The caller went away; that is no reason to stop monitoring. */
		diag_warn("Failed to write to the sync pipe: %s", g_strerror(-r));
		fdutil_close(sync_fd);
	}
}

void shim_report_failure(int sync_fd, const struct tether_opts *opts, const char *message)
{
	diag_error("%s", message);
	shim_sync_send(&sync_fd, opts, -1, message);
}

/* Remember what the caller left open for us (podman's port reservations and
 * preserved fds): kept for the runtime, closed before the exit files. */
static GArray *snapshot_fds(int skip1, int skip2)
{
	GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return fds;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < 3 || fd == dirfd(d) ||
		    fd == skip1 || fd == skip2)
			continue;
		g_array_append_val(fds, fd);
	}
	closedir(d);
	return fds;
}

struct shim *shim_new(struct tether_opts *opts)
{
	struct shim *s = g_new0(struct shim, 1);
	s->opts = opts;
	s->state = SHIM_CREATING;
	s->signal_fd = -1;
	s->out_fd[0] = s->out_fd[1] = -1;
	s->term_fd = -1;
	s->stdin_fd = -1;
	s->container_pidfd = -1;
	s->early_exits = g_hash_table_new(NULL, NULL);

	s->sync_fd = s->start_fd = -1;
	/* A live upgrade's fds are all named in its state (upgrade.h). */
	if (opts->adopt_state_fd >= 0) {
		s->inherited_fds = g_array_new(FALSE, FALSE, sizeof(int));
		return s;
	}
	s->sync_fd = fdutil_fd_from_env("_OCI_SYNCPIPE");
	s->start_fd = fdutil_fd_from_env("_OCI_STARTPIPE");
	if (s->sync_fd >= 0)
		(void)fdutil_set_cloexec(s->sync_fd, true);
	if (s->start_fd >= 0)
		(void)fdutil_set_cloexec(s->start_fd, true);
	s->inherited_fds = snapshot_fds(s->sync_fd, s->start_fd);
	return s;
}

void shim_free(struct shim *s)
{
	if (s == NULL)
		return;
	recover_disarm(s);
	g_clear_pointer(&s->fd_store, g_hash_table_unref);
	if (s->reparented_src != NULL)
		g_source_destroy(s->reparented_src);
	g_clear_pointer(&s->reparented_src, g_source_unref);
	if (s->reaped_src != 0)
		g_source_remove(s->reaped_src);
	fdutil_close(&s->container_pidfd);
	stdio_close(s);
	g_clear_pointer(&s->attach, attach_free);
	g_clear_pointer(&s->ctl, ctlfifo_free);
	g_clear_pointer(&s->oom, oom_free);
	g_clear_pointer(&s->mempressure, mempressure_free);
	health_free(s);
	g_clear_pointer(&s->notify, notify_free);
	g_clear_pointer(&s->control, control_free);
	shim_service_clear(s);
	terminal_close(s);
	stdin_close(s);
	g_clear_pointer(&s->log, log_free);
	g_clear_pointer(&s->ratelimit, ratelimit_free);
	if (s->signal_src != 0)
		g_source_remove(s->signal_src);
	if (s->timeout_src != 0)
		g_source_remove(s->timeout_src);
	if (s->runtime_kill_src != 0)
		g_source_remove(s->runtime_kill_src);
	if (s->trim_src != 0)
		g_source_remove(s->trim_src);
	fdutil_close(&s->signal_fd);
	fdutil_close(&s->sync_fd);
	fdutil_close(&s->start_fd);
	g_clear_pointer(&s->inherited_fds, g_array_unref);
	g_clear_pointer(&s->early_exits, g_hash_table_unref);
	if (s->upgrade_src != 0)
		g_source_remove(s->upgrade_src);
	g_free(s->upgrade_binary);
	g_clear_pointer(&s->loop, g_main_loop_unref);
	g_free(s->buf);
	g_free(s->failure);
	g_free(s);
}

void shim_fail(struct shim *s, char *message)
{
	s->state = SHIM_FAILED;
	g_free(s->failure);
	s->failure = message;
	if (s->loop != NULL)
		g_main_loop_quit(s->loop);
}

/* --- life cycle events ---------------------------------------------------- */

void shim_container_exited(struct shim *s, int status)
{
	s->container_status = status;
	s->state = SHIM_EXITED;
	recover_disarm(s);
	diag_info("container %d exited with status %d", s->container_pid, shim_exit_code(status));
	g_main_loop_quit(s->loop);
}

/* -T: kill the container's process group (never ours), as conmon does. The
 * exit then takes its usual path, output drained: nothing written is lost. */
static gboolean on_timeout(gpointer data)
{
	struct shim *s = data;
	s->timeout_src = 0;
	s->timeout_deadline = 0;
	s->timed_out = true;
	diag_info("timeout of %d s: killing container %d", s->opts->timeout, s->container_pid);
	shim_kill_container(s);
	return G_SOURCE_REMOVE;
}

static void on_oom(void *data)
{
	struct shim *s = data;
	diag_warn("container %d: the kernel's OOM killer struck in its cgroup", s->container_pid);
	control_event(s->control, "oom", NULL);
}

static void on_memory_pressure(void *data, const char *why, uint64_t usage, uint64_t limit)
{
	struct shim *s = data;
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "reason", json_object_new_string(why));
	json_object_object_add(ev, "usage", json_object_new_int64((int64_t)usage));
	json_object_object_add(ev, "limit", json_object_new_int64((int64_t)limit));
	control_event(s->control, "memory-pressure", ev);
	int sig = s->opts->memory_warn_signal;
	if (sig > 0 && s->state == SHIM_RUNNING && kill(s->container_pid, sig) < 0)
		diag_warn("Failed to send signal %d to %d: %s", sig, s->container_pid,
			  g_strerror(errno));
}

/* The container runs: relay its output, arm -T (timeout_ms, -1: none), and
 * watch its memory and health. */
static void watch_container(struct shim *s, int64_t timeout_ms)
{
	stdio_watch(s);
	if (timeout_ms >= 0) {
		s->timeout_deadline = g_get_monotonic_time() + timeout_ms * 1000;
		s->timeout_src = g_timeout_add((guint)timeout_ms, on_timeout, s);
	}
	s->oom = oom_watch(s->container_pid, on_oom, s);
	health_start(s);
	if (s->opts->memory_warn != NULL)
		s->mempressure =
			mempressure_watch(s->container_pid, s->opts->memory_warn_bytes,
					  s->opts->memory_warn_percent, on_memory_pressure, s);
}

static void on_runtime_exit(struct shim *s, int status)
{
	s->runtime_pid = 0;
	s->runtime_status = status;
	const char *verb = s->opts->exec ? "exec" : s->opts->restore ? "restore" : "create";
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* The runtime's own words are the best message; they are on the
		 * stderr pipe it shared with nobody yet. */
		char text[8192];
		ssize_t n = s->out_fd[1] >= 0
				    ? fdutil_read_some(s->out_fd[1], text, sizeof(text) - 1)
				    : -EBADF;
		text[n > 0 ? n : 0] = '\0';
		if (n > 0)
			shim_fail(s, g_strdup(text));
		else
			shim_fail(s, g_strdup_printf("runtime %s failed with status %d", verb,
						     shim_exit_code(status)));
		return;
	}

	long long pid = 0;
	int r = fileio_read_int(s->opts->container_pidfile, &pid);
	if (r < 0 || pid <= 0) {
		shim_fail(s, g_strdup_printf("Failed to read the container pid from %s: %s",
					     s->opts->container_pidfile,
					     r < 0 ? g_strerror(-r) : "invalid pid"));
		return;
	}
	s->container_pid = (pid_t)pid;
	/* --fd-store: what a shim restarted without us learns the exit by. */
	if (s->opts->fd_store && (s->container_pidfd = fdutil_pidfd_open((pid_t)pid)) < 0)
		diag_warn("pidfd_open(%lld): %s", pid, g_strerror(-s->container_pidfd));
	if (!terminal_check(s)) {
		shim_fail(s, g_strdup("Runtime did not set up terminal"));
		return;
	}
	s->state = SHIM_RUNNING;
	diag_info("container pid %d", s->container_pid);
	/* A legacy exec (CRI-O's ExecSync) reports only its exit code. */
	if (!s->opts->exec || s->opts->api_version >= 1)
		shim_sync_send(&s->sync_fd, s->opts, pid, NULL);
	watch_container(s, s->opts->timeout > 0 ? (int64_t)s->opts->timeout * 1000 : -1);
	s->created_at = g_get_real_time();
	control_event(s->control, "created", NULL);
	shim_service_created(s);
	recover_arm(s);

	gpointer early;
	if (g_hash_table_lookup_extended(s->early_exits, GINT_TO_POINTER(s->container_pid), NULL,
					 &early))
		shim_container_exited(s, GPOINTER_TO_INT(early));
}

static void reap_children(struct shim *s)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		if (health_reap(s, pid, status) || log_reap(s->log, pid, status))
			continue;
		if (pid == s->runtime_pid)
			on_runtime_exit(s, status);
		else if (s->container_pid > 0 && pid == s->container_pid)
			shim_container_exited(s, status);
		else if (s->state == SHIM_CREATING)
			g_hash_table_insert(s->early_exits, GINT_TO_POINTER(pid),
					    GINT_TO_POINTER(status));
		else
			diag_debug("reaped process %d", pid);
	}
}

/* Seconds a runtime that is still creating gets to obey a forwarded signal. */
#define SHIM_RUNTIME_GRACE_S 5

/* A runtime that ignores the signal is hung (a hook that never returns, say):
 * kill its process group (it, its hooks, the container's init), so that
 * nothing is left; the failure then takes its usual path to the caller. */
static gboolean on_runtime_grace(gpointer data)
{
	struct shim *s = data;
	s->runtime_kill_src = 0;
	if (s->runtime_pid > 0) {
		diag_warn("The runtime (%d) ignored the signal for %d s: killing it",
			  s->runtime_pid, SHIM_RUNTIME_GRACE_S);
		(void)kill(-s->runtime_pid, SIGKILL);
	}
	return G_SOURCE_REMOVE;
}

static gboolean on_signal(gint fd, GIOCondition cond, gpointer data)
{
	struct shim *s = data;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap_children(s);
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			/* To whoever is running: the runtime while it creates,
			 * then the container. */
			shim_service_stop(s, (int)si.ssi_signo);
			/* A runtime hung at create is killed after a grace period. */
			if (s->container_pid <= 0 && s->runtime_pid > 0 && s->runtime_kill_src == 0)
				s->runtime_kill_src = g_timeout_add_seconds(SHIM_RUNTIME_GRACE_S,
									    on_runtime_grace, s);
			break;
		case SIGHUP: {
			/* As sshd: re-execute the (new) binary at our path. */
			g_autofree char *err = upgrade_request(s, NULL);
			if (err != NULL)
				diag_warn("SIGHUP: no live upgrade: %s", err);
			break;
		}
		default:
			diag_debug("ignoring signal %u", si.ssi_signo);
		}
	}
	return G_SOURCE_CONTINUE;
}

/* --- start-up -------------------------------------------------------------- */

static bool setup_signals(struct shim *s)
{
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP};
	for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
		sigaddset(&set, sigs[i]);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (s->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		shim_fail(s, g_strdup_printf("signalfd: %s", g_strerror(errno)));
		return false;
	}
	s->signal_src = g_unix_fd_add(s->signal_fd, G_IO_IN, on_signal, s);
	return true;
}

static bool fail_with(struct shim *s, GError *error)
{
	shim_fail(s, g_strdup(error->message));
	g_error_free(error);
	return false;
}

static bool spawn_runtime(struct shim *s)
{
	int child_stdio[3] = {0, 1, 2};
	int child[2] = {-1, -1};
	_cleanup_close_ int devnull = -1;
	_cleanup_close_ int stdin_child = -1;
	int r;
	if (!s->opts->log_passthrough) {
		r = stdio_make_pipes(s->out_fd, child);
		if (r < 0) {
			shim_fail(s, g_strdup_printf("Failed to create stdio pipes: %s",
						     g_strerror(-r)));
			return false;
		}
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		child_stdio[0] = devnull;
		if (s->opts->stdin_open && !s->opts->terminal) {
			r = stdin_make_pipe(s, &stdin_child);
			if (r < 0) {
				shim_fail(s, g_strdup_printf("Failed to create the stdin pipe: %s",
							     g_strerror(-r)));
				return false;
			}
			child_stdio[0] = stdin_child;
		}
		child_stdio[1] = child[0];
		child_stdio[2] = child[1];
		/* -t: the container's stdio is the terminal; the runtime's own
		 * stderr stays a pipe, for its error messages. */
		if (s->opts->terminal) {
			child_stdio[1] = devnull;
			fdutil_close(&s->out_fd[0]);
		}
	}
	g_auto(GStrv) argv = runtime_argv(s->opts, terminal_console_path(s));
	r = child_stdio[0] < 0 ? -EBADF : runtime_spawn(s, argv, child_stdio, &s->runtime_pid);
	fdutil_close(&child[0]);
	fdutil_close(&child[1]);
	if (r < 0) {
		shim_fail(s, g_strdup_printf("Failed to run the runtime %s: %s", s->opts->runtime,
					     g_strerror(-r)));
		return false;
	}
	return true;
}

/* Everything up to the runtime's create; false with s->failure set. */
static bool start(struct shim *s)
{
	struct tether_opts *o = s->opts;
	GError *error = NULL;

	startup_lower_oom_score(s);
	/* The exit code must not be lost at the very end: make sure now that
	 * it can be written. */
	const char *dirs[] = {o->exit_dir, o->persist_dir};
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		if (dirs[i] != NULL && g_mkdir_with_parents(dirs[i], 0755) < 0) {
			shim_fail(s, g_strdup_printf("Failed to create directory %s: %s", dirs[i],
						     g_strerror(errno)));
			return false;
		}
	}
	if (!shim_service_setup(s, &error) || !shim_open_logs(s, &error))
		return fail_with(s, error);
	if (!startup_wait_start_pipe(s))
		return false;
	if (!o->sync && !o->foreground && !startup_daemonize(s))
		return false;
	if (o->foreground && o->conmon_pidfile != NULL) {
		char buf[16];
		int len = snprintf(buf, sizeof(buf), "%d", getpid());
		(void)fileio_write_atomic(o->conmon_pidfile, buf, (size_t)len, 0644);
	}

	(void)setsid();
	shim_service_announce(s);
	/* passthrough: the runtime inherits our stdio; we let go of it after. */
	if (!o->foreground && !o->log_passthrough)
		startup_detach_stdio();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		diag_warn("Failed to become a subreaper: %s", g_strerror(errno));
	s->loop = g_main_loop_new(NULL, FALSE);
	if (!setup_signals(s))
		return false;

	if (!shim_open_endpoints(s, NULL, NULL, &error))
		return fail_with(s, error);
	if (o->exec_attach && !startup_tell_attach_ready(s))
		return false;
	if (o->sdnotify_socket != NULL && o->bundle != NULL &&
	    (s->notify = notify_new(o->bundle, o->sdnotify_socket, &error)) == NULL)
		return fail_with(s, error);
	if (!terminal_setup(s, &error))
		return fail_with(s, error);
	if (!spawn_runtime(s))
		return false;
	if (!o->foreground && o->log_passthrough)
		startup_detach_stdio();
	return true;
}

static void adopt_part(bool ok, GError **error)
{
	if (ok)
		return;
	diag_error("taking over: going on without it: %s", (*error)->message);
	g_clear_error(error);
}

/* A live upgrade's new binary, or a crashed shim's re-execution: take over
 * from the state (upgrade.h, recover.h) instead of starting; false with
 * s->failure set. The container is already ours. */
static bool adopt(struct shim *s)
{
	GError *error = NULL;
	g_autoptr(handover_fds) fds = NULL;
	g_autoptr(json_object) st = upgrade_load(s, &fds, &error);
	if (st == NULL)
		return fail_with(s, error);
	bool recovering = s->opts->recovered_from > 0;
	if (recovering)
		recover_check(s, st);
	s->container_pidfd = handover_get_fd(fds, st, "container_pidfd");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		diag_warn("Failed to become a subreaper: %s", g_strerror(errno));
	s->loop = g_main_loop_new(NULL, FALSE);
	if (!setup_signals(s))
		return false;
	/* From here on the container is ours whatever else fails: a part that
	 * cannot be taken over is done without (and said so), never a reason
	 * to abandon the container and its exit code. */
	adopt_part(shim_service_setup(s, &error), &error);
	adopt_part(shim_open_logs(s, &error), &error);
	adopt_part(shim_open_endpoints(s, st, fds, &error), &error);
	if (s->opts->sdnotify_socket != NULL && s->opts->bundle != NULL)
		adopt_part((s->notify = notify_new(s->opts->bundle, s->opts->sdnotify_socket,
						   &error)) != NULL,
			   &error);
	upgrade_replay_adopt(s, st);
	int stdin_fd = handover_get_fd(fds, st, "stdin_fd");
	if (stdin_fd >= 0)
		stdin_set_fd(s, stdin_fd);
	int64_t timeout_ms = handover_get_int(st, "timeout_left_ms", -1);
	watch_container(s, timeout_ms);
	recover_watch_reparented(s);
	oom_adopt(s->oom, st);
	health_adopt(s, handover_get(st, "health", json_type_object));
	shim_service_adopted(s, handover_get_int(st, "stop_left_ms", -1));
	if (recovering)
		recover_adopted(s);
	else
		upgrade_adopted(s);
	recover_arm(s);
	return true;
}

/* --- exit ------------------------------------------------------------------ */

static int finish(struct shim *s)
{
	struct tether_opts *o = s->opts;
	/* conmon records -1 for a container its timeout killed. */
	int code = s->timed_out ? -1 : shim_exit_code(s->container_status);
	s->exit_code = code;
	s->finished_at = g_get_real_time();

	/* First, while the cgroup is surely still there: was it the OOM killer? */
	if (oom_check(s->oom))
		exitfile_write_oom(o);

	/* A client that connected before the exit (podman run connects, then
	 * starts the container) gets all the output, even when the exit came
	 * before the loop accepted it. */
	if (s->attach != NULL)
		attach_accept_pending(s->attach);
	stdio_drain(s);
	stdio_close(s);
	ratelimit_report(s->ratelimit, g_get_monotonic_time());
	int r = log_finish(s->log, !o->no_sync_log);
	if (r < 0)
		diag_warn("Failed to flush the logs: %s", g_strerror(-r));
	uint64_t lost = log_lost_bytes(s->log);
	if (lost > 0)
		diag_warn("%" G_GUINT64_FORMAT " bytes of container output could not be logged",
			  lost);
	if (s->attach != NULL && attach_dropped_bytes(s->attach) > 0)
		diag_warn("%" G_GUINT64_FORMAT
			  " bytes of output were dropped for slow attach clients",
			  attach_dropped_bytes(s->attach));
	/* Release what the caller left us (podman's port reservations) before
	 * the exit is announced. */
	for (guint i = 0; i < s->inherited_fds->len; i++)
		close(g_array_index(s->inherited_fds, int, i));
	g_array_set_size(s->inherited_fds, 0);

	if (s->attach != NULL)
		attach_shutdown(s->attach, SHIM_ATTACH_FLUSH_MS);

	GError *error = NULL;
	if (exitfile_write_all(o, code, &error) < 0) {
		diag_error("%s", error->message);
		g_error_free(error);
		code = 1;
	}
	/* An exec's caller learns its exit code here too (CRI-O's ExecSync
	 * only here), or that it timed out, in CRI-O's exact words. */
	if (o->exec)
		shim_sync_send(&s->sync_fd, o, code, s->timed_out ? "command timed out" : NULL);
	/* Subscribers and waiters hear of it, then the socket goes. */
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "exit_code", json_object_new_int(code));
	json_object_object_add(ev, "oom", json_object_new_boolean(oom_check(s->oom)));
	control_event(s->control, "exited", ev);
	g_clear_pointer(&s->control, control_free);
	shim_service_exited(s, code);
	return code;
}

int shim_run(struct shim *s)
{
	bool runtime_started = s->opts->adopt_state_fd >= 0 ? adopt(s) : start(s);
	if (runtime_started && (s->state == SHIM_CREATING || s->state == SHIM_RUNNING))
		g_main_loop_run(s->loop);

	int code;
	if (s->state == SHIM_FAILED) {
		shim_report_failure(s->sync_fd, s->opts, s->failure);
		shim_service_failed(s);
		/* Nothing may be left running behind a failed create. */
		if (s->container_pid > 0)
			kill(s->container_pid, SIGKILL);
		if (s->attach != NULL)
			attach_shutdown(s->attach, 0);
		code = 1;
	} else {
		code = finish(s);
	}
	if (runtime_started)
		(void)exitfile_run_command(s->opts, s->oom_score_adj, s->have_oom_score_adj);
	return code;
}
