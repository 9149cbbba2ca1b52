/* Spawning the monitor with conmon's command line, as podman does. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_shim.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_runtime.h"
#include "tether/fdutil.h"
#include "tether/syncmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <limits.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#define ADD(a, s)    g_ptr_array_add(a, g_strdup(s))
#define ADDF(a, ...) g_ptr_array_add(a, g_strdup_printf(__VA_ARGS__))

GPtrArray *ctl_shim_argv_begin(const struct ctl_context *ctx, const char *id, const char *cuuid,
			       const char *name, const char *dir, const char *pidfile,
			       const char *exit_dir)
{
	GPtrArray *a = g_ptr_array_new();
	ADD(a, ctx->shim);
	ADD(a, "--api-version");
	ADD(a, "1");
	ADD(a, "-c");
	ADD(a, id);
	ADD(a, "-u");
	ADD(a, cuuid);
	if (name != NULL) {
		ADD(a, "-n");
		ADD(a, name);
	}
	ADD(a, "-r");
	ADD(a, ctx->runtime);
	ADD(a, "-b");
	ADD(a, dir);
	ADD(a, "-p");
	ADDF(a, "%s/%s", dir, pidfile);
	ADD(a, "--exit-dir");
	ADDF(a, "%s/%s", dir, exit_dir);
	return a;
}

char **ctl_shim_argv_end(const struct ctl_context *ctx, GPtrArray *a)
{
	g_autofree char *rroot = ctl_runtime_root(ctx);
	ADD(a, "--log-level");
	ADD(a, ctx->log_level);
	ADD(a, "--runtime-arg");
	ADDF(a, "--root=%s", rroot);
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

char **ctl_shim_argv(const struct ctl_context *ctx, const char *id, const char *name,
		     const char *cdir, const struct ctl_log_config *log, unsigned stdio,
		     const char *exit_command, char *const *exit_command_args,
		     const struct ctl_service *svc)
{
	GPtrArray *a = ctl_shim_argv_begin(ctx, id, id, name, cdir, "pidfile", "exits");
	ADD(a, "-P");
	ADDF(a, "%s/shim.pid", cdir);
	ctl_logcfg_shim_args(log, cdir, a);
	if (stdio & CTL_SHIM_TERMINAL)
		ADD(a, "-t");
	else if (stdio & CTL_SHIM_STDIN)
		ADD(a, "-i");
	ADD(a, "--full-attach");
	ADD(a, "--persist-dir");
	ADD(a, cdir);
	if (exit_command != NULL) {
		ADD(a, "--exit-command");
		ADD(a, exit_command);
		for (char *const *e = exit_command_args; e && *e; e++) {
			ADD(a, "--exit-command-arg");
			ADD(a, *e);
		}
	}
	ctl_service_shim_args(svc, g_getenv("NOTIFY_SOCKET"), a);
	return ctl_shim_argv_end(ctx, a);
}

#undef ADD
#undef ADDF

/* Between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn)) exec_child(char **argv, char **envp, int devnull, int logfd,
						 int sync_fd, int start_fd, int attach_fd)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0 ||
	    dup2(logfd, STDERR_FILENO) < 0)
		_exit(127);
	/* The only fds the shim inherits: its two ends of the pipes. Whatever
	 * our own caller leaked to us (bats' fd 3, a terminal's) would be held
	 * by the shim for the container's whole life. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 4096; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (fcntl(sync_fd, F_SETFD, 0) < 0 || fcntl(start_fd, F_SETFD, 0) < 0 ||
	    (attach_fd >= 0 && fcntl(attach_fd, F_SETFD, 0) < 0))
		_exit(127);
	execve(argv[0], argv, envp);
	_exit(127);
}

/* Wait for the shim's first process (it exits once it has daemonized).
 * Returns its wait status or -errno. */
