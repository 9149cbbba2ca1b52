#define G_LOG_DOMAIN "shim"

/* The shim as a service: what it tells its service manager with
 * --systemd-notify (sdnotify.h), and how a stop request reaches the
 * container (--stop-signal, --stop-timeout).
 *
 * Under a Type=notify unit the sequence is
 *   MAINPID=<shim> + STATUS=Creating...   once the shim's pid is final
 *   STATUS=... created                    the runtime's create succeeded
 *   READY=1 + STATUS=... running          the caller started it ("started"
 *                                         on the control socket); with
 *                                         --sdnotify-socket the container's
 *                                         own READY=1 is relayed instead
 *   WATCHDOG=1                            every half of WATCHDOG_USEC
 *   STOPPING=1 + STATUS=Stopping...       on SIGTERM/SIGINT/SIGQUIT
 *   STATUS=... exited with code N         before the shim exits with N */

#include "tether/shim.h"
#include "tether/control.h"
#include "tether/diag.h"
#include "tether/recover.h"
#include "tether/sdnotify.h"
#include "tether/signame.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

bool shim_service_setup(struct shim *s, GError **error)
{
	if (!s->opts->systemd_notify)
		return true;
	GError *e = NULL;
	s->sd = sdnotify_from_env(&e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return false;
	}
	return true;
}

static gboolean on_watchdog(gpointer data)
{
	struct shim *s = data;
	(void)sdnotify_send(s->sd, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

void shim_service_announce(struct shim *s)
{
	if (s->sd == NULL)
		return;
	(void)sdnotify_sendf(s->sd, "MAINPID=%d\nSTATUS=Creating container %s", (int)getpid(),
			     s->opts->cid);
	uint64_t usec = sdnotify_get_watchdog_usec(s->sd);
	if (usec > 0) {
		/* Half the interval, as sd_watchdog_enabled(3) advises. */
		guint ms = (guint)MAX(usec / 2000, 1);
		s->watchdog_src = g_timeout_add(ms, on_watchdog, s);
		diag_info("pinging the service manager's watchdog every %u ms", ms);
	}
}

void shim_service_created(struct shim *s)
{
	/* A restored container runs as soon as the runtime returns. */
	if (s->opts->restore != NULL) {
		(void)shim_service_started(s);
		return;
	}
	(void)sdnotify_sendf(s->sd, "STATUS=Container %s created (pid %d), waiting for its start",
			     s->opts->cid, (int)s->container_pid);
}

const char *shim_service_started(struct shim *s)
{
	if (s->state == SHIM_EXITED)
		return "the container has exited";
	if (s->state != SHIM_RUNNING)
		return "the container is not created yet";
	if (s->started)
		return NULL;
	s->started = true;
	recover_save(s);
	diag_info("container %d started", s->container_pid);
	control_event(s->control, "started", NULL);
	if (s->notify != NULL)
		(void)sdnotify_sendf(
			s->sd, "STATUS=Container %s running (pid %d), waiting for its READY=1",
			s->opts->cid, (int)s->container_pid);
	else
		(void)sdnotify_sendf(s->sd, "READY=1\nSTATUS=Container %s running (pid %d)",
				     s->opts->cid, (int)s->container_pid);
	return NULL;
}

void shim_kill_container(struct shim *s)
{
	pid_t pgid = getpgid(s->container_pid);
	if (pgid > 1 && pgid != getpgrp())
		(void)kill(-pgid, SIGKILL);
	(void)kill(s->container_pid, SIGKILL);
}

static gboolean on_stop_timeout(gpointer data)
{
	struct shim *s = data;
	s->stop_src = 0;
	s->stop_deadline = 0;
	diag_info("container %d still runs %d s after its stop signal: SIGKILL", s->container_pid,
		  s->opts->stop_timeout);
	(void)sdnotify_sendf(s->sd, "STATUS=Killing container %s (stop timeout of %d s)",
			     s->opts->cid, s->opts->stop_timeout);
	shim_kill_container(s);
	return G_SOURCE_REMOVE;
}

/* A stop that starts now: recorded (and saved for crash recovery) before
 * the container gets its signal, so that no crash in between loses it. */
static void begin_stop(struct shim *s, int signo)
{
	s->stopping = true;
	const char *name = signame_name(signo);
	g_autofree char *sig = name ? g_strconcat("SIG", name, NULL) : g_strdup_printf("%d", signo);
	g_autofree char *then = NULL;
	if (s->opts->stop_timeout > 0) {
		s->stop_deadline = g_get_monotonic_time() + s->opts->stop_timeout * G_USEC_PER_SEC;
		s->stop_src =
			g_timeout_add_seconds((guint)s->opts->stop_timeout, on_stop_timeout, s);
		then = g_strdup_printf(", SIGKILL in %d s", s->opts->stop_timeout);
	}
	recover_save(s);
	(void)sdnotify_sendf(s->sd, "STOPPING=1\nSTATUS=Stopping container %s (%s%s)", s->opts->cid,
			     sig, then ? then : "");
}

void shim_service_stop(struct shim *s, int signo)
{
	/* Until the container exists, the runtime gets the signal as it is. */
	pid_t to = s->container_pid > 0 ? s->container_pid : s->runtime_pid;
	if (s->container_pid > 0 && signo == SIGTERM)
		signo = s->opts->stop_signal;
	if (s->container_pid > 0 && s->state == SHIM_RUNNING && !s->stopping)
		begin_stop(s, signo);
	diag_info("forwarding signal %d to %d", signo, to);
	if (to > 0 && kill(to, signo) < 0)
		diag_warn("Failed to forward signal %d to %d: %s", signo, to, g_strerror(errno));
}

void shim_service_adopted(struct shim *s, int64_t stop_left_ms)
{
	/* A stop under way goes on: its SIGKILL comes when it would have. */
	if (s->stopping && stop_left_ms >= 0) {
		s->stop_deadline = g_get_monotonic_time() + stop_left_ms * 1000;
		s->stop_src = g_timeout_add((guint)stop_left_ms, on_stop_timeout, s);
	}
	if (s->sd == NULL)
		return;
	shim_service_announce(s);
	/* A unit restarted around a shim taken over from its fd store waits
	 * for it again (and READY=1 twice is no harm). */
	if (s->started && s->notify == NULL)
		(void)sdnotify_send(s->sd, "READY=1");
	(void)sdnotify_sendf(s->sd, "STATUS=Container %s %s (pid %d), monitor %s", s->opts->cid,
			     s->started ? "running" : "created", (int)s->container_pid,
			     s->opts->recovered_from > 0 ? "recovered from a crash" : "upgraded");
}

void shim_service_exited(struct shim *s, int exit_code)
{
	(void)sdnotify_sendf(s->sd, "STATUS=Container %s exited with code %d", s->opts->cid,
			     exit_code);
}

void shim_service_failed(struct shim *s)
{
	(void)sdnotify_sendf(s->sd, "STATUS=Failed: %s", s->failure ? s->failure : "unknown error");
}

void shim_service_clear(struct shim *s)
{
	if (s->watchdog_src != 0)
		g_source_remove(s->watchdog_src);
	if (s->stop_src != 0)
		g_source_remove(s->stop_src);
	s->watchdog_src = s->stop_src = 0;
	g_clear_pointer(&s->sd, sdnotify_free);
}
