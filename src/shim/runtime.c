#define G_LOG_DOMAIN "runtime"

#include "tether/shim.h"
#include "tether/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* conmon's order: runtime, [--systemd-cgroup], runtime args, subcommand and
 * its flags, runtime opts, [--console-socket PATH], container id. */
GStrv runtime_argv(const struct tether_opts *o, const char *console_socket)
{
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_strv_builder_add(b, o->runtime);
	if (o->systemd_cgroup && !o->exec)
		g_strv_builder_add(b, "--systemd-cgroup");
	if (o->runtime_args != NULL)
		g_strv_builder_addv(b, (const char **)o->runtime_args);

	if (o->exec) {
		g_strv_builder_add_many(b, "exec", "--pid-file", o->container_pidfile, "--process",
					o->exec_process_spec, "--detach", NULL);
	} else {
		g_strv_builder_add_many(b, o->restore ? "restore" : "create", "--bundle", o->bundle,
					"--pid-file", o->container_pidfile, NULL);
		if (o->no_pivot)
			g_strv_builder_add(b, "--no-pivot");
		if (o->no_new_keyring)
			g_strv_builder_add(b, "--no-new-keyring");
		if (o->restore)
			g_strv_builder_add_many(b, "--detach", "--image-path", o->restore,
						"--work-path", o->bundle, NULL);
	}
	if (o->runtime_opts != NULL)
		g_strv_builder_addv(b, (const char **)o->runtime_opts);
	if (console_socket != NULL)
		g_strv_builder_add_many(b, "--console-socket", console_socket, NULL);
	g_strv_builder_add(b, o->cid);
	return g_strv_builder_end(b);
}

/* In the child, between fork and exec: only async-signal-safe calls, and
 * _exit() on failure. The shim is single-threaded, so setenv is safe too. */
static void child_exec(struct shim *shim, char **argv, int child_stdio[3], pid_t parent,
		       const char *oom_value)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	/* Its own process group, with its hooks: a hung runtime can be killed
	 * whole (shim.c), and never with us. */
	(void)setpgid(0, 0);

	for (int i = 0; i < 3; i++) {
		if (child_stdio[i] == i) {
			int flags = fcntl(i, F_GETFD);
			if (flags >= 0)
				fcntl(i, F_SETFD, flags & ~FD_CLOEXEC);
		} else if (dup2(child_stdio[i], i) < 0) {
			_exit(127);
		}
	}
	/* Any container user may reopen /dev/stdout and /dev/stderr. */
	(void)fchmod(1, 0777);
	(void)fchmod(2, 0777);

	if (oom_value != NULL) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, oom_value, strlen(oom_value));
			close(fd);
		}
	}

	/* Socket activation: LISTEN_PID names the process the sockets are for. */
	const char *listen_pid = getenv("LISTEN_PID");
	if (listen_pid != NULL) {
		char *end;
		long v = strtol(listen_pid, &end, 10);
		if (*listen_pid == '\0' || *end != '\0') {
			static const char msg[] = "tether: invalid LISTEN_PID\n";
			(void)!write(2, msg, sizeof(msg) - 1);
			_exit(127);
		}
		if (shim->opts->replace_listen_pid || v == (long)parent) {
			char buf[24];
			snprintf(buf, sizeof(buf), "%ld", (long)getpid());
			setenv("LISTEN_PID", buf, 1);
		}
	}

	/* --exec-attach: podman writes a second start byte once its client is
	 * connected to the exec's attach socket; only then may the process
	 * run. Any byte or EOF means go. */
	if (shim->opts->exec_attach && shim->start_fd >= 0) {
		char byte;
		while (read(shim->start_fd, &byte, 1) < 0 && errno == EINTR)
			;
	}
	execv(argv[0], argv);
	static const char msg[] = "tether: failed to execute the runtime\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(127);
}

int runtime_spawn(struct shim *shim, char **argv, int child_stdio[3], pid_t *ret_pid)
{
	char oom_value[16];
	const char *oom = NULL;
	if (shim->have_oom_score_adj) {
		snprintf(oom_value, sizeof(oom_value), "%d", shim->oom_score_adj);
		oom = oom_value;
	}
	if (shim->opts->level >= DIAG_DEBUG) {
		g_autofree char *cmd = g_strjoinv(" ", argv);
		diag_debug("running: %s", cmd);
	}

	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_exec(shim, argv, child_stdio, parent, oom);
	*ret_pid = pid;
	return 0;
}
