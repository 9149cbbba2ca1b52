#define G_LOG_DOMAIN "shim"

/* The monitor's start-up steps, in the order shim.c's start() takes them:
 * lower our OOM score, wait on the start pipe, daemonize, tell an exec's
 * caller its attach socket is ready, let go of our stdio. */

#include "tether/shim.h"
#include "tether/diag.h"
#include "tether/fdutil.h"
#include "tether/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void startup_lower_oom_score(struct shim *s)
{
	long long v;
	if (fileio_read_int("/proc/self/oom_score_adj", &v) == 0) {
		s->oom_score_adj = (int)v;
		s->have_oom_score_adj = true;
	}
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "-1000", 5) < 0)
		diag_debug("Failed to lower our oom_score_adj: %s", g_strerror(errno));
	if (fd >= 0)
		close(fd);
}
/* Wait, 2 s at most, for the reparenting that first's exit brings. A pidfd
 * turns readable at the exit, once the kernel has reparented its children:
 * no polling on the start's critical path. */
static void wait_reparented(pid_t first)
{
	int fd = fdutil_pidfd_open(first);
	if (fd >= 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		while (getppid() == first && poll(&p, 1, 2000) < 0 && errno == EINTR)
			;
		close(fd);
	}
	/* Without pidfds (Linux < 5.3), by polling. */
	for (int i = 0; getppid() == first && fd < 0 && i < 2000; i++)
		(void)usleep(1000);
	if (getppid() == first)
		diag_warn("our first process %d has not exited after 2 s", (int)first);
}

/* The caller's first process exits once the pidfile names the monitor; the
 * monitor waits on a gate until then, so no caller ever reads a pidfile
 * naming a process that has already done something, and then until that
 * process is gone. */
bool startup_daemonize(struct shim *s)
{
	pid_t first = getpid();
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0) {
		shim_fail(s, g_strdup_printf("pipe: %s", g_strerror(errno)));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		shim_fail(s, g_strdup_printf("fork: %s", g_strerror(errno)));
		return false;
	}
	if (pid > 0) {
		close(gate[0]);
		int code = 0;
		if (s->opts->conmon_pidfile != NULL) {
			char buf[16];
			int len = snprintf(buf, sizeof(buf), "%d", pid);
			int r = fileio_write_atomic(s->opts->conmon_pidfile, buf, (size_t)len,
						    0644);
			if (r < 0) {
				g_autofree char *msg =
					g_strdup_printf("Failed to write pid file %s: %s",
							s->opts->conmon_pidfile, g_strerror(-r));
				shim_report_failure(s->sync_fd, s->opts, msg);
				code = 1;
			}
		}
		if (code == 0)
			(void)!write(gate[1], "", 1);
		_exit(code);
	}
	close(gate[1]);
	char byte;
	ssize_t n;
	while ((n = read(gate[0], &byte, 1)) < 0 && errno == EINTR)
		;
	close(gate[0]);
	if (n != 1)
		_exit(1); /* the parent reported why */
	/* Wait for the reparenting its exit brings: a service manager told
	 * MAINPID=us before that sees a process that is not its child and may
	 * never learn how it exits (systemd then records the first process's
	 * 0, not the container's code). */
	wait_reparented(first);
	return true;
}
/* --exec-attach: the exec's attach socket and FIFOs exist; podman waits for
 * this before it connects, then writes the second start byte. */
bool startup_tell_attach_ready(struct shim *s)
{
	int fd = fdutil_fd_from_env("_OCI_ATTACHPIPE");
	if (fd < 0) {
		shim_fail(
			s,
			g_strdup("--exec-attach needs _OCI_ATTACHPIPE: it is not set or not open"));
		return false;
	}
	(void)fdutil_set_cloexec(fd, true);
	shim_sync_send(&fd, s->opts, 0, NULL);
	fdutil_close(&fd);
	return true;
}
bool startup_wait_start_pipe(struct shim *s)
{
	if (s->start_fd < 0)
		return true;
	char byte;
	ssize_t n;
	/* Any byte, or EOF, means go: the caller has moved us into a cgroup. */
	while ((n = read(s->start_fd, &byte, 1)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		shim_fail(s, g_strdup_printf("Failed to read from the start pipe: %s",
					     g_strerror(errno)));
		return false;
	}
	/* With --exec-attach the runtime's child reads it once more. */
	if (!s->opts->exec_attach)
		fdutil_close(&s->start_fd);
	return true;
}
void startup_detach_stdio(void)
{
	(void)fdutil_stdio_devnull(false);
	diag_set_stderr(false);
}

/* The main stack's pages below this frame hold nothing live: start-up went
 * deeper (option parsing, the runtime's spawn, the sync message) than the
 * idle loop ever will, and the kernel keeps every page once touched. The
 * [stack] mapping comes from /proc/self/maps: only it is touched. */
static void release_stack(void)
{
	volatile char here = 0;
	uintptr_t sp = (uintptr_t)&here;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	g_autofree char *maps = NULL;
	if (!g_file_get_contents("/proc/self/maps", &maps, NULL, NULL))
		return;
	for (char *line = maps; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		unsigned long lo, hi;
		if (g_str_has_suffix(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			/* Two pages of margin: this frame's callees (madvise
			 * itself) run below it while the kernel works. */
			uintptr_t keep = (sp & ~(page - 1)) - 2 * page;
			if (lo < keep && sp < hi)
				(void)madvise((void *)lo, keep - lo, MADV_DONTNEED);
			return;
		}
		line = next;
	}
}

void startup_release_memory(void)
{
	release_stack();
	(void)malloc_trim(0);
}