static int wait_first(pid_t pid, int timeout_ms)
{
	_cleanup_close_ int pidfd = fdutil_pidfd_open(pid);
	if (pidfd >= 0) {
		struct pollfd pfd = {pidfd, POLLIN, 0};
		int n;
		while ((n = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
			;
		if (n == 0)
			return -ETIMEDOUT;
	}
	int status = 0;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	return r < 0 ? -errno : status;
}

/* One sync message: 0 and *ret_value (+ *ret_message), or -errno
 * (-EPIPE: the shim closed the pipe without a word). */
static int read_sync(int fd, int timeout_ms, long long *ret_value, char **ret_message)
{
	gint64 deadline = ctl_now_ms() + timeout_ms;
	char buf[8192];
	for (;;) {
		gint64 left = deadline - ctl_now_ms();
		if (left < 0)
			return -ETIMEDOUT;
		struct pollfd pfd = {fd, POLLIN, 0};
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (len < 0)
			return -errno;
		if (len == 0)
			return -EPIPE;
		buf[len] = '\0';
		return syncmsg_parse(buf, (size_t)len, ret_value, ret_message);
	}
}

/* The end of the shim's stderr, for a failure it could not report. */
static char *shim_log_tail(const char *cdir)
{
	g_autofree char *path = g_build_filename(cdir, "shim.log", NULL);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	g_strstrip(text);
	if (*text == '\0')
		return NULL;
	char *nl = strrchr(text, '\n');
	return g_strdup(nl ? nl + 1 : text);
}

static void shim_failed(GError **error, const char *cdir, const char *what)
{
	g_autofree char *tail = shim_log_tail(cdir);
	g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM, "shim %s%s%s", what, tail ? ": " : "",
		    tail ? tail : "");
}

/* Spawn the shim as podman does: stdin and stdout on /dev/null, stderr to
 * DIR/shim.log (its diagnostics before it daemonizes), the pipes named in
 * _OCI_SYNCPIPE, _OCI_STARTPIPE and (attach_wr >= 0) _OCI_ATTACHPIPE; give
 * it the start byte and wait, bounded, for its first process. Returns that
 * process's exit status, or -1 with error set. */
static int spawn_shim(const char *dir, char **argv, int sync_wr, int start_rd, int start_wr,
		      int attach_wr, GError **error)
{
	g_autofree char *logpath = g_build_filename(dir, "shim.log", NULL);
	_cleanup_close_ int logfd =
		open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (logfd < 0 || devnull < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot open %s: %s",
			    logfd < 0 ? logpath : "/dev/null", g_strerror(errno));
		return -1;
	}
	g_auto(GStrv) envp = g_get_environ();
	g_autofree char *sync_s = g_strdup_printf("%d", sync_wr);
	g_autofree char *start_s = g_strdup_printf("%d", start_rd);
	envp = g_environ_setenv(envp, "_OCI_SYNCPIPE", sync_s, TRUE);
	envp = g_environ_setenv(envp, "_OCI_STARTPIPE", start_s, TRUE);
	/* The service manager's variables go only to a shim told to speak to
	 * it, and never WATCHDOG_PID: ours, which the shim takes over. */
	envp = g_environ_unsetenv(envp, "WATCHDOG_PID");
	if (!g_strv_contains((const char *const *)argv, "--systemd-notify")) {
		envp = g_environ_unsetenv(envp, "NOTIFY_SOCKET");
		envp = g_environ_unsetenv(envp, "WATCHDOG_USEC");
	}
	if (attach_wr >= 0) {
		g_autofree char *attach_s = g_strdup_printf("%d", attach_wr);
		envp = g_environ_setenv(envp, "_OCI_ATTACHPIPE", attach_s, TRUE);
	}
	g_autofree char *cmdline = g_strjoinv(" ", argv);
	diag_debug("spawning %s", cmdline);

	pid_t pid = fork();
	if (pid < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "fork: %s", g_strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_child(argv, envp, devnull, logfd, sync_wr, start_rd, attach_wr);

	/* podman writes one NUL once it has moved the shim into its cgroup;
	 * there is no cgroup to move it to here, so go at once. */
	if (fdutil_write_all(start_wr, "", 1) < 0)
		diag_debug("start pipe: %s", g_strerror(errno));
	int status = wait_first(pid, CTL_SHIM_SYNC_TIMEOUT_S * 1000);
	if (status == -ETIMEDOUT) {
		(void)kill(pid, SIGKILL);
		(void)wait_first(pid, -1);
		shim_failed(error, dir, "did not daemonize in time");
		return -1;
	}
	return status;
}

pid_t ctl_shim_create(const struct ctl_context *ctx, const char *id, const char *name,
		      const char *cdir, const struct ctl_log_config *log, unsigned stdio,
		      const char *exit_command, char *const *exit_command_args,
		      const struct ctl_service *svc, GError **error)
{
	if (ctx->shim == NULL || ctx->runtime == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "%s not found (use %s)",
			    ctx->shim == NULL ? "shim 'tether'" : "OCI runtime",
			    ctx->shim == NULL ? "--shim PATH" : "--runtime PATH");
		return -1;
	}
	g_auto(GStrv) argv = ctl_shim_argv(ctx, id, name, cdir, log, stdio, exit_command,
					   exit_command_args, svc);
	return ctl_shim_create_argv(ctx, cdir, argv, error);
}

