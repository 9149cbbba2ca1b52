#define G_LOG_DOMAIN "exit"

#include "tether/shim.h"
#include "tether/diag.h"
#include "tether/fdutil.h"
#include "tether/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static bool write_one(const char *path, const char *content, GError **error)
{
	int r = fileio_write_atomic(path, content, strlen(content), 0644);
	if (r < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-r),
			    "Failed to write exit file %s: %s", path, g_strerror(-r));
		return false;
	}
	return true;
}

/* PERSIST_DIR/exit first: CRI-O reacts to EXIT_DIR/CID appearing and then
 * reads the persist-dir file. Decimal, no newline, as conmon. */
int exitfile_write_all(const struct tether_opts *o, int exit_code, GError **error)
{
	char content[16];
	snprintf(content, sizeof(content), "%d", exit_code);
	if (o->persist_dir != NULL) {
		g_autofree char *path = g_build_filename(o->persist_dir, "exit", NULL);
		if (!write_one(path, content, error))
			return -EIO;
	}
	if (o->exit_dir != NULL) {
		g_autofree char *path = g_build_filename(o->exit_dir, o->cid, NULL);
		if (!write_one(path, content, error))
			return -EIO;
	}
	return 0;
}

void exitfile_write_oom(const struct tether_opts *o)
{
	/* conmon 2.1.6 wrote it in its cwd, where podman 4.3 never looks. */
	const char *dirs[] = {o->bundle, o->persist_dir};
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		if (dirs[i] == NULL)
			continue;
		g_autofree char *path = g_build_filename(dirs[i], "oom", NULL);
		int r = fileio_write_atomic(path, "", 0, 0644);
		if (r < 0)
			diag_warn("Failed to write %s: %s", path, g_strerror(-r));
	}
}

/* Run --exit-command with its args after --exit-delay seconds, detached from
 * our stdio, and wait for it as conmon does. Returns its exit status. */
int exitfile_run_command(const struct tether_opts *o, int oom_score_adj, bool have_oom_score_adj)
{
	if (o->exit_command == NULL)
		return 0;

	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_strv_builder_add(b, o->exit_command);
	if (o->exit_command_args != NULL)
		g_strv_builder_addv(b, (const char **)o->exit_command_args);
	g_auto(GStrv) argv = g_strv_builder_end(b);
	char oom_value[16];
	snprintf(oom_value, sizeof(oom_value), "%d", oom_score_adj);
	/* The monitor's environment, as conmon, but not the variables naming
	 * the caller's pipes: their fds are closed, and the numbers could name
	 * some other file of a command that reads them (a nested monitor). Made
	 * before fork: the child only calls what is safe after it. */
	g_auto(GStrv) envp = g_get_environ();
	envp = g_environ_unsetenv(envp, "_OCI_SYNCPIPE");
	envp = g_environ_unsetenv(envp, "_OCI_STARTPIPE");

	/* Its own children are not ours to reap. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0);
	pid_t pid = fork();
	if (pid < 0) {
		diag_error("Failed to fork the exit command: %s", g_strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (fdutil_stdio_devnull(false) < 0)
			_exit(127);
		if (have_oom_score_adj) {
			int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				(void)!write(fd, oom_value, strlen(oom_value));
				close(fd);
			}
		}
		for (unsigned left = (unsigned)o->exit_delay; left > 0;)
			left = sleep(left);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			diag_error("Failed to wait for the exit command: %s", g_strerror(errno));
			return -errno;
		}
	}
	int code = shim_exit_code(status);
	if (code != 0)
		diag_warn("Exit command '%s' exited with status %d", o->exit_command, code);
	return code;
}
