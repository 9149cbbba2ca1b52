/* logs of a journald container: journalctl, stopped with the container. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_logjournal.h"
#include "tether/ctl.h"
#include "tether/ctl_exit.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

char **ctl_logjournal_argv(const char *journalctl, const char *id,
			   const struct ctl_logs_request *req)
{
	GPtrArray *a = g_ptr_array_new();
	g_ptr_array_add(a, g_strdup(journalctl));
	g_ptr_array_add(a, g_strdup("--no-pager"));
	g_ptr_array_add(a, g_strdup("-o"));
	g_ptr_array_add(a, g_strdup(req->timestamps ? "short-iso-precise" : "cat"));
	/* Explicit: with -f and no -n, journalctl would show only 10. */
	g_ptr_array_add(a, g_strdup("-n"));
	g_ptr_array_add(a, req->tail >= 0 ? g_strdup_printf("%d", req->tail) : g_strdup("all"));
	if (req->since_set) {
		g_ptr_array_add(a, g_strdup("--since"));
		g_ptr_array_add(a, g_strdup_printf("@%lld.%06ld", (long long)req->since.tv_sec,
						   req->since.tv_nsec / 1000));
	}
	if (req->follow)
		g_ptr_array_add(a, g_strdup("-f"));
	g_ptr_array_add(a, g_strdup_printf("CONTAINER_ID_FULL=%s", id));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* With -f: wait for the container's exit, then give journalctl its grace
 * and stop it. Returns true when it was stopped. */
static bool stop_with_container(const char *cdir, const struct ctl_state *st, pid_t pid)
{
	_cleanup_close_ int pidfd = fdutil_pidfd_open(pid);
	int code;
	/* -ECANCELED: journalctl ended on its own first. */
	int r = ctl_exit_wait(cdir, st->id, -1, st->shim_pid, st->shim, pidfd, &code);
	if (r == -ECANCELED)
		return false;
	if (r < 0 && r != -ESRCH)
		diag_debug("waiting for %s: %s", st->id, g_strerror(-r));
	if (pidfd >= 0) {
		struct pollfd pfd = {pidfd, POLLIN, 0};
		if (poll(&pfd, 1, CTL_LOGJOURNAL_GRACE_MS) > 0)
			return false;
	} else {
		g_usleep(CTL_LOGJOURNAL_GRACE_MS * 1000);
	}
	(void)kill(pid, SIGTERM);
	return true;
}

int ctl_logjournal_show(const char *cdir, const struct ctl_state *st,
			const struct ctl_logs_request *req, GError **error)
{
	g_autofree char *journalctl = g_find_program_in_path("journalctl");
	if (journalctl == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "container %s logs to the journal and journalctl is not installed: "
			    "read its entries matching CONTAINER_ID_FULL=%s (or CONTAINER_NAME=%s) "
			    "with a journal reader",
			    st->id, st->id, st->name);
		return -1;
	}
	g_auto(GStrv) argv = ctl_logjournal_argv(journalctl, st->id, req);
	g_autofree char *cmdline = g_strjoinv(" ", argv);
	diag_debug("running %s", cmdline);
	GPid pid;
	if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, error)) {
		g_prefix_error(error, "cannot run journalctl: ");
		return -1;
	}
	bool stopped = req->follow && stop_with_container(cdir, st, pid);
	int status = 0;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "waiting for journalctl: %s",
			    g_strerror(errno));
		return -1;
	}
	if (stopped || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return 0;
	g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "'%s' failed (%s %d)", cmdline,
		    WIFSIGNALED(status) ? "signal" : "exit status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return -1;
}