pid_t ctl_shim_create_argv(const struct ctl_context *ctx, const char *cdir, char **argv,
			   GError **error)
{
	if (ctx->shim == NULL || ctx->runtime == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "%s not found (use %s)",
			    ctx->shim == NULL ? "shim 'tether'" : "OCI runtime",
			    ctx->shim == NULL ? "--shim PATH" : "--runtime PATH");
		return -1;
	}
	int sync_fds[2], start_fds[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync_fds) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "socketpair: %s",
			    g_strerror(errno));
		return -1;
	}
	_cleanup_close_ int sync_rd = sync_fds[0], sync_wr = sync_fds[1];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, start_fds) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "socketpair: %s",
			    g_strerror(errno));
		return -1;
	}
	_cleanup_close_ int start_wr = start_fds[0], start_rd = start_fds[1];
	int status = spawn_shim(cdir, argv, sync_wr, start_rd, start_wr, -1, error);
	fdutil_close(&sync_wr);
	fdutil_close(&start_rd);
	fdutil_close(&start_wr);
	if (status < 0)
		return -1;
	long long value = 0;
	g_autofree char *message = NULL;
	int timeout_ms = status == 0 ? CTL_SHIM_SYNC_TIMEOUT_S * 1000 : 0;
	int r = read_sync(sync_rd, timeout_ms, &value, &message);
	if (r == 0 && value < 0) {
		g_autofree char *why = ctl_runtime_error_text(message);
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME, "container create failed: %s",
			    why);
		return -1;
	}
	if (r == 0 && value > 0 && value <= INT32_MAX)
		return (pid_t)value;
	if (status > 0) {
		g_autofree char *what = g_strdup_printf(
			"failed (%s %d)", WIFSIGNALED(status) ? "signal" : "exit status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		shim_failed(error, cdir, what);
	} else if (r == -ETIMEDOUT) {
		shim_failed(error, cdir, "did not report the container's pid in time");
	} else if (r == -EPIPE) {
		shim_failed(error, cdir, "exited without reporting the container's pid");
	} else {
		shim_failed(error, cdir, "sent a sync message that does not parse");
	}
	return -1;
}

void ctl_shim_exec_clear(struct ctl_shim_exec *ex)
{
	fdutil_close(&ex->sync_fd);
	fdutil_close(&ex->start_fd);
}

int ctl_shim_exec_start(const struct ctl_context *ctx, const char *dir, char **argv,
			struct ctl_shim_exec *ret, GError **error)
{
	if (ctx->shim == NULL || ctx->runtime == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "%s not found (use %s)",
			    ctx->shim == NULL ? "shim 'tether'" : "OCI runtime",
			    ctx->shim == NULL ? "--shim PATH" : "--runtime PATH");
		return -1;
	}
	int fds[3][2];
	int made = 0;
	for (; made < 3; made++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds[made]) < 0)
			break;
	if (made < 3) {
		int e = errno;
		for (int i = 0; i < made; i++) {
			close(fds[i][0]);
			close(fds[i][1]);
		}
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "socketpair: %s", g_strerror(e));
		return -1;
	}
	_cleanup_close_ int sync_rd = fds[0][0], sync_wr = fds[0][1];
	_cleanup_close_ int start_wr = fds[1][0], start_rd = fds[1][1];
	_cleanup_close_ int attach_rd = fds[2][0], attach_wr = fds[2][1];
	int status = spawn_shim(dir, argv, sync_wr, start_rd, start_wr, attach_wr, error);
	fdutil_close(&sync_wr);
	fdutil_close(&start_rd);
	fdutil_close(&attach_wr);
	if (status < 0)
		return -1;
	/* {"data": 0} once the session's attach socket is there. */
	long long value = -1;
	int r = read_sync(attach_rd, status == 0 ? CTL_SHIM_SYNC_TIMEOUT_S * 1000 : 0, &value,
			  NULL);
	if (r < 0 || value != 0) {
		shim_failed(error, dir,
			    r == -ETIMEDOUT ? "did not report its attach socket in time"
					    : "failed before the exec session was ready");
		return -1;
	}
	ret->sync_fd = g_steal_fd(&sync_rd);
	ret->start_fd = g_steal_fd(&start_wr);
	return 0;
}

pid_t ctl_shim_exec_go(struct ctl_shim_exec *ex, const char *dir, GError **error)
{
	if (fdutil_write_all(ex->start_fd, "", 1) < 0)
		diag_debug("start pipe: %s", g_strerror(errno));
	fdutil_close(&ex->start_fd);
	long long value = 0;
	g_autofree char *message = NULL;
	int r = read_sync(ex->sync_fd, CTL_SHIM_SYNC_TIMEOUT_S * 1000, &value, &message);
	if (r == 0 && value < 0) {
		g_autofree char *why = ctl_runtime_error_text(message);
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME, "%s", why);
		return -1;
	}
	if (r == 0 && value > 0 && value <= INT32_MAX)
		return (pid_t)value;
	shim_failed(error, dir,
		    r == -ETIMEDOUT ? "did not report the exec'd pid in time"
				    : "exited without reporting the exec'd pid");
	return -1;
}

int ctl_shim_exec_exit(struct ctl_shim_exec *ex, int timeout_ms, int *ret_code)
{
	long long value = 0;
	int r = read_sync(ex->sync_fd, timeout_ms, &value, NULL);
	if (r < 0)
		return r;
	if (value < INT_MIN || value > INT_MAX)
		return -ERANGE;
	*ret_code = (int)value;
	return 0;
}

void ctl_shim_exec_wait_gone(struct ctl_shim_exec *ex, int timeout_ms)
{
	/* The shim holds the sync pipe until it exits. */
	char c;
	gint64 deadline = ctl_now_ms() + timeout_ms;
	while (ex->sync_fd >= 0) {
		gint64 left = deadline - ctl_now_ms();
		if (left <= 0)
			return;
		struct pollfd pfd = {ex->sync_fd, POLLIN, 0};
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || recv(ex->sync_fd, &c, 1, MSG_DONTWAIT) <= 0)
			return;
	}
}
