/* least_monitor: the lifecycle bench's floor for a monitor driven the
 * conmon way (bench/shimbench.py builds and runs it). It does only what the
 * caller waits for, in the fewest steps: read the start byte, fork once
 * (the first process exits), run `RUNTIME create`, send {"data": PID} on
 * the sync pipe, wait for the container and write its exit file. No logs,
 * no attach socket, no PTY, no signals forwarded, no cleanup: not a monitor
 * anyone could use, only the least time any monitor could take.
 *
 * Takes the bench's conmon command line: -c ID, -r RUNTIME, -b BUNDLE,
 * -p PIDFILE, -P MONITOR_PIDFILE, --exit-dir DIR, --runtime-arg ARG...;
 * other options are skipped. _OCI_SYNCPIPE and _OCI_STARTPIPE as conmon. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_RUNTIME_ARGS 8

static void die(const char *what)
{
	fprintf(stderr, "least_monitor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Write text to path through a temporary file and a rename. */
static void put_file(const char *path, const char *text)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		die(tmp);
	if (rename(tmp, path) < 0)
		die(path);
}

int main(int argc, char **argv)
{
	const char *cid = NULL, *runtime = NULL, *bundle = NULL, *pidfile = NULL;
	const char *monpidfile = NULL, *exitdir = NULL;
	const char *rargs[MAX_RUNTIME_ARGS];
	int nrargs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--full-attach") == 0)
			continue;
		if (v == NULL) {
			fprintf(stderr, "least_monitor: %s needs a value\n", a);
			return 1;
		}
		i++;
		if (strcmp(a, "-c") == 0)
			cid = v;
		else if (strcmp(a, "-r") == 0)
			runtime = v;
		else if (strcmp(a, "-b") == 0)
			bundle = v;
		else if (strcmp(a, "-p") == 0)
			pidfile = v;
		else if (strcmp(a, "-P") == 0)
			monpidfile = v;
		else if (strcmp(a, "--exit-dir") == 0)
			exitdir = v;
		else if (strcmp(a, "--runtime-arg") == 0 && nrargs < MAX_RUNTIME_ARGS)
			rargs[nrargs++] = v;
	}
	const char *sync_env = getenv("_OCI_SYNCPIPE"), *start_env = getenv("_OCI_STARTPIPE");
	if (!cid || !runtime || !bundle || !pidfile || !monpidfile || !exitdir || !sync_env ||
	    !start_env) {
		fprintf(stderr, "least_monitor: -c -r -b -p -P --exit-dir, _OCI_SYNCPIPE and "
				"_OCI_STARTPIPE are needed\n");
		return 1;
	}
	int sync_fd = atoi(sync_env), start_fd = atoi(start_env);
	char b;
	if (read(start_fd, &b, 1) != 1)
		die("start pipe");
	close(start_fd);

	pid_t mon = fork();
	if (mon < 0)
		die("fork");
	if (mon > 0)
		return 0;
	setsid();
	/* The container is re-parented to us when runc create exits. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	char text[64];
	snprintf(text, sizeof(text), "%d", getpid());
	put_file(monpidfile, text);

	const char *rargv[MAX_RUNTIME_ARGS + 8];
	int n = 0;
	rargv[n++] = runtime;
	for (int i = 0; i < nrargs; i++)
		rargv[n++] = rargs[i];
	const char *tail[] = {"create", "--bundle", bundle, "--pid-file", pidfile, cid, NULL};
	memcpy(rargv + n, tail, sizeof(tail));
	pid_t rt = fork();
	if (rt < 0)
		die("fork");
	if (rt == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(sync_fd);
		execv(runtime, (char **)rargv);
		_exit(127);
	}
	int st;
	if (waitpid(rt, &st, 0) < 0)
		die("waitpid runtime");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		dprintf(sync_fd, "{\"data\": -1, \"message\": \"runtime create failed\"}");
		return 1;
	}
	FILE *f = fopen(pidfile, "r");
	int ctr = 0;
	if (f == NULL || fscanf(f, "%d", &ctr) != 1 || ctr <= 0)
		die(pidfile);
	fclose(f);
	dprintf(sync_fd, "{\"data\": %d}", ctr);
	close(sync_fd);

	for (;;) {
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			die("waitpid container");
		if (p == ctr)
			break;
	}
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", exitdir, cid);
	snprintf(text, sizeof(text), "%d", code);
	put_file(path, text);
	return 0;
}
